"""Red team for the visibility polygons, line of sight and true-north sectors (issue 21).

Random and hand-made scenes are checked against the plain numpy ray cast of ``test_visibility``
(range, angle, proper crossings of building edges; no GEOS). Tests named ``..._bug_...`` fail on
the code they were written against (branch i21-fuzz fixes all but the non-conformal grid's) and
describe what is expected; the others pin edge cases that already worked.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import Geod
from shapely import affinity

from geo.core import visibility
from geo.core.coverage import camera_views, covered_fraction, sectors
from geo.core.crs import true_north
from tests.core.test_visibility import _ray_cast

GEOD = Geod(ellps="WGS84")
UTM_SHIFT = (500_000.0, 4_000_000.0)  # real metric coordinates are large: float precision as in UTM


def _visible(buildings, cams, threads: int = 1) -> np.ndarray:
    cams = np.asarray(cams, dtype=float)
    views = sectors(cams[:, 0], cams[:, 1], cams[:, 2], cams[:, 3], cams[:, 4])
    built = visibility.prepare(np.array(buildings, dtype=object))
    return visibility.visible(views, visibility.shadow_unions(cams[:, 0], cams[:, 1], views, built, threads=threads))


def _disagreement(buildings, cam, n: int = 6000, seed: int = 0) -> float:
    """Share of random points of one camera's disc where its visibility polygon and the ray cast differ."""
    cam = np.asarray([cam], dtype=float)
    seen = _visible(buildings, cam)[0]
    rng = np.random.default_rng(seed)
    ang, rad = rng.uniform(0, 2 * np.pi, n), cam[0, 4] * np.sqrt(rng.uniform(0, 1, n))
    px, py = cam[0, 0] + rad * np.sin(ang), cam[0, 1] + rad * np.cos(ang)
    far = shapely.box(-1e9, -1e9, -1e9 + 1, -1e9 + 1)  # the ray cast wants a wall besides the camera's own
    cast = _ray_cast(px, py, cam, np.array(list(buildings) + [far], dtype=object))
    return float((cast != shapely.contains_xy(seen, px, py)).mean())


def _random_building(rng, ox: float, oy: float):
    """One of: a tilted block, a U, a courtyard (hole), a long wall across the scene, a star-shaped
    polygon, a square with a repeated vertex and a collinear one."""
    kind, cx, cy = rng.integers(0, 6), ox + rng.uniform(0, 100), oy + rng.uniform(0, 100)
    if kind == 0:
        return affinity.rotate(shapely.box(cx, cy, cx + rng.uniform(1, 20), cy + rng.uniform(1, 20)), rng.uniform(0, 90))
    if kind == 1:
        w, t = rng.uniform(10, 25), rng.uniform(1, 4)
        u = [(0, 0), (w, 0), (w, w), (w - t, w), (w - t, t), (t, t), (t, w), (0, w)]
        return affinity.rotate(shapely.Polygon([(cx + a, cy + b) for a, b in u]), rng.uniform(0, 360))
    if kind == 2:
        w, t = rng.uniform(15, 30), rng.uniform(1, 5)
        return shapely.Polygon(shapely.box(cx, cy, cx + w, cy + w).exterior.coords,
                               holes=[shapely.box(cx + t, cy + t, cx + w - t, cy + w - t).exterior.coords])
    if kind == 3:
        return affinity.rotate(shapely.box(ox - 50, cy, ox + 150, cy + rng.uniform(0.2, 1)), rng.uniform(-60, 60))
    if kind == 4:
        n = rng.integers(5, 12)
        a, r = np.sort(rng.uniform(0, 2 * np.pi, n)), rng.uniform(2, 12, n)
        return shapely.Polygon(np.column_stack([cx + r * np.cos(a), cy + r * np.sin(a)]))
    w = rng.uniform(3, 15)
    return shapely.Polygon([(cx, cy), (cx, cy), (cx + w / 2, cy), (cx + w, cy), (cx + w, cy + w), (cx, cy + w)])


