"""What cameras see among buildings: exact 2D visibility polygons, for many cameras at once.

A point is seen by a camera when it lies in the camera's view (its sector: heading, field of view
and a radius) and the straight segment from the camera to it crosses no building. For one camera
and one building edge ``p1 p2`` facing it, the points hidden by that edge are those beyond the edge
between the rays from the camera through ``p1`` and ``p2``: the edge's *shadow*. The points hidden
by any building are the union of the shadows of the edges that face the camera (a segment that
enters a building enters it through such an edge), so

    visible = view - union(shadows of the facing edges of the buildings the view meets)

which is exact up to floating point: no rays are cast and nothing is sampled. A view is
star-shaped from its camera, so only the buildings meeting it can hide any of it.

Each shadow is drawn as the polygon ``p1, p2, F u2, F um, F u1``: ``u1, u2`` the unit directions
from the camera to the edge's ends, ``um`` their bisector, ``F`` at least 1.5 times the view's
radius and 1.5 times the distance to either end. A facing edge spans less than 180 degrees, so each
of the two far chords spans less than 90 degrees and stays farther than ``F cos 45° > radius`` from
the camera: inside the view, the polygon is the shadow exactly.

The building a camera stands inside (mounted on its wall or roof) does not hide anything from it.
Buildings touching a camera's point on their boundary count as outside: no edge of theirs faces
such a camera, so all their edges cast shadows (a segment crossing any of them passes through them).

Everything is vectorised over the pairs (camera, edge) with numpy and shapely; the per-camera
unions and differences run in GEOS, which leaves Python's lock, so ``threads`` > 1 shares them
among threads.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import shapely

from geo.core.coverage import union_by_group

FAR = 1.5  # shadows reach this many times past the view's radius and the edge's far end
ON_OUTLINE = 1e-6  # metres: a camera this close to a building's outline is taken as on it
EPS_CROSS = 1e-9  # |cross| below this (square metres) is a camera on the line of an edge: no shadow


def prepare(buildings: np.ndarray) -> dict:
    """Buildings (polygons or multipolygons, metric CRS) as a search tree and their edges, for
    :func:`shadow_unions` (re-used for every batch of cameras)."""
    shapes = np.asarray(buildings, dtype=object)
    shapes = shapes[~shapely.is_missing(shapes) & ~shapely.is_empty(shapes)] if len(shapes) else shapes
    polys = shapely.get_parts(shapes) if len(shapes) else np.array([], dtype=object)
    polys = polys[shapely.get_type_id(polys) == shapely.GeometryType.POLYGON] if len(polys) else polys
    polys = shapely.orient_polygons(polys, exterior_cw=False) if len(polys) else polys  # material on the left
    rings, ring_poly = shapely.get_rings(polys, return_index=True) if len(polys) else ([], np.array([], dtype=int))
    coords, ring_of = shapely.get_coordinates(rings, return_index=True) if len(polys) else (np.zeros((0, 2)), [])
    ring_of = np.asarray(ring_of, dtype=int)
    same = ring_of[:-1] == ring_of[1:] if len(ring_of) else np.array([], dtype=bool)
    start = np.flatnonzero(same)  # an edge joins a point to the next one of the same ring
    poly_of_edge = np.asarray(ring_poly, dtype=int)[ring_of[start]] if len(start) else np.array([], dtype=int)
    # edges grouped by polygon: where each polygon's edges begin in the edge arrays
    order = np.argsort(poly_of_edge, kind="stable")
    p1, p2 = coords[start][order], coords[start + 1][order]
    poly_of_edge = poly_of_edge[order]
    first = np.searchsorted(poly_of_edge, np.arange(len(polys)))
    count = np.bincount(poly_of_edge, minlength=len(polys)) if len(polys) else np.array([], dtype=int)
    # the edge that follows each edge along its ring (the ring's first after its last)
    ring_e = ring_of[start]
    ring_first = np.r_[0, np.flatnonzero(np.diff(ring_e)) + 1] if len(ring_e) else np.zeros(0, dtype=int)
    follows = np.arange(len(ring_e)) + 1
    last = np.r_[ring_first[1:], len(ring_e)] - 1 if len(ring_e) else np.zeros(0, dtype=int)
    follows[last] = ring_first
    where = np.empty_like(order)
    where[order] = np.arange(len(order))
    nxt = where[follows[order]] if len(order) else np.zeros(0, dtype=int)
    return {"polys": polys, "tree": shapely.STRtree(polys), "p1": p1, "p2": p2, "first": first, "count": count,
            "next": nxt}


def shadow_unions(x: np.ndarray, y: np.ndarray, views: np.ndarray, built: dict, threads: int = 1) -> np.ndarray:
    """For each camera at ``x, y`` with its ``views`` polygon (metric CRS), the union of the shadows cast
    inside it by the buildings of ``built`` (:func:`prepare`); None where nothing is hidden."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    views = np.asarray(views, dtype=object)
    out = np.full(len(x), None, dtype=object)
    if not len(x) or not len(built["polys"]):
        return out
    cam, bld = built["tree"].query(views, predicate="intersects")
    inside = shapely.contains_xy(built["polys"][bld], x[cam], y[cam])  # the camera's own building
    cam, bld = cam[~inside], bld[~inside]
    # a camera on a building's outline (on its wall, snapped to its corner; to ON_OUTLINE, as rounding
    # leaves it) faces none of its edges: a segment crossing any edge of a building the camera is not
    # inside passes through it, so all the edges cast shadows (exact for a camera outside too)
    on = shapely.dwithin(built["polys"][bld], shapely.points(x[cam], y[cam]), ON_OUTLINE)
    if not len(cam):
        return out
    per = built["count"][bld]
    cam_e = np.repeat(cam, per)
    edge = np.repeat(built["first"][bld] - np.r_[0, np.cumsum(per)[:-1]], per) + np.arange(per.sum())
    p1, p2 = built["p1"][edge], built["p2"][edge]
    c = np.column_stack([x[cam_e], y[cam_e]])
    d1, d2 = p1 - c, p2 - c
    cross = (p2[:, 0] - p1[:, 0]) * (c[:, 1] - p1[:, 1]) - (p2[:, 1] - p1[:, 1]) * (c[:, 0] - p1[:, 0])
    facing = cross < -EPS_CROSS  # the camera is on the right of the edge: outside the building's material
    back = np.repeat(on, per) & (cross > EPS_CROSS)
    facing |= back
    reach = _radius(views, x, y)
    near = _segment_distance(d1, d2) < reach[cam_e]
    keep = facing & near
    cam_e, edge, d1, d2, c, back = cam_e[keep], edge[keep], d1[keep], d2[keep], c[keep], back[keep]
    if not len(cam_e):
        return out
    shadows, run = _chain_shadows(cam_e, edge, d1, d2, c, reach, built["next"], back)
    owner = cam_e[np.r_[0, np.flatnonzero(np.diff(run)) + 1]]
    return _union_groups(shadows, owner, len(x), threads)


