"""Drawn shapes for reports: hostile GeoJSON and radii get a reason in words, good ones a polygon."""

from __future__ import annotations

import json
import math

import pytest

from geo.core import shapes
from geo.core.shapes import ShapeRefused, area_m2, circle, drawn_polygon

SQUARE = [[[121.40, 31.20], [121.41, 31.20], [121.41, 31.21], [121.40, 31.21], [121.40, 31.20]]]


def test_a_polygon_a_feature_and_a_multipolygon_are_taken():
    poly = drawn_polygon(json.dumps({"type": "Polygon", "coordinates": SQUARE}))
    feature = drawn_polygon({"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": SQUARE}})
    multi = drawn_polygon({"type": "MultiPolygon", "coordinates": [SQUARE]})
    assert poly.equals(feature) and multi.geom_type == "MultiPolygon"
    assert 1.0e6 < area_m2(poly) < 1.2e6  # about 950 m by 1110 m


@pytest.mark.parametrize("bad, reason", [
    ("{not json", "not readable GeoJSON"),
    ("[" * 5000 + "]" * 5000, "not readable GeoJSON|not a GeoJSON object"),
    ('"a string"', "not a GeoJSON object"),
    ('{"type": "Point", "coordinates": [121.4, 31.2]}', "needs a polygon"),
    ('{"type": "Feature", "geometry": null}', "has no geometry"),
    ('{"type": "Polygon", "coordinates": []}', "no coordinates"),
    ('{"type": "Polygon", "coordinates": [[["a", "b"], [1, 2], [3, 4], ["a", "b"]]]}', "not a list of closed rings|not a number"),
    ('{"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]}', "not a list of closed rings|not valid|no area"),
    ('{"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}', "not valid"),
    ('{"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [2, 0], [0, 0]]]}', "not valid|no area"),
    ('{"type": "Polygon", "coordinates": [[[0, 0], [200, 0], [200, 1], [0, 0]]]}', "outside longitude"),
    ('{"type": "Polygon", "coordinates": [[[0, 0], [NaN, 0], [1, 1], [0, 0]]]}', "not a number"),
])
def test_hostile_geojson_gets_a_reason(bad, reason):
    with pytest.raises(ShapeRefused, match=reason):
        drawn_polygon(bad)


def test_size_vertex_and_part_limits():
    with pytest.raises(ShapeRefused, match="bytes of GeoJSON"):
        drawn_polygon(" " * (shapes.MAX_GEOJSON_BYTES + 1))
    n = shapes.MAX_VERTICES + 10
    ring = [[121.4 + 0.01 * math.cos(2 * math.pi * i / n), 31.2 + 0.01 * math.sin(2 * math.pi * i / n)] for i in range(n)]
    with pytest.raises(ShapeRefused, match="vertices"):
        drawn_polygon({"type": "Polygon", "coordinates": [ring + [ring[0]]]})
    parts = [[[[i, 0], [i + 0.5, 0], [i + 0.5, 0.5], [i, 0]]] for i in range(shapes.MAX_PARTS + 1)]
    with pytest.raises(ShapeRefused, match="parts"):
        drawn_polygon({"type": "MultiPolygon", "coordinates": parts})
    just = ring[:shapes.MAX_VERTICES - 1]
    assert drawn_polygon({"type": "Polygon", "coordinates": [just + [just[0]]]}).is_valid


def test_a_circle_has_its_area_in_metres():
    disc = circle(121.47, 31.23, 500)
    assert disc.is_valid and area_m2(disc) == pytest.approx(math.pi * 500 ** 2, rel=0.01)
    c = disc.centroid
    assert (c.x, c.y) == pytest.approx((121.47, 31.23), abs=1e-6)


@pytest.mark.parametrize("lon, lat, radius, reason", [
    (121.4, 31.2, 5, "radius must be from"), (121.4, 31.2, 50_000, "radius must be from"),
    (121.4, 31.2, float("nan"), "finite"), (121.4, 95, 100, "outside longitude"),
    ("x", 31.2, 100, "must be numbers"), (None, 31.2, 100, "must be numbers"),
])
def test_bad_points_and_radii_get_a_reason(lon, lat, radius, reason):
    with pytest.raises(ShapeRefused, match=reason):
        circle(lon, lat, radius)
