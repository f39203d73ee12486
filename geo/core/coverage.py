"""Camera coverage: fields of view, covered shares, and where new cameras help most.

Headings are bearings: degrees clockwise from true north, as a camera register gives them
(方向角). Fields of view are in degrees (360 = dome) and ranges in metres on the ground. Shapes are
built on the ground around each camera (true bearings, ground metres) and put in the metric CRS
through its local axes (``geo.core.crs.ground_axes``): grid north is not true north away from a
projection's central meridian, and an equal-area grid does not even keep angles. Arcs have ``ARC_SEGMENTS``
segments whatever the angle. A camera becomes its field of view in one place, :func:`sectors`
(arrays in metres); :func:`camera_views` is its adapter for a frame of cameras (``heading``,
``fov``, ``range_m`` columns), and :func:`fov_polygons` for WGS 84 arrays.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely

from geo.core.crs import STORAGE_CRS, ground_axes, metric_crs_of

ARC_SEGMENTS = 64
RECT_RTOL = 1e-9  # an area within this relative surface of its bounding box is treated as that box


def sectors(x: np.ndarray, y: np.ndarray, heading: np.ndarray, fov: np.ndarray, range_m: np.ndarray) -> np.ndarray:
    """Field-of-view polygons in the metric CRS of ``x, y`` (vectorised; domes are full discs).

    A missing heading or a field of view of 360 degrees or more gives a disc.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    n = len(x)
    if n == 0:
        return np.array([], dtype=object)
    heading = np.asarray(heading, dtype=float)
    fov = np.asarray(fov, dtype=float)
    dome = ~np.isfinite(fov) | (fov >= 360.0) | ~np.isfinite(heading)  # tested before NaN becomes 0
    heading = np.nan_to_num(heading, nan=0.0)
    fov = np.where(dome, 360.0, np.clip(fov, 1.0, 360.0))
    radius = np.clip(np.nan_to_num(np.asarray(range_m, dtype=float), nan=0.0), 1.0, None)
    t = np.linspace(0.0, 1.0, ARC_SEGMENTS + 1)
    angles = np.radians(heading[:, None] - fov[:, None] / 2 + fov[:, None] * t[None, :])
    ax = x[:, None] + radius[:, None] * np.sin(angles)  # clockwise from north: x = sin, y = cos
    ay = y[:, None] + radius[:, None] * np.cos(angles)
    # a wedge starts and ends at the camera; a disc is its arc closed on itself
    apex_x = np.where(dome, ax[:, 0], x)[:, None]
    apex_y = np.where(dome, ay[:, 0], y)[:, None]
    ring = np.stack([np.hstack([apex_x, ax, apex_x]), np.hstack([apex_y, ay, apex_y])], axis=-1)
    return shapely.make_valid(shapely.polygons(ring))


CAMERA_COLUMNS = ("heading", "fov", "range_m")


def camera_views(cams: gpd.GeoDataFrame, crs: str | None = None, radius=None) -> gpd.GeoSeries:
    """The fields of view of a frame of camera points (:data:`CAMERA_COLUMNS`), as polygons in the metric
    ``crs`` (by default the cameras' own, ``geo.core.crs.metric_crs_of``), index kept. Headings are
    from true north (see the module docstring); ``radius`` replaces ``range_m`` when given (a DORI
    level's distance, say)."""
    if cams.empty:
        return gpd.GeoSeries([], index=cams.index, crs=crs)
    crs = crs or metric_crs_of(cams)
    frame = grid_frame(cams, crs)
    reach = cams["range_m"].to_numpy(dtype=float) if radius is None else np.asarray(radius, dtype=float)
    shapes = placed_sectors(frame, cams["heading"].to_numpy(dtype=float), cams["fov"].to_numpy(dtype=float), reach)
    if radius is not None:  # a camera reaching a level nowhere has no view at that level
        shapes = np.where(np.nan_to_num(reach) > 0, shapes, None)
    return gpd.GeoSeries(shapes, index=cams.index, crs=crs)


@dataclass
class GridFrame:
    """Cameras placed in a metric CRS: grid ``x, y`` and the grid displacement of a ground metre
    ``east`` and ``north`` at each (``geo.core.crs.ground_axes``)."""

    x: np.ndarray
    y: np.ndarray
    east: np.ndarray
    north: np.ndarray

    def subset(self, which: np.ndarray) -> "GridFrame":
        return GridFrame(self.x[which], self.y[which], self.east[which], self.north[which])


def grid_frame(cams: gpd.GeoDataFrame, crs: str) -> GridFrame:
    """Each camera of ``cams`` placed in the metric ``crs`` (see :class:`GridFrame`)."""
    lonlat = cams.geometry.to_crs(STORAGE_CRS)
    east, north = ground_axes(lonlat.x.to_numpy(), lonlat.y.to_numpy(), crs)
    at = cams.geometry.to_crs(crs)
    return GridFrame(at.x.to_numpy(), at.y.to_numpy(), east, north)


