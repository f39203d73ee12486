"""The shared filters in the sidebar: period, incident categories and the area in focus.

The area in focus lives under ``FOCUS_KEY`` so pages (the grid map's drill-down and
breadcrumbs) can move it; the sidebar's select box follows it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import streamlit as st

from geo.core.timeutil import QUICK_PERIODS, quick_period, year_before
from geo.ui import data
from geo.ui.i18n import relabelled, t, t_or

PERIOD_KEY = "filters.period"
CUSTOM_KEY = "filters.custom"
CATEGORIES_KEY = "filters.categories"
FOCUS_KEY = "app.focus"
FOCUS_WIDGET_KEY = "filters.focus"
CURRENT_KEY = "filters.current"
DEFAULT_PERIOD = "28"


@dataclass(frozen=True)
class Filters:
    start: dt.date
    end: dt.date
    categories: tuple[str, ...]
    focus: str | None

    @property
    def last_year(self) -> tuple[dt.date, dt.date]:
        return year_before(self.start, self.end)


def category_label(code: str) -> str:
    return t_or(f"category.{code}", code)


def focus() -> str | None:
    return st.session_state.get(FOCUS_KEY)


def set_focus(code: str | None) -> None:
    st.session_state[FOCUS_KEY] = code


def _focus_options() -> list[str]:
    options = [""]
    for level in ("district", "street", "community"):
        options += [c for c in data.shapes(level, None)["code"] if data.in_scope(c)]
    return options


def _focus_label(code: str) -> str:
    if not code:
        return t("filters.focus.all")
    trail = data.path(code)
    if not trail:
        return code
    depth = len(trail) - 1
    return "· " * depth + area_name(trail[-1])


def area_name(row: dict) -> str:
    """An area's name in the current language (English name when the UI is English and one exists)."""
    from geo.ui.i18n import current_language

    if current_language() == "en" and row.get("name_en"):
        return str(row["name_en"])
    return str(row.get("name") or row.get("code"))


def _copy_focus() -> None:
    set_focus(st.session_state.get(FOCUS_WIDGET_KEY) or None)


def sidebar_filters() -> Filters:
    """Draw the filters in the sidebar and return what they select."""
    anchor = data.anchor_day()
    # The default goes in as ``index`` (not through session state), so the browser holds it too.
    pick = st.selectbox(t("filters.period"), QUICK_PERIODS, key=relabelled(PERIOD_KEY),
                        index=QUICK_PERIODS.index(DEFAULT_PERIOD),
                        format_func=lambda p: t(f"period.{p}"))
    custom = None
    if pick == "custom":
        chosen = st.date_input(t("filters.custom"), value=(anchor - dt.timedelta(days=27), anchor), key=CUSTOM_KEY,
                               max_value=data.today())
        if isinstance(chosen, (tuple, list)) and len(chosen) == 2:
            custom = (chosen[0], chosen[1])
        else:  # the second date is still being picked
            first = chosen[0] if isinstance(chosen, (tuple, list)) and chosen else anchor
            custom = (first, first)
    start, end = quick_period(pick, anchor, custom)
    st.caption(t("filters.range", start=start, end=end))
    cats = st.multiselect(t("filters.categories"), data.incident_categories(), key=relabelled(CATEGORIES_KEY),
                          format_func=category_label, placeholder=t("filters.categories.all"))
    options = _focus_options()
    current = focus() if focus() in options else ""
    if st.session_state.get(FOCUS_WIDGET_KEY) != current:
        st.session_state[FOCUS_WIDGET_KEY] = current  # follow drill-down from the page
    st.selectbox(t("filters.focus"), options, key=relabelled(FOCUS_WIDGET_KEY), format_func=_focus_label,
                 on_change=_copy_focus)
    return Filters(start, end, tuple(cats), focus() if current else None)


def current() -> Filters:
    """The filters as the sidebar last set them (for pages that draw no sidebar)."""
    return st.session_state.get(CURRENT_KEY) or Filters(*quick_period(DEFAULT_PERIOD, data.anchor_day()), (), None)
