"""Camera fields of view as polygons: a wedge (or a disc for domes) in metres, stored in degrees.

Headings are degrees clockwise from north, fields of view in degrees (360 = dome) and
ranges in metres. Shapes are built in a metric CRS and returned in WGS 84.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from geo.core.crs import STORAGE_CRS

ARC_STEP_DEG = 10.0  # one vertex per 10 degrees of arc: smooth at any zoom a page uses


def fov_polygons(lon: np.ndarray, lat: np.ndarray, heading: np.ndarray, fov: np.ndarray, range_m: np.ndarray,
                 metric_crs: str) -> np.ndarray:
    """One polygon per camera (WGS 84): its field of view out to its range.

    A missing heading or a field of view of 360 degrees or more gives a full disc.
    """
    n = len(lon)
    if n == 0:
        return np.array([], dtype=object)
    pts = gpd.GeoSeries(shapely.points(lon, lat), crs=STORAGE_CRS).to_crs(metric_crs)
    x, y = pts.x.to_numpy(), pts.y.to_numpy()
    heading = np.nan_to_num(np.asarray(heading, dtype=float), nan=0.0)
    fov = np.asarray(fov, dtype=float)
    dome = ~np.isfinite(fov) | (fov >= 360.0)
    fov = np.where(dome, 360.0, np.clip(fov, 1.0, 360.0))
    radius = np.clip(np.nan_to_num(np.asarray(range_m, dtype=float), nan=0.0), 1.0, None)
    shapes = np.empty(n, dtype=object)
    for i in range(n):
        steps = max(3, int(np.ceil(fov[i] / ARC_STEP_DEG)))
        angles = np.radians(heading[i] - fov[i] / 2 + np.linspace(0.0, fov[i], steps + 1))
        ax = x[i] + radius[i] * np.sin(angles)  # clockwise from north: x = sin, y = cos
        ay = y[i] + radius[i] * np.cos(angles)
        ring = np.column_stack([ax, ay]) if dome[i] else np.vstack([[x[i], y[i]], np.column_stack([ax, ay])])
        shapes[i] = shapely.Polygon(ring)
    return np.asarray(gpd.GeoSeries(shapes, crs=metric_crs).to_crs(STORAGE_CRS).values, dtype=object)


def covered_share(fovs: np.ndarray, area, metric_crs: str) -> float:
    """Share (0..1) of ``area`` (a WGS 84 polygon) inside the union of the ``fovs`` polygons."""
    if area is None or len(fovs) == 0:
        return 0.0
    shapes = gpd.GeoSeries(list(fovs) + [area], crs=STORAGE_CRS).to_crs(metric_crs).values
    region = shapes[-1]
    total = region.area
    if total <= 0:
        return 0.0
    seen = shapely.union_all(shapes[:-1])
    return float(shapely.intersection(seen, region).area / total)
