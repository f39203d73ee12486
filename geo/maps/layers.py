"""Layers built from GeoDataFrames: areas, incidents, cameras, zones, places, ledger (choropleths of
cells: :mod:`geo.maps.cells`).

Every builder takes data in WGS 84 plus the basemap it is drawn over, rounds coordinates
to ``COORD_DECIMALS``, and escapes every value that reaches a tooltip or popup (folium
writes them into the page as HTML).
"""

from __future__ import annotations

import html

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.core.classify import Classes
from geo.core.grid import bin_points
from geo.maps.base import COORD_DECIMALS, NO_BASEMAP, Basemap, to_display

CAMERA_SIMPLIFY_DEG = 1e-5  # about 1 m: a 64-segment arc keeps its look with far fewer vertices
POINT_BUDGET = 20_000  # above this many points, draw bins instead (DESIGN: map budgets)
BIN_DEG = 0.002  # about 200 m
STATUS_COLORS = {"reported": "#d7191c", "assigned": "#fdae61", "rectifying": "#e6c229", "rectified": "#1a9641",
                 "verified": "#2b83ba", "cancelled": "#969696", "online": "#1a9641", "offline": "#d7191c",
                 "planned": "#7b3294"}
WHAT_IF_COLOR = "#e7298a"  # what-if cameras: a colour no camera status uses, drawn dashed
CATEGORY_COLORS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666")


def simplify_for_zoom(gdf: gpd.GeoDataFrame, tolerance_deg: float) -> gpd.GeoDataFrame:
    """Simplify outlines to a tolerance in degrees (~1e-4 is 10 m), keeping topology per shape."""
    out = gdf.copy()
    out["geometry"] = out.geometry.simplify(tolerance_deg, preserve_topology=True)
    return out


def round_coordinates(gdf: gpd.GeoDataFrame, decimals: int = COORD_DECIMALS) -> gpd.GeoDataFrame:
    out = gdf.copy()
    out["geometry"] = shapely.set_precision(out.geometry.values, 10.0 ** -decimals)
    return out


def _escaped(data: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Values fit to be shown: folium puts them into HTML as they are, and branca renders the
    page's script through Jinja a second time, so braces are neutralised as well."""
    out = data.copy()
    for col in columns:
        out[col] = out[col].map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else safe_text(v))
    return out


def _prepare(gdf: gpd.GeoDataFrame, basemap: Basemap, tolerance_deg: float) -> gpd.GeoDataFrame:
    shapes = simplify_for_zoom(gdf, tolerance_deg) if tolerance_deg else gdf
    return round_coordinates(to_display(shapes, basemap))


def safe_text(value) -> str:
    """Text for a folium tooltip string: HTML-escaped, and inert inside a JavaScript template
    literal (folium writes string tooltips between backticks) and a Jinja template."""
    text = html.escape("" if value is None else str(value))
    return text.replace("`", "&#96;").replace("$", "&#36;").replace("{", "&#123;").replace("}", "&#125;")


def _tooltip(fields: dict[str, str] | None):
    if not fields:
        return None
    return folium.GeoJsonTooltip(fields=list(fields), aliases=[safe_text(v) for v in fields.values()],
                                 labels=True, sticky=False)


def area_layer(gdf: gpd.GeoDataFrame, name: str, *, color: str = "#1f4e79", weight: float = 1.0,
               fill_color: str | None = None, fill_opacity: float = 0.0, tooltip_fields: dict | None = None,
               tolerance_deg: float = 0.0, basemap: Basemap = NO_BASEMAP, show: bool = True) -> folium.FeatureGroup:
    """Outline (and optional fill) of areas; tooltips show ``tooltip_fields`` {column: label}, escaped."""
    group = folium.FeatureGroup(name=html.escape(name), show=show)
    if gdf.empty:
        return group
    columns = list(tooltip_fields or {})
    data = _escaped(_prepare(gdf, basemap, tolerance_deg)[columns + ["geometry"]], columns)
    style = {"color": color, "weight": weight, "fillColor": fill_color or color, "fillOpacity": fill_opacity,
                 "fill": fill_opacity > 0}
    # Without a tooltip the layer is only context: not interactive, so a click inside an
    # outline reaches the areas below it (the canvas renderer hit-tests every interactive shape).
    folium.GeoJson(data.to_json(drop_id=True, to_wgs84=False), name=html.escape(name),
                   style_function=lambda _f, s=style: s, tooltip=_tooltip(tooltip_fields),
                   smooth_factor=1.0, interactive=bool(columns)).add_to(group)
    return group


