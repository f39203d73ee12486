"""A map to draw a report's shape on: the account's area outlined, a polygon, rectangle and marker
tool (leaflet.draw, served locally), and the last shape taken shown in place."""

from __future__ import annotations

import folium
import geopandas as gpd

from geo.maps.base import NO_BASEMAP, Basemap, finish_map, new_map
from geo.maps.layers import area_layer


def shape_sketch_map(outline: gpd.GeoDataFrame, labels: dict[str, str], *, taken: gpd.GeoDataFrame | None = None,
                     basemap: Basemap = NO_BASEMAP) -> folium.Map:
    """``outline`` (the area in focus) with the drawing tools; ``taken``: the shape the report is for."""
    from folium.plugins import Draw

    from geo.maps.assets import DRAW_CSS, DRAW_JS

    bounds = tuple(outline.total_bounds) if not outline.empty else None
    fmap = new_map(bounds, basemap, fullscreen_labels=(labels.get("fullscreen", "Full screen"),
                                                       labels.get("fullscreen_exit", "Exit full screen")))
    area_layer(outline, labels.get("area", ""), color="#0b2545", weight=2.5, fill_opacity=0.03,
               basemap=basemap).add_to(fmap)
    if taken is not None and not taken.empty:
        area_layer(taken, labels.get("taken", ""), color="#d95f02", weight=2.5, fill_opacity=0.15,
                   basemap=basemap).add_to(fmap)
    draw = Draw(export=False, position="topleft",
                draw_options={"polyline": False, "circle": False, "circlemarker": False, "marker": True,
                              "rectangle": True, "polygon": {"allowIntersection": False}},
                edit_options={"edit": False, "remove": False})
    draw.default_js = list(DRAW_JS)
    draw.default_css = list(DRAW_CSS)
    draw.add_to(fmap)
    return finish_map(fmap)
