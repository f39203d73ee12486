"""Placing folium maps on a page without reruns on pan and zoom."""

from __future__ import annotations

import folium
from streamlit_folium import st_folium

from geo.maps.views import boundary_map
from geo.ui import data
from geo.ui.i18n import t


def show_map(fmap: folium.Map, key: str, height: int = 560) -> dict:
    """Render ``fmap``; returns nothing the page does not ask for, so panning never reruns."""
    return st_folium(fmap, key=key, height=height, use_container_width=True, returned_objects=[])


def show_boundary_map(key: str) -> None:
    labels = {"district": t("layer.district"), "street": t("layer.street"), "grid": t("layer.grid"),
              "code": t("field.code"), "name": t("field.name"), "team": t("field.team")}
    show_map(boundary_map(data.boundary_layers(), labels), key=key)
