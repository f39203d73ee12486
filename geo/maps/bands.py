"""Layers of what cameras see at each DORI level, and of the blind spots inside key places.

Both take WGS 84 shapes (``geo.store.blindspots``), simplify them to about a metre and round their
coordinates like the camera layer, and escape every tooltip value.
"""

from __future__ import annotations

import html

import folium
import geopandas as gpd

from geo.maps.base import NO_BASEMAP, Basemap
from geo.maps.layers import CAMERA_SIMPLIFY_DEG, _escaped, _prepare, _tooltip

# Light to dark: the finer the detail a camera resolves there, the darker the band.
BAND_COLORS = {"range": "#eff3ff", "detect": "#bdd7e7", "observe": "#6baed6", "recognise": "#3182bd",
               "identify": "#08519c"}
BAND_OPACITY = 0.55
BLIND_COLOR = "#e31a1c"  # blind spots: red, with a dashed dark outline
BLIND_OUTLINE = "#67000d"
BLIND_OPACITY = 0.6


def band_layer(bands: gpd.GeoDataFrame, name: str, labels: dict[str, str], *,
               basemap: Basemap = NO_BASEMAP, show: bool = True) -> folium.FeatureGroup:
    """The nested bands (column ``level``, one of :data:`BAND_COLORS`), each filled in its colour;
    ``labels`` names each level in the page's language (the tooltip). Drawn under the cameras' outlines
    and not interactive, so a click reaches the map (a what-if camera) and the cameras' tooltips."""
    group = folium.FeatureGroup(name=html.escape(name), show=show)
    if bands.empty:
        return group
    data = _prepare(bands[["level", "geometry"]], basemap, CAMERA_SIMPLIFY_DEG)
    data["band"] = [labels.get(v, v) for v in data["level"]]
    data = _escaped(data, ["band"])
    data["_color"] = data["level"].map(BAND_COLORS).fillna("#cccccc")
    folium.GeoJson(data.to_json(drop_id=True, to_wgs84=False), name=html.escape(name),
                   style_function=lambda f: {"color": f["properties"]["_color"], "weight": 0,
                                             "fillColor": f["properties"]["_color"], "fillOpacity": BAND_OPACITY},
                   interactive=False).add_to(group)
    return group


def blind_layer(blind: gpd.GeoDataFrame, name: str, tooltip_fields: dict[str, str], *,
                basemap: Basemap = NO_BASEMAP, show: bool = True) -> folium.FeatureGroup:
    """Blind spots (polygons; rows without a shape are skipped) in red with a dashed outline, the
    tooltip showing ``tooltip_fields`` {column: label}."""
    group = folium.FeatureGroup(name=html.escape(name), show=show)
    shown = blind[blind.geometry.notna() & ~blind.geometry.is_empty] if not blind.empty else blind
    if shown.empty:
        return group
    columns = list(tooltip_fields)
    data = _escaped(_prepare(shown[columns + ["geometry"]], basemap, CAMERA_SIMPLIFY_DEG), columns)
    style = {"color": BLIND_OUTLINE, "weight": 1.2, "dashArray": "3 3", "fillColor": BLIND_COLOR,
             "fillOpacity": BLIND_OPACITY}
    folium.GeoJson(data.to_json(drop_id=True, to_wgs84=False), name=html.escape(name),
                   style_function=lambda _f, s=style: s, tooltip=_tooltip(tooltip_fields)).add_to(group)
    return group
