"""What the grid map and the wall display measure per area, and an area's card.

Incident counts come from the daily rollup; ledger items and cameras from their tables.
Dates are local calendar dates, ranges inclusive at both ends.
"""

from __future__ import annotations

import datetime as dt
from typing import Sequence

import numpy as np
import pandas as pd
from sqlalchemy import and_, case, func, literal, or_, select, text
from sqlalchemy.engine import Connection

from geo.core.grid import LEVELS
from geo.core.ledger import OPEN
from geo.core.timeutil import year_before
from geo.store import filters
from geo.store.areas import CODE_COLUMNS
from geo.store.frames import to_frame
from geo.store.models import Camera, IncidentDaily, LedgerItem
from geo.store.rollup import period_counts
from geo.store.scope import Scope, require

AREAS, DAILY, LEDGER, CAMERAS = filters.AREAS, IncidentDaily.__table__, LedgerItem.__table__, Camera.__table__

MEASURES = ("n_incidents", "per_1000", "yoy_pct", "open_ledger")


def child_level(level: str | None) -> str:
    """The level shown when ``level`` is in focus (the top level when nothing is)."""
    if level is None:
        return LEVELS[0]
    i = LEVELS.index(level)
    return LEVELS[min(i + 1, len(LEVELS) - 1)]


def _counts(conn: Connection, table, col: str, where, *extra) -> pd.DataFrame:
    """Rows per value of ``col`` of ``table`` under ``where``, plus the ``extra`` aggregates."""
    key = table.c[col]
    return to_frame(conn.execute(select(key, *extra).where(where).group_by(key)))


def area_measures(conn: Connection, scope: Scope, level: str, start: dt.date, end: dt.date, *, today: dt.date,
                  categories: Sequence[str] | None = None, parent: str | None = None,
                  monthly: bool = True) -> pd.DataFrame:
    """One row per area of ``level`` inside ``scope`` (children of ``parent`` only, when given).

    Incidents are counted from the monthly rollup for the whole months of the period and from the
    daily one for the days left over (``monthly=False``: the daily one only; the same figures).

    Columns: ``code, name, name_en, team, population, n_incidents, n_last_year, yoy_pct,
    per_1000, open_ledger, overdue_ledger, n_cameras, cameras_online``. ``yoy_pct`` is NaN when
    last year's count is zero.
    """
    col = CODE_COLUMNS[level]
    a = AREAS.c
    table = to_frame(conn.execute(select(a.code, a.name, a.name_en, a.team, a.population)
                                  .where(filters.areas(conn, scope, level, parent)).order_by(a.code)),
                     ["code", "name", "name_en", "team", "population"])
    focus = scope.narrow(conn, parent)

    def incidents(days):
        period = period_counts(focus, *days, categories=categories, monthly=monthly)
        got = to_frame(conn.execute(select(period.c[col], func.sum(period.c.n)).group_by(period.c[col])))
        return got.set_index(got.columns[0]).iloc[:, 0].astype(float)

    now, before = incidents((start, end)), incidents(year_before(start, end))
    table["n_incidents"] = table["code"].map(now).fillna(0).astype(int)
    table["n_last_year"] = table["code"].map(before).fillna(0).astype(int)
    last = table["n_last_year"].replace(0, np.nan)
    table["yoy_pct"] = ((table["n_incidents"] - last) / last * 100).round(1)
    pop = pd.to_numeric(table["population"], errors="coerce")
    table["per_1000"] = (table["n_incidents"] / pop * 1000).where(pop > 0).round(2)
    lc = LEDGER.c
    ledger = _counts(conn, LEDGER, col, and_(filters.rows(LEDGER, focus), lc.status.in_(list(OPEN)),
                                             lc.duplicate_of.is_(None)), func.count(),  # linked copies: not again
                     func.sum(case((lc.deadline < today, 1), else_=0)))
    ledger.columns = ["code", "n", "overdue"]
    ledger = ledger.set_index("code")
    table["open_ledger"] = table["code"].map(ledger["n"]).fillna(0).astype(int)
    table["overdue_ledger"] = table["code"].map(ledger["overdue"]).fillna(0).astype(int)
    cc = CAMERAS.c
    cams = _counts(conn, CAMERAS, col, and_(filters.rows(CAMERAS, focus), cc.status != "planned"), func.count(),
                   func.sum(case((cc.status == "online", 1), else_=0)))
    cams.columns = ["code", "n", "online"]
    cams = cams.set_index("code")
    table["n_cameras"] = table["code"].map(cams["n"]).fillna(0).astype(int)
    table["cameras_online"] = table["code"].map(cams["online"]).fillna(0).astype(int)
    return table


