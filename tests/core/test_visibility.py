"""Visibility polygons against an independent ray cast on a held-out scene.

The scene is made here and nowhere else (the benchmark and the demo have their own): rectangles,
L shapes, a courtyard building (a hole), two buildings sharing a wall, a long wall, a camera inside
a building, one on a building's wall, domes and narrow views. The ray cast samples each cell on a
fine grid and tests every sample against every camera with plain numpy: within range, within the
field of view, and whether the segment to the camera properly crosses any building edge (no GEOS,
no shapely predicate), so it shares no code with the polygons it checks.
"""

import numpy as np
import pytest
import shapely

from geo.core import visibility
from geo.core.coverage import covered_fraction, sectors

SAMPLES = 100  # per cell side: 10,000 samples per 25 m cell (a 0.25 m grid)


def _scene():
    rect = lambda x, y, w, h, a=0.0: shapely.affinity.rotate(shapely.box(x, y, x + w, y + h), a)  # noqa: E731
    buildings = [
        rect(40, 40, 30, 15), rect(90, 30, 12, 40, 25), rect(150, 60, 25, 25, -15),
        shapely.Polygon([(30, 120), (80, 120), (80, 130), (42, 130), (42, 170), (30, 170)]),  # an L
        shapely.Polygon([(110, 110), (160, 110), (160, 160), (110, 160)],
                        holes=[[(120, 120), (120, 150), (150, 150), (150, 120)]]),  # a courtyard
        rect(60, 180, 20, 12), rect(80, 180, 20, 12),  # two sharing a wall
        rect(175, 100, 3, 80),  # a long thin wall
        rect(5, 70, 10, 10, 45),
    ]
    cams = np.array([
        # x, y, heading (grid), fov, range
        (100, 95, 200.0, 90.0, 80.0),
        (20, 100, 90.0, 120.0, 90.0),
        (135, 135, 0.0, 360.0, 40.0),   # in the courtyard
        (60, 47, 0.0, 360.0, 50.0),     # inside a building: it sees past its own walls
        (90, 186, 180.0, 70.0, 100.0),  # on the shared wall's line
        (170, 20, 320.0, 60.0, 120.0),
        (190, 190, 225.0, 100.0, 110.0),
        (55, 105, 45.0, 360.0, 70.0),
    ])
    return np.array(buildings, dtype=object), cams