LEGEND_TEXT_PX = 12  # an office screen read from an arm's length
CLEAR = "transparent"  # a legend row for what is left undrawn (e.g. a density too low to show)


def legend_html(title: str, labels: list[str], colors: list[str] | tuple[str, ...], position: str = "bottomright",
                dark: bool = False, text_px: int = LEGEND_TEXT_PX, opacity: float = 1.0) -> str:
    """A legend box (escaped) for a corner of the map.

    ``opacity`` is the fill opacity the classes are drawn with, so a swatch shows the colour a
    reader sees on the map; ``text_px`` the size of its text (a wall read across a room needs more).
    """
    box_px = round(text_px * 1.15)
    rows = "".join(f'<div class="safegrid-legend-row"><span class="safegrid-swatch" data-color="{safe_text(c)}" '
                   f'style="display:inline-block;width:{box_px}px;height:{box_px}px;margin-right:{text_px // 2}px;'
                   f'vertical-align:middle;background:{c};opacity:{1.0 if c == CLEAR else opacity};'
                   f'border:1px solid #555"></span>{safe_text(lb)}</div>'
                   for lb, c in zip(labels, colors))
    # bottom left holds the scale bar: a legend there sits above it
    horiz, offset = ("right", 24) if position == "bottomright" else ("left", 64)
    bg, fg = ("rgba(20,24,33,0.9)", "#f0f0f0") if dark else ("rgba(255,255,255,0.9)", "#222")
    return (f'<div class="safegrid-legend" style="position:absolute;bottom:{offset}px;{horiz}:10px;z-index:1000;'
            f'background:{bg};color:{fg};padding:{text_px // 2}px {round(text_px * 0.75)}px;border-radius:4px;'
            f'font:{text_px}px/1.5 sans-serif;max-width:45%;box-shadow:0 1px 4px rgba(0,0,0,.3)">'
            f'<b>{safe_text(title)}</b>{rows}</div>')


def legend(fmap: folium.Map, title: str, labels: list[str], colors: list[str] | tuple[str, ...],
           position: str = "bottomright", dark: bool = False, text_px: int = LEGEND_TEXT_PX,
           opacity: float = 1.0) -> None:
    """:func:`legend_html` placed on ``fmap``."""
    box = legend_html(title, labels, colors, position, dark, text_px, opacity)
    fmap.get_root().html.add_child(folium.Element(box))


def incident_layer(points: pd.DataFrame, name: str, *, basemap: Basemap = NO_BASEMAP, budget: int = POINT_BUDGET,
                   category_labels: dict[str, str] | None = None, count_label: str = "n") -> folium.FeatureGroup:
    """Incidents (columns ``lon, lat, category``): one dot each up to ``budget``, else ~200 m bins.

    Dots are coloured by category; bins are sized by count. No incident identifiers or
    free text reach the map.
    """
    group = folium.FeatureGroup(name=html.escape(name))
    if points.empty:
        return group
    lon, lat = points["lon"].to_numpy(dtype=float), points["lat"].to_numpy(dtype=float)
    if basemap.datum == "gcj02":
        from geo.core.crs import wgs84_to_gcj02

        lon, lat = wgs84_to_gcj02(lon, lat)
    if len(points) > budget:
        blon, blat, counts = bin_points(lon, lat, BIN_DEG)
        top = counts.max()
        for x, y, n in zip(np.round(blon, COORD_DECIMALS), np.round(blat, COORD_DECIMALS), counts):
            folium.CircleMarker([float(y), float(x)], radius=float(3 + 12 * np.sqrt(n / top)), weight=0.5,
                                color="#7f0000", fill=True, fill_color="#d7301f", fill_opacity=0.55,
                                tooltip=f"{safe_text(count_label)}: {int(n)}").add_to(group)
        return group
    cats = points["category"].fillna("").astype(str).to_numpy()
    palette = {c: CATEGORY_COLORS[i % len(CATEGORY_COLORS)] for i, c in enumerate(sorted(set(cats)))}
    labels = category_labels or {}
    for x, y, c in zip(np.round(lon, COORD_DECIMALS), np.round(lat, COORD_DECIMALS), cats):
        folium.CircleMarker([float(y), float(x)], radius=3, weight=0, fill=True, fill_color=palette[c],
                            fill_opacity=0.8, tooltip=safe_text(labels.get(c, c))).add_to(group)
    return group