def _random_scene(seed: int, shift=(0.0, 0.0)):
    """Ten buildings (overlapping and crossing freely) and eight cameras: anywhere, in a courtyard or
    a U, or a micrometre to a decimetre off a wall (never exactly on one: see the bug tests below)."""
    rng = np.random.default_rng(seed)
    ox, oy = shift
    buildings = [b for b in (_random_building(rng, ox, oy) for _ in range(10)) if b.is_valid]
    cams = []
    for _ in range(8):
        b = buildings[rng.integers(len(buildings))]
        where = rng.integers(3)
        if where == 0:
            x, y = ox + rng.uniform(0, 100), oy + rng.uniform(0, 100)
        elif where == 1:
            x, y = b.centroid.x, b.centroid.y  # a courtyard's or a U's middle, or inside a block
        else:
            c = np.asarray(b.exterior.coords)
            i = int(np.argmax(np.hypot(*np.diff(c, axis=0).T)))  # its longest edge
            d = c[i + 1] - c[i]
            off = rng.choice([1e-6, 1e-3, 0.1]) * rng.choice([-1.0, 1.0])
            x, y = c[i] + 0.3 * d + off * np.array([d[1], -d[0]]) / np.hypot(*d)
        fov = 360.0 if rng.random() < 0.5 else rng.uniform(1, 359)
        cams.append((x, y, rng.uniform(0, 360), fov, rng.uniform(5, 80)))
    return buildings, np.array(cams)


@pytest.mark.parametrize("seed,shift", [(3, (0.0, 0.0)), (17, UTM_SHIFT), (29, UTM_SHIFT)])
def test_random_scenes_agree_with_the_ray_cast_within_half_a_percent_of_each_cell(seed, shift):
    buildings, cams = _random_scene(seed, shift)
    seen = _visible(buildings, cams)
    size, samples = 30.0, 80
    corners = np.stack(np.meshgrid(np.arange(-20, 120, size), np.arange(-20, 120, size)), -1).reshape(-1, 2) + shift
    cells = shapely.box(corners[:, 0], corners[:, 1], corners[:, 0] + size, corners[:, 1] + size)
    polygons = covered_fraction(cells, seen)
    rng, step = np.random.default_rng(5), size / samples
    gx, gy = (g.ravel() for g in np.meshgrid(np.arange(samples) * step, np.arange(samples) * step))
    cast = np.array([_ray_cast(x0 + gx + rng.uniform(0, step, gx.size), y0 + gy + rng.uniform(0, step, gy.size),
                               cams, np.array(buildings, dtype=object)).mean() for x0, y0 in corners])
    assert 0.05 < cast.mean() < 0.95
    worst = np.abs(polygons - cast).max()
    assert worst < 0.005, f"a cell differs by {worst:.2%}"


# --- a camera exactly on a building's outline ------------------------------------------------------
# A camera snapped to a footprint's corner (a GIS user's usual way to put a camera on a wall) lands
# exactly on the vertex after reprojection too. The module says such a building counts as outside
# (it hides what lies behind it), but no edge of a convex building "faces" a camera on its outline,
# so the building hides nothing and the camera sees straight through it.

BLOCK = shapely.box(0, 0, 10, 10)
COURTYARD = shapely.Polygon(shapely.box(-20, -20, 30, 30).exterior.coords, holes=[BLOCK.exterior.coords])


@pytest.mark.parametrize("where,shift,cam,behind", [
    ("on a wall's middle", (0.0, 0.0), (5.0, 0.0, 0.0, 360.0, 30.0), (5.0, 20.0)),
    ("on a corner", (0.0, 0.0), (0.0, 0.0, 45.0, 90.0, 30.0), (15.0, 15.0)),
    ("on a corner, at UTM magnitudes", UTM_SHIFT, (0.0, 0.0, 45.0, 90.0, 30.0), (15.0, 15.0)),
])
def test_bug_a_camera_on_a_buildings_outline_sees_through_the_building(where, shift, cam, behind):
    block = affinity.translate(BLOCK, *shift)
    cam = (cam[0] + shift[0], cam[1] + shift[1]) + cam[2:]
    behind = shapely.Point(behind[0] + shift[0], behind[1] + shift[1])
    seen = _visible([block], [cam])[0]
    assert block.covers(shapely.Point(cam[:2])) and not block.contains(shapely.Point(cam[:2]))  # on the outline
    assert not seen.contains(behind), f"a camera {where} sees through the building"
    assert _disagreement([block], cam) < 0.005


