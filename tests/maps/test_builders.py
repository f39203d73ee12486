"""Map builders, tested on their rendered HTML: the features are there, nothing comes from a CDN."""

from __future__ import annotations

import json
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.core.classify import classify
from geo.core.crs import wgs84_to_gcj02
from geo.maps.base import Basemap
from geo.maps.layers import POINT_BUDGET, incident_layer
from geo.maps.views import boundary_map, measure_map, wall_map

URL = re.compile(r"""https?://[^\s"'<>)]+""")
HOSTILE = '<img src=x onerror="alert(1)">'
TILES = "http://tiles.intranet.example/{z}/{x}/{y}.png"


@pytest.fixture
def grid_2x2():
    cells = [shapely.box(112.90 + 0.01 * i, 28.10 + 0.01 * j, 112.91 + 0.01 * i, 28.11 + 0.01 * j)
             for i in range(2) for j in range(2)]
    return gpd.GeoDataFrame({"code": ["C1", "C2", "C3", "C4"], "label": ["一", "二", HOSTILE, "四"],
                             "value": ["1", "5", "9", "20"], "n": [1, 5, 9, 20], "team": ["t"] * 4},
                            geometry=cells, crs=4326)


def _html(fmap) -> str:
    """Everything the browser is given for the map: a folium page, or a cell map's parts."""
    from geo.maps.document import CellMap

    return fmap.text() if isinstance(fmap, CellMap) else fmap.get_root().render()


def _cells(cmap) -> list[dict]:
    """The cell layer's features (GeoJSON-like) as the browser receives them."""
    return [{"properties": f["properties"], "geometry": shapely.geometry.mapping(f["geometry"])}
            for f in cmap.cells.features()]


def _features(html: str) -> list[dict]:
    """Every GeoJSON feature embedded in the page (each collection decoded from its opening brace)."""
    found, decoder = [], json.JSONDecoder()
    for match in re.finditer(r'\{"(?:features|type|bbox)": ', html):
        try:
            data, _ = decoder.raw_decode(html[match.start():])
        except json.JSONDecodeError:
            continue
        if isinstance(data, dict) and data.get("type") == "FeatureCollection":
            found.extend(data["features"])
    return found


def _external(html: str, allowed: tuple[str, ...] = ()) -> list[str]:
    return [u for u in URL.findall(html) if not u.startswith(allowed)]


def _measure_map(gdf, extra_labels: dict | None = None, **kw):
    classes = classify(gdf["n"].to_numpy(dtype=float))
    labels = {"measure": "Incidents", "outline": "Focus", "cameras": "Cameras", "places": "Places",
              "ledger": "Ledger", "zones": "Zones", **(extra_labels or {})}
    kw.setdefault("legend_labels", classes.labels())
    return measure_map(gdf, classes, labels, tooltip_fields={"label": "Name", "value": "Incidents"}, **kw)


def test_measure_map_has_every_area_its_legend_and_no_cdn(grid_2x2):
    cmap = _measure_map(grid_2x2, highlight="C2")
    html = _html(cmap)
    feats = _cells(cmap)
    assert sorted(f["properties"]["code"] for f in feats) == ["C1", "C2", "C3", "C4"]
    fills = {f["properties"]["code"]: f["properties"]["_fill"] for f in feats}
    assert fills["C4"] != fills["C1"]  # classed, not one colour
    assert [f["properties"]["_hl"] for f in sorted(feats, key=lambda f: f["properties"]["code"])] == \
        [False, True, False, False]
    assert "safegrid-legend" in html and "Incidents" in html
    assert "/app/static/vendor/leaflet/leaflet.js" in html
    assert "/app/static/vendor/leaflet.fullscreen/Control.FullScreen.js" in html
    assert "L.control.scale" in html and cmap.cells.name == "Incidents"
    assert _external(html) == []


