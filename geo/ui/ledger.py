"""The ledger page's list: filters, the table and map of the same items, their export, and what the
card and the forms share (labels, the item as it is now, refusals in words, dropping stale caches).

The open item's card is in :mod:`geo.ui.ledger_card`, the create / edit form in :mod:`geo.ui.ledger_form`."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from geo.core import ledger as rules
from geo.maps.views import points_map
from geo.report import safefiles
from geo.store import ledger as store
from geo.ui import config, data
from geo.ui.downloads import offer
from geo.ui.i18n import catalogue, current_language, labelled, relabelled, t, t_or
from geo.ui.markup import plain

ITEM_KEY = "ledger.item"  # the id of the item whose card is open
SEEN_KEY = "ledger.seen"  # (item id, the version of it the user has seen)
FLASH_KEY = "ledger.flash"  # (item id, message): shown on that item's card only
TABLE_SEL_KEY = "ledger.table.sel"  # (table key, rows) of the selection already acted on
CLICK_KEY = "ledger.last_click"
TABS_KEY = "ledger.tabs"
# status -> colour (ColorBrewer Set1/Dark2 family; overdue items get their own red)
COLORS = {"reported": "#377eb8", "assigned": "#984ea3", "rectifying": "#ff7f00", "rectified": "#4daf4a",
          "verified": "#1b7837", "cancelled": "#999999", "overdue": "#e41a1c"}
SHOWN = ["id", "kind", "category", "title", "responsible_unit", "found_on", "deadline", "status", "overdue_days",
         "cell_code", "duplicate_of"]


@dataclass(frozen=True)
class Query:
    kinds: tuple = ()
    categories: tuple = ()
    statuses: tuple = ()
    units: tuple = ()
    focus: str | None = None  # an area code inside the account's scope
    overdue_only: bool = False
    found_from: dt.date | None = None
    found_to: dt.date | None = None


@data.loader(ttl=data.TTL_SECONDS, show_spinner=False)
def _items(conn, s, today, query: Query):
    return store.items(conn, s, today, kinds=query.kinds, categories=query.categories, statuses=query.statuses,
                       units=query.units, focus=query.focus, overdue_only=query.overdue_only,
                       found_from=query.found_from, found_to=query.found_to)


def items(query: Query) -> gpd.GeoDataFrame:
    return _items(data.today(), query)


def _choices() -> dict[str, list[str]]:
    every = items(Query())
    out = {col: sorted(v for v in every[col].dropna().unique()) for col in ("kind", "category", "responsible_unit")}
    order = {c: i for i, c in enumerate(rules.CATEGORIES)}  # the domain's order, codes it does not know last
    out["category"] = sorted(out["category"], key=lambda c: (order.get(c, len(order)), c))
    return out


def known_units() -> list[str]:
    """The responsible units of the items in the account's scope: the list a unit is picked from."""
    return _choices()["responsible_unit"]


def kind_label(kind: str) -> str:
    return t_or(f"ledger.kind.{kind}", kind)


def category_label(code) -> str:
    return t_or(f"ledger.category.{code}", str(code)) if isinstance(code, str) and code else "—"


def open_item(item_id: int) -> None:
    """Open ``item_id``'s card (its forms are keyed by its id and version, so they start empty)."""
    st.session_state[ITEM_KEY] = int(item_id)


def status_label(status: str) -> str:
    return t(f"ledger.status.{status}")


def query_from_widgets(focus: str | None, start: dt.date, end: dt.date) -> Query:
    """The filter row: kind, category, status, unit, overdue only, found in the sidebar's period."""
    options = _choices()
    a, b, c, d = st.columns(4)
    any_ = t("ui.choose")
    kinds = a.multiselect(t("ledger.kind"), options["kind"], key=relabelled("ledger.f.kind"), format_func=kind_label,
                          placeholder=any_)
    cats = b.multiselect(t("ledger.category"), options["category"], key=relabelled("ledger.f.category"),
                         format_func=category_label, placeholder=any_)
    sts = c.multiselect(t("ledger.status"), rules.STATUSES, format_func=status_label, key=relabelled("ledger.f.status"),
                        placeholder=any_)
    units = d.multiselect(t("ledger.unit"), options["responsible_unit"], key="ledger.f.unit", placeholder=any_)
    e, f, g = st.columns([1, 1, 2])
    overdue = e.checkbox(t("ledger.overdue_only"), key="ledger.f.overdue")
    in_period = f.checkbox(t("ledger.found_in_period"), key="ledger.f.period")
    area = None
    trail = data.path(focus) if focus else []
    if trail:
        area = trail[-1]["code"]
        g.caption(t("ledger.in_area", name=trail[-1].get("name") or trail[-1]["code"]))
    return Query(tuple(kinds), tuple(cats), tuple(sts), tuple(units), area, overdue,
                 start if in_period else None, end if in_period else None)


