"""Coordinate reference systems: the one place where CRS codes are named.

All geometry is stored in WGS 84 longitude/latitude (``STORAGE_CRS``). Distances and
areas are measured in a metric CRS: a configured EPSG code, else the local UTM zone.
Chinese web-map offsets (GCJ-02, BD-09) are converted to WGS 84 numerically.
"""

from __future__ import annotations

import math

import numpy as np
from pyproj import CRS, Transformer

STORAGE_CRS = "EPSG:4326"
STORAGE_SRID = 4326
OFFSET_SYSTEMS = ("gcj02", "bd09")

# Krasovsky 1940 ellipsoid, as used by the GCJ-02 obfuscation.
_KRASOVSKY_A = 6378245.0
_KRASOVSKY_EE = 0.00669342162296594323
_BD_PI = math.pi * 3000.0 / 180.0
_GCJ_INVERSE_ITERATIONS = 30


class CRSError(ValueError):
    """An unknown or unusable coordinate reference system was named."""


def parse_crs(name: str | int | None) -> str:
    """Normalise a user's CRS name: ``"4326"``, ``"EPSG:3435"``, ``"gcj02"``, ``"bd09"``.

    Returns ``"gcj02"``/``"bd09"`` for the offset systems, else ``"EPSG:<code>"``.
    """
    if name is None or name == "":
        return STORAGE_CRS
    text = str(name).strip().lower().replace("-", "")
    if text in OFFSET_SYSTEMS:
        return text
    if text.startswith("epsg:"):
        text = text[5:]
    if not text.isdigit():
        raise CRSError(f"unknown coordinate system {name!r}: give an EPSG code, gcj02 or bd09")
    try:
        CRS.from_epsg(int(text))
    except Exception as exc:  # pyproj raises its own CRSError
        raise CRSError(f"unknown EPSG code {text}") from exc
    return f"EPSG:{int(text)}"


def utm_epsg_for(lon: float, lat: float) -> int:
    """EPSG code of the WGS 84 UTM zone containing (lon, lat) in degrees."""
    zone = int((lon + 180.0) // 6.0) % 60 + 1
    return (32600 if lat >= 0 else 32700) + zone


def metric_crs(lon: float, lat: float, configured_epsg: int | None = None) -> str:
    """The metric CRS for measurements: the configured EPSG code, else the local UTM zone."""
    return f"EPSG:{configured_epsg or utm_epsg_for(lon, lat)}"


def metric_crs_for(lon, lat, configured_epsg: int | None = None) -> str:
    """The metric CRS for what lies at WGS 84 ``lon, lat`` (arrays of points, or a box's two corners):
    :func:`metric_crs` at the centre of their extent."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    return metric_crs((np.nanmin(lon) + np.nanmax(lon)) / 2, (np.nanmin(lat) + np.nanmax(lat)) / 2, configured_epsg)


def metric_crs_of(frame) -> str:
    """:func:`metric_crs_for` a GeoDataFrame or GeoSeries: the corners of its extent in WGS 84."""
    if frame.crs is not None and not frame.crs.equals(STORAGE_CRS):
        frame = frame.to_crs(STORAGE_CRS)
    minx, miny, maxx, maxy = frame.total_bounds
    return metric_crs_for((minx, maxx), (miny, maxy))


def _gcj_delta(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Offset (degrees) that GCJ-02 adds to a WGS 84 position."""
    x = lon - 105.0
    y = lat - 35.0
    sq = np.sqrt(np.abs(x))
    d_lat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sq
             + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
             + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
             + (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0)
    d_lon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sq
             + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
             + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
             + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0)
    rad = lat / 180.0 * np.pi
    magic = 1.0 - _KRASOVSKY_EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_KRASOVSKY_A * (1 - _KRASOVSKY_EE)) / (magic * sqrt_magic) * np.pi)
    d_lon = (d_lon * 180.0) / (_KRASOVSKY_A / sqrt_magic * np.cos(rad) * np.pi)
    return d_lon, d_lat


