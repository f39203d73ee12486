"""Every visible string comes from one catalogue, ``data/i18n.json`` (Simplified Chinese, English)."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

CATALOGUE = Path(__file__).resolve().parents[2] / "data" / "i18n.json"
LANGUAGES = {"zh": "简体中文", "en": "English"}
DEFAULT_LANGUAGE = "zh"
LANG_KEY = "app.lang"
RELABEL_KEY = "i18n.relabel"  # the keys of choice widgets whose options are shown in the language
_last_language = DEFAULT_LANGUAGE


@lru_cache(maxsize=1)
def catalogue() -> dict[str, dict[str, str]]:
    return json.loads(CATALOGUE.read_text(encoding="utf-8"))


def current_language() -> str:
    """The language of this session: the sidebar switch, else ``?lang=``, else Chinese.

    Outside a script run (Streamlit's test harness formats widget labels after the run)
    there is no session to ask; the language last seen in this thread is used.
    """
    global _last_language
    if get_script_run_ctx(suppress_warning=True) is None:
        return _last_language
    lang = st.session_state.get(LANG_KEY)
    if lang not in LANGUAGES:
        lang = st.query_params.get("lang", DEFAULT_LANGUAGE)
    _last_language = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
    return _last_language


def relabelled(key: str) -> str:
    """``key``, recorded as the key of a choice widget (select box, multiselect, radio, segmented control)
    whose options are shown in the current language, so that a switch of language keeps its choice
    (see :func:`relabel`). Use it as the widget's key."""
    st.session_state.setdefault(RELABEL_KEY, set()).add(key)
    return key


def relabel() -> None:
    """The language switch's callback: hand every recorded choice back to the browser under its new label.

    The browser holds a choice as the label it shows. Left alone after a switch, it sends the old
    language's label with the next click; that matches no option, and the choice falls back to its
    default (the drill-down back to the whole jurisdiction while the open card stays). Set again from
    the session (which holds the option itself, not its label), each one is re-sent in the new language.
    """
    for key in st.session_state.get(RELABEL_KEY, ()):
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def t(key: str, **values) -> str:
    """The string ``key`` in the current language, with ``{placeholders}`` filled."""
    entry = catalogue().get(key)
    if entry is None:
        return key  # a missing key shows itself; tests check the catalogue is complete
    text = entry.get(current_language()) or entry.get("en") or key
    return text.format(**values) if values else text


def t_or(key: str, default: str, **values) -> str:
    """Like :func:`t`, but ``default`` when the catalogue has no such key (data-driven labels)."""
    return t(key, **values) if key in catalogue() else default


EMPTY = "—"


def shown_value(value, fmt: str = "{:,.6g}") -> str:
    """One value as a person reads it: ``—`` for nothing (None, NaN), numbers through ``fmt``."""
    import math

    if value is None or (isinstance(value, float) and math.isnan(value)):
        return EMPTY
    try:
        import pandas as pd

        if pd.isna(value):
            return EMPTY
    except (TypeError, ValueError):
        pass
    if isinstance(value, bool):
        return t("ui.yes") if value else t("ui.no")
    if isinstance(value, (int, float)):
        return fmt.format(value)
    return str(value)


def labelled(frame, headers: str, codes: dict[str, str] | None = None, keep: tuple[str, ...] = ()):
    """``frame`` as a person reads it: each header through the catalogue key ``{headers}.{column}``,
    the values of coded columns through their key prefix (``codes``: column -> prefix, e.g.
    ``{"gi_class": "hot.class"}``), and empty cells as ``—`` (a column with gaps becomes text).
    Columns in ``keep`` keep their name (already translated)."""
    out = frame.copy()
    for column, prefix in (codes or {}).items():
        if column in out:
            out[column] = out[column].map(lambda v, p=prefix: EMPTY if v is None or v != v else t_or(f"{p}.{v}", str(v)))
    for column in out.columns:
        if out[column].isna().any():
            out[column] = out[column].map(shown_value)
    return out.rename(columns={c: c if c in keep else t(f"{headers}.{c}") for c in out.columns})