def test_measure_map_sends_tooltip_values_as_data_never_as_markup(grid_2x2):
    from geo.maps.cells import cell_layer  # noqa: F401  (the layer under test)
    from geo.ui.mapview import FRONTEND

    cmap = _measure_map(grid_2x2)
    doc = cmap.document()
    assert all(HOSTILE not in part for part in (doc["header"], doc["html"], doc["script"], cmap.legend))
    labels = dict(zip(cmap.cells.codes, cmap.cells.props["label"]))
    assert labels["C3"] == HOSTILE  # data: the browser writes it as text
    script = (FRONTEND / "cellmap.js").read_text()
    tip = script[script.index("function tooltip"):script.index("function styleOf")]
    assert tip.count("escapeText(") == 2 and "span.textContent = text" in script  # label and value, as text


def test_measure_map_rounds_coordinates_to_five_decimals(grid_2x2):
    gdf = grid_2x2.copy()
    gdf["geometry"] = gdf.geometry.translate(1.234567891e-7, 0)
    cmap = _measure_map(gdf)
    assert cmap.cells.shapes["scale"] == 10 ** 5 and all(isinstance(v, int) for v in cmap.cells.shapes["xy"])
    coords = np.concatenate([shapely.get_coordinates(shapely.geometry.shape(f["geometry"])) for f in _cells(cmap)])
    assert np.allclose(coords * 1e5, np.rint(coords * 1e5), atol=1e-6)  # on the 1e-5 degree lattice
    assert np.abs(coords - shapely.get_coordinates(gdf.geometry.values)[:len(coords)]).max() < 1e-5


def test_measure_map_optional_layers_draw_cameras_places_ledger_and_zones(grid_2x2):
    from geo.core.coverage import fov_polygons

    fov = fov_polygons(np.array([112.905]), np.array([28.105]), np.array([90.0]), np.array([60.0]),
                       np.array([80.0]), "EPSG:32649")
    cameras = gpd.GeoDataFrame({"status": ["online"], "kind": ["<b>bullet</b>"]}, geometry=list(fov), crs=4326)
    places = gpd.GeoDataFrame({"name": ["站"], "kind": ["station"]}, geometry=[shapely.Point(112.915, 28.115)],
                              crs=4326)
    ledger = gpd.GeoDataFrame({"title": ["堵塞"], "status": ["assigned"], "deadline": ["2026-01-01"],
                               "responsible_unit": ["消防"]}, geometry=[shapely.Point(112.912, 28.112)], crs=4326)
    zones = gpd.GeoDataFrame({"code": ["Z1"], "name": ["一区"], "team": ["巡一"]},
                             geometry=[shapely.box(112.9, 28.1, 112.92, 28.12)], crs=4326)
    fmap = _measure_map(grid_2x2, {"camera_tips": {"kind": "Kind"}, "place_tips": {"name": "Name"}},
                        cameras=cameras, places=places, ledger=ledger, zones=zones)
    html = _html(fmap)
    kinds = [f["properties"].get("kind") for f in _features(html) if "kind" in f["properties"]]
    assert kinds == ["&lt;b&gt;bullet&lt;/b&gt;"]
    assert sorted(name for _, name, _ in fmap.overlays()) == ["Cameras", "Ledger", "Places", "Zones"]
    assert "<b>bullet</b>" not in html
    points = [f for f in _features(html) if f["geometry"]["type"] == "Point"]
    assert len(points) == 2  # one place, one ledger item, drawn as canvas circles
    assert _external(html) == []


def test_configured_tiles_are_the_only_external_url(grid_2x2):
    html = _html(_measure_map(grid_2x2, basemap=Basemap(TILES, "intranet", "wgs84")))
    assert TILES in html
    assert _external(html, allowed=("http://tiles.intranet.example/",)) == []


def test_gcj02_tiles_shift_the_data_to_gcj02(grid_2x2):
    plain = _cells(_measure_map(grid_2x2))
    shifted = _cells(_measure_map(grid_2x2, basemap=Basemap(TILES, "x", "gcj02")))
    x0, y0 = plain[0]["geometry"]["coordinates"][0][0]
    x1, y1 = shifted[0]["geometry"]["coordinates"][0][0]
    ex, ey = wgs84_to_gcj02([x0], [y0])
    assert abs(x1 - ex[0]) < 2e-5 and abs(y1 - ey[0]) < 2e-5
    assert abs(x1 - x0) > 1e-3  # the shift is hundreds of metres in China


