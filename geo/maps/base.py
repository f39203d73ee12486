"""The base map: offline assets, canvas rendering, controls, and an optional configured basemap.

No tiles by default: SafeGrid's own boundary layers give the context. A tile server (an
intranet one in a command centre) can be configured with its URL and the datum its tiles
are drawn in; for GCJ-02 tiles every layer is shifted to GCJ-02 as it is drawn, so data and
tiles line up. Stored data stays WGS 84.
"""

from __future__ import annotations

from dataclasses import dataclass

import folium
import geopandas as gpd
import numpy as np
import shapely
from folium.plugins import Fullscreen

from geo.core.crs import wgs84_to_gcj02
from geo.maps.assets import FULLSCREEN_CSS, FULLSCREEN_JS, LEAFLET_CSS, LEAFLET_JS

COORD_DECIMALS = 5  # about 1 m: enough for any screen, small HTML
TILE_DATUMS = ("wgs84", "gcj02")


@dataclass(frozen=True)
class Basemap:
    """A configured tile layer: ``url`` with {z}/{x}/{y}, its attribution, and its datum."""

    url: str | None = None
    attribution: str = ""
    datum: str = "wgs84"

    def __post_init__(self):
        if self.datum not in TILE_DATUMS:
            raise ValueError(f"unknown tile datum {self.datum!r}: {', '.join(TILE_DATUMS)}")


NO_BASEMAP = Basemap()


def to_display(gdf: gpd.GeoDataFrame, basemap: Basemap = NO_BASEMAP) -> gpd.GeoDataFrame:
    """``gdf`` (WGS 84) in the datum of the basemap's tiles: GCJ-02 shifts every vertex."""
    if basemap.datum != "gcj02" or gdf.empty:
        return gdf
    out = gdf.copy()

    def shift(coords: np.ndarray) -> np.ndarray:
        lon, lat = wgs84_to_gcj02(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat])

    out["geometry"] = shapely.transform(out.geometry.values, shift)
    return out


def display_bounds(bounds: tuple[float, float, float, float], basemap: Basemap = NO_BASEMAP):
    if basemap.datum != "gcj02":
        return bounds
    (x0, x1), (y0, y1) = wgs84_to_gcj02([bounds[0], bounds[2]], [bounds[1], bounds[3]])
    return (float(x0), float(y0), float(x1), float(y1))


def new_map(bounds: tuple[float, float, float, float] | None = None, basemap: Basemap = NO_BASEMAP,
            background: str = "#f4f6f8", fullscreen_labels: tuple[str, str] = ("Full screen", "Exit full screen"),
            zoom_control: bool = True) -> folium.Map:
    """A folium map that loads Leaflet and its plugin from the app's own static files.

    ``bounds`` is (minx, miny, maxx, maxy) in WGS 84 degrees. The map has a scale bar and a
    full-screen button; :func:`finish_map` adds the layer control once layers are in.
    """
    fmap = folium.Map(location=None if bounds else [0, 0], zoom_start=12, tiles=None, prefer_canvas=True,
                      control_scale=True, zoom_control=zoom_control)
    # Only Leaflet itself: no jQuery, Bootstrap or icon fonts from folium's CDN defaults.
    fmap.default_js = list(LEAFLET_JS)
    fmap.default_css = list(LEAFLET_CSS)
    if basemap.url:
        folium.TileLayer(basemap.url, attr=basemap.attribution or "tiles", name="basemap",
                         overlay=False, control=False).add_to(fmap)
    fmap.get_root().header.add_child(folium.Element(
        f"<style>.leaflet-container {{ background: {background}; }}</style>"))
    screen = Fullscreen(position="topleft", title=fullscreen_labels[0], title_cancel=fullscreen_labels[1])
    screen.default_js = list(FULLSCREEN_JS)
    screen.default_css = list(FULLSCREEN_CSS)
    screen.add_to(fmap)
    if bounds:
        minx, miny, maxx, maxy = display_bounds(bounds, basemap)
        fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    return fmap


def finish_map(fmap: folium.Map) -> folium.Map:
    """Add the layer control (collapsed) after every layer is on the map."""
    folium.LayerControl(collapsed=True, position="topright").add_to(fmap)
    return fmap