def wgs84_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """WGS 84 to GCJ-02 (degrees). Applied everywhere: callers decide what is in China."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    d_lon, d_lat = _gcj_delta(lon, lat)
    return lon + d_lon, lat + d_lat


def gcj02_to_wgs84(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 to WGS 84 by fixed-point iteration of the forward offset (error < 1e-7 degrees)."""
    g_lon = np.asarray(lon, dtype=float)
    g_lat = np.asarray(lat, dtype=float)
    w_lon, w_lat = g_lon.copy(), g_lat.copy()
    for _ in range(_GCJ_INVERSE_ITERATIONS):
        f_lon, f_lat = wgs84_to_gcj02(w_lon, w_lat)
        w_lon = w_lon - (f_lon - g_lon)
        w_lat = w_lat - (f_lat - g_lat)
    return w_lon, w_lat


def bd09_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """BD-09 (Baidu) to GCJ-02 (degrees)."""
    x = np.asarray(lon, dtype=float) - 0.0065
    y = np.asarray(lat, dtype=float) - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _BD_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _BD_PI)
    return z * np.cos(theta), z * np.sin(theta)


def gcj02_to_bd09(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 to BD-09 (Baidu) (degrees)."""
    x = np.asarray(lon, dtype=float)
    y = np.asarray(lat, dtype=float)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _BD_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _BD_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def to_metric(lon, lat, crs: str) -> tuple[np.ndarray, np.ndarray]:
    """WGS 84 ``lon, lat`` arrays as ``x, y`` in metres of the metric ``crs`` (see :func:`metric_crs_of`)."""
    x, y = Transformer.from_crs(STORAGE_CRS, crs, always_xy=True).transform(np.asarray(lon, dtype=float),
                                                                             np.asarray(lat, dtype=float))
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float)


def to_wgs84(x, y, crs: str) -> tuple[np.ndarray, np.ndarray]:
    """Convert coordinate arrays in ``crs`` (as returned by :func:`parse_crs`) to WGS 84."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if crs == STORAGE_CRS:
        return x, y
    if crs == "gcj02":
        return gcj02_to_wgs84(x, y)
    if crs == "bd09":
        return gcj02_to_wgs84(*bd09_to_gcj02(x, y))
    transformer = Transformer.from_crs(crs, STORAGE_CRS, always_xy=True)
    return transformer.transform(x, y)


TRUE_NORTH_STEP_M = 10.0  # metres walked along each meridian to find it in a metric CRS


def ground_axes(lon, lat, crs: str) -> tuple[np.ndarray, np.ndarray]:
    """The metric ``crs``'s local picture of the ground at each WGS 84 point: ``(east, north)``, two
    ``(n, 2)`` arrays holding the grid displacement of one metre walked east and one walked north.

    Found by short geodesic steps centred on the point (pyproj's ``Geod``; the meridian's and the
    parallel's curve in the grid cancel), so they hold in any projection: in a conformal grid
    (UTM) they are the same length and at right angles, turned by the meridian convergence (about
    -2.3 degrees near London in UTM 30N); in an equal-area grid they are not. A ground offset of
    ``e`` metres east and ``n`` north lies at ``e * east + n * north`` in the grid.
    """
    from pyproj import Geod

    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    geod, half = Geod(ellps="WGS84"), np.full_like(lon, TRUE_NORTH_STEP_M / 2)
    axes = []
    for forward in (90.0, 0.0):  # east, then north
        b_lon, b_lat, _ = geod.fwd(lon, lat, np.full_like(lon, forward + 180.0), half)
        a_lon, a_lat, _ = geod.fwd(lon, lat, np.full_like(lon, forward), half)
        x0, y0 = to_metric(b_lon, b_lat, crs)
        x1, y1 = to_metric(a_lon, a_lat, crs)
        axes.append(np.column_stack([x1 - x0, y1 - y0]) / TRUE_NORTH_STEP_M)
    return axes[0], axes[1]


def true_north(lon, lat, crs: str) -> tuple[np.ndarray, np.ndarray]:
    """Where true north points in the metric ``crs`` at each WGS 84 point, and the point scale along it:
    ``(north, scale)``, ``north`` the grid bearing (degrees clockwise from grid north) of the meridian,
    so in a conformal grid a true bearing ``b`` is the grid bearing ``b + north`` (see :func:`ground_axes`,
    which holds in any grid)."""
    _, up = ground_axes(lon, lat, crs)
    return np.degrees(np.arctan2(up[:, 0], up[:, 1])), np.hypot(up[:, 0], up[:, 1])
