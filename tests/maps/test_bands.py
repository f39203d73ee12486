"""The DORI band and blind-spot layers: rounded, mended shapes; colours per level; escaped tooltips."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from geo.maps.bands import BAND_COLORS, BLIND_COLOR, band_layer, blind_layer, drawable
from geo.maps.base import COORD_DECIMALS


def _ring_of_boxes(n: int = 200) -> shapely.MultiPolygon:
    """Many small, nearly touching squares with holes: the kind of shape a union of views is."""
    boxes = []
    for i in range(n):
        x, y = 112.9 + (i % 20) * 2.000001e-4, 28.1 + (i // 20) * 2.000001e-4
        outer = shapely.box(x, y, x + 1.99999e-4, y + 1.99999e-4)
        boxes.append(outer.difference(shapely.box(x + 5e-5, y + 5e-5, x + 1e-4, y + 1e-4)))
    return shapely.MultiPolygon(boxes)


def test_drawable_rounds_every_vertex_and_keeps_the_area():
    shape = _ring_of_boxes()
    frame = gpd.GeoDataFrame({"level": ["detect", "identify"]}, geometry=[shape, None], crs=4326)
    got = drawable(frame)
    assert got["level"].tolist() == ["detect"]  # the row without a shape is left out
    coords = shapely.get_coordinates(got.geometry.values)
    np.testing.assert_allclose(coords, np.round(coords, COORD_DECIMALS), atol=1e-12)
    np.testing.assert_allclose(shapely.area(got.geometry.values).sum(), shape.area, rtol=0.05)  # degrees²: alike


def test_band_layer_colours_each_level_and_blind_layer_escapes_its_tooltip():
    bands = gpd.GeoDataFrame({"level": ["range", "identify"]},
                             geometry=[shapely.box(112.9, 28.1, 112.901, 28.101), shapely.box(112.9, 28.1, 112.9002,
                                                                                             28.1002)], crs=4326)
    layer = band_layer(bands, "Bands", {"range": "Within range", "identify": "Identify"})
    (geojson,) = [c for c in layer._children.values()]
    styles = [geojson.style_function(f) for f in geojson.data["features"]]
    assert [s["fillColor"] for s in styles] == [BAND_COLORS["range"], BAND_COLORS["identify"]]
    assert not geojson.options.get("interactive", True)  # clicks reach the map and the cameras below
    blind = gpd.GeoDataFrame({"place": ["<b>School</b>"], "share": ["40.0%"]},
                             geometry=[shapely.box(112.9, 28.1, 112.9001, 28.1001)], crs=4326)
    (spots,) = [c for c in blind_layer(blind, "Blind", {"place": "Place", "share": "Blind"})._children.values()]
    assert spots.data["features"][0]["properties"]["place"] == "&lt;b&gt;School&lt;/b&gt;"
    assert spots.style_function(spots.data["features"][0])["fillColor"] == BLIND_COLOR