def camera_layer(cameras: gpd.GeoDataFrame, name: str, *, basemap: Basemap = NO_BASEMAP,
                 tooltip_fields: dict | None = None, show: bool = True, what_if: bool = False,
                 fill_opacity: float | None = None, weight: float | None = None) -> folium.FeatureGroup:
    """Camera fields of view (polygons in ``geometry``) coloured by ``status``; ``what_if`` cameras (not
    real ones) in ``WHAT_IF_COLOR`` with a dashed outline, so they never pass for real cameras.
    ``fill_opacity`` and ``weight`` override the fill and the outline's width (e.g. outlines only, over
    the DORI bands of :mod:`geo.maps.bands`)."""
    group = folium.FeatureGroup(name=html.escape(name), show=show)
    if cameras.empty:
        return group
    columns = list(tooltip_fields or {})
    data = _escaped(_prepare(cameras, basemap, CAMERA_SIMPLIFY_DEG)[list(dict.fromkeys(columns + ["status"]))
                                                                  + ["geometry"]], columns)
    data["_color"] = WHAT_IF_COLOR if what_if else cameras["status"].map(STATUS_COLORS).fillna("#555555").to_numpy()
    line = {"weight": 2.0, "dashArray": "6 4", "fillOpacity": 0.15} if what_if else {"weight": 0.6, "fillOpacity": 0.25}
    if fill_opacity is not None:
        line["fillOpacity"] = fill_opacity
    if weight is not None:
        line["weight"] = weight
    folium.GeoJson(data.to_json(drop_id=True, to_wgs84=False), name=html.escape(name),
                   style_function=lambda f: {"color": f["properties"]["_color"], "fillColor": f["properties"]["_color"],
                                             **line},
                   tooltip=_tooltip(tooltip_fields)).add_to(group)
    return group


def marker_layer(points: gpd.GeoDataFrame, name: str, *, color_by: str | None = None, colors: dict | None = None,
                 basemap: Basemap = NO_BASEMAP, tooltip_fields: dict | None = None, radius: float = 5,
                 show: bool = True) -> folium.FeatureGroup:
    """Point features (key places, ledger items) as canvas circles coloured by ``color_by``.

    Drawn as one GeoJSON layer whose tooltips are built from the (escaped) properties, never
    from text pasted into the page's script.
    """
    group = folium.FeatureGroup(name=html.escape(name), show=show)
    if points.empty:
        return group
    columns = list(tooltip_fields or {})
    shapes = points[columns + ([color_by] if color_by and color_by not in columns else []) + ["geometry"]].copy()
    shapes["geometry"] = [None if g is None or g.is_empty else g.representative_point() for g in shapes.geometry]
    shapes = shapes[shapes.geometry.notna()]
    data = _escaped(_prepare(shapes, basemap, 0.0)[columns + ["geometry"]], columns)
    palette = colors or STATUS_COLORS
    data["_color"] = [palette.get(v, "#555555") for v in (shapes[color_by] if color_by else [None] * len(shapes))]
    folium.GeoJson(data.to_json(drop_id=True, to_wgs84=False), name=html.escape(name),
                   marker=folium.CircleMarker(radius=radius, weight=1, color="#222222", fill=True, fill_opacity=0.9),
                   style_function=lambda f: {"fillColor": f["properties"]["_color"]},
                   tooltip=_tooltip(tooltip_fields)).add_to(group)
    return group


def png_overlay(values: np.ndarray, bounds_wgs84: tuple[float, float, float, float], name: str,
                classes: Classes, opacity: float = 0.7) -> folium.raster_layers.ImageOverlay:
    """A raster (row 0 = south) as a PNG image overlay, each pixel in the colour of its class.

    ``classes`` holds one class per pixel of ``values`` (row-major, e.g.
    :func:`geo.core.classify.density_classes`): the picture uses exactly the colours of the
    legend drawn from the same classes, at ``opacity``; pixels with no class stay clear. The
    picture is embedded as a data URL, so it works offline and keeps its look at every zoom.
    """
    import base64
    import io

    from PIL import Image

    klass = np.asarray(classes.klass).reshape(values.shape)[::-1]  # image rows run north to south
    palette = np.array([[int(c[i:i + 2], 16) for i in (1, 3, 5)] + [255] for c in classes.colors] + [[0, 0, 0, 0]],
                       dtype=np.uint8)
    image = Image.fromarray(palette[np.where(klass >= 0, klass, len(classes.colors))], mode="RGBA")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    url = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
    minx, miny, maxx, maxy = bounds_wgs84
    return folium.raster_layers.ImageOverlay(url, bounds=[[miny, minx], [maxy, maxx]], opacity=opacity,
                                             name=html.escape(name), interactive=False)