def placed_sectors(frame: GridFrame, heading, fov, radius) -> np.ndarray:
    """Sectors drawn on the ground (true bearings, ground metres) around each camera of ``frame``,
    then put in its grid through the local axes: exact in any projection, conformal or not."""
    n = len(frame.x)
    ground = sectors(np.zeros(n), np.zeros(n), heading, fov, radius)
    if not n:
        return ground
    xy, owner = shapely.get_coordinates(ground, return_index=True)
    e, u = frame.east[owner], frame.north[owner]
    grid = np.column_stack([frame.x[owner] + xy[:, 0] * e[:, 0] + xy[:, 1] * u[:, 0],
                            frame.y[owner] + xy[:, 0] * e[:, 1] + xy[:, 1] * u[:, 1]])
    return shapely.set_coordinates(ground.copy(), grid)


def fov_polygons(lon: np.ndarray, lat: np.ndarray, heading: np.ndarray, fov: np.ndarray, range_m: np.ndarray,
                 metric_crs: str) -> np.ndarray:
    """:func:`camera_views` of cameras given as WGS 84 arrays, returned in WGS 84."""
    cams = gpd.GeoDataFrame(dict(zip(CAMERA_COLUMNS, (heading, fov, range_m))),
                            geometry=shapely.points(lon, lat), crs=STORAGE_CRS)
    return np.asarray(camera_views(cams, metric_crs).to_crs(STORAGE_CRS).values, dtype=object)


def covered_share(fovs: np.ndarray, area, metric_crs: str) -> float:
    """Share (0..1) of ``area`` (a WGS 84 polygon) inside the union of the ``fovs`` polygons."""
    if area is None or len(fovs) == 0:
        return 0.0
    shapes = gpd.GeoSeries(list(fovs) + [area], crs=STORAGE_CRS).to_crs(metric_crs).values
    return float(covered_fraction(shapes[-1:], shapes[:-1])[0])


def covered_fraction(areas: np.ndarray, views: np.ndarray, threads: int = 1) -> np.ndarray:
    """For each area polygon, the share (0..1) of its surface inside at least one view (same CRS).

    The same numbers as ``area(intersection(area, union_all(views))) / area(area)``, reached with
    less work: an area inside one view is wholly covered; the other areas' views are first cut to
    the area's bounding box (:func:`shapely.clip_by_rect`), so each union is small and a lone piece
    needs none; a rectangular area needs no last intersection. Invalid shapes are made valid first.
    ``threads`` > 1 shares the areas among that many threads (GEOS runs outside Python's lock).

    Examples
    --------
    >>> cell = shapely.box(0, 0, 10, 10)
    >>> covered_fraction(np.array([cell]), np.array([shapely.box(5, 0, 20, 10), shapely.box(0, 0, 10, 10)]))
    array([1.])
    >>> covered_fraction(np.array([cell]), np.array([shapely.box(5, 0, 20, 10), shapely.box(-5, 0, 2.5, 10)]))
    array([0.75])
    """
    areas = np.asarray(areas, dtype=object)
    out = np.zeros(len(areas))
    if len(views) == 0 or len(areas) == 0:
        return out
    areas, views = _repaired(areas), _repaired(np.asarray(views, dtype=object))
    total = np.nan_to_num(shapely.area(areas))
    area_idx, view_idx = shapely.STRtree(views).query(areas, predicate="intersects")
    keep = total[area_idx] > 0
    area_idx, view_idx = area_idx[keep], view_idx[keep]
    inside = shapely.covers(views[view_idx], areas[area_idx])
    out[area_idx[inside]] = 1.0
    rest = out[area_idx] < 1.0
    area_idx, view_idx = area_idx[rest], view_idx[rest]
    if not len(area_idx):
        return out
    order = np.argsort(area_idx, kind="stable")
    area_idx, view_idx = area_idx[order], view_idx[order]
    starts = np.flatnonzero(np.r_[True, np.diff(area_idx) > 0])
    ends = np.r_[starts[1:], len(area_idx)]
    chunks = np.array_split(np.arange(len(starts)), max(1, min(int(threads), len(starts))))

    def seen_in(groups: np.ndarray) -> np.ndarray:
        which = area_idx[starts[groups]]
        pieces = [views[view_idx[starts[g]:ends[g]]] for g in groups]
        return _seen_area(areas[which], pieces)

    if len(chunks) == 1:
        seen = seen_in(chunks[0])
    else:
        with ThreadPoolExecutor(len(chunks)) as pool:
            seen = np.concatenate(list(pool.map(seen_in, chunks)))
    which = area_idx[starts]
    out[which] = seen / total[which]
    return np.clip(out, 0.0, 1.0)


