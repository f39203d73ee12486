"""Whole maps for a page: built from GeoDataFrames and the labels the page passes in."""

from __future__ import annotations

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from geo.core.classify import CLASS_COLORS, Classes, legend_rows
from geo.maps.base import NO_BASEMAP, Basemap, finish_map, new_map
from geo.maps.cells import cell_layer
from geo.maps.document import CellMap
from geo.maps.layers import area_layer, camera_layer, incident_layer, legend, legend_html, marker_layer

GRID_SIMPLIFY_DEG = 2e-5  # ~2 m: invisible at district zoom, a third fewer vertices
WALL_BACKGROUND = "#0e1117"


def _bounds(gdf: gpd.GeoDataFrame):
    return tuple(gdf.total_bounds) if not gdf.empty else None


def _fullscreen(labels: dict[str, str]) -> tuple[str, str]:
    return labels.get("fullscreen", "Full screen"), labels.get("fullscreen_exit", "Exit full screen")


def boundary_map(areas: gpd.GeoDataFrame, labels: dict[str, str], basemap: Basemap = NO_BASEMAP) -> folium.Map:
    """District outline, street outlines and grid cells (with code/name/team tooltips).

    ``labels`` holds the translated layer names and tooltip labels: keys ``district``,
    ``street``, ``grid``, ``code``, ``name``, ``team``.
    """
    fmap = new_map(_bounds(areas), basemap, fullscreen_labels=_fullscreen(labels))
    tips = {"code": labels["code"], "name": labels["name"], "team": labels["team"]}
    area_layer(areas[areas["level"] == "grid"], labels["grid"], color="#5b7c99", weight=0.6,
               fill_color="#9ecae1", fill_opacity=0.25, tooltip_fields=tips,
               tolerance_deg=GRID_SIMPLIFY_DEG, basemap=basemap).add_to(fmap)
    area_layer(areas[areas["level"] == "street"], labels["street"], color="#2b5d8a", weight=2.0,
               basemap=basemap).add_to(fmap)
    area_layer(areas[areas["level"] == "district"], labels["district"], color="#0b2545", weight=3.5,
               basemap=basemap).add_to(fmap)
    return finish_map(fmap)


def measure_map(areas: gpd.GeoDataFrame, classes: Classes, labels: dict[str, str], *, tooltip_fields: dict,
                legend_labels: list[str], outline: gpd.GeoDataFrame | None = None, highlight: str | None = None,
                cameras: gpd.GeoDataFrame | None = None, places: gpd.GeoDataFrame | None = None,
                ledger: gpd.GeoDataFrame | None = None, zones: gpd.GeoDataFrame | None = None,
                overlay=None, fill_opacity: float = 0.75, layers: list | None = None,
                legend_colors: list[str] | None = None, legend_opacity: float | None = None,
                basemap: Basemap = NO_BASEMAP) -> CellMap:
    """The grid map: areas in focus as a cell layer, the focus outline, and optional layers.

    ``labels``: ``measure`` (layer and legend title), ``outline``, ``no_data`` (the legend's
    row for areas with no data, needed when there are any), and when the optional layers are
    given ``cameras``, ``places``, ``ledger``, ``zones``. Optional layers start hidden; the
    layer control turns them on. The legend shows ``classes`` (one row per class, then no data);
    with ``legend_colors`` it shows those rows instead (an ``overlay`` that carries the colour,
    drawn at ``legend_opacity``).
    """
    fmap = new_map(_bounds(areas), basemap, fullscreen_labels=_fullscreen(labels))
    tolerance = GRID_SIMPLIFY_DEG if len(areas) > 200 else 0.0
    cells = cell_layer(areas, classes, labels["measure"], tooltip_fields=tooltip_fields, tolerance_deg=tolerance,
                       basemap=basemap, highlight=highlight, fill_opacity=fill_opacity)
    if outline is not None and not outline.empty:
        area_layer(outline, labels.get("outline", ""), color="#0b2545", weight=3.0, basemap=basemap).add_to(fmap)
    if zones is not None:
        area_layer(zones, labels["zones"], color="#6a3d9a", weight=2.0, basemap=basemap, show=False,
                   tooltip_fields=labels.get("zone_tips")).add_to(fmap)
    if cameras is not None:
        camera_layer(cameras, labels["cameras"], basemap=basemap, show=False,
                     tooltip_fields=labels.get("camera_tips")).add_to(fmap)
    if places is not None:
        marker_layer(places, labels["places"], color_by=None, basemap=basemap, show=False, radius=4,
                     tooltip_fields=labels.get("place_tips")).add_to(fmap)
    if ledger is not None:
        marker_layer(ledger, labels["ledger"], color_by="status", basemap=basemap, show=False, radius=5,
                     tooltip_fields=labels.get("ledger_tips")).add_to(fmap)
    for layer in layers or []:  # every layer goes in before the layer control, which must know them all
        layer.add_to(fmap)
    if overlay is not None:
        overlay.add_to(fmap)
    if legend_colors is None:
        legend_labels, legend_colors = legend_rows(classes, legend_labels, no_data=labels.get("no_data"))
    key = legend_html(labels["measure"], legend_labels, legend_colors,
                      opacity=fill_opacity if legend_opacity is None else legend_opacity)
    return CellMap(fmap, cells, key)


WALL_LEGEND_PX = 22  # the wall is read from 5 m: no legend text below this (CSS px on a 1920 x 1080 screen)


