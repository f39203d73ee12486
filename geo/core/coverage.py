"""Camera coverage: fields of view, covered shares, and where new cameras help most.

Headings are degrees clockwise from north, fields of view in degrees (360 = dome) and ranges
in metres. Shapes are built in a metric CRS; callers convert. Arcs have ``ARC_SEGMENTS``
segments whatever the angle. A camera becomes its field of view in one place, :func:`sectors`
(arrays in metres); :func:`camera_views` is its adapter for a frame of cameras (``heading``,
``fov``, ``range_m`` columns), and :func:`fov_polygons` for WGS 84 arrays.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from geo.core.crs import STORAGE_CRS, metric_crs_of

ARC_SEGMENTS = 64


def sectors(x: np.ndarray, y: np.ndarray, heading: np.ndarray, fov: np.ndarray, range_m: np.ndarray) -> np.ndarray:
    """Field-of-view polygons in the metric CRS of ``x, y`` (vectorised; domes are full discs).

    A missing heading or a field of view of 360 degrees or more gives a disc.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    n = len(x)
    if n == 0:
        return np.array([], dtype=object)
    heading = np.nan_to_num(np.asarray(heading, dtype=float), nan=0.0)
    fov = np.asarray(fov, dtype=float)
    dome = ~np.isfinite(fov) | (fov >= 360.0) | ~np.isfinite(np.asarray(heading, dtype=float))
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


def camera_views(cams: gpd.GeoDataFrame, crs: str | None = None) -> gpd.GeoSeries:
    """The fields of view of a frame of camera points (:data:`CAMERA_COLUMNS`), as polygons in the metric
    ``crs`` (by default the cameras' own, ``geo.core.crs.metric_crs_of``), index kept."""
    if cams.empty:
        return gpd.GeoSeries([], index=cams.index, crs=crs)
    crs = crs or metric_crs_of(cams)
    at = cams.geometry.to_crs(crs)
    shapes = sectors(at.x.to_numpy(), at.y.to_numpy(), *(cams[c].to_numpy(dtype=float) for c in CAMERA_COLUMNS))
    return gpd.GeoSeries(shapes, index=cams.index, crs=crs)


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


def covered_fraction(areas: np.ndarray, views: np.ndarray) -> np.ndarray:
    """For each area polygon, the share (0..1) of its surface inside at least one view (same CRS)."""
    areas = np.asarray(areas, dtype=object)
    out = np.zeros(len(areas))
    if len(views) == 0 or len(areas) == 0:
        return out
    views = np.asarray(views, dtype=object)
    area_idx, view_idx = shapely.STRtree(views).query(areas, predicate="intersects")
    if not len(area_idx):
        return out
    order = np.argsort(area_idx, kind="stable")
    area_idx, view_idx = area_idx[order], view_idx[order]
    bounds = np.flatnonzero(np.diff(area_idx)) + 1
    for group in np.split(np.arange(len(area_idx)), bounds):
        i = area_idx[group[0]]
        seen = shapely.union_all(views[view_idx[group]])
        total = shapely.area(areas[i])
        if total > 0:
            out[i] = shapely.area(shapely.intersection(seen, areas[i])) / total
    return np.clip(out, 0.0, 1.0)


def points_covered(x: np.ndarray, y: np.ndarray, views: np.ndarray) -> np.ndarray:
    """Which points lie inside at least one view (same CRS)."""
    covered = np.zeros(len(x), dtype=bool)
    if len(views) == 0 or len(x) == 0:
        return covered
    pt_idx, _ = shapely.STRtree(np.asarray(views, dtype=object)).query(shapely.points(x, y), predicate="intersects")
    covered[np.unique(pt_idx)] = True
    return covered