def area_card(conn: Connection, scope: Scope, code: str, start: dt.date, end: dt.date, *, today: dt.date,
              with_ledger: bool, categories: Sequence[str] | None = None) -> dict:
    """Everything an area's card shows; :class:`ScopeError` for an unknown code or one outside ``scope``.

    Keys: ``area`` (code, name, name_en, level, team, population, parent_code), ``by_category``
    (category, n, n_last_year), ``monthly`` (month, n: the 12 months ending with ``end``),
    ``n``, ``n_last_year``, ``yoy_pct``, ``open_ledger``, ``overdue_ledger``, ``cameras``
    (status -> count), ``ledger`` (the open items, most overdue first). Without ``with_ledger`` (an
    account without the ledger permission) the ledger keys are None and the item list is empty.
    """
    area = scope.narrow(conn, code)
    a = AREAS.c
    row = conn.execute(select(a.code, a.name, a.name_en, a.level, a.team, a.population, a.parent_code)
                       .where(a.code == code)).mappings().first()
    last_start, last_end = year_before(start, end)
    d = DAILY.c

    def per_category(a: dt.date, b: dt.date) -> pd.Series:
        period = period_counts(area, a, b, categories=categories)
        got = to_frame(conn.execute(select(period.c.category, func.sum(period.c.n)).group_by(period.c.category)),
                       ["category", "n"])
        return got.set_index("category")["n"]

    by_cat = pd.concat({"n": per_category(start, end), "n_last_year": per_category(last_start, last_end)}, axis=1)
    by_cat = by_cat.fillna(0).astype(int).rename_axis("category").reset_index()
    by_cat = by_cat[(by_cat["n"] > 0) | (by_cat["n_last_year"] > 0)].sort_values("n", ascending=False)
    n, n_last = int(by_cat["n"].sum()), int(by_cat["n_last_year"].sum())
    first_month = (end.replace(day=1) - pd.DateOffset(months=11)).date()
    days = to_frame(conn.execute(select(d.day, func.sum(d.n)).where(
        filters.rows(DAILY, area, days=(first_month, end), categories=categories)).group_by(d.day)), ["day", "n"])
    months = pd.period_range(first_month, end, freq="M")
    if days.empty:
        monthly = pd.DataFrame({"month": months.to_timestamp(), "n": 0})
    else:
        per = pd.to_datetime(days["day"]).dt.to_period("M")
        monthly = days.groupby(per)["n"].sum().reindex(months, fill_value=0).rename_axis("month").reset_index()
        monthly["month"] = monthly["month"].dt.to_timestamp()
    lc = LEDGER.c
    ledger = to_frame(conn.execute(
        select(lc.kind, lc.category, lc.title, lc.responsible_unit, lc.found_on, lc.deadline, lc.status)
        .where(filters.rows(LEDGER, area), lc.status.in_(list(OPEN)), lc.duplicate_of.is_(None), literal(with_ledger))
        .order_by(lc.deadline)),
        ["kind", "category", "title", "responsible_unit", "found_on", "deadline", "status"])
    deadlines = pd.to_datetime(ledger["deadline"], errors="coerce").dt.date
    ledger["overdue_days"] = [(today - d).days if isinstance(d, dt.date) and d < today else 0 for d in deadlines]
    ledger = ledger.sort_values("overdue_days", ascending=False, kind="stable")
    cc = CAMERAS.c
    cams = dict(conn.execute(select(cc.status, func.count()).where(filters.rows(CAMERAS, area))
                             .group_by(cc.status)).all())
    return {"area": dict(row), "by_category": by_cat.reset_index(drop=True), "monthly": monthly, "n": n,
            "n_last_year": n_last, "yoy_pct": round((n - n_last) / n_last * 100, 1) if n_last else None,
            "open_ledger": len(ledger) if with_ledger else None,
            "overdue_ledger": int((ledger["overdue_days"] > 0).sum()) if with_ledger else None,
            "cameras": {k: int(v) for k, v in cams.items()}, "ledger": ledger.reset_index(drop=True)}


def area_path(conn: Connection, scope: Scope, code: str | None) -> list[dict]:
    """The chain from the top of ``scope`` down to ``code`` (for breadcrumbs): [{code, name, name_en, level}].

    Areas above the scope's own area are left out; a code outside the scope gives an empty path.
    """
    if code is None or not require(scope).contains(conn, code):
        return []
    path = []
    seen = set()
    while code and code not in seen:
        seen.add(code)
        row = conn.execute(text("SELECT code, name, name_en, level, parent_code FROM areas WHERE code = :c"),
                           {"c": code}).mappings().first()
        if row is None:
            break
        path.append(dict(row))
        if code == scope.code:
            break
        code = row["parent_code"]
    return list(reversed(path))


def search_areas(conn: Connection, scope: Scope, query: str, limit: int = 20) -> pd.DataFrame:
    """Areas inside ``scope`` whose code, name or English name contains ``query`` (case-insensitive)."""
    like = f"%{query.strip().lower()}%"
    a = AREAS.c
    found = or_(func.lower(a.code).like(like), func.lower(a.name).like(like),
                func.lower(func.coalesce(a.name_en, "")).like(like))
    inside = [filters.areas(conn, scope, level) for level in LEVELS]
    stmt = select(a.code, a.name, a.name_en, a.level).where(found, or_(*inside)) \
        .order_by(func.length(a.code), a.code).limit(limit)
    return to_frame(conn.execute(stmt), ["code", "name", "name_en", "level"])
