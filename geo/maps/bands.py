"""Layers of what cameras see at each DORI level, and of the blind spots inside key places.

Both take WGS 84 shapes (``geo.store.blindspots``), simplify them to about a metre and round their
coordinates like the camera layer, and escape every tooltip value. Their shapes are unions and
differences of many views (thousands of parts, holes where buildings stand), so each is rounded part by
part and mended (:func:`drawable`) rather than snapped whole, which GEOS may refuse for such shapes.
"""

from __future__ import annotations

import html

import folium
import geopandas as gpd
import numpy as np
import shapely

from geo.maps.base import COORD_DECIMALS, NO_BASEMAP, Basemap, to_display
from geo.maps.layers import CAMERA_SIMPLIFY_DEG, _escaped, _tooltip

# Light to dark: the finer the detail a camera resolves there, the darker the band.
BAND_COLORS = {"range": "#deebf7", "detect": "#9ecae1", "observe": "#4292c6", "recognise": "#2171b5",
               "identify": "#08306b"}
BAND_OPACITY = 0.75  # over the measure's choropleth: the bands must read as blue, not as its green
BLIND_COLOR = "#e31a1c"  # blind spots: red, with a dashed dark outline
BLIND_OUTLINE = "#67000d"
BLIND_OPACITY = 0.6
BUILDING_COLOR = "#636363"  # footprints: grey, under the views (the gaps in a view are their shadows)


def buildings_layer(buildings: gpd.GeoDataFrame, name: str, *, basemap: Basemap = NO_BASEMAP,
                    show: bool = True) -> folium.FeatureGroup:
    """Building footprints in grey, not interactive (a click reaches the map)."""
    group = folium.FeatureGroup(name=html.escape(name), show=show)
    if buildings.empty:
        return group
    data = drawable(buildings[["geometry"]], basemap)
    folium.GeoJson(data.to_json(drop_id=True, to_wgs84=False), name=html.escape(name),
                   style_function=lambda _f: {"color": BUILDING_COLOR, "weight": 0.5, "fillColor": BUILDING_COLOR,
                                              "fillOpacity": 0.55},
                   interactive=False).add_to(group)
    return group


def band_layer(bands: gpd.GeoDataFrame, name: str, labels: dict[str, str], *,
               basemap: Basemap = NO_BASEMAP, show: bool = True) -> folium.FeatureGroup:
    """The nested bands (column ``level``, one of :data:`BAND_COLORS`), each filled in its colour;
    ``labels`` names each level in the page's language (the tooltip). Drawn under the cameras' outlines
    and not interactive, so a click reaches the map (a what-if camera) and the cameras' tooltips."""
    group = folium.FeatureGroup(name=html.escape(name), show=show)
    if bands.empty:
        return group
    data = drawable(bands[["level", "geometry"]], basemap)
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
    data = _escaped(drawable(shown[columns + ["geometry"]], basemap), columns)
    style = {"color": BLIND_OUTLINE, "weight": 1.2, "dashArray": "3 3", "fillColor": BLIND_COLOR,
             "fillOpacity": BLIND_OPACITY}
    folium.GeoJson(data.to_json(drop_id=True, to_wgs84=False), name=html.escape(name),
                   style_function=lambda _f, s=style: s, tooltip=_tooltip(tooltip_fields)).add_to(group)
    return group


def drawable(frame: gpd.GeoDataFrame, basemap: Basemap = NO_BASEMAP) -> gpd.GeoDataFrame:
    """``frame``'s polygons simplified to about a metre, in the basemap's datum, their coordinates
    rounded to ``COORD_DECIMALS`` polygon by polygon and mended where rounding made them invalid; a
    row whose shape comes to nothing is dropped. Never raises on a valid but intricate shape."""
    shown = to_display(frame, basemap)
    keep, shapes = [], []
    for i, shape in enumerate(shown.geometry.values):
        parts = shapely.simplify(shapely.get_parts(shape), CAMERA_SIMPLIFY_DEG, preserve_topology=True) \
            if shape is not None else []  # part by part: far quicker than the whole at once
        rounded = shapely.transform(np.asarray(parts, dtype=object), lambda c: np.round(c, COORD_DECIMALS)) \
            if len(parts) else parts
        polygons = [p for q in shapely.make_valid(rounded) for p in shapely.get_parts(q)
                    if p.geom_type == "Polygon" and not p.is_empty and p.area > 0] if len(parts) else []
        if polygons:
            keep.append(i)
            shapes.append(polygons[0] if len(polygons) == 1 else shapely.MultiPolygon(polygons))
    out = shown.iloc[keep].copy()
    out["geometry"] = shapes
    return gpd.GeoDataFrame(out, geometry="geometry", crs=shown.crs)
