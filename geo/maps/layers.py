"""Layers built from GeoDataFrames: area outlines and fills, with escaped tooltips."""

from __future__ import annotations

import html

import folium
import geopandas as gpd

from geo.maps.base import COORD_DECIMALS


def simplify_for_zoom(gdf: gpd.GeoDataFrame, tolerance_deg: float) -> gpd.GeoDataFrame:
    """Simplify outlines to a tolerance in degrees (~1e-4 is 10 m), keeping topology per shape."""
    out = gdf.copy()
    out["geometry"] = out.geometry.simplify(tolerance_deg, preserve_topology=True)
    return out


def area_layer(gdf: gpd.GeoDataFrame, name: str, *, color: str = "#1f4e79", weight: float = 1.0,
               fill_color: str | None = None, fill_opacity: float = 0.0, tooltip_fields: dict | None = None,
               tolerance_deg: float = 0.0) -> folium.FeatureGroup:
    """Outline (and optional fill) of areas; tooltips show ``tooltip_fields`` {column: label}, escaped."""
    group = folium.FeatureGroup(name=name)
    if gdf.empty:
        return group
    shapes = round_coordinates(simplify_for_zoom(gdf, tolerance_deg) if tolerance_deg else gdf)
    columns = list(tooltip_fields or {})
    data = shapes[columns + ["geometry"]].copy()
    for col in columns:  # folium puts values into HTML as they are: escape them here
        data[col] = data[col].map(lambda v: html.escape("" if v is None else str(v)))
    style = {"color": color, "weight": weight, "fillColor": fill_color or color,
             "fillOpacity": fill_opacity}
    folium.GeoJson(
        data.to_json(drop_id=True, to_wgs84=False),
        name=name,
        style_function=lambda _f, s=style: s,
        tooltip=folium.GeoJsonTooltip(fields=columns, aliases=[html.escape(v) for v in tooltip_fields.values()],
                                      labels=True, sticky=False) if columns else None,
        smooth_factor=1.0,
    ).add_to(group)
    return group


def round_coordinates(gdf: gpd.GeoDataFrame, decimals: int = COORD_DECIMALS) -> gpd.GeoDataFrame:
    import shapely

    out = gdf.copy()
    out["geometry"] = shapely.set_precision(out.geometry.values, 10.0 ** -decimals)
    return out
