"""Read queries the pages and the command line share. Counts come from the daily rollup."""

from __future__ import annotations

import datetime as dt
from typing import Sequence

import geopandas as gpd
import pandas as pd
from sqlalchemy import Date, bindparam, func, select, text
from sqlalchemy.engine import Connection

from geo.core.grid import LEVELS
from geo.store.areas import CODE_COLUMNS, load_areas
from geo.store.models import IncidentDaily
from geo.store.frames import to_frame

TABLE_COUNTS = ("areas", "incidents", "cameras", "places", "patrol_zones", "ledger_items")


def latest_day(conn: Connection) -> dt.date | None:
    value = conn.execute(select(func.max(IncidentDaily.day))).scalar()
    if isinstance(value, str):
        value = dt.date.fromisoformat(value)
    return value


def table_counts(conn: Connection) -> dict[str, int]:
    return {t: int(conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar()) for t in TABLE_COUNTS}


def area_level_counts(conn: Connection) -> dict[str, int]:
    rows = conn.execute(text("SELECT level, COUNT(*) FROM areas GROUP BY level")).all()
    found = dict(rows)
    return {lv: int(found.get(lv, 0)) for lv in LEVELS}


def counts_by_area(conn: Connection, level: str, start: dt.date, end: dt.date,
                   categories: Sequence[str] | None = None) -> tuple[pd.DataFrame, int]:
    """Incidents per area of ``level`` for local days ``start``..``end`` (inclusive).

    Every area of the level is listed (zero when it had none). Returns the table with
    ``code, name, name_en, n_incidents, population, per_1000, area_km2, per_km2`` and the
    number of incidents in the period that fall in no area of the level.
    """
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}: {', '.join(LEVELS)}")
    col = CODE_COLUMNS[level]
    where = "day BETWEEN :start AND :end"
    params: dict = {"start": start, "end": end}
    stmt_text = f"SELECT {col} AS code, SUM(n) AS n FROM incident_daily WHERE {where}"
    if categories:
        stmt_text += " AND category IN :cats"
        params["cats"] = list(categories)
    stmt = text(stmt_text + f" GROUP BY {col}").bindparams(
        bindparam("start", type_=Date), bindparam("end", type_=Date))
    if categories:
        stmt = stmt.bindparams(bindparam("cats", expanding=True))
    got = to_frame(conn.execute(stmt, params), ["code", "n"])
    outside = int(got.loc[got["code"] == "", "n"].sum())
    areas = load_areas(conn, level)
    table = pd.DataFrame(areas.drop(columns="geometry"))[["code", "name", "name_en", "population", "area_km2"]]
    table = table.merge(got[got["code"] != ""], on="code", how="left")
    table["n_incidents"] = table["n"].fillna(0).astype(int)
    pop = pd.to_numeric(table["population"], errors="coerce")
    table["per_1000"] = (table["n_incidents"] / pop * 1000).where(pop > 0).round(3)
    table["per_km2"] = (table["n_incidents"] / table["area_km2"]).where(table["area_km2"] > 0).round(3)
    table["area_km2"] = table["area_km2"].round(4)
    cols = ["code", "name", "name_en", "n_incidents", "population", "per_1000", "area_km2", "per_km2"]
    return table[cols], outside


def categories(conn: Connection) -> list[str]:
    return [r[0] for r in conn.execute(text("SELECT DISTINCT category FROM incident_daily ORDER BY category"))]


def areas_for_map(conn: Connection, levels: Sequence[str]) -> gpd.GeoDataFrame:
    areas = load_areas(conn)
    return areas[areas["level"].isin(levels)]