def test_bug_a_camera_on_a_courtyard_wall_sees_through_the_whole_building():
    cam = (5.0, 0.0, 180.0, 360.0, 40.0)  # on the courtyard's south wall (the hole's outline)
    seen = _visible([COURTYARD], [cam])[0]
    assert not seen.contains(shapely.Point(5.0, -30.0))  # beyond the building's outer wall
    assert _disagreement([COURTYARD], cam) < 0.005


def test_a_camera_a_micrometre_off_a_wall_is_right_on_either_side():
    for off in (-1e-6, 1e-6):  # outside (hidden behind it) and inside (its own building: sees past it)
        cam = (5.0, off, 0.0, 360.0, 30.0)
        seen = _visible([BLOCK], [cam])[0]
        assert seen.contains(shapely.Point(5.0, 20.0)) == (off > 0)
        assert _disagreement([BLOCK], cam) < 0.005


def test_bug_clear_lines_blocks_every_line_of_a_camera_on_a_wall():
    """camera_plan's line of sight: a candidate on a building's outline (a place's point on its
    footprint) looking away from the building is blocked by it, because the segment touches it."""
    built = visibility.prepare(np.array([BLOCK], dtype=object))
    away = visibility.clear_lines(np.array([5.0]), np.array([0.0]), np.array([5.0]), np.array([-20.0]), built)
    assert away[0], "a line from a wall straight away from the building is clear"


def test_bug_clear_lines_and_polygons_disagree_at_grazing_and_on_the_facing_wall():
    """A segment that only touches a building (a corner grazed, a point on the wall it looks at) crosses
    no building: the polygons count it seen, so line of sight must too (else planning and coverage differ)."""
    built = visibility.prepare(np.array([BLOCK], dtype=object))
    cam = (5.0, -10.0, 0.0, 360.0, 40.0)
    seen = _visible([BLOCK], [cam])[0]
    tx, ty = np.array([5.0, 20.0]), np.array([0.0, 20.0])  # the facing wall's middle; past the corner (10, 10)
    clear = visibility.clear_lines(np.full(2, 5.0), np.full(2, -10.0), tx, ty, built)
    assert list(shapely.intersects_xy(seen, tx, ty)) == [True, True]
    assert list(clear) == [True, True]


# --- edge cases that work ----------------------------------------------------------------------------

def test_courtyards_u_shapes_nesting_and_a_bow_tie_agree_with_the_ray_cast():
    u = shapely.Polygon([(0, 0), (30, 0), (30, 30), (27, 30), (27, 3), (3, 3), (3, 30), (0, 30)])
    bow = shapely.Polygon([(60, 0), (70, 10), (70, 0), (60, 10)])  # self-crossing, never repaired here
    inner = shapely.box(-45, 45, -35, 55)
    ring = shapely.Polygon(shapely.box(-60, 30, -20, 70).exterior.coords,
                           holes=[shapely.box(-50, 40, -30, 60).exterior.coords])
    cases = [([u], (15, 15, 0, 360, 60)), ([u], (15, 15, 0, 20, 60)), ([bow], (50, 5, 90, 360, 40)),
             ([ring, inner], (-47, 43, 0, 360, 40)), ([ring, inner], (-40, 50, 0, 360, 40)),
             ([ring, inner], (-70, 50, 90, 360, 60))]
    for buildings, cam in cases:
        assert _disagreement(buildings, cam) < 0.005, (buildings, cam)


def test_odd_inputs_give_views_not_errors():
    buildings = [None, shapely.Polygon(), shapely.box(10, -5, 11, 5),
                 shapely.MultiPolygon([shapely.box(-11, -5, -10, 5), shapely.box(-3, -3, 3, 3)]),
                 shapely.box(20, -1, 20 + 1e-9, 1), shapely.box(10, -5, 11, 5)]  # a sliver, a duplicate
    cams = [(0, 0, 0, 360, 30), (0, 0, 0, 360, 30), (0, 0, 45, 1, 30), (0, 0, 0, 360, 1e7), (50, 50, 0, 360, 5)]
    seen = _visible(buildings, cams)
    assert not seen[0].contains(shapely.Point(-20, 0)) and not seen[0].contains(shapely.Point(20, 0))
    assert seen[0].contains(shapely.Point(0, 20)) and seen[0].contains(shapely.Point(0, -20))
    assert seen[2].area == pytest.approx(np.pi * 30 ** 2 / 360, rel=0.01)  # one degree, nothing in the way
    assert seen[3].area == pytest.approx(np.pi * 1e14 * (1 - 2 * 2 * np.degrees(np.arctan2(5, 10)) / 360), rel=0.01)
    assert seen[4].area == pytest.approx(np.pi * 25, rel=0.01)


