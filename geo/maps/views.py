"""Whole maps for a page: built from GeoDataFrames and the labels the page passes in."""

from __future__ import annotations

import folium
import geopandas as gpd

from geo.maps.base import new_map
from geo.maps.layers import area_layer

GRID_SIMPLIFY_DEG = 2e-5  # ~2 m: invisible at district zoom, a third fewer vertices


def boundary_map(areas: gpd.GeoDataFrame, labels: dict[str, str]) -> folium.Map:
    """District outline, street outlines and grid cells (with code/name/team tooltips).

    ``labels`` holds the translated layer names and tooltip labels: keys ``district``,
    ``street``, ``grid``, ``code``, ``name``, ``team``.
    """
    fmap = new_map(tuple(areas.total_bounds) if not areas.empty else None)
    tips = {"code": labels["code"], "name": labels["name"], "team": labels["team"]}
    area_layer(areas[areas["level"] == "grid"], labels["grid"], color="#5b7c99", weight=0.6,
               fill_color="#9ecae1", fill_opacity=0.25, tooltip_fields=tips,
               tolerance_deg=GRID_SIMPLIFY_DEG).add_to(fmap)
    area_layer(areas[areas["level"] == "street"], labels["street"], color="#2b5d8a", weight=2.0).add_to(fmap)
    area_layer(areas[areas["level"] == "district"], labels["district"], color="#0b2545", weight=3.5).add_to(fmap)
    return fmap
