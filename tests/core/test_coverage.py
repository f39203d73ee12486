import geopandas as gpd
import numpy as np
import pytest
import shapely
import shapely.affinity

from pyproj import Geod

from geo.core.coverage import camera_views, covered_fraction, covered_share, fov_polygons, sectors

from geo.core.crs import true_north

CRS_M = "EPSG:32649"  # UTM 49N, around the demo county
LON, LAT = 112.93, 28.12


def _area_m2(polys):
    return gpd.GeoSeries(polys, crs=4326).to_crs(CRS_M).area.to_numpy()


@pytest.mark.parametrize("fov,range_m", [(60, 50), (90, 120), (360, 30)], ids=["narrow", "wide", "dome"])
def test_fov_polygons_have_the_sector_area(fov, range_m):
    poly = fov_polygons(np.array([LON]), np.array([LAT]), np.array([45.0]), np.array([float(fov)]),
                        np.array([float(range_m)]), CRS_M)
    expected = np.pi * range_m ** 2 * fov / 360
    np.testing.assert_allclose(_area_m2(poly), [expected], rtol=0.02)  # polygon arc: within 2 %


@pytest.mark.parametrize("heading,dx,dy", [(0, 0, 1), (90, 1, 0), (180, 0, -1), (270, -1, 0)],
                         ids=["north", "east", "south", "west"])
def test_fov_polygons_point_clockwise_from_north(heading, dx, dy):
    poly = fov_polygons(np.array([LON]), np.array([LAT]), np.array([float(heading)]), np.array([40.0]),
                        np.array([100.0]), CRS_M)[0]
    # Headings are true bearings: the geodesic azimuth from the camera to the wedge's centre
    # (here grid north of UTM 49N is 0.91 degrees off true north, so a grid bearing would miss)
    centre = gpd.GeoSeries([poly], crs=4326).to_crs(CRS_M).centroid.to_crs(4326).iloc[0]
    bearing = Geod(ellps="WGS84").inv(LON, LAT, centre.x, centre.y)[0] % 360
    assert min(abs(bearing - heading), 360 - abs(bearing - heading)) < 0.01
    assert np.sign(round(centre.x - LON, 7)) == dx and np.sign(round(centre.y - LAT, 7)) == dy


def test_fov_polygons_missing_heading_gives_a_disc():
    poly = fov_polygons(np.array([LON]), np.array([LAT]), np.array([np.nan]), np.array([np.nan]),
                        np.array([20.0]), CRS_M)
    np.testing.assert_allclose(_area_m2(poly), [np.pi * 400], rtol=0.02)


def test_covered_share_counts_overlaps_once():
    square = gpd.GeoSeries([shapely.Point(LON, LAT)], crs=4326).to_crs(CRS_M).buffer(100, cap_style="square")
    region = square.to_crs(4326).iloc[0]
    # Two identical domes in the middle: the union, not the sum, is covered.
    fovs = fov_polygons(np.array([LON, LON]), np.array([LAT, LAT]), np.array([0.0, 0.0]), np.array([360.0, 360.0]),
                        np.array([50.0, 50.0]), CRS_M)
    share = covered_share(fovs, region, CRS_M)
    np.testing.assert_allclose(share, np.pi * 50 ** 2 / 200 ** 2, rtol=0.03)
    assert covered_share(np.array([], dtype=object), region, CRS_M) == 0.0


def test_camera_views_of_a_frame_are_the_sectors_of_its_columns_in_its_metric_crs():
    cams = gpd.GeoDataFrame({"heading": [0.0, 90.0, np.nan], "fov": [60.0, 360.0, np.nan], "range_m": [80.0, 30.0, 20.0]},
                            geometry=gpd.points_from_xy([LON, LON + 0.01, LON - 0.01], [LAT, LAT, LAT + 0.01]),
                            crs=4326, index=[7, 8, 9])
    views = camera_views(cams)
    assert str(views.crs) == CRS_M and views.index.tolist() == [7, 8, 9]  # the cameras' own UTM zone
    at = cams.to_crs(CRS_M).geometry
    north, scale = true_north(cams.geometry.x, cams.geometry.y, CRS_M)
    assert np.all(np.abs(north + 0.91) < 0.05) and np.all(np.abs(scale - 1) < 1e-3)  # UTM 49N, 1.9 deg east of its meridian
    expected = sectors(at.x.to_numpy(), at.y.to_numpy(), cams["heading"] + north, cams["fov"], cams["range_m"] * scale)
    # in a conformal grid, drawing on the ground and mapping through the local axes is the same as
    # turning the sector by the convergence and scaling it (a disc's vertices may start elsewhere)
    assert all(a.symmetric_difference(b).area < 1e-3 * a.area for a, b in zip(views.values, expected))
    wgs = fov_polygons(cams.geometry.x.to_numpy(), cams.geometry.y.to_numpy(),
                       cams["heading"].to_numpy(), cams["fov"].to_numpy(), cams["range_m"].to_numpy(), CRS_M)
    np.testing.assert_allclose(_area_m2(wgs), views.area.to_numpy(), rtol=1e-6)
    assert camera_views(cams.iloc[0:0]).empty


def _plain_fraction(areas, views):
    """The straightforward answer: each area against the union of every view, on repaired shapes."""
    seen = shapely.union_all(shapely.make_valid(np.asarray(views, dtype=object)))
    out = []
    for area in areas:
        area = None if area is None else shapely.make_valid(area)
        total = 0.0 if area is None else area.area
        out.append(0.0 if total == 0 else shapely.intersection(area, seen).area / total)
    return np.array(out)


