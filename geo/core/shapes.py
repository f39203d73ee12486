"""A shape drawn on a map for a report: a polygon (GeoJSON) or a point and a radius, checked.

What comes from the browser is hostile until proven otherwise: :func:`drawn_polygon` and
:func:`circle` return a valid WGS 84 polygon or raise :class:`ShapeRefused` with a reason a person
can read (never a traceback). Limits: :data:`MAX_GEOJSON_BYTES` of text, :data:`MAX_VERTICES`
vertices, coordinates inside WGS 84 and finite, a polygon that is valid as drawn (no
self-crossing ring, no zero area, at most :data:`MAX_PARTS` parts) and a radius from
:data:`MIN_RADIUS_M` to :data:`MAX_RADIUS_M` metres.

Examples
--------
>>> shape = drawn_polygon('{"type": "Polygon", "coordinates": [[[0,0],[0.01,0],[0.01,0.01],[0,0]]]}')
>>> shape.geom_type, round(shape.area, 6)
('Polygon', 5e-05)
>>> try:
...     drawn_polygon('{"type": "Polygon", "coordinates": [[[0,0],[1,1],[1,0],[0,1],[0,0]]]}')
... except ShapeRefused as exc:
...     print(exc)
the polygon is not valid (Self-intersection): draw it again without crossing lines
"""

from __future__ import annotations

import json
import math

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon, shape as to_shape
from shapely.validation import explain_validity

from geo.core.crs import metric_crs, to_metric, to_wgs84

MAX_GEOJSON_BYTES = 200_000
MAX_VERTICES = 2_000
MAX_PARTS = 20
MIN_RADIUS_M = 10.0
MAX_RADIUS_M = 5_000.0
CIRCLE_SEGMENTS = 64  # vertices of a circle's polygon: 4 per quarter turn is too coarse for a report


class ShapeRefused(ValueError):
    """A drawn shape that is not taken, with the reason in words."""


def _geometry(obj) -> dict:
    """The geometry member of a GeoJSON Feature, or the object itself when it is a geometry."""
    if not isinstance(obj, dict):
        raise ShapeRefused("the shape is not a GeoJSON object")
    if obj.get("type") == "Feature":
        obj = obj.get("geometry")
        if not isinstance(obj, dict):
            raise ShapeRefused("the GeoJSON feature has no geometry")
    if obj.get("type") not in ("Polygon", "MultiPolygon"):
        raise ShapeRefused(f"a report needs a polygon, not {str(obj.get('type'))[:30]!r}")
    return obj


def _coordinates_ok(geom) -> None:
    coords = shapely.get_coordinates(geom)
    if len(coords) > MAX_VERTICES:
        raise ShapeRefused(f"the polygon has {len(coords)} vertices; at most {MAX_VERTICES} are taken")
    if not np.isfinite(coords).all():
        raise ShapeRefused("the polygon has a coordinate that is not a number")
    lon, lat = coords[:, 0], coords[:, 1]
    if (np.abs(lon) > 180).any() or (np.abs(lat) > 90).any():
        raise ShapeRefused("the polygon has a coordinate outside longitude -180..180, latitude -90..90")


def drawn_polygon(text: str | bytes | dict) -> Polygon | MultiPolygon:
    """The polygon of a GeoJSON text (or parsed object): a Polygon or MultiPolygon geometry, or a
    Feature holding one. :class:`ShapeRefused` for anything else (see the module docstring)."""
    if isinstance(text, (str, bytes)):
        if len(text) > MAX_GEOJSON_BYTES:
            raise ShapeRefused(f"the shape is {len(text):,} bytes of GeoJSON; at most {MAX_GEOJSON_BYTES:,} are taken")
        try:
            obj = json.loads(text)
        except (ValueError, RecursionError):
            raise ShapeRefused("the shape is not readable GeoJSON") from None
    else:
        obj = text
    geometry = _geometry(obj)
    coords = geometry.get("coordinates")
    if not isinstance(coords, list) or not coords:
        raise ShapeRefused("the polygon has no coordinates")
    try:
        geom = to_shape(geometry)
    except (ValueError, TypeError, AttributeError, IndexError, shapely.errors.GEOSException):
        raise ShapeRefused("the polygon's coordinates are not a list of closed rings of [longitude, latitude]") from None
    if geom.is_empty:
        raise ShapeRefused("the polygon is empty")
    _coordinates_ok(geom)
    if isinstance(geom, MultiPolygon) and len(geom.geoms) > MAX_PARTS:
        raise ShapeRefused(f"the shape has {len(geom.geoms)} parts; at most {MAX_PARTS} are taken")
    if not geom.is_valid:
        reason = explain_validity(geom).split("[")[0].strip()
        raise ShapeRefused(f"the polygon is not valid ({reason}): draw it again without crossing lines")
    if geom.area <= 0:
        raise ShapeRefused("the polygon has no area")
    return geom


def circle(lon, lat, radius_m, configured_epsg: int | None = None) -> Polygon:
    """The disc of ``radius_m`` metres around WGS 84 ``lon, lat`` as a polygon in WGS 84, drawn in the
    metric CRS there (the configured EPSG code, else the local UTM zone)."""
    try:
        lon, lat, radius_m = float(lon), float(lat), float(radius_m)
    except (TypeError, ValueError):
        raise ShapeRefused("the point and radius must be numbers") from None
    if not all(math.isfinite(v) for v in (lon, lat, radius_m)):
        raise ShapeRefused("the point and radius must be finite numbers")
    if abs(lon) > 180 or abs(lat) > 85:
        raise ShapeRefused("the point lies outside longitude -180..180, latitude -85..85")
    if not MIN_RADIUS_M <= radius_m <= MAX_RADIUS_M:
        raise ShapeRefused(f"the radius must be from {MIN_RADIUS_M:g} to {MAX_RADIUS_M:g} metres, not {radius_m:g}")
    crs = metric_crs(lon, lat, configured_epsg)
    x, y = to_metric(np.array([lon]), np.array([lat]), crs)
    ring = np.asarray(Point(float(x[0]), float(y[0])).buffer(radius_m, quad_segs=CIRCLE_SEGMENTS // 4)
                      .exterior.coords)
    rlon, rlat = to_wgs84(ring[:, 0], ring[:, 1], crs)
    return Polygon(np.column_stack([rlon, rlat]))


def area_m2(geom, configured_epsg: int | None = None) -> float:
    """The area of a WGS 84 polygon in square metres (in the metric CRS at its centre)."""
    if geom.is_empty:
        return 0.0
    c = geom.centroid
    crs = metric_crs(c.x, c.y, configured_epsg)
    coords = shapely.get_coordinates(geom)
    x, y = to_metric(coords[:, 0], coords[:, 1], crs)
    return float(shapely.area(shapely.set_coordinates(geom, np.column_stack([x, y]))))
