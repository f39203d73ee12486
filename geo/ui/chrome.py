"""Shared chrome for every page: the language switch in the sidebar."""

from __future__ import annotations

import streamlit as st

from geo.ui.i18n import LANG_KEY, LANGUAGES, current_language, t


def sidebar() -> None:
    with st.sidebar:
        st.session_state.setdefault(LANG_KEY, current_language())
        st.radio(t("sidebar.language"), list(LANGUAGES), format_func=LANGUAGES.get, key=LANG_KEY,
                 horizontal=True)