def wall_map(cells: gpd.GeoDataFrame, classes: Classes, outline: gpd.GeoDataFrame, labels: dict[str, str], *,
             legend_labels: list[str], incidents: pd.DataFrame | None = None,
             basemap: Basemap = NO_BASEMAP) -> CellMap:
    """The wall's large map: dark, cells coloured by heat, the district and street outlines.

    The legend (text ``WALL_LEGEND_PX``) explains hidden cells with ``labels["suppressed"]`` and
    cells with no data with ``labels["no_data"]`` whenever the map has any.
    """
    fmap = new_map(_bounds(outline if not outline.empty else cells), basemap, background=WALL_BACKGROUND,
                   fullscreen_labels=_fullscreen(labels), zoom_control=False)
    fmap.options["zoom_snap"] = 0.1  # fit the district to the screen, not to the nearest whole zoom level
    layer = cell_layer(cells, classes, labels["measure"], tooltip_fields=labels.get("cell_tips"),
                       tolerance_deg=GRID_SIMPLIFY_DEG, basemap=basemap, line_color="#30363d", fill_opacity=0.85)
    area_layer(outline, labels.get("outline", ""), color="#9ecae1", weight=2.0, basemap=basemap).add_to(fmap)
    if incidents is not None and not incidents.empty:
        incident_layer(incidents, labels["incidents"], basemap=basemap, category_labels=labels.get("categories"),
                       count_label=labels.get("count", "n")).add_to(fmap)
    rows, colors = legend_rows(classes, legend_labels, no_data=labels.get("no_data"),
                               suppressed=labels.get("suppressed"))
    key = legend_html(labels["measure"], rows, colors, dark=True, text_px=WALL_LEGEND_PX, opacity=0.85)
    return CellMap(fmap, layer, key)


def class_map(areas: gpd.GeoDataFrame, column: str, labels: dict[str, str], *, class_labels: dict[str, str],
              tooltip_fields: dict, outline: gpd.GeoDataFrame | None = None, overlay=None,
              basemap: Basemap = NO_BASEMAP) -> CellMap:
    """Areas coloured by a class column (Gi* classes, LISA quadrants, emerging categories),
    with a legend of the classes present; ``overlay`` (e.g. a KDE image) goes on top."""
    fmap = new_map(_bounds(areas), basemap, fullscreen_labels=_fullscreen(labels))
    values = areas[column].astype(str).to_numpy()
    present = [c for c in class_labels if c in set(values)]
    index = {c: i for i, c in enumerate(present)}
    colors = tuple(CLASS_COLORS.get(c, "#cccccc") for c in present)
    classes = Classes(np.arange(len(present), dtype=float), np.array([index.get(v, -1) for v in values]), colors)
    tolerance = GRID_SIMPLIFY_DEG if len(areas) > 200 else 0.0
    cells = cell_layer(areas, classes, labels["measure"], tooltip_fields=tooltip_fields, tolerance_deg=tolerance,
                       basemap=basemap, fill_opacity=0.8)
    if outline is not None and not outline.empty:
        area_layer(outline, labels.get("outline", ""), color="#0b2545", weight=3.0, basemap=basemap).add_to(fmap)
    if overlay is not None:
        overlay.add_to(fmap)
    rows, swatches = legend_rows(classes, [class_labels[c] for c in present], no_data=labels.get("no_data"))
    return CellMap(fmap, cells, legend_html(labels["measure"], rows, swatches, opacity=0.8))


def sketch_map(district: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, labels: dict[str, str],
               basemap: Basemap = NO_BASEMAP) -> folium.Map:
    """The district and the current zones with a polygon drawing tool (leaflet.draw, served locally)."""
    from folium.plugins import Draw

    from geo.maps.assets import DRAW_CSS, DRAW_JS

    fmap = new_map(_bounds(district), basemap, fullscreen_labels=_fullscreen(labels))
    area_layer(district, labels.get("district", ""), color="#0b2545", weight=3.0, basemap=basemap).add_to(fmap)
    area_layer(zones, labels.get("zones", ""), color="#6a3d9a", weight=2.0, fill_opacity=0.08, basemap=basemap,
               tooltip_fields=labels.get("zone_tips")).add_to(fmap)
    draw = Draw(export=False, position="topleft",
                draw_options={"polyline": False, "circle": False, "marker": False, "circlemarker": False,
                              "rectangle": True, "polygon": {"allowIntersection": False}},
                edit_options={"edit": False, "remove": False})
    draw.default_js = list(DRAW_JS)
    draw.default_css = list(DRAW_CSS)
    draw.add_to(fmap)
    return finish_map(fmap)


def points_map(points: gpd.GeoDataFrame, outline: gpd.GeoDataFrame, color_by: str, colors: dict[str, str],
               labels: dict, *, tooltip_fields: dict, basemap: Basemap = NO_BASEMAP) -> folium.Map:
    """Points (ledger items) coloured by a column over the district outline, with a legend of the
    colours in use; framed on the points (on the outline when there are none)."""
    frame = points if not points.empty else outline
    fmap = new_map(_bounds(frame), basemap, fullscreen_labels=_fullscreen(labels))
    if outline is not None and not outline.empty:
        area_layer(outline, labels.get("outline", ""), color="#0b2545", weight=2.5, basemap=basemap).add_to(fmap)
    marker_layer(points, labels["layer"], color_by=color_by, colors=colors, tooltip_fields=tooltip_fields,
                 basemap=basemap, radius=6).add_to(fmap)
    present = [c for c in colors if not points.empty and c in set(points[color_by])]
    if present:
        legend(fmap, labels.get("legend", ""), [labels.get("legend_labels", {}).get(c, c) for c in present],
               [colors[c] for c in present])
    return finish_map(fmap)
