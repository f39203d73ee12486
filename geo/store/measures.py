"""What the grid map and the wall display measure per area, and an area's card.

Incident counts come from the daily rollup; ledger items and cameras from their tables.
Dates are local calendar dates, ranges inclusive at both ends.
"""

from __future__ import annotations

import datetime as dt
from typing import Sequence

import numpy as np
import pandas as pd
from sqlalchemy import Date, bindparam, text
from sqlalchemy.engine import Connection

from geo.core.grid import LEVELS
from geo.core.ledger import OPEN
from geo.core.timeutil import year_before
from geo.store.areas import CODE_COLUMNS, descendants
from geo.store.frames import to_frame

MEASURES = ("n_incidents", "per_1000", "yoy_pct", "open_ledger")


def child_level(level: str | None) -> str:
    """The level shown when ``level`` is in focus (the top level when nothing is)."""
    if level is None:
        return LEVELS[0]
    i = LEVELS.index(level)
    return LEVELS[min(i + 1, len(LEVELS) - 1)]


def _incidents(conn: Connection, col: str, start: dt.date, end: dt.date, cats: Sequence[str] | None,
               within: tuple[str, str] | None) -> pd.Series:
    sql = f"SELECT {col} AS code, SUM(n) AS n FROM incident_daily WHERE day BETWEEN :start AND :end"
    params: dict = {"start": start, "end": end}
    binds = [bindparam("start", type_=Date), bindparam("end", type_=Date)]
    if cats:
        sql += " AND category IN :cats"
        params["cats"] = list(cats)
        binds.append(bindparam("cats", expanding=True))
    if within:
        sql += f" AND {within[0]} = :within"
        params["within"] = within[1]
    stmt = text(sql + f" GROUP BY {col}").bindparams(*binds)
    got = to_frame(conn.execute(stmt, params), ["code", "n"])
    return got.set_index("code")["n"].astype(float)


def area_measures(conn: Connection, level: str, start: dt.date, end: dt.date, *, today: dt.date,
                  categories: Sequence[str] | None = None, parent: str | None = None,
                  under: str | None = None) -> pd.DataFrame:
    """One row per area of ``level``: children of ``parent``, or all below ``under`` (any depth).

    Columns: ``code, name, name_en, team, population, n_incidents, n_last_year, yoy_pct,
    per_1000, open_ledger, overdue_ledger, n_cameras, cameras_online``. ``yoy_pct`` is NaN when
    last year's count is zero.
    """
    col = CODE_COLUMNS[level]
    sql = "SELECT code, name, name_en, team, population FROM areas WHERE level = :level"
    params = {"level": level}
    if parent:
        sql += " AND parent_code = :parent"
        params["parent"] = parent
    table = to_frame(conn.execute(text(sql + " ORDER BY code"), params),
                     ["code", "name", "name_en", "team", "population"])
    if under:
        table = table[table["code"].isin(descendants(conn, under, level))].reset_index(drop=True)
    within = _within(conn, parent or under)
    now = _incidents(conn, col, start, end, categories, within)
    before = _incidents(conn, col, *year_before(start, end), categories, within)
    table["n_incidents"] = table["code"].map(now).fillna(0).astype(int)
    table["n_last_year"] = table["code"].map(before).fillna(0).astype(int)
    last = table["n_last_year"].replace(0, np.nan)
    table["yoy_pct"] = ((table["n_incidents"] - last) / last * 100).round(1)
    pop = pd.to_numeric(table["population"], errors="coerce")
    table["per_1000"] = (table["n_incidents"] / pop * 1000).where(pop > 0).round(2)
    ledger = to_frame(conn.execute(
        text(f"SELECT {col}, COUNT(*), SUM(CASE WHEN deadline < :today THEN 1 ELSE 0 END) FROM ledger_items "
             f"WHERE status IN :open GROUP BY {col}").bindparams(bindparam("open", expanding=True),
                                                                 bindparam("today", type_=Date)),
        {"open": list(OPEN), "today": today}), ["code", "n", "overdue"]).set_index("code")
    table["open_ledger"] = table["code"].map(ledger["n"]).fillna(0).astype(int)
    table["overdue_ledger"] = table["code"].map(ledger["overdue"]).fillna(0).astype(int)
    cams = to_frame(conn.execute(text(
        f"SELECT {col}, COUNT(*), SUM(CASE WHEN status = 'online' THEN 1 ELSE 0 END) FROM cameras "
        f"WHERE status <> 'planned' GROUP BY {col}")), ["code", "n", "online"]).set_index("code")
    table["n_cameras"] = table["code"].map(cams["n"]).fillna(0).astype(int)
    table["cameras_online"] = table["code"].map(cams["online"]).fillna(0).astype(int)
    return table


def _within(conn: Connection, parent: str | None) -> tuple[str, str] | None:
    if not parent:
        return None
    level = conn.execute(text("SELECT level FROM areas WHERE code = :c"), {"c": parent}).scalar()
    return (CODE_COLUMNS[level], parent) if level else None


