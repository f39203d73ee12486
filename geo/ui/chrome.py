"""Shared chrome for every page: language switch and the shared filters in the sidebar."""

from __future__ import annotations

import streamlit as st

from sqlalchemy.exc import SQLAlchemyError

from geo.core import clock
from geo.ui.filters import CURRENT_KEY, Filters, sidebar_filters
from geo.ui.i18n import LANG_KEY, LANGUAGES, current_language, relabel, t


def sidebar(with_filters: bool = True) -> Filters | None:
    """Language first, then (when the database is ready) period, categories and focus."""
    with st.sidebar:
        # The current language is also the widget's default, so the browser never falls back to
        # the first option when it re-sends widget values (as it does on a page switch).
        # a switch keeps every choice made in the other language (filters, drill-down, measures): see relabel
        st.radio(t("sidebar.language"), list(LANGUAGES), format_func=LANGUAGES.get, key=LANG_KEY, horizontal=True,
                 index=list(LANGUAGES).index(current_language()), on_change=relabel)
        if clock.moved():  # SAFEGRID_NOW: say so, so a moved clock is never taken for the real one
            st.caption(t("sidebar.clock_moved", now=clock.now_utc().strftime("%Y-%m-%d %H:%M UTC")))
        if not with_filters:
            return None
        try:
            chosen = sidebar_filters()
        except SQLAlchemyError:  # no schema yet: the page explains; no filters to show
            return None
        st.session_state[CURRENT_KEY] = chosen
        return chosen
