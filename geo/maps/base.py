"""The base map: offline assets, canvas rendering, no tiles unless a tile URL is configured."""

from __future__ import annotations

import folium

from geo.maps.assets import LEAFLET_CSS, LEAFLET_JS

COORD_DECIMALS = 5  # about 1 m: enough for any screen, small HTML


def new_map(bounds: tuple[float, float, float, float] | None = None, tiles_url: str | None = None,
            attribution: str | None = None, background: str = "#f4f6f8") -> folium.Map:
    """A folium map that loads Leaflet from the app's own static files, never from a CDN.

    ``bounds`` is (minx, miny, maxx, maxy) in degrees. Without ``tiles_url`` there is no
    basemap: SafeGrid's own boundary layers give the context.
    """
    fmap = folium.Map(location=None if bounds else [0, 0], zoom_start=12, tiles=None, prefer_canvas=True,
                      control_scale=True, zoom_control=True)
    # Only Leaflet itself: no jQuery, Bootstrap or icon fonts from folium's CDN defaults.
    fmap.default_js = list(LEAFLET_JS)
    fmap.default_css = list(LEAFLET_CSS)
    if tiles_url:
        folium.TileLayer(tiles_url, attr=attribution or "tiles", name="basemap").add_to(fmap)
    fmap.get_root().header.add_child(folium.Element(
        f"<style>.leaflet-container {{ background: {background}; }}</style>"))
    if bounds:
        minx, miny, maxx, maxy = bounds
        fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    return fmap