def test_incident_layer_draws_dots_below_the_budget_and_bins_above():
    rng = np.random.default_rng(5)
    small = pd.DataFrame({"lon": rng.uniform(112.9, 112.95, 50), "lat": rng.uniform(28.1, 28.15, 50),
                          "category": ["theft"] * 50})
    import folium

    m = folium.Map()
    incident_layer(small, "inc").add_to(m)
    assert _html(m).count("L.circleMarker") == 50
    big = pd.DataFrame({"lon": rng.uniform(112.9, 112.95, POINT_BUDGET + 1),
                        "lat": rng.uniform(28.1, 28.15, POINT_BUDGET + 1), "category": "theft"})
    m = folium.Map()
    incident_layer(big, "inc").add_to(m)
    n_markers = _html(m).count("L.circleMarker")
    assert 0 < n_markers < 1000  # ~200 m bins over a 5 km square, never 20,001 markers


def test_boundary_and_wall_maps_have_no_cdn(grid_2x2):
    areas = grid_2x2.assign(level="grid", name="n")
    district = gpd.GeoDataFrame({"code": ["D"], "name": ["d"], "level": ["district"]},
                                geometry=[shapely.box(112.9, 28.1, 112.92, 28.12)], crs=4326)
    labels = {"district": "D", "street": "S", "grid": "G", "code": "C", "name": "N", "team": "T"}
    html = _html(boundary_map(pd.concat([areas, district], ignore_index=True), labels))
    assert _external(html) == [] and len(_features(html)) >= 5
    classes = classify(grid_2x2["n"].to_numpy(dtype=float))
    wall = _html(wall_map(grid_2x2, classes, district, {"measure": "Hot"}, legend_labels=classes.labels()))
    assert _external(wall) == [] and "#0e1117" in wall


def test_kde_overlay_is_an_embedded_png_above_the_areas(grid_2x2):
    from geo.maps.layers import png_overlay

    from geo.core.classify import density_classes

    values = np.zeros((20, 30))
    values[5:8, 10:14] = 50.0
    overlay = png_overlay(values, (112.9, 28.1, 112.92, 28.12), "density", density_classes(values))
    cmap = _measure_map(grid_2x2, overlay=overlay, fill_opacity=0.1)
    html = _html(cmap)
    assert "L.imageOverlay(" in html and '"data:image/png;base64,' in html
    assert [name for _, name, _ in cmap.overlays()] == ["density"]  # the layer control knows the layer
    assert _external(html) == []


def test_class_map_legend_lists_only_the_classes_present(grid_2x2):
    from geo.maps.views import class_map

    gdf = grid_2x2.assign(cls=["hot_99", "ns", "ns", "cold_95"])
    labels = {c: c.upper() for c in ("hot_99", "hot_95", "ns", "cold_95")}
    cmap = class_map(gdf, "cls", {"measure": "Gi*"}, class_labels=labels, tooltip_fields={"label": "Name"})
    html = _html(cmap)
    assert "HOT_99" in html and "COLD_95" in html and "HOT_95" not in html
    fills = {f["properties"]["code"]: f["properties"]["_fill"] for f in _cells(cmap)}
    assert fills["C2"] == fills["C3"] != fills["C1"]


def test_extra_layers_are_in_the_layer_control(grid_2x2):
    """The layer control is made in the browser from the map's overlays: every extra layer is one."""
    from geo.core.coverage import fov_polygons
    from geo.maps.layers import camera_layer

    fov = fov_polygons(np.array([112.905]), np.array([28.105]), np.array([90.0]), np.array([60.0]),
                       np.array([80.0]), "EPSG:32649")
    cams = gpd.GeoDataFrame({"status": ["online"]}, geometry=list(fov), crs=4326)
    cmap = _measure_map(grid_2x2, layers=[camera_layer(cams, "Cameras")])
    html = _html(cmap)
    assert "L.control.layers" not in html  # folium's control would be made before the cells join it
    assert [name for _, name, _ in cmap.overlays()] == ["Cameras"]
    wedge = [f for f in _features(html) if f["properties"].get("status") == "online"][0]
    assert 6 <= len(wedge["geometry"]["coordinates"][0]) <= 67  # simplified to ~1 m, still an arc