def _chain_shadows(cam: np.ndarray, edge: np.ndarray, d1: np.ndarray, d2: np.ndarray, c: np.ndarray,
                   reach: np.ndarray, nxt: np.ndarray, back: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One shadow polygon per chain of facing edges: (polygons, the chain of each edge).

    Consecutive facing edges of a ring (as seen from one camera) turn the same way around it, so a
    chain is met at most once by each ray from the camera and its shadow is one simple polygon: the
    chain, then back along far points at each vertex's and each edge's middle direction. The same
    set as the union of the edges' own shadows, with fewer pieces to union. A chain that turns 170
    degrees or more (a camera in a courtyard, say) is left as single edges, each under 180 degrees.
    """
    n = len(cam)
    start = np.r_[True, (cam[1:] != cam[:-1]) | (edge[1:] != nxt[edge[:-1]]) | (back[1:] != back[:-1])]
    turn = np.abs(np.arctan2(d1[:, 0] * d2[:, 1] - d1[:, 1] * d2[:, 0], (d1 * d2).sum(axis=1)))
    run = np.cumsum(start) - 1
    span = np.bincount(run, weights=turn)
    wide = span[run] >= np.radians(170.0)
    start |= wide
    run = np.cumsum(start) - 1
    heads = np.flatnonzero(start)
    m = np.diff(np.r_[heads, n])  # edges per chain
    j = np.arange(n) - heads[run]  # place of each edge in its chain
    n1, n2 = np.linalg.norm(d1, axis=1), np.linalg.norm(d2, axis=1)
    u1, u2 = d1 / n1[:, None], d2 / n2[:, None]
    um = u1 + u2
    um /= np.linalg.norm(um, axis=1)[:, None]
    far = FAR * np.maximum(np.maximum.reduceat(np.maximum(n1, n2), heads)[run], reach[cam]) + 1.0
    mm = m[run]
    tail = heads + m - 1  # the last edge of each chain
    # every vertex of a chain's ring with its rank along the ring (see the docstring)
    pts = np.concatenate([c + d1, (c + d2)[tail], c + far[:, None] * u2, c + far[:, None] * um,
                          (c + far[:, None] * u1)[heads]])
    rank = np.concatenate([j, m, mm + 1 + 2 * (mm - 1 - j), mm + 2 + 2 * (mm - 1 - j), 3 * m + 1])
    owner = np.concatenate([run, np.arange(len(heads)), run, run, np.arange(len(heads))])
    order = np.lexsort((rank, owner))
    rings = shapely.linearrings(pts[order], indices=owner[order])
    return shapely.polygons(rings), run


def visible(views: np.ndarray, shadows: np.ndarray) -> np.ndarray:
    """``views`` minus their ``shadows`` (from :func:`shadow_unions`; None for no shadow), elementwise."""
    views = np.asarray(views, dtype=object)
    shadows = np.asarray(shadows, dtype=object)
    out = views.copy()
    cut = ~shapely.is_missing(shadows) & ~shapely.is_missing(views)
    if cut.any():
        out[cut] = shapely.difference(views[cut], shadows[cut])
    return out


def _radius(views: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """How far each view reaches from its camera (the largest distance of its bounds' corners, an
    upper bound that is exact for a disc and for a wedge's arc)."""
    b = shapely.bounds(views)
    dx = np.maximum(np.abs(b[:, 0] - x), np.abs(b[:, 2] - x))
    dy = np.maximum(np.abs(b[:, 1] - y), np.abs(b[:, 3] - y))
    return np.nan_to_num(np.hypot(dx, dy))


def _segment_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance from the origin to each segment ``a b`` (rows of 2D points)."""
    ab = b - a
    t = np.clip(-(a * ab).sum(axis=1) / np.maximum((ab * ab).sum(axis=1), 1e-18), 0.0, 1.0)
    return np.linalg.norm(a + t[:, None] * ab, axis=1)


def _union_groups(shapes: np.ndarray, group: np.ndarray, n: int, threads: int) -> np.ndarray:
    """Union of ``shapes`` per ``group`` value (0..n-1); None for a group with none. Each group is
    dissolved at once as one multipolygon (``geo.core.coverage.union_by_group``, checked, with a
    plain union where in doubt); ``threads`` share the groups."""
    out = np.full(n, None, dtype=object)
    order = np.argsort(group, kind="stable")
    shapes, group = shapes[order], group[order]
    starts = np.flatnonzero(np.r_[True, np.diff(group) > 0])
    ends = np.r_[starts[1:], len(group)]
    chunks = [c for c in np.array_split(np.arange(len(starts)), max(1, min(int(threads), len(starts)))) if len(c)]

    def run(which: np.ndarray) -> np.ndarray:
        lo, hi = starts[which[0]], ends[which[-1]]
        return union_by_group(shapes[lo:hi], group[lo:hi])

    if len(chunks) == 1:
        merged = run(chunks[0])
    else:
        with ThreadPoolExecutor(len(chunks)) as pool:
            merged = np.concatenate(list(pool.map(run, chunks)))
    out[group[starts]] = merged
    return out


def clear_lines(x0: np.ndarray, y0: np.ndarray, x1: np.ndarray, y1: np.ndarray, built: dict) -> np.ndarray:
    """Whether each segment from a camera ``(x0, y0)`` to a point ``(x1, y1)`` crosses no building of
    ``built`` (:func:`prepare`), the building the camera stands inside excepted (as for the views)."""
    n = len(x0)
    clear = np.ones(n, dtype=bool)
    if not n or not len(built["polys"]):
        return clear
    segs = shapely.linestrings(np.stack([np.column_stack([x0, y0]), np.column_stack([x1, y1])], axis=1))
    seg, bld = built["tree"].query(segs, predicate="intersects")
    own = shapely.contains_xy(built["polys"][bld], np.asarray(x0)[seg], np.asarray(y0)[seg])
    # only a segment entering a building's inside is blocked: one touching its outline (grazing a
    # corner, ending on the wall it looks at, starting on a wall) is not, as for the polygons
    inner = shapely.relate_pattern(segs[seg], built["polys"][bld], "T********")
    clear[np.unique(seg[~own & inner])] = False
    return clear
