"""The daily rollup: incidents per cell, local day and category, kept current by imports."""

from __future__ import annotations

import datetime as dt
from typing import Iterable

import pandas as pd
from sqlalchemy import Date, bindparam, text
from sqlalchemy.engine import Connection

DAY_CHUNK = 400
PRIMARY_KEY = ("day", "category", "cell_code", "community_code", "street_code", "district_code")
_INSERT = """
INSERT INTO incident_daily (day, category, cell_code, community_code, street_code, district_code, n)
SELECT occurred_on, category, COALESCE(cell_code, ''), COALESCE(community_code, ''),
       COALESCE(street_code, ''), COALESCE(district_code, ''), COUNT(*)
FROM incidents {where}
GROUP BY occurred_on, category, COALESCE(cell_code, ''), COALESCE(community_code, ''),
         COALESCE(street_code, ''), COALESCE(district_code, '')
"""


def rebuild_daily(conn: Connection, days: Iterable[dt.date] | None = None) -> None:
    """Recount the rollup for ``days`` (all days when ``None``) inside the caller's transaction."""
    if days is None:
        conn.execute(text("DELETE FROM incident_daily"))
        conn.execute(text(_INSERT.format(where="")))
        return
    days = sorted(set(days))
    for i in range(0, len(days), DAY_CHUNK):
        chunk = days[i:i + DAY_CHUNK]
        delete = text("DELETE FROM incident_daily WHERE day IN :days").bindparams(bindparam("days", expanding=True, type_=Date))
        insert = text(_INSERT.format(where="WHERE occurred_on IN :days")).bindparams(
            bindparam("days", expanding=True, type_=Date))
        conn.execute(delete, {"days": chunk})
        conn.execute(insert, {"days": chunk})


def add_to_daily(conn: Connection, dialect, incidents: pd.DataFrame) -> None:
    """Add newly inserted incidents to the rollup (counts grow; nothing is recounted)."""
    if incidents.empty:
        return
    keys = ["occurred_on", "category", "cell_code", "community_code", "street_code", "district_code"]
    frame = incidents[keys].copy()
    for col in keys[2:]:
        frame[col] = frame[col].fillna("").astype(object)
    frame["category"] = frame["category"].fillna("").astype(object)
    counts = frame.groupby(keys, dropna=False, sort=False).size().reset_index(name="n")
    counts = counts.rename(columns={"occurred_on": "day"})
    counts["n"] = counts["n"].astype("int64")
    dialect.upsert(conn, "incident_daily", counts, PRIMARY_KEY, add=("n",))