def _legend_rows(html: str) -> list[tuple[str, str]]:
    """(swatch colour, text) of every legend row."""
    return re.findall(r'class="safegrid-swatch" data-color="([^"]+)".*?</span>([^<]*)</div>', html)


def _overlay_pixels(html: str) -> np.ndarray:
    import base64
    import io

    from PIL import Image

    data = re.search(r'"data:image/png;base64,([^"]+)"', html).group(1)
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(data))).convert("RGBA"))


def test_the_kde_picture_uses_exactly_its_legends_colours(grid_2x2):
    """The density picture was a continuous ramp scaled to its own maximum while the legend showed
    classes of the areas' means: colours on the map matched no row of the legend."""
    from geo.core.classify import density_classes
    from geo.maps.layers import CLEAR, png_overlay

    yy, xx = np.mgrid[0:40, 0:60]
    values = 100 * np.exp(-((xx - 30) ** 2 + (yy - 20) ** 2) / 120.0)
    density = density_classes(values)
    overlay = png_overlay(values, (112.9, 28.1, 112.92, 28.12), "density", density, opacity=0.7)
    labels = density.labels("{:.1f}") + ["below: clear"]
    html = _html(_measure_map(grid_2x2, overlay=overlay, fill_opacity=0.0, legend_labels=labels,
                              legend_colors=list(density.colors) + [CLEAR], legend_opacity=0.7))
    rows = _legend_rows(html)
    assert [text for _, text in rows] == labels
    pixels = _overlay_pixels(html)
    drawn = {"#%02x%02x%02x" % tuple(p[:3]) for p in pixels.reshape(-1, 4) if p[3] > 0}
    assert drawn == set(density.colors) == {c for c, _ in rows if c != CLEAR}
    assert (pixels[..., 3] == 0).any()  # the faintest density is left clear, as the legend's last row says
    assert "opacity:0.7" in html and '"opacity": 0.7' in html  # swatches at the picture's opacity


def test_measure_map_legend_explains_areas_with_no_data(grid_2x2):
    gdf = grid_2x2.assign(n=[1.0, np.nan, 9.0, 20.0])
    cmap = _measure_map(gdf, {"no_data": "no data"})
    rows = _legend_rows(_html(cmap))
    assert rows[-1] == ("#d9d9d9", "no data")
    grey = {f["properties"]["code"]: f["properties"]["_fill"] for f in _cells(cmap)}
    assert grey["C2"] == "#d9d9d9"


def test_wall_legend_is_large_and_explains_hidden_cells(grid_2x2):
    from geo.core.classify import SUPPRESSED_FILL

    district = gpd.GeoDataFrame({"code": ["D"]}, geometry=[shapely.box(112.9, 28.1, 112.92, 28.12)], crs=4326)
    hidden = np.array([True, False, False, False])
    classes = classify(np.array([1.0, 0.0, 9.0, 20.0]), "natural_breaks", suppressed=hidden, floor=3)
    labels = {"measure": "Incidents", "suppressed": "hidden: fewer than 3", "no_data": "no data"}
    html = _html(wall_map(grid_2x2, classes, district, labels, legend_labels=classes.labels()))
    rows = _legend_rows(html)
    assert rows[-1] == (SUPPRESSED_FILL, "hidden: fewer than 3")
    assert [text for _, text in rows][:2] == ["0", "3 – 9"]  # no class names a count the wall cannot show
    size = int(re.search(r'class="safegrid-legend" style="[^"]*font:(\d+)px', html).group(1))
    from geo.ui.wall import MIN_LEGEND_PX

    assert size >= MIN_LEGEND_PX
