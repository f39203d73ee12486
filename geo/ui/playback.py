"""Time playback on the grid and hotspot maps: the switch and step above the map, the counts per step.

With playback on, the map shows incidents per area per step (day, week or month) of the page's
period. The counts of every step go to the browser once with the map (:class:`geo.maps.timeline.Timeline`);
the browser steps through them with its own slider and play button, without a rerun. The legend's
classes are computed over every step together, so a colour means the same count at every step.

Shared-screen rules: the grid and hotspot pages show signed-in accounts the exact counts of the
areas in their scope (no small-count suppression there; the wall, which suppresses, has no playback),
so each step shows exact counts too, and a playback shows nothing the page's period totals do not
already allow: every step is a sum of the same rollup rows inside the account's scope.
"""

from __future__ import annotations

import geopandas as gpd
import streamlit as st

from geo.core.classify import Classes
from geo.core.timeline import STEPS, TooManySteps, check_size, pooled_classes, step_classes, step_label, step_spans
from geo.maps.timeline import Timeline
from geo.store.playback import step_counts
from geo.ui import data
from geo.ui.filters import Filters
from geo.ui.i18n import relabelled, t

DEFAULT_STEP = "week"


def toggle_key(page: str) -> str:
    return f"{page}.playback"


def step_key(page: str) -> str:
    return f"{page}.playback.step"


def controls(page: str) -> str | None:
    """The playback switch and, when on, its step; returns the step ("day", "week", "month") or None."""
    left, right = st.columns([1, 2], vertical_alignment="bottom")
    if not left.toggle(t("playback.toggle"), key=toggle_key(page), help=t("playback.help")):
        return None
    step = right.segmented_control(t("playback.step_size"), STEPS, key=relabelled(step_key(page)),
                                   default=DEFAULT_STEP, format_func=lambda s: t(f"playback.step.{s}"))
    return step or DEFAULT_STEP


@data.loader(show_spinner=False)
def _counts(conn, s, level, spans, cats, parent, under):
    return step_counts(conn, s.narrow(conn, under), level, list(spans), categories=list(cats) or None,
                       parent=parent)


def prepare(gdf: gpd.GeoDataFrame, level: str, filters: Filters, step: str, *, parent: str | None = None,
            under: str | None = None, method: str = "quantiles") -> tuple[Classes, list[str], Timeline] | None:
    """For the areas of ``gdf`` (``code`` column; changed in place: its ``value`` is the first step's
    count): (classes of the first step, legend labels, timeline); None, with a note on the page, when
    the period holds too many steps of that size."""
    try:
        spans = step_spans(filters.start, filters.end, step)
        check_size(len(spans), len(gdf))
    except TooManySteps:
        st.info(t("playback.too_many", step=t(f"playback.step.{step}")))
        return None
    table = _counts(level, tuple(spans), tuple(filters.categories), parent, under)
    counts = table.reindex(gdf["code"].astype(str), fill_value=0).to_numpy().T  # steps x areas, in map order
    pooled = pooled_classes(counts, method)
    first = step_classes(pooled, counts[0])
    gdf["value"] = [f"{v:,}" for v in counts[0]]
    timeline = Timeline([step_label(a, b, step) for a, b in spans], counts, pooled, field="value")
    st.caption(t("playback.caption", n=len(spans)))
    return first, pooled.labels(), timeline