def _random_views(rng, n, side):
    x, y = rng.uniform(-50, side + 50, n), rng.uniform(-50, side + 50, n)
    fov = np.where(rng.random(n) < 0.3, 360.0, rng.uniform(20, 180, n))
    return sectors(x, y, rng.uniform(0, 360, n), fov, rng.uniform(10, 150, n))


def _squares(side, step):
    corners = np.stack(np.meshgrid(np.arange(0, side, step), np.arange(0, side, step)), -1).reshape(-1, 2).T
    return shapely.box(*corners, *(corners + step))


def _hexes(side, step):
    return shapely.buffer(shapely.centroid(_squares(side, step)), step * 0.6, quad_segs=2)


def _holed(side, step):
    squares = _squares(side, step)
    return shapely.difference(squares, shapely.buffer(shapely.centroid(squares), step / 4))


def _rotated(side, step):
    return np.array([shapely.affinity.rotate(s, 17.0) for s in _squares(side, step)])


def _multi(side, step):
    squares = _squares(side, step)
    return shapely.multipolygons(np.column_stack([squares[:-1], squares[::-1][:-1]]).tolist())


@pytest.mark.parametrize("make", [_squares, _hexes, _holed, _rotated, _multi],
                         ids=["squares", "hexagons", "holes", "rotated", "multipolygons"])
@pytest.mark.parametrize("seed,n_views", [(1, 40), (2, 200), (3, 600)], ids=["sparse", "dense", "crowded"])
def test_covered_fraction_equals_the_plain_union_and_intersection(make, seed, n_views):
    rng = np.random.default_rng(seed)
    areas, views = make(1000.0, 100.0), _random_views(rng, n_views, 1000.0)
    expected = _plain_fraction(areas, views)
    np.testing.assert_allclose(covered_fraction(areas, views), expected, rtol=0, atol=1e-9)
    np.testing.assert_allclose(covered_fraction(areas, views, threads=3), expected, rtol=0, atol=1e-9)


CELL = shapely.box(0, 0, 100, 100)
BOW_TIE = shapely.Polygon([(0, 0), (100, 100), (100, 0), (0, 100)])  # invalid: its ring crosses itself

EDGE_CASES = {  # name: (areas, views, expected shares)
    "view equals the area": ([CELL], [CELL], [1.0]),
    "area equals a sector": ([sectors(np.array([0.0]), np.array([0.0]), np.array([45.0]), np.array([60.0]),
                                      np.array([80.0]))[0]] * 2,
                             sectors(np.array([0.0]), np.array([0.0]), np.array([45.0]), np.array([60.0]),
                                     np.array([80.0])), [1.0, 1.0]),
    "two halves make the whole": ([CELL], [shapely.box(0, 0, 50, 100), shapely.box(50, 0, 100, 100)], [1.0]),
    "touching on an edge only": ([CELL], [shapely.box(100, 0, 200, 100)], [0.0]),
    "touching at a corner only": ([CELL], [shapely.box(100, 100, 200, 200)], [0.0]),
    "a view in the hole": ([shapely.box(0, 0, 100, 100).difference(shapely.box(25, 25, 75, 75))],
                           [shapely.box(30, 30, 70, 70)], [0.0]),
    "a holed area fully seen": ([shapely.box(0, 0, 100, 100).difference(shapely.box(25, 25, 75, 75))],
                                [shapely.box(-1, -1, 101, 101)], [1.0]),
    "a view poking into the hole": ([shapely.box(0, 0, 100, 100).difference(shapely.box(25, 25, 75, 75))],
                                    [shapely.box(0, 0, 50, 50)], [(2500 - 625) / 7500]),
    "no view": ([CELL], [], [0.0]),
    "no area": ([], [CELL], []),
    "missing and empty areas": ([None, shapely.Polygon(), CELL], [CELL], [0.0, 0.0, 1.0]),
    "a line has no surface": ([shapely.LineString([(0, 0), (50, 50)]), CELL], [CELL], [0.0, 1.0]),
    "an invalid view": ([CELL, shapely.box(0, 0, 100, 50)], [BOW_TIE], [0.5, 0.5]),
    "an invalid area": ([BOW_TIE], [shapely.box(0, 0, 50, 100)], [0.5]),
    "views far away": ([CELL], [shapely.box(500, 500, 600, 600)], [0.0]),
}


@pytest.mark.parametrize("name", EDGE_CASES, ids=list(EDGE_CASES))
def test_covered_fraction_edge_cases(name):
    areas, views, expected = EDGE_CASES[name]
    areas, views = np.array(areas, dtype=object), np.array(views, dtype=object)
    ours = covered_fraction(areas, views)
    np.testing.assert_allclose(ours, expected, atol=1e-12)
    if len(views) and len(areas):
        np.testing.assert_allclose(ours, _plain_fraction(areas, views), atol=1e-12)


def test_covered_fraction_survives_a_sliver_the_rectangle_clipper_refuses():
    # a narrow wedge whose apex sits on cell corners: GEOS's clip_by_rect raises on it
    views = sectors(np.array([1.0, 0.0]), np.array([1.4e-219, 0.0]), np.array([0.0, 0.0]), np.array([181.0, 10.0]),
                    np.array([120.0, 120.0]))
    cells = _squares(1000.0, 250.0)
    np.testing.assert_allclose(covered_fraction(cells, views), _plain_fraction(cells, views), atol=1e-9)
