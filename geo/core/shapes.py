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


REASONS = {  # the English wording of each refusal; the app words them through "shape.why.<code>"
    "not_object": "the shape is not a GeoJSON object",
    "no_geometry": "the GeoJSON feature has no geometry",
    "not_polygon": "a report needs a polygon, not {kind!r}",
    "vertices": "the polygon has {n} vertices; at most {limit} are taken",
    "not_number": "the polygon has a coordinate that is not a number",
    "out_of_range": "the polygon has a coordinate outside longitude -180..180, latitude -90..90",
    "too_big": "the shape is {n:,} bytes of GeoJSON; at most {limit:,} are taken",
    "unreadable": "the shape is not readable GeoJSON",
    "no_coordinates": "the polygon has no coordinates",
    "bad_rings": "the polygon's coordinates are not a list of closed rings of [longitude, latitude]",
    "empty": "the polygon is empty",
    "parts": "the shape has {n} parts; at most {limit} are taken",
    "invalid": "the polygon is not valid ({why}): draw it again without crossing lines",
    "no_area": "the polygon has no area",
    "point_numbers": "the point and radius must be numbers",
    "point_finite": "the point and radius must be finite numbers",
    "point_range": "the point lies outside longitude -180..180, latitude -85..85",
    "radius": "the radius must be from {low:g} to {high:g} metres, not {radius:g}",
    "no_scope_area": "there is no area in your scope to report on",
    "outside": "the shape lies wholly outside your area: draw it inside the area you look after",
}


class ShapeRefused(ValueError):
    """A drawn shape that is not taken: ``code`` (a key of :data:`REASONS`) and the ``values`` its
    wording takes; ``str()`` is the English reason."""

    def __init__(self, code: str, **values):
        self.code, self.values = code, values
        super().__init__(REASONS[code].format(**values) if code in REASONS else code)


def _geometry(obj) -> dict:
    """The geometry member of a GeoJSON Feature, or the object itself when it is a geometry."""
    if not isinstance(obj, dict):
        raise ShapeRefused("not_object")
    if obj.get("type") == "Feature":
        obj = obj.get("geometry")
        if not isinstance(obj, dict):
            raise ShapeRefused("no_geometry")
    if obj.get("type") not in ("Polygon", "MultiPolygon"):
        raise ShapeRefused("not_polygon", kind=str(obj.get('type'))[:30])
    return obj


def _coordinates_ok(geom) -> None:
    coords = shapely.get_coordinates(geom)
    if len(coords) > MAX_VERTICES:
        raise ShapeRefused("vertices", n=len(coords), limit=MAX_VERTICES)
    if not np.isfinite(coords).all():
        raise ShapeRefused("not_number")
    lon, lat = coords[:, 0], coords[:, 1]
    if (np.abs(lon) > 180).any() or (np.abs(lat) > 90).any():
        raise ShapeRefused("out_of_range")


def drawn_polygon(text: str | bytes | dict) -> Polygon | MultiPolygon:
    """The polygon of a GeoJSON text (or parsed object): a Polygon or MultiPolygon geometry, or a
    Feature holding one. :class:`ShapeRefused` for anything else (see the module docstring)."""
    if isinstance(text, (str, bytes)):
        if len(text) > MAX_GEOJSON_BYTES:
            raise ShapeRefused("too_big", n=len(text), limit=MAX_GEOJSON_BYTES)
        try:
            obj = json.loads(text)
        except (ValueError, RecursionError):
            raise ShapeRefused("unreadable") from None
    else:
        obj = text
    geometry = _geometry(obj)
    coords = geometry.get("coordinates")
    if not isinstance(coords, list) or not coords:
        raise ShapeRefused("no_coordinates")
    try:
        geom = to_shape(geometry)
    except (ValueError, TypeError, AttributeError, IndexError, shapely.errors.GEOSException):
        raise ShapeRefused("bad_rings") from None
    if geom.is_empty:
        raise ShapeRefused("empty")
    _coordinates_ok(geom)
    if isinstance(geom, MultiPolygon) and len(geom.geoms) > MAX_PARTS:
        raise ShapeRefused("parts", n=len(geom.geoms), limit=MAX_PARTS)
    if not geom.is_valid:
        reason = explain_validity(geom).split("[")[0].strip()
        raise ShapeRefused("invalid", why=reason)
    if geom.area <= 0:
        raise ShapeRefused("no_area")
    return geom


def circle(lon, lat, radius_m, configured_epsg: int | None = None) -> Polygon:
    """The disc of ``radius_m`` metres around WGS 84 ``lon, lat`` as a polygon in WGS 84, drawn in the
    metric CRS there (the configured EPSG code, else the local UTM zone)."""
    try:
        lon, lat, radius_m = float(lon), float(lat), float(radius_m)
    except (TypeError, ValueError):
        raise ShapeRefused("point_numbers") from None
    if not all(math.isfinite(v) for v in (lon, lat, radius_m)):
        raise ShapeRefused("point_finite")
    if abs(lon) > 180 or abs(lat) > 85:
        raise ShapeRefused("point_range")
    if not MIN_RADIUS_M <= radius_m <= MAX_RADIUS_M:
        raise ShapeRefused("radius", low=MIN_RADIUS_M, high=MAX_RADIUS_M, radius=radius_m)
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