def test_bug_a_missing_heading_gives_a_wedge_facing_grid_north_not_a_disc():
    """``sectors`` promises a disc for a missing heading, but it replaces NaN by 0 before testing for
    it, so a camera of unknown heading and a 90 degree lens is drawn facing (grid) north."""
    view = sectors(np.array([0.0]), np.array([0.0]), np.array([np.nan]), np.array([90.0]), np.array([30.0]))[0]
    assert view.contains(shapely.Point(0, -20)), "a camera of unknown heading sees all round"
    assert view.area == pytest.approx(np.pi * 30 ** 2, rel=0.01)


def test_two_threads_agree_with_one_for_a_thousand_cameras_some_at_the_same_place():
    rng = np.random.default_rng(8)
    buildings, _ = _random_scene(8)
    n = 1000
    cams = np.column_stack([rng.uniform(0, 100, n), rng.uniform(0, 100, n), rng.uniform(0, 360, n),
                            rng.choice([360.0, 90.0, 1.0], n), rng.uniform(1, 60, n)])
    cams[:100, :2] = cams[100:200, :2]
    one, two = _visible(buildings, cams, threads=1), _visible(buildings, cams, threads=2)
    assert all(a.equals(b) for a, b in zip(one, two))
    assert (shapely.area(one) < shapely.area(sectors(*cams.T)) - 1e-6).sum() > n / 4  # the buildings do hide


# --- true north ----------------------------------------------------------------------------------------

def _axis_error(lon: float, lat: float, crs: str, heading: float) -> float:
    """Degrees between a narrow sector's axis (its centroid's bearing, on the ellipsoid) and its heading."""
    cams = gpd.GeoDataFrame({"heading": [heading], "fov": [10.0], "range_m": [300.0]},
                            geometry=gpd.points_from_xy([lon], [lat]), crs=4326)
    c = camera_views(cams, crs).to_crs(4326).iloc[0].centroid
    return (GEOD.inv(lon, lat, c.x, c.y)[0] - heading + 180) % 360 - 180


@pytest.mark.parametrize("lon,lat,crs", [
    (29.9, 70.0, "EPSG:32635"),   # 70 N, 2.9 degrees off the zone's meridian: a convergence of 2.7 degrees
    (-70.6, -33.4, "EPSG:32719"),  # Santiago: southern hemisphere
    (151.2, -33.9, "EPSG:32756"),  # Sydney
    (15.0, 78.0, "EPSG:3995"),     # Svalbard in the Arctic polar stereographic grid
    (30.0, 70.0, "EPSG:3857"),     # web Mercator: conformal, a scale of 2.9
])
def test_bearings_are_true_at_high_latitudes_in_the_south_and_in_other_conformal_grids(lon, lat, crs):
    errors = [_axis_error(lon, lat, crs, h) for h in (0.0, 45.0, 90.0, 135.0, 180.0, 270.0)]
    assert np.abs(errors).max() < 0.03, errors
    north, scale = true_north([lon], [lat], crs)
    assert np.isfinite(north).all() and 0.5 < scale[0] < 3.5


@pytest.mark.parametrize("lon,lat,crs,worst", [
    (-76.6, 39.3, "EPSG:5070", 0.5),   # Baltimore in the Conus Albers equal-area grid
    (-20.0, 64.0, "EPSG:3035", 1.2),   # Iceland in the European equal-area grid (LAEA)
])
def test_bug_bearings_are_off_in_a_non_conformal_grid(lon, lat, crs, worst):
    """``true_north`` finds the meridian in any grid, but ``sectors`` then assumes the grid keeps angles:
    in an equal-area grid a bearing of 45 or 90 degrees is drawn ~``worst`` degrees off (and the range
    is scaled by the meridian's scale only). No setting picks such a grid today, but ``camera_views``
    and ``fov_polygons`` take any metric CRS."""
    errors = [_axis_error(lon, lat, crs, h) for h in (0.0, 45.0, 90.0, 135.0)]
    assert np.abs(errors).max() < 0.03, f"axis off by up to {np.abs(errors).max():.2f} degrees (about {worst})"
