import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo.core.coverage import camera_views, covered_share, fov_polygons, sectors

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
    # Headings are taken in the metric CRS's grid: within a UTM zone grid north is within
    # about 2 degrees of true north, so compare the bearing of the wedge's centroid.
    centre = gpd.GeoSeries([poly.centroid, shapely.Point(LON, LAT)], crs=4326).to_crs(CRS_M)
    east, north = centre.iloc[0].x - centre.iloc[1].x, centre.iloc[0].y - centre.iloc[1].y
    bearing = np.degrees(np.arctan2(east, north)) % 360
    assert min(abs(bearing - heading), 360 - abs(bearing - heading)) < 0.5
    assert np.sign(round(east, 3)) == dx and np.sign(round(north, 3)) == dy


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
    expected = sectors(at.x.to_numpy(), at.y.to_numpy(), cams["heading"], cams["fov"], cams["range_m"])
    assert all(a.equals_exact(b, 1e-6) for a, b in zip(views.values, expected))
    wgs = fov_polygons(cams.geometry.x.to_numpy(), cams.geometry.y.to_numpy(),
                       cams["heading"].to_numpy(), cams["fov"].to_numpy(), cams["range_m"].to_numpy(), CRS_M)
    np.testing.assert_allclose(_area_m2(wgs), views.area.to_numpy(), rtol=1e-6)
    assert camera_views(cams.iloc[0:0]).empty
