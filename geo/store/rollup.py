"""The rollups: incidents per cell, local day and category (``incident_daily``), kept current by
imports, and the same summed per calendar month (``incident_monthly``), kept equal to the daily one.

Every writer of ``incident_daily`` goes through this module (or deletes whole months, as retention
does), and each one brings the months it touched up to date in the same transaction. Reads of a
period's counts take :func:`period_counts`: the whole months inside the period from the monthly
table, the days left over at either end from the daily one.
"""

from __future__ import annotations

import datetime as dt
from typing import Iterable, Sequence

import pandas as pd
from sqlalchemy import Date, bindparam, literal_column, or_, select, text, union_all
from sqlalchemy.engine import Connection
from sqlalchemy.sql import Subquery

from geo.store import filters
from geo.store.models import IncidentDaily, IncidentMonthly
from geo.store.scope import Scope

DAILY, MONTHLY = IncidentDaily.__table__, IncidentMonthly.__table__
DAY_CHUNK = 400
CODES = ("cell_code", "community_code", "street_code", "district_code")
PRIMARY_KEY = ("day", "category") + CODES
MONTH_KEY = ("month", "category") + CODES
_INSERT = """
INSERT INTO incident_daily (day, category, cell_code, community_code, street_code, district_code, n)
SELECT occurred_on, category, COALESCE(cell_code, ''), COALESCE(community_code, ''),
       COALESCE(street_code, ''), COALESCE(district_code, ''), COUNT(*)
FROM incidents {where}
GROUP BY occurred_on, category, COALESCE(cell_code, ''), COALESCE(community_code, ''),
         COALESCE(street_code, ''), COALESCE(district_code, '')
"""
_MONTH_DELETE = text("DELETE FROM incident_monthly WHERE month = :month").bindparams(bindparam("month", type_=Date))
_MONTH_INSERT = text(
    "INSERT INTO incident_monthly (month, category, cell_code, community_code, street_code, district_code, n) "
    "SELECT :month, category, cell_code, community_code, street_code, district_code, SUM(n) FROM incident_daily "
    "WHERE day BETWEEN :first AND :last GROUP BY category, cell_code, community_code, street_code, district_code"
).bindparams(bindparam("month", type_=Date), bindparam("first", type_=Date), bindparam("last", type_=Date))


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_end(day: dt.date) -> dt.date:
    """The last day of ``day``'s month."""
    following = day.replace(year=day.year + day.month // 12, month=day.month % 12 + 1, day=1)
    return following - dt.timedelta(days=1)


def rebuild_daily(conn: Connection, days: Iterable[dt.date] | None = None) -> None:
    """Recount the rollup for ``days`` (all days when ``None``) inside the caller's transaction,
    and the monthly rollup of their months."""
    if days is None:
        conn.execute(text("DELETE FROM incident_daily"))
        conn.execute(text(_INSERT.format(where="")))
        rebuild_monthly(conn)
        return
    days = sorted(set(days))
    for i in range(0, len(days), DAY_CHUNK):
        chunk = days[i:i + DAY_CHUNK]
        delete = text("DELETE FROM incident_daily WHERE day IN :days").bindparams(bindparam("days", expanding=True, type_=Date))
        insert = text(_INSERT.format(where="WHERE occurred_on IN :days")).bindparams(
            bindparam("days", expanding=True, type_=Date))
        conn.execute(delete, {"days": chunk})
        conn.execute(insert, {"days": chunk})
    rebuild_monthly(conn, days)


def rebuild_monthly(conn: Connection, days: Iterable[dt.date] | None = None) -> None:
    """Sum the daily rollup again for the months that hold ``days`` (every month when ``None``)."""
    if days is None:
        conn.execute(text("DELETE FROM incident_monthly"))
        days = conn.execute(select(DAILY.c.day).distinct()).scalars().all()
    for month in sorted({month_start(_as_date(d)) for d in days}):
        conn.execute(_MONTH_DELETE, {"month": month})
        conn.execute(_MONTH_INSERT, {"month": month, "first": month, "last": month_end(month)})


def add_to_daily(conn: Connection, dialect, incidents: pd.DataFrame) -> None:
    """Add newly inserted incidents to both rollups (counts grow; nothing is recounted)."""
    if incidents.empty:
        return
    keys = ["occurred_on", "category", *CODES]
    frame = incidents[keys].copy()
    for col in keys[1:]:
        frame[col] = frame[col].fillna("").astype(object)
    counts = frame.groupby(keys, dropna=False, sort=False).size().reset_index(name="n")
    counts = counts.rename(columns={"occurred_on": "day"})
    counts["n"] = counts["n"].astype("int64")
    dialect.upsert(conn, "incident_daily", counts, PRIMARY_KEY, add=("n",))
    counts["month"] = [month_start(_as_date(d)) for d in counts.pop("day")]
    monthly = counts.groupby(list(MONTH_KEY), sort=False)["n"].sum().reset_index()
    dialect.upsert(conn, "incident_monthly", monthly[[*MONTH_KEY, "n"]], MONTH_KEY, add=("n",))


def whole_months(start: dt.date, end: dt.date) -> tuple[tuple[dt.date, dt.date] | None, list[tuple[dt.date, dt.date]]]:
    """Split the days ``start``..``end`` (both included) into the whole calendar months inside them,
    as (first day of the first, last day of the last) or None, and the spans of days left over.

    >>> whole_months(dt.date(2025, 1, 15), dt.date(2025, 4, 10))
    ((datetime.date(2025, 2, 1), datetime.date(2025, 3, 31)), [(datetime.date(2025, 1, 15), datetime.date(2025, 1, 31)), (datetime.date(2025, 4, 1), datetime.date(2025, 4, 10))])
    """
    if end < start:
        return None, []
    first = start if start.day == 1 else month_end(start) + dt.timedelta(days=1)
    last = end if end == month_end(end) else month_start(end) - dt.timedelta(days=1)
    if first > last:
        return None, [(start, end)]
    left = [(start, first - dt.timedelta(days=1))] if start < first else []
    right = [(last + dt.timedelta(days=1), end)] if last < end else []
    return (first, last), left + right


def period_counts(scope: Scope, start: dt.date, end: dt.date, *, categories: Sequence[str] | None = None,
                  exclude: Sequence[str] = (), monthly: bool = True) -> Subquery:
    """Rollup rows (``category``, the four code columns, ``n``) of the days ``start``..``end`` inside
    ``scope``, to be summed by the caller: the whole months from ``incident_monthly``, the days at either
    end from ``incident_daily`` (``monthly=False``: every day from ``incident_daily``, as before)."""
    months, days = whole_months(start, end) if monthly else (None, [(start, end)])
    parts = []

    def rows(table, span):
        columns = [table.c.category, *(table.c[c] for c in CODES), table.c.n]
        return select(*columns).where(filters.rows(table, scope, categories=categories, exclude=exclude), span)

    if months is not None:
        parts.append(rows(MONTHLY, MONTHLY.c.month.between(*months)))
    if days:
        parts.append(rows(DAILY, or_(*(DAILY.c.day.between(a, b) for a, b in days))))
    if not parts:  # an empty period: no rows, the same columns
        parts.append(rows(DAILY, literal_column("1") == 0))
    return (parts[0] if len(parts) == 1 else union_all(*parts)).subquery("period")


def _as_date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return pd.Timestamp(value).date()