def _ray_cast(px, py, cams, buildings):
    """Which samples at ``px, py`` some camera sees (plain numpy: range, angle, edge crossings)."""
    seen = np.zeros(len(px), dtype=bool)
    for cx, cy, heading, fov, reach in cams:
        own = [i for i, b in enumerate(buildings) if b.contains(shapely.Point(cx, cy))]
        walls = np.vstack([e for i, e in enumerate(edges_by_building(buildings)) if i not in own])
        dx, dy = px - cx, py - cy
        ok = np.hypot(dx, dy) <= reach
        if fov < 360:
            off = (np.degrees(np.arctan2(dx, dy)) - heading + 180) % 360 - 180
            ok &= np.abs(off) <= fov / 2
        idx = np.flatnonzero(ok & ~seen)
        blocked = np.zeros(len(idx), dtype=bool)
        for chunk in np.array_split(np.arange(len(idx)), max(1, len(idx) // 2000)):
            qx, qy = px[idx[chunk]][:, None], py[idx[chunk]][:, None]
            ax, ay, bx, by = (walls[:, k][None, :] for k in range(4))
            d1 = _orient(ax, ay, bx, by, cx, cy)
            d2 = _orient(ax, ay, bx, by, qx, qy)
            d3 = _orient(cx, cy, qx, qy, ax, ay)
            d4 = _orient(cx, cy, qx, qy, bx, by)
            blocked[chunk] = ((d1 * d2 < 0) & (d3 * d4 < 0)).any(axis=1)
        seen[idx[~blocked]] = True
    return seen


def edges_by_building(buildings):
    out = []
    for b in buildings:
        parts = []
        for ring in [b.exterior, *b.interiors]:
            c = np.asarray(ring.coords)
            parts.append(np.column_stack([c[:-1], c[1:]]))
        out.append(np.vstack(parts))
    return out


def _orient(ax, ay, bx, by, cx, cy):
    return (bx - ax) * (cy - ay) - (by - ay) * (cx - ax)


def _visible(buildings, cams):
    views = sectors(cams[:, 0], cams[:, 1], cams[:, 2], cams[:, 3], cams[:, 4])
    shadows = visibility.shadow_unions(cams[:, 0], cams[:, 1], views, visibility.prepare(buildings))
    return visibility.visible(views, shadows)


def test_visibility_polygons_agree_with_a_ray_cast_within_half_a_percent_of_each_cell():
    buildings, cams = _scene()
    seen = _visible(buildings, cams)
    size = 25.0
    corners = np.stack(np.meshgrid(np.arange(0, 200, size), np.arange(0, 200, size)), -1).reshape(-1, 2)
    cells = shapely.box(corners[:, 0], corners[:, 1], corners[:, 0] + size, corners[:, 1] + size)
    polygons = covered_fraction(cells, seen)
    # one sample at a random place in each 0.25 m square (stratified): a regular grid would put whole
    # rows of samples exactly on the scene's diagonals, where a segment grazes two corners
    rng = np.random.default_rng(11)
    step = size / SAMPLES
    gx, gy = np.meshgrid(np.arange(SAMPLES) * step, np.arange(SAMPLES) * step)
    cast = np.array([_ray_cast(x0 + gx.ravel() + rng.uniform(0, step, gx.size),
                               y0 + gy.ravel() + rng.uniform(0, step, gy.size), cams, buildings).mean()
                     for x0, y0 in corners])
    assert cast.max() > 0.5 and (cast == 0).sum() < len(cast) / 2  # the scene is neither blind nor empty
    worst = np.abs(polygons - cast).max()
    assert worst < 0.005, f"a cell differs by {worst:.2%}"


def test_the_ray_cast_would_catch_views_that_ignore_the_buildings():
    """The comparison above can fail: views not cut by the buildings disagree with the ray cast."""
    buildings, cams = _scene()
    views = sectors(cams[:, 0], cams[:, 1], cams[:, 2], cams[:, 3], cams[:, 4])
    cell = shapely.box(95, 40, 120, 65)  # behind the tilted block, seen from the first camera
    xs = np.linspace(95.125, 119.875, SAMPLES)
    gx, gy = np.meshgrid(xs, xs - 55)
    cast = _ray_cast(gx.ravel(), gy.ravel(), cams, buildings).mean()
    uncut = covered_fraction(np.array([cell]), views)[0]
    cut = covered_fraction(np.array([cell]), _visible(buildings, cams))[0]
    assert abs(cut - cast) < 0.005 and abs(uncut - cast) > 0.05


def test_a_point_behind_a_wall_is_hidden_and_one_beside_it_is_seen():
    wall = np.array([shapely.box(10, -5, 11, 5)], dtype=object)
    view = sectors(np.array([0.0]), np.array([0.0]), np.array([90.0]), np.array([360.0]), np.array([30.0]))
    seen = visibility.visible(view, visibility.shadow_unions(np.array([0.0]), np.array([0.0]), view,
                                                             visibility.prepare(wall)))[0]
    assert not seen.contains(shapely.Point(20, 0)) and not seen.contains(shapely.Point(10.5, 0))
    assert seen.contains(shapely.Point(20, 12)) and seen.contains(shapely.Point(5, 0))
    # the shadow is the wedge behind the wall: its area inside the disc, by the formula
    wedge = np.radians(2 * np.degrees(np.arctan2(5, 10)))
    hidden = view[0].area - seen.area
    expected = 0.5 * wedge * 30 ** 2 - 0.5 * 10 * 10 * 2 * np.tan(wedge / 2)  # the sector less the triangle before the wall
    assert hidden == pytest.approx(expected, rel=0.01)


def test_clear_lines_agree_with_the_polygons():
    buildings, cams = _scene()
    seen = _visible(buildings, cams)
    rng = np.random.default_rng(3)
    built = visibility.prepare(buildings)
    for k in range(len(cams)):
        px, py = rng.uniform(0, 200, 400), rng.uniform(0, 200, 400)
        inside = shapely.contains_xy(sectors(cams[k:k + 1, 0], cams[k:k + 1, 1], cams[k:k + 1, 2], cams[k:k + 1, 3],
                                             cams[k:k + 1, 4])[0], px, py)
        clear = visibility.clear_lines(np.full(400, cams[k, 0]), np.full(400, cams[k, 1]), px, py, built)
        agree = (inside & clear) == shapely.contains_xy(seen[k], px, py)
        assert agree.mean() > 0.995  # points within a hair of a shadow's edge may go either way