def _repaired(shapes: np.ndarray) -> np.ndarray:
    """``shapes`` with any invalid one (a bow tie, a self-crossing ring) made valid."""
    bad = ~shapely.is_valid(shapes) & ~shapely.is_missing(shapes)
    if bad.any():
        shapes = shapes.copy()
        shapes[bad] = shapely.make_valid(shapes[bad])
    return shapes


def _seen_area(areas: np.ndarray, views: list[np.ndarray]) -> np.ndarray:
    """The surface of each area inside the union of its own views (one array of views per area)."""
    box = shapely.bounds(areas)
    pieces = [_cut(v, b) for v, b in zip(views, box)]
    group = np.repeat(np.arange(len(areas)), [len(p) for p in pieces])
    parts = np.concatenate(pieces)
    for _ in range(2):  # a cut may give a multipolygon, or a collection holding one
        multi = shapely.get_type_id(parts) >= shapely.GeometryType.MULTIPOINT
        if not multi.any():
            break
        inner, at = shapely.get_parts(parts[multi], return_index=True)
        parts = np.concatenate([parts[~multi], inner])
        group = np.concatenate([group[~multi], group[multi][at]])
    order = np.argsort(group, kind="stable")
    parts, group = parts[order], group[order]
    polygon = (shapely.get_type_id(parts) == shapely.GeometryType.POLYGON) & (shapely.area(parts) > 0)
    parts, group = parts[polygon], group[polygon]
    union = np.full(len(areas), None, dtype=object)
    if len(parts):
        union[np.unique(group)] = union_by_group(parts, group)
    # an area filling its bounding box to RECT_RTOL is taken as that box (the error is below RECT_RTOL)
    rect = np.isclose(shapely.area(areas), (box[:, 2] - box[:, 0]) * (box[:, 3] - box[:, 1]), rtol=RECT_RTOL, atol=0)
    odd = ~rect & ~shapely.is_missing(union)
    if odd.any():  # the bounding box was only a first cut: cut to the area itself
        union[odd] = _safe_intersection(union[odd], areas[odd])
    return np.nan_to_num(shapely.area(union))


def _cut(views: np.ndarray, box: np.ndarray) -> np.ndarray:
    """The parts of ``views`` inside the rectangle ``box`` (xmin, ymin, xmax, ymax); the fast
    rectangle clipper may trip over a sliver, and the general intersection then does the cut."""
    try:
        return shapely.clip_by_rect(views, *box)
    except shapely.errors.GEOSException:
        return shapely.intersection(views, shapely.box(*box))


def union_by_group(parts: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Union of the polygons of each group (``group`` sorted): ``buffer(0)`` of the group's
    multipolygon, which dissolves overlaps, checked and redone by ``union_all`` when doubtful."""
    groups, first, count = np.unique(group, return_index=True, return_counts=True)
    union = parts[first].copy()
    many = count > 1
    if not many.any():
        return union
    idx = np.flatnonzero(np.isin(group, groups[many]))
    multi = shapely.multipolygons(parts[idx], indices=np.searchsorted(groups[many], group[idx]))
    try:
        merged = shapely.buffer(multi, 0.0)
    except shapely.errors.GEOSException:
        merged = np.full(len(multi), None, dtype=object)
    # a union is at least its largest piece, at most their sum, and spans their bounding boxes
    size = shapely.area(parts[idx])
    pos = np.searchsorted(groups[many], group[idx])
    big, tot = np.zeros(len(multi)), np.zeros(len(multi))
    np.maximum.at(big, pos, size)
    np.add.at(tot, pos, size)
    got = np.nan_to_num(shapely.area(merged), nan=-1.0)
    slack = 1e-9 * tot
    doubt = (got < big - slack) | (got > tot + slack)
    doubt |= ~np.all(np.isclose(shapely.bounds(merged), shapely.bounds(multi), rtol=0, atol=1e-6), axis=1)
    for m in np.flatnonzero(doubt):
        merged[m] = shapely.union_all(shapely.make_valid(parts[idx][pos == m]))
    union[many] = merged
    return union


def _safe_intersection(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``intersection(a, b)``, redone on repaired shapes for any pair GEOS refuses."""
    try:
        return shapely.intersection(a, b)
    except shapely.errors.GEOSException:
        return np.array([_pair_intersection(x, y) for x, y in zip(a, b)], dtype=object)


def _pair_intersection(a, b):
    try:
        return shapely.intersection(a, b)
    except shapely.errors.GEOSException:
        return shapely.intersection(shapely.make_valid(a), shapely.make_valid(b))


def points_covered(x: np.ndarray, y: np.ndarray, views: np.ndarray) -> np.ndarray:
    """Which points lie inside at least one view (same CRS)."""
    covered = np.zeros(len(x), dtype=bool)
    if len(views) == 0 or len(x) == 0:
        return covered
    pt_idx, _ = shapely.STRtree(np.asarray(views, dtype=object)).query(shapely.points(x, y), predicate="intersects")
    covered[np.unique(pt_idx)] = True
    return covered