def area_card(conn: Connection, code: str, start: dt.date, end: dt.date, *, today: dt.date,
              categories: Sequence[str] | None = None) -> dict | None:
    """Everything an area's card shows, or ``None`` for an unknown code.

    Keys: ``area`` (code, name, name_en, level, team, population, parent_code), ``by_category``
    (category, n, n_last_year), ``monthly`` (month, n: the 12 months ending with ``end``),
    ``n``, ``n_last_year``, ``yoy_pct``, ``open_ledger``, ``overdue_ledger``, ``cameras``
    (status -> count), ``ledger`` (the open items, most overdue first).
    """
    row = conn.execute(text("SELECT code, name, name_en, level, team, population, parent_code FROM areas "
                            "WHERE code = :c"), {"c": code}).mappings().first()
    if row is None:
        return None
    col = CODE_COLUMNS[row["level"]]
    last_start, last_end = year_before(start, end)
    sql = (f"SELECT category, SUM(CASE WHEN day BETWEEN :s AND :e THEN n ELSE 0 END), "
           f"SUM(CASE WHEN day BETWEEN :ls AND :le THEN n ELSE 0 END) FROM incident_daily "
           f"WHERE {col} = :c AND (day BETWEEN :s AND :e OR day BETWEEN :ls AND :le)")
    params: dict = {"c": code, "s": start, "e": end, "ls": last_start, "le": last_end}
    binds = [bindparam(k, type_=Date) for k in ("s", "e", "ls", "le")]
    if categories:
        sql += " AND category IN :cats"
        params["cats"] = list(categories)
        binds.append(bindparam("cats", expanding=True))
    by_cat = to_frame(conn.execute(text(sql + " GROUP BY category").bindparams(*binds), params),
                      ["category", "n", "n_last_year"])
    by_cat[["n", "n_last_year"]] = by_cat[["n", "n_last_year"]].fillna(0).astype(int)
    by_cat = by_cat[(by_cat["n"] > 0) | (by_cat["n_last_year"] > 0)].sort_values("n", ascending=False)
    n, n_last = int(by_cat["n"].sum()), int(by_cat["n_last_year"].sum())
    first_month = (end.replace(day=1) - pd.DateOffset(months=11)).date()
    msql = (f"SELECT day, SUM(n) FROM incident_daily WHERE {col} = :c AND day BETWEEN :s AND :e"
            + (" AND category IN :cats" if categories else "") + " GROUP BY day")
    mbinds = [bindparam("s", type_=Date), bindparam("e", type_=Date)] + \
        ([bindparam("cats", expanding=True)] if categories else [])
    days = to_frame(conn.execute(text(msql).bindparams(*mbinds),
                                 {"c": code, "s": first_month, "e": end, **({"cats": list(categories)} if categories else {})}),
                    ["day", "n"])
    months = pd.period_range(first_month, end, freq="M")
    if days.empty:
        monthly = pd.DataFrame({"month": months.to_timestamp(), "n": 0})
    else:
        per = pd.to_datetime(days["day"]).dt.to_period("M")
        monthly = days.groupby(per)["n"].sum().reindex(months, fill_value=0).rename_axis("month").reset_index()
        monthly["month"] = monthly["month"].dt.to_timestamp()
    ledger = to_frame(conn.execute(
        text(f"SELECT kind, category, title, responsible_unit, found_on, deadline, status FROM ledger_items "
             f"WHERE {col} = :c AND status IN :open ORDER BY deadline").bindparams(bindparam("open", expanding=True)),
        {"c": code, "open": list(OPEN)}), ["kind", "category", "title", "responsible_unit", "found_on", "deadline",
                                            "status"])
    deadlines = pd.to_datetime(ledger["deadline"], errors="coerce").dt.date
    ledger["overdue_days"] = [(today - d).days if isinstance(d, dt.date) and d < today else 0 for d in deadlines]
    ledger = ledger.sort_values("overdue_days", ascending=False, kind="stable")
    cams = dict(conn.execute(text(f"SELECT status, COUNT(*) FROM cameras WHERE {col} = :c GROUP BY status"),
                             {"c": code}).all())
    return {"area": dict(row), "by_category": by_cat.reset_index(drop=True), "monthly": monthly, "n": n,
            "n_last_year": n_last, "yoy_pct": round((n - n_last) / n_last * 100, 1) if n_last else None,
            "open_ledger": len(ledger), "overdue_ledger": int((ledger["overdue_days"] > 0).sum()),
            "cameras": {k: int(v) for k, v in cams.items()}, "ledger": ledger.reset_index(drop=True)}


def area_path(conn: Connection, code: str | None) -> list[dict]:
    """The chain from the top level down to ``code`` (for breadcrumbs): [{code, name, name_en, level}]."""
    path = []
    seen = set()
    while code and code not in seen:
        seen.add(code)
        row = conn.execute(text("SELECT code, name, name_en, level, parent_code FROM areas WHERE code = :c"),
                           {"c": code}).mappings().first()
        if row is None:
            break
        path.append(dict(row))
        code = row["parent_code"]
    return list(reversed(path))


def search_areas(conn: Connection, query: str, limit: int = 20) -> pd.DataFrame:
    """Areas whose code, name or English name contains ``query`` (case-insensitive)."""
    like = f"%{query.strip().lower()}%"
    return to_frame(conn.execute(text(
        "SELECT code, name, name_en, level FROM areas WHERE lower(code) LIKE :q OR lower(name) LIKE :q "
        "OR lower(coalesce(name_en, '')) LIKE :q ORDER BY length(code), code LIMIT :n"), {"q": like, "n": limit}),
        ["code", "name", "name_en", "level"])
