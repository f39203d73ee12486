"""Cell layers in two parts (geo.maps.cells): the shape set survives its compact encoding, its name
changes with the shapes and never with the values, and what every run sends holds no coordinates."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo.core.classify import classify
from geo.maps.base import Basemap
from geo.maps.cells import cell_layer, decode_shapes, encode_shapes


def _grid(n: int = 3, values=None) -> gpd.GeoDataFrame:
    cells = [shapely.box(112.9 + 0.01 * i, 28.1 + 0.01 * j, 112.91 + 0.01 * i, 28.11 + 0.01 * j)
             for i in range(n) for j in range(n)]
    values = list(range(len(cells))) if values is None else values
    return gpd.GeoDataFrame({"code": [f"C{i}" for i in range(len(cells))], "label": [f"c{i}" for i in range(len(cells))],
                             "n": values, "value": [str(v) for v in values]}, geometry=cells, crs=4326)


def _layer(gdf, **kw):
    return cell_layer(gdf, classify(gdf["n"].astype(float), "quantiles", 3), "count",
                      tooltip_fields={"label": "Name", "value": "Count"}, **kw)


def test_shapes_come_back_from_their_encoding_within_the_rounding():
    rng = np.random.default_rng(7)
    holed = shapely.Polygon([(0, 0), (1, 0), (1, 1), (0, 1)], [[(0.2, 0.2), (0.4, 0.2), (0.4, 0.4)]])
    multi = shapely.MultiPolygon([shapely.box(2, 2, 3, 3), shapely.box(4, 4, 5, 5.5)])
    blobs = [shapely.Point(x, y).buffer(r) for x, y, r in rng.uniform(0.1, 5, (20, 3))]
    for shapes in ([holed, multi, *blobs], blobs, [multi]):
        back = decode_shapes(encode_shapes(shapes))
        assert len(back) == len(shapes)
        for a, b in zip(shapes, back):
            assert a.geom_type == b.geom_type
            assert a.symmetric_difference(b).area < 1e-4 * max(a.area, 1e-9) + 1e-8
            assert shapely.hausdorff_distance(a, b) <= 1e-5


def test_an_empty_set_and_other_geometry_types():
    assert decode_shapes(encode_shapes([])) == []
    with pytest.raises(ValueError):
        encode_shapes([shapely.Point(0, 0)])


def test_the_shape_key_follows_the_shapes_not_the_values():
    a = _layer(_grid(values=[1, 2, 3, 4, 5, 6, 7, 8, 9]))
    b = _layer(_grid(values=[9, 8, 7, 6, 5, 4, 3, 2, 1]))
    c = _layer(_grid(n=4))
    colours = [[layer.palette[i] for i in layer.fill] for layer in (a, b)]
    assert a.key == b.key and colours[0] == colours[1][::-1] and colours[0] != colours[1] and a.values != b.values
    assert c.key != a.key


def test_what_every_run_sends_has_no_coordinates_and_is_small():
    gdf = _grid(n=30)
    layer = _layer(gdf)
    values = json.dumps(layer.value_args())
    shapes = json.dumps(layer.shape_args())
    assert "xy" not in layer.value_args() and "shapes" not in values
    assert len(values) * 3 < len(shapes)
    assert len(layer.value_args()["fill"]) == len(gdf)


def test_only_a_drawn_area_is_highlighted():
    gdf = _grid()
    assert _layer(gdf, highlight="C4").highlight == "C4"
    assert [f["properties"]["_hl"] for f in _layer(gdf, highlight="C4").features()].count(True) == 1
    stale = _layer(gdf, highlight="ELSEWHERE-01")  # a stale or crafted choice names nothing
    assert stale.highlight is None
    assert "ELSEWHERE" not in json.dumps(stale.value_args())


def test_the_gcj02_shift_moves_the_shapes_and_so_the_key():
    gdf = _grid()
    plain = _layer(gdf)
    shifted = _layer(gdf, basemap=Basemap(url="http://t.example/{z}/{x}/{y}.png", attribution="t", datum="gcj02"))
    assert shifted.key != plain.key
    moved = decode_shapes(shifted.shapes)[0].centroid.distance(decode_shapes(plain.shapes)[0].centroid)
    assert 0.001 < moved < 0.01  # a few hundred metres, as GCJ-02 moves places in China


def test_outlines_are_encoded_once_per_shape_set():
    gdf = _grid(n=5)
    first = _layer(gdf, tolerance_deg=0.0001)
    again = _layer(gdf.copy(), tolerance_deg=0.0001)  # equal shapes in another frame: the cached encoding
    assert again.shapes is first.shapes and again.key == first.key
    moved = gdf.copy()
    moved.geometry = moved.geometry.translate(0.001, 0)
    assert _layer(moved, tolerance_deg=0.0001).shapes is not first.shapes
    assert _layer(gdf, tolerance_deg=0.0002).shapes is not first.shapes
    assert _layer(gdf).key == first.key  # boxes do not simplify: the same content has the same name
