"""Read queries the pages and the command line share. Counts come from the daily rollup."""

from __future__ import annotations

import datetime as dt
from typing import Sequence

import geopandas as gpd
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from geo.core.grid import LEVELS
from geo.store.areas import CODE_COLUMNS, load_areas
from geo.store import features, filters
from geo.store.frames import to_frame
from geo.store.models import Camera, Incident, IncidentDaily, LedgerItem, PatrolZone, Place
from geo.store.rollup import period_counts
from geo.store.scope import Scope

DAILY = IncidentDaily.__table__

TABLE_COUNTS = ("areas", "incidents", "cameras", "places", "patrol_zones", "ledger_items")


def latest_day(conn: Connection, scope: Scope) -> dt.date | None:
    """The local date of the latest incident inside ``scope``."""
    value = conn.execute(select(func.max(DAILY.c.day)).where(filters.rows(DAILY, scope))).scalar()
    if isinstance(value, str):
        value = dt.date.fromisoformat(value)
    return value


def table_counts(conn: Connection, scope: Scope) -> dict[str, int]:
    """Rows per table inside ``scope`` (areas: the scope's area and those below it; patrol zones:
    those overlapping it)."""
    out = {"areas": sum(area_level_counts(conn, scope).values())}
    for model in (Incident, Camera, Place, LedgerItem):
        table = model.__table__
        out[table.name] = int(conn.execute(select(func.count()).where(filters.rows(table, scope))).scalar())
    out["patrol_zones"] = int(conn.execute(select(func.count()).select_from(PatrolZone)).scalar()) \
        if scope.everything else len(features.zones(conn, scope))  # zones overlapping the area: shapes needed
    return {t: out[t] for t in TABLE_COUNTS}


def area_level_counts(conn: Connection, scope: Scope) -> dict[str, int]:
    """Areas per level inside ``scope``."""
    return {lv: int(conn.execute(select(func.count()).where(filters.areas(conn, scope, lv))).scalar())
            for lv in LEVELS}


def counts_by_area(conn: Connection, scope: Scope, level: str, start: dt.date, end: dt.date,
                   categories: Sequence[str] | None = None) -> tuple[pd.DataFrame, int]:
    """Incidents per area of ``level`` inside ``scope`` for local days ``start``..``end`` (inclusive).

    Every area of the level inside the scope is listed (zero when it had none). Returns the table with
    ``code, name, name_en, n_incidents, population, per_1000, area_km2, per_km2`` and the
    number of incidents in the period that fall in no area of the level.
    """
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}: {', '.join(LEVELS)}")
    period = period_counts(scope, start, end, categories=categories)
    key = period.c[CODE_COLUMNS[level]]
    stmt = select(key, func.sum(period.c.n)).group_by(key)
    got = to_frame(conn.execute(stmt), ["code", "n"])
    outside = int(got.loc[got["code"] == "", "n"].sum())
    codes = filters.area_codes(conn, scope, level)
    areas = load_areas(conn, level)
    if codes is not None:
        areas = areas[areas["code"].isin(codes)]
    table = pd.DataFrame(areas.drop(columns="geometry"))[["code", "name", "name_en", "population", "area_km2"]]
    table = table.merge(got[got["code"] != ""], on="code", how="left")
    table["n_incidents"] = table["n"].fillna(0).astype(int)
    pop = pd.to_numeric(table["population"], errors="coerce")
    table["per_1000"] = (table["n_incidents"] / pop * 1000).where(pop > 0).round(3)
    table["per_km2"] = (table["n_incidents"] / table["area_km2"]).where(table["area_km2"] > 0).round(3)
    table["area_km2"] = table["area_km2"].round(4)
    cols = ["code", "name", "name_en", "n_incidents", "population", "per_1000", "area_km2", "per_km2"]
    return table[cols], outside


def categories(conn: Connection, scope: Scope) -> list[str]:
    """The incident categories seen inside ``scope``."""
    c = DAILY.c.category
    return list(conn.execute(select(c).where(filters.rows(DAILY, scope)).distinct().order_by(c)).scalars())


def areas_for_map(conn: Connection, scope: Scope, levels: Sequence[str]) -> gpd.GeoDataFrame:
    """Areas of ``levels`` inside ``scope``."""
    areas = load_areas(conn)
    inside = pd.Series(False, index=areas.index)
    for lv in levels:
        codes = filters.area_codes(conn, scope, lv)
        inside |= (areas["level"] == lv) & (True if codes is None else areas["code"].isin(codes))
    return areas[inside]
