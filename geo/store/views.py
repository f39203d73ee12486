"""What the cameras see, in one place: every page, command and report that asks where cameras see
gets its shapes here.

A camera's view is its sector (true-north bearing, field of view, range: ``geo.core.coverage``) cut
by the stored buildings into its exact visibility polygon (``geo.core.visibility``), and, for each
DORI level, the part of that within the level's distance (``geo.core.dori``). Cameras without a
resolution count as "detect" up to their range and reach no other level.

Visibility is cached per camera in this process, keyed by everything it depends on: the camera's
place, heading, angle, range and resolution, the metric CRS, and the buildings' stamp (a random
value every buildings import that changes anything writes, so a cached view never outlives the
buildings it was cut by). A what-if camera costs one new view; the rest come from the cache.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from sqlalchemy import select
from sqlalchemy.engine import Connection

from geo.core import dori, visibility
from geo.core.coverage import grid_frame, placed_sectors
from geo.core.crs import STORAGE_CRS, metric_crs_of
from geo.store import generation
from geo.store.frames import to_frame
from geo.store.models import Building

STAMP_KEY = generation.STAMP_KEYS["buildings"]
CACHE_SIZE = 200_000  # cameras' views kept (a view is a few kB)
THREADS = 2
KINDS = ("range",) + dori.LEVELS  # "range": seen within the camera's range, whatever its resolution
_cache: OrderedDict = OrderedDict()
_lock = threading.Lock()


@dataclass
class Views:
    """The visible polygons of a frame of cameras (rows in its order), in the metric ``crs``."""

    crs: str
    shapes: dict[str, np.ndarray]  # per KINDS entry; None where a camera sees nothing at that level

    def at(self, level: str | None = None) -> np.ndarray:
        """Views within range (``None`` or ``"range"``) or at a DORI level, without the empty ones."""
        got = self.shapes["range" if level is None else level]
        return got[~shapely.is_missing(got) & ~shapely.is_empty(got)] if len(got) else got

    def column(self, level: str | None = None) -> np.ndarray:
        """Views at ``level``, one per camera (None where it sees nothing), for drawing."""
        return self.shapes["range" if level is None else level]


def stamp(conn: Connection) -> str:
    """The buildings' stamp: '' when no building was ever imported."""
    return generation.stamp(conn, "buildings") or ""


def camera_views(conn: Connection, cams: gpd.GeoDataFrame, crs: str) -> Views:
    """The views of ``cams`` (points with ``heading``, ``fov``, ``range_m`` and, when known,
    ``resolution_h``), cut by the buildings: see the module docstring."""
    n = len(cams)
    out = {k: np.full(n, None, dtype=object) for k in KINDS}
    if not n:
        return Views(crs, out)
    stamped = stamp(conn)
    keys = _keys(cams, crs, stamped)
    with _lock:
        found = [_cache.get(k) for k in keys]
    missing = np.array([f is None for f in found])
    if missing.any():
        fresh = _compute(conn, cams.iloc[np.flatnonzero(missing)], crs, stamped != "")
        with _lock:
            for i, row in zip(np.flatnonzero(missing), fresh):
                _cache[keys[i]] = row
                found[i] = row
            while len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
    for j, kind in enumerate(KINDS):
        out[kind][:] = [row[j] for row in found]
    return Views(crs, out)


def drawn(conn: Connection, cams: gpd.GeoDataFrame, level: str | None = None) -> np.ndarray:
    """The views of ``cams`` at ``level`` (within range when None) in WGS 84, one per camera, for a map."""
    if cams.empty:
        return np.array([], dtype=object)
    crs = metric_crs_of(cams)
    return gpd.GeoSeries(camera_views(conn, cams, crs).column(level), crs=crs).to_crs(STORAGE_CRS).values


def clear_cache() -> None:
    with _lock:
        _cache.clear()


def buildings(conn: Connection, bounds: tuple[float, float, float, float]) -> gpd.GeoDataFrame:
    """Building footprints meeting the WGS 84 box ``bounds`` (min lon, min lat, max lon, max lat).

    Buildings are not scoped: one outside an account's area still hides part of a view inside it,
    and a footprint tells nothing about anyone."""
    b = Building.__table__.c
    x0, y0, x1, y1 = (float(v) for v in bounds)
    stmt = select(b.source_id, b.geom).where(b.lon_max >= x0, b.lon_min <= x1, b.lat_max >= y0, b.lat_min <= y1) \
        .order_by(b.id)
    frame = to_frame(conn.execute(stmt))
    return gpd.GeoDataFrame({"source_id": frame["source_id"]}, geometry=frame["geom"].to_numpy(), crs=STORAGE_CRS)


