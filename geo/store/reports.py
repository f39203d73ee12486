"""The figures of an area report: incidents over the period, the last 28 days and a year before,
top categories, Gi* hot cells, ledger oversight and the campaigns running in the area."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import func, select, text
from sqlalchemy.engine import Connection

from geo.core.hotspots import hot_cells, is_hot
from geo.core.ledger import OPEN, oversight
from geo.core.timeutil import period_before, year_before
from geo.store import campaigns, features, ledger
from geo.store.frames import to_frame
from geo.store.rollup import period_counts
from geo.store.scope import Scope


def _change(now: float, before: float) -> float | None:
    return round((now - before) / before * 100, 1) if before else None


def _ancestors(conn: Connection, code: str) -> list[str]:
    out, cur = [], code
    while cur:
        out.append(cur)
        cur = conn.execute(text("SELECT parent_code FROM areas WHERE code = :c"), {"c": cur}).scalar()
    return out


def report_data(conn: Connection, scope: Scope, area: str, start: dt.date, end: dt.date, today: dt.date, *,
                with_ledger: bool = True) -> dict:
    """Everything an area report shows (plain numbers and frames; no wording).

    ``area`` must lie inside ``scope``; campaigns are those that concern the scope, measured for
    their part inside it; ``with_ledger=False`` (an account without the ledger permission) leaves
    every ledger figure and the open-items sheet out."""
    row = conn.execute(text("SELECT code, name, level FROM areas WHERE code = :c"), {"c": area}).mappings().first()
    if row is None or not scope.contains(conn, area):
        raise ValueError(f"no area {area!r} inside your scope")
    if end < start:
        raise ValueError(f"the period ends ({end}) before it starts ({start})")
    focus = scope.narrow(conn, area)

    def daily(a: dt.date, b: dt.date) -> pd.DataFrame:
        d = period_counts(focus, a, b).c
        return to_frame(conn.execute(select(d.category, d.cell_code, func.sum(d.n).label("n"))
                                     .group_by(d.category, d.cell_code)), ["category", "cell_code", "n"])

    period, last_year = daily(start, end), daily(*year_before(start, end))
    d28 = (end - dt.timedelta(days=27), end)
    prev28 = period_before(*d28)
    n = {"period": int(period["n"].sum()), "period_last_year": int(last_year["n"].sum()),
         "d28": int(daily(*d28)["n"].sum()), "prev28": int(daily(*prev28)["n"].sum()),
         "d28_last_year": int(daily(*year_before(*d28))["n"].sum())}
    n["yoy_pct"] = _change(n["period"], n["period_last_year"])
    n["d28_vs_prev_pct"] = _change(n["d28"], n["prev28"])
    n["d28_yoy_pct"] = _change(n["d28"], n["d28_last_year"])

    cats = pd.DataFrame({"n": period.groupby("category")["n"].sum(),
                         "last_year": last_year.groupby("category")["n"].sum()}).fillna(0).astype(int)
    cats["change_pct"] = [_change(a, b) for a, b in zip(cats["n"], cats["last_year"])]
    cats = cats.sort_values("n", ascending=False).head(10).reset_index(names="category")

    cells = features.areas_within(conn, focus, "grid")
    cells["n"] = cells["code"].map(period.groupby("cell_code")["n"].sum()).fillna(0).astype(int)
    if len(cells) >= 3:
        cells["class"] = hot_cells(cells["n"].to_numpy(dtype=float), cells.geometry.values)[2]
    else:
        cells["class"] = "ns"
    hot = cells[is_hot(cells["class"])].sort_values("n", ascending=False)[["code", "name", "n", "class"]]

    items = ledger.items(conn, focus, today)
    if not with_ledger:
        items = items.iloc[0:0]
    history = ledger.events(conn, focus)
    if not with_ledger:
        history = history.iloc[0:0]
    led, units, open_items = ledger_figures(items, history, start, end, today)

    return {"area": dict(row), "start": start, "end": end, "today": today, "d28": d28, "counts": n,
            "categories": cats, "cells": cells, "hot": hot.reset_index(drop=True), "ledger": led,
            "units": units, "open_items": open_items,
            "indicators": campaign_indicators(conn, scope, _ancestors(conn, area), start, end, today),
            "outline": features.area_shape(conn, focus, area)}


def ledger_figures(items, history: pd.DataFrame, start: dt.date, end: dt.date, today: dt.date
                   ) -> tuple[dict, pd.DataFrame, pd.DataFrame]:
    """The ledger part of a report from its items and their events: key figures, the table per
    responsible unit and the open items."""
    flat = pd.DataFrame(items.drop(columns="geometry"))
    units = oversight(flat, history, today, "responsible_unit")
    open_items = items[items["status"].isin(OPEN)]
    led = {"items": int((items["status"] != "cancelled").sum()), "open": len(open_items),
           "overdue": int(items["overdue"].sum()), "due_soon": int(items["due_soon"].sum()),
           "found_in_period": int(((items["found_on"] >= start) & (items["found_on"] <= end)).sum())}
    totals = oversight(flat.assign(all="all"), history, today, "all")
    led["rectification_rate"] = float(totals["rectification_rate"].iloc[0]) if len(totals) else None
    led["median_days"] = float(totals["median_days"].iloc[0]) if len(totals) and \
        pd.notna(totals["median_days"].iloc[0]) else None
    return led, units, open_items


def campaign_indicators(conn: Connection, scope: Scope, codes: list[str], start: dt.date, end: dt.date,
                        today: dt.date) -> pd.DataFrame:
    """Indicators of the campaigns inside ``scope`` running in the period whose area is one of ``codes``
    (or the whole jurisdiction), with the campaign's name and current phase."""
    camps = campaigns.campaigns(conn, scope)
    indicators = []
    if not camps.empty:
        s = pd.to_datetime(camps["starts_on"]).dt.date
        e = pd.to_datetime(camps["ends_on"]).dt.date
        keep = (s <= end) & (e >= start) & (camps["area_code"].isna() | camps["area_code"].isin(codes))
        for cid, name in zip(camps.loc[keep, "id"], camps.loc[keep, "name"]):
            _, phases, inds = campaigns.detail(conn, scope, int(cid), today)
            current = phases.loc[phases["current"], "name"]
            indicators.append(inds.assign(campaign=name, phase=current.iloc[0] if len(current) else None))
    return pd.concat(indicators, ignore_index=True) if indicators else \
        pd.DataFrame(columns=["campaign", "phase", "key", "target_value", "actual", "unit", "source", "met"])
