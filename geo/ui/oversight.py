"""Ledger oversight on the page: overdue and due-soon lists, league tables per responsible unit
and per area, the recurrence check, and bulk import of ledger files."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from geo.store import ledger as store
from geo.store import ledger_hygiene
from geo.ui import data, imports
from geo.ui.i18n import t
from geo.ui.ledger import Query, items, status_label

BY = {"responsible_unit": "ledger.by.unit", "street_code": "ledger.by.street", "community_code": "ledger.by.community"}


@data.loader(ttl=data.TTL_SECONDS, show_spinner=False)
def _league(conn, s, today, query: Query, by: str) -> pd.DataFrame:
    return store.oversight(conn, s, today, by, kinds=query.kinds, categories=query.categories, units=query.units,
                           focus=query.focus, found_from=query.found_from, found_to=query.found_to)


@data.loader(ttl=data.TTL_SECONDS, show_spinner=False)
def _recurrence(conn, s, today, distance_m: float, tz: str) -> pd.DataFrame:
    return store.recurrence(conn, s, today, distance_m, tz)


def forget() -> None:
    """Drop the cached oversight tables (after a ledger change)."""
    _league.clear()
    _recurrence.clear()


def _names(codes: pd.Series) -> pd.Series:
    names = {}
    for level in ("street", "community"):
        shapes = data.shapes(level, None)
        names.update(dict(zip(shapes["code"], shapes["name"])))
    return codes.map(lambda c: f"{names.get(c, c)} ({c})" if c in names else c)


def show(query: Query) -> None:
    today = data.today()
    frame = items(Query(query.kinds, query.categories, (), query.units, query.focus, False, query.found_from,
                        query.found_to))
    frame = frame[frame["duplicate_of"].isna()]  # a linked duplicate is its original's business, not counted again
    escalated(frame)
    a, b = st.columns(2)
    for col, flag, title in ((a, "overdue", "ledger.overdue_list"), (b, "due_soon", "ledger.due_soon_list")):
        part = frame[frame[flag]].sort_values("deadline")
        col.markdown(f"**{t(title, n=len(part))}**")
        shown = part[["id", "title", "responsible_unit", "deadline", "overdue_days", "status"]].copy()
        shown["status"] = shown["status"].map(status_label)
        col.dataframe(shown.rename(columns=lambda c: t(f"ledger.col.{c}")), hide_index=True, width="stretch",
                      height=260)
    by = st.radio(t("ledger.league_by"), list(BY), format_func=lambda k: t(BY[k]), horizontal=True,
                  key="ledger.league.by")
    league = _league(today, query, by)
    if by != "responsible_unit":
        league[by] = _names(league[by])
    shown = league.assign(rectification_rate=(league["rectification_rate"] * 100).round(1),
                          reopen_rate=(league["reopen_rate"] * 100).round(1), median_days=league["median_days"].round(1))
    st.dataframe(shown.rename(columns=lambda c: t(f"ledger.league.{c}") if c != by else t(BY[by])),
                 hide_index=True, width="stretch")
    st.markdown(f"**{t('ledger.recurrence')}**")
    if not st.toggle(t("ledger.recurrence.run"), key="ledger.recurrence.on"):  # a few seconds: on request
        return
    distance = st.slider(t("ledger.recurrence.distance"), 25, 500, 100, 25, key="ledger.recurrence.m")
    table = _recurrence(today, float(distance), data.timezone())
    table = table.assign(status=table["status"].map(status_label))
    st.caption(t("ledger.recurrence.caption", n=int((table["incidents_after"] > 0).sum()), total=len(table),
                 m=distance))
    st.dataframe(table.rename(columns=lambda c: t(f"ledger.rec.{c}")), hide_index=True, width="stretch", height=240)


def escalated(frame) -> None:
    """Items overdue by ``SAFEGRID_ESCALATE_DAYS`` or more, risen to the oversight of their street (SafeGrid
    has no hierarchy of responsible units: the unit above is the street's, and the district's, leaders)."""
    part = frame[frame["escalated"]].sort_values(["overdue_days", "id"], ascending=[False, True])
    days = ledger_hygiene.settings().escalate_days
    st.markdown(f"**:red[{t('ledger.escalated_list', n=len(part), days=days)}]**")
    if part.empty:
        st.caption(t("ledger.escalated_none"))
        return
    shown = part[["id", "title", "responsible_unit", "street_code", "deadline", "overdue_days", "escalated_on",
                  "status"]].copy()
    shown["street_code"] = _names(shown["street_code"])
    shown["status"] = shown["status"].map(status_label)
    st.dataframe(shown.rename(columns=lambda c: t(f"ledger.col.{c}")), hide_index=True, width="stretch", height=220,
                 key="ledger.escalated.table")


def bulk_import(user: dict) -> None:
    """Upload a ledger file through the same importer as the import page; the report is shown here."""
    st.markdown(f"**{t('ledger.bulk')}**")
    upload = st.file_uploader(t("ledger.bulk.help"), type=["csv", "gz", "xlsx", "geojson", "json"],
                              key="ledger.bulk.file")
    if upload is not None and st.button(t("ledger.bulk.go"), key="ledger.bulk.go"):
        report = imports.run_import(upload, "ledger", None, None, None, username=user["username"],
                                    role=user.get("role"))
        if report is not None:
            st.success(imports.summary(report, "ledger"))
            imports.show_report(report)
