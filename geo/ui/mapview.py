"""Placing maps on a page: folium maps without reruns on pan and zoom, and cell maps whose shapes
are sent once per shape set (:mod:`geo.maps.cells`) through SafeGrid's own map component."""

from __future__ import annotations

from pathlib import Path

import folium
import streamlit as st
import streamlit.components.v1 as components
from streamlit_folium import st_folium

from geo.maps.document import CellMap
from geo.maps.views import boundary_map
from geo.ui import data
from geo.ui.i18n import t

FRONTEND = Path(__file__).resolve().parents[1] / "maps" / "frontend"
SENT_KEY = "map.shape_sets"  # shape sets this session's page has been sent (the page keeps them as long)
ASKED_KEY = "map.asked"  # per map: the last request for shapes answered
CLICKED_KEY = "map.clicked"  # per map: the last click handed to the page
KEEP_SETS = 6  # as many as the page keeps (cellmap.js)

_cell_map = components.declare_component("safegrid_map", path=str(FRONTEND))


def show_map(fmap: folium.Map, key: str, height: int = 560) -> dict:
    """Render ``fmap``; returns nothing the page does not ask for, so panning never reruns."""
    return st_folium(fmap, key=key, height=height, use_container_width=True, returned_objects=[])


def show_boundary_map(key: str) -> None:
    labels = {"district": t("layer.district"), "street": t("layer.street"), "grid": t("layer.grid"),
              "code": t("field.code"), "name": t("field.name"), "team": t("field.team")}
    show_map(boundary_map(data.boundary_layers(), labels), key=key)


def playback_words() -> dict[str, str]:
    return {"play": t("playback.play"), "pause": t("playback.pause"), "step": t("playback.step"),
            "chart": t("playback.chart")}


def cell_map_args(cmap: CellMap, height: int, clicks: bool, sent: list[str], asked: bool) -> dict:
    """The component's arguments: the shapes, and a playback's counts, only when this page has not been
    sent them (or asks)."""
    cells, timeline = cmap.cells, cmap.timeline
    first = asked or cells.key not in sent
    playback = None if timeline is None else timeline.args(playback_words(), asked or timeline.key not in sent)
    return {"doc": cmap.document(), "cells": cells.value_args(), "shapes": cells.shape_args() if first else None,
            "legend": cmap.legend, "height": height, "clicks": clicks, "playback": playback}


def _keep_sent(sent: list[str], key: str) -> None:
    if key in sent:
        sent.remove(key)
    sent.append(key)
    del sent[:-KEEP_SETS]


def show_cell_map(cmap: CellMap, key: str, height: int = 560, clicks: bool = False) -> dict | None:
    """Draw ``cmap``; keep ``key`` the same while only values change, so the map stays and is restyled.

    Returns a new click ({"code": clicked cell or None, "lat", "lng"}) once, else None.
    """
    sent: list[str] = st.session_state.setdefault(SENT_KEY, [])
    answered = st.session_state.setdefault(ASKED_KEY, {})
    last = st.session_state.get(key)
    wanted = {cmap.cells.key} | ({cmap.timeline.key} if cmap.timeline is not None else set())
    asked = (isinstance(last, dict) and last.get("need") in wanted
             and answered.get(key) != (last.get("frame"), last.get("n")))
    if asked:
        answered[key] = (last.get("frame"), last.get("n"))
    args = cell_map_args(cmap, height, clicks, sent, asked)
    value = _cell_map(**args, key=key, default=None)
    if args["shapes"] is not None:
        _keep_sent(sent, cmap.cells.key)
    if args["playback"] is not None and args["playback"]["data"] is not None:
        _keep_sent(sent, cmap.timeline.key)
    clicked = st.session_state.setdefault(CLICKED_KEY, {})
    if isinstance(value, dict) and "lat" in value and clicked.get(key) != (value.get("frame"), value.get("n")):
        clicked[key] = (value.get("frame"), value.get("n"))
        return value
    return None