def table_and_map(frame: gpd.GeoDataFrame) -> None:
    """The filtered items as a table and a map; a selected row or a clicked point opens its card."""
    st.caption(t("ledger.count", n=len(frame), overdue=int(frame["overdue"].sum()) if len(frame) else 0))
    shown = frame[SHOWN].copy()
    shown["status"] = shown["status"].map(status_label)
    shown["kind"] = shown["kind"].map(kind_label)
    shown["category"] = shown["category"].map(category_label)
    shown["deadline"] = shown["deadline"].map(lambda d: "—" if date_or_none(d) is None else str(d))
    for col in ("category", "responsible_unit", "cell_code"):
        shown[col] = shown[col].fillna("—")
    shown["duplicate_of"] = shown["duplicate_of"].map(lambda v: "—" if v is None or pd.isna(v) else f"#{int(v)}")
    # A selection belongs to the list it was made in: the table's key follows the listed ids, so a list
    # that changed (an action, a filter) starts unselected and never points a row at another item; and
    # only a selection the user just made opens a card (a row left selected never re-opens its item).
    ids = ",".join(str(int(i)) for i in frame["id"])
    key = "ledger.table." + hashlib.sha1(ids.encode()).hexdigest()[:12]
    left, right = st.columns([3, 2])
    with left:
        event = st.dataframe(shown.rename(columns=lambda c: t(f"ledger.col.{c}")), hide_index=True,
                             width="stretch", height=520, on_select="rerun", selection_mode="single-row",
                             key=key)
        rows = (event or {}).get("selection", {}).get("rows", []) if event else []
        picked = (key, tuple(rows))
        if rows and st.session_state.get(TABLE_SEL_KEY) != picked:
            open_item(int(frame["id"].iloc[rows[0]]))
        st.session_state[TABLE_SEL_KEY] = picked
    with right:
        points = frame.assign(shade=np.where(frame["overdue"], "overdue", frame["status"]),
                              status_text=frame["status"].map(status_label))
        labels = {"layer": t("ledger.layer"), "fullscreen": t("map.fullscreen"),
                  "fullscreen_exit": t("map.fullscreen_exit"),
                  "legend": t("ledger.legend"),
                  "legend_labels": {k: (t("ledger.overdue") if k == "overdue" else status_label(k)) for k in COLORS}}
        fmap = points_map(points, data.top_areas(), "shade", COLORS, labels,
                          tooltip_fields={"id": "#", "title": t("ledger.col.title"),
                                          "status_text": t("ledger.col.status")},
                          basemap=config.basemap())
        out = st_folium(fmap, key=f"ledger.map.{current_language()}", height=520, use_container_width=True,
                        returned_objects=["last_object_clicked"])
        clicked = (out or {}).get("last_object_clicked")
        if clicked and clicked != st.session_state.get(CLICK_KEY) and len(frame):
            st.session_state[CLICK_KEY] = clicked
            d = np.hypot(frame.geometry.x - clicked["lng"], frame.geometry.y - clicked["lat"])
            open_item(int(frame["id"].iloc[int(np.argmin(d))]))


def export_frame(frame: gpd.GeoDataFrame) -> pd.DataFrame:
    """The filtered rows as a flat table with lon/lat (written out by ``geo.report.safefiles``)."""
    return pd.DataFrame(frame.assign(lon=frame.geometry.x.round(6), lat=frame.geometry.y.round(6))
                        .drop(columns="geometry"))


def refusal_text(exc: Exception) -> str:
    """A ledger refusal in the reader's language: its code through the catalogue, with statuses, steps
    and roles named as on the page; the English message when it has no code. Markdown-inert."""
    code = getattr(exc, "code", None)
    if not code or f"ledger.refusal.{code}" not in catalogue():
        return plain(exc)
    named = {"status": status_label, "before": status_label, "after": status_label,
             "action": lambda a: t_or(f"ledger.act.{a}", str(a)), "role": lambda r: t_or(f"role.{r}", str(r or "—"))}
    values = {k: plain(named[k](v) if k in named else v) for k, v in getattr(exc, "params", {}).items()}
    return t(f"ledger.refusal.{code}", **values)


def readable_export(frame: gpd.GeoDataFrame) -> pd.DataFrame:
    """The export as a person opens it: headers, kinds, statuses and categories in the page's language."""
    out = export_frame(frame)
    for flag in ("overdue", "due_soon", "escalated"):
        if flag in out:
            out[flag] = out[flag].map(lambda v: t("ui.yes") if bool(v) else t("ui.no"))
    return labelled(out, "ledger.col", {"kind": "ledger.kind", "status": "ledger.status",
                                        "category": "ledger.category"})


def downloads(frame: gpd.GeoDataFrame) -> None:
    """CSV and Excel of exactly the filtered rows, in the page's language."""
    out = readable_export(frame)
    a, b = st.columns(2)
    offer(t("ledger.export_csv"), safefiles.csv_bytes(out), "ledger.csv", key="ledger.csv", what="ledger",
          rows=len(out), where=a)
    offer(t("ledger.export_xlsx"), safefiles.xlsx_bytes(out), "ledger.xlsx", key="ledger.xlsx", what="ledger",
          rows=len(out), where=b)


def date_or_none(value):
    """A stored date, or None for a missing one (NaT, NaN, None)."""
    return None if value is None or pd.isna(value) else value


def fresh_item(item_id: int) -> gpd.GeoDataFrame:
    """The item as it is now (not cached: the card and the forms must see the current version)."""
    with data.session() as (conn, scoped):
        return store.items(conn, scoped, data.today(), ids=[item_id])


def item_name(item) -> str:
    """``#id title``, as every form that changes the item names it (Markdown-inert)."""
    return f"#{int(item['id'])} {plain(item['title'])}"


def refresh() -> None:
    """Drop what a ledger change made stale: the ledger's own lists, its oversight tables and the ledger
    counts of the maps (the area outlines and everything else stay cached)."""
    from geo.ui import oversight

    _items.clear()
    oversight.forget()
    data.forget_ledger_counts()
