"""The demo town's buildings: footprints in blocks between the streets of a grid (pure computation).

The town centre has a street grid turned by a random angle; its blocks are built up more often near
the centre. Each built block gets a row of buildings along each of its sides, set back from the
street corridor (so a camera on the street or the pavement stands outside them): rectangles of
shop-house size, a few turned by a degree or two and a few L-shaped. Buildings that would overlap
another, hold a camera (a camera may stand on a wall, not inside), or crowd a key place (whose point
is its gate or square) are left out. Works in metres (the county's UTM zone).

Examples
--------
>>> import numpy as np
>>> shapes = town_buildings(np.random.default_rng(1), 0.0, 0.0, np.empty((0, 2)), np.empty((0, 2)))
>>> 1_000 < len(shapes) < 10_000
True
"""

from __future__ import annotations

import numpy as np
import shapely

BLOCK_M = 120.0  # street spacing (centre line to centre line)
CORRIDOR_HALF_M = 9.0  # half the street corridor: carriageway and pavement, kept free of buildings
TOWN_RADIUS_M = 2_400.0  # blocks further than this from the centre are fields
BUILT_SCALE_M = 900.0  # a block at distance d is built with probability exp(-d / BUILT_SCALE_M)
WIDTH_M = (9.0, 24.0)  # frontage along the street
DEPTH_M = (8.0, 16.0)  # from the front wall back into the block
SETBACK_M = (1.0, 4.0)  # from the corridor's edge to the front wall
GAP_M = (2.0, 8.0)  # between neighbours on one side
CORNER_M = 24.0  # the side streets' rows keep clear of the corner buildings of the main rows
L_SHARE = 0.08  # share of L-shaped buildings
TILT_DEG = 3.0  # the most a building is turned off its street
CAMERA_INSIDE_M = 0.5  # a camera deeper than this inside a footprint removes the footprint
PLACE_CLEAR_M = 15.0  # no building within this distance of a key place's point


def town_buildings(rng: np.random.Generator, cx: float, cy: float, cameras: np.ndarray,
                   places: np.ndarray) -> np.ndarray:
    """Footprints (shapely polygons, metres) of the town centred at (``cx``, ``cy``); ``cameras`` and
    ``places`` are (n, 2) arrays of points (metres) the buildings keep clear of."""
    angle = rng.uniform(0.0, np.pi / 2)
    rows = []
    n = int(TOWN_RADIUS_M // BLOCK_M) + 1
    inner = BLOCK_M - 2 * CORRIDOR_HALF_M
    for i in range(-n, n):
        for j in range(-n, n):
            d = np.hypot((i + 0.5) * BLOCK_M, (j + 0.5) * BLOCK_M)
            if d > TOWN_RADIUS_M or rng.uniform() > np.exp(-d / BUILT_SCALE_M):
                continue
            x0, y0 = i * BLOCK_M + CORRIDOR_HALF_M, j * BLOCK_M + CORRIDOR_HALF_M
            for side in range(4):
                start, stop = (0.0, inner) if side % 2 == 0 else (CORNER_M, inner - CORNER_M)
                rows.extend(_side_row(rng, x0, y0, inner, side, start, stop))
    if not rows:
        return np.empty(0, dtype=object)
    shapes = _shapes(rng, np.array(rows))
    c, s = np.cos(angle), np.sin(angle)
    shapes = shapely.transform(shapes, lambda xy: np.column_stack([cx + c * xy[:, 0] - s * xy[:, 1],
                                                                   cy + s * xy[:, 0] + c * xy[:, 1]]))
    return _clear(shapes, cameras, places)


def _side_row(rng, x0: float, y0: float, inner: float, side: int, start: float, stop: float) -> list:
    """Buildings along one side of a block: (centre x, centre y, width, depth, heading) in block terms.
    Side 0 runs along the bottom, 1 the right, 2 the top, 3 the left; each faces its street."""
    out = []
    t = start + rng.uniform(*GAP_M)
    while True:
        w, dp, sb = rng.uniform(*WIDTH_M), rng.uniform(*DEPTH_M), rng.uniform(*SETBACK_M)
        if t + w > stop:
            return out
        along, across = t + w / 2, sb + dp / 2  # in the side's own frame: along the street, into the block
        if side == 0:
            x, y = x0 + along, y0 + across
        elif side == 1:
            x, y = x0 + inner - across, y0 + along
        elif side == 2:
            x, y = x0 + inner - along, y0 + inner - across
        else:
            x, y = x0 + across, y0 + inner - along
        out.append((x, y, w, dp, side * np.pi / 2))
        t += w + rng.uniform(*GAP_M)


def _shapes(rng, rows: np.ndarray) -> np.ndarray:
    """Rectangles (some L-shaped, some tilted) from (x, y, width, depth, heading) rows."""
    x, y, w, dp, heading = rows.T
    n = len(rows)
    heading = heading + np.radians(rng.uniform(-TILT_DEG, TILT_DEG, n) * (rng.uniform(size=n) < 0.3))
    # corners in the building's frame: the front wall (toward the street) at -depth/2
    base = np.array([[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5], [-0.5, -0.5]])
    local = base[None, :, :] * np.stack([w, dp], axis=1)[:, None, :]
    l_shape = rng.uniform(size=n) < L_SHARE
    # an L: the back half of one end reaches further back (a wing), as deep again as half the building
    wing = np.array([[0.0, 0.5], [0.5, 0.5], [0.5, 1.1], [0.0, 1.1], [0.0, 0.5]])
    wing_local = wing[None, :, :] * np.stack([w, dp], axis=1)[:, None, :]
    c, s = np.cos(heading)[:, None], np.sin(heading)[:, None]

    def placed(pts, k=slice(None)):
        return np.stack([x[k, None] + c[k] * pts[..., 0] - s[k] * pts[..., 1],
                         y[k, None] + s[k] * pts[..., 0] + c[k] * pts[..., 1]], axis=-1)

    shapes = shapely.polygons(placed(local))
    if l_shape.any():
        wings = shapely.polygons(placed(wing_local[l_shape], l_shape))
        shapes[l_shape] = shapely.union(shapes[l_shape], wings, grid_size=0.01)
    return shapes


def _clear(shapes: np.ndarray, cameras: np.ndarray, places: np.ndarray) -> np.ndarray:
    """``shapes`` without those overlapping an earlier one, holding a camera or crowding a place."""
    tree = shapely.STRtree(shapes)
    drop = np.zeros(len(shapes), dtype=bool)
    a, b = tree.query(shapes, predicate="intersects")
    drop[b[a < b]] = True
    if len(cameras):
        inside = tree.query(shapely.points(cameras), predicate="within")
        hits = inside[1]
        deep = shapely.distance(shapely.boundary(shapes[hits]), shapely.points(cameras[inside[0]])) > CAMERA_INSIDE_M
        drop[hits[deep]] = True
    if len(places):
        near = tree.query(shapely.points(places), predicate="dwithin", distance=PLACE_CLEAR_M)
        drop[near[1]] = True
    return shapes[~drop]