def _keys(cams: gpd.GeoDataFrame, crs: str, stamped: str) -> list[tuple]:
    pts = cams.geometry.to_crs(STORAGE_CRS)
    res = cams["resolution_h"].to_numpy(dtype=float) if "resolution_h" in cams else np.full(len(cams), np.nan)
    cols = zip(pts.x.round(7), pts.y.round(7), *(cams[c].to_numpy(dtype=float) for c in ("heading", "fov", "range_m")),
               res)
    return [(crs, stamped) + tuple(None if v != v else float(v) for v in row) for row in cols]


def _compute(conn: Connection, cams: gpd.GeoDataFrame, crs: str, with_buildings: bool) -> list[tuple]:
    """The views (one tuple per camera, in :data:`KINDS` order) of cameras not in the cache."""
    frame = grid_frame(cams, crs)
    heading = cams["heading"].to_numpy(dtype=float)
    fov = cams["fov"].to_numpy(dtype=float)
    reach = np.nan_to_num(cams["range_m"].to_numpy(dtype=float))
    res = cams["resolution_h"].to_numpy(dtype=float) if "resolution_h" in cams else np.full(len(cams), np.nan)
    level_m = dori.distances(res, fov, reach)
    whole = placed_sectors(frame, heading, fov, reach)
    shadows = np.full(len(cams), None, dtype=object)
    if with_buildings:
        found = _buildings_near(conn, cams, reach)
        if len(found):
            built = visibility.prepare(gpd.GeoSeries(found, crs=STORAGE_CRS).to_crs(crs).values)
            shadows = visibility.shadow_unions(frame.x, frame.y, whole, built, threads=THREADS)
    columns = [visibility.visible(whole, shadows)]
    for k in range(len(dori.LEVELS)):
        d = level_m[:, k]
        same = np.isclose(d, reach) & (d > 0)  # a level reached all the way to the range: the range's view
        shape = np.full(len(cams), None, dtype=object)
        shape[same] = columns[0][same]
        part = ~same & (d > 0)
        if part.any():
            shape[part] = visibility.visible(placed_sectors(frame.subset(part), heading[part], fov[part], d[part]),
                                             shadows[part])
        columns.append(shape)
    return list(zip(*columns))


def _buildings_near(conn: Connection, cams: gpd.GeoDataFrame, reach: np.ndarray) -> np.ndarray:
    """Footprints (WGS 84) within reach of any of ``cams``: read by the cameras' box grown by the
    longest range (a degree of latitude is at least 110.5 km; a degree of longitude shrinks with it)."""
    pts = cams.geometry.to_crs(STORAGE_CRS)
    lat = float(np.nanmax(np.abs(pts.y))) if len(pts) else 0.0
    grow_lat = (float(reach.max()) * 1.01 + 1.0) / 110_500.0
    grow_lon = grow_lat / max(np.cos(np.radians(min(lat + grow_lat, 89.0))), 1e-6)
    x0, y0, x1, y1 = pts.total_bounds
    frame = buildings(conn, (x0 - grow_lon, y0 - grow_lat, x1 + grow_lon, y1 + grow_lat))
    return frame.geometry.values


def open_ground(conn: Connection, shapes: np.ndarray, crs: str) -> np.ndarray:
    """``shapes`` (areas, metric ``crs``) less the buildings inside them: the ground a camera can see.
    Coverage of an area is measured on it (a camera never sees into a building); an area that is all
    building keeps its shape, so its share stays defined."""
    shapes = np.asarray(shapes, dtype=object)
    if not len(shapes) or not stamp(conn):
        return shapes
    box = gpd.GeoSeries(shapes, crs=crs).to_crs(STORAGE_CRS).total_bounds
    found = buildings(conn, tuple(box))
    if found.empty:
        return shapes
    blds = found.to_crs(crs).geometry.values
    area_idx, bld_idx = shapely.STRtree(blds).query(shapes, predicate="intersects")
    out = shapes.copy()
    for a in np.unique(area_idx):
        left = shapely.difference(shapes[a], shapely.union_all(blds[bld_idx[area_idx == a]]))
        if not shapely.is_empty(left) and shapely.area(left) > 0:
            out[a] = left
    return out
