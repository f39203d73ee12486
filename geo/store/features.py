"""Point and polygon layers read for maps: cameras, key places, ledger items, patrol zones, incidents.

Each reader takes an optional area filter ``within = (code column, code)`` and returns a
GeoDataFrame in WGS 84. No reader returns free text that could name a person: incidents
come back as time, category and place codes only.
"""

from __future__ import annotations

import datetime as dt
from typing import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Date, bindparam, text
from sqlalchemy.engine import Connection

from geo.core.crs import STORAGE_CRS
from geo.core.ledger import OPEN
from geo.core.timeutil import utc_bounds
from geo.store.areas import descendants
from geo.store.frames import to_frame
from geo.store.types import from_db

Within = tuple[str, str] | None


def _where(within: Within, params: dict, first: bool = True) -> str:
    if not within:
        return ""
    params["within"] = within[1]
    return f"{'WHERE' if first else 'AND'} {within[0]} = :within"


def _gdf(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    frame["geometry"] = [None if v is None else from_db(v) for v in frame.pop("geom")]
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=STORAGE_CRS)


def cameras(conn: Connection, within: Within = None) -> gpd.GeoDataFrame:
    params: dict = {}
    sql = ("SELECT source_id, heading, fov, range_m, kind, status, owner, cell_code, community_code, street_code, "
           "district_code, geom FROM cameras "
           + _where(within, params) + " ORDER BY id")
    return _gdf(to_frame(conn.execute(text(sql), params)))


def places(conn: Connection, within: Within = None) -> gpd.GeoDataFrame:
    params: dict = {}
    sql = ("SELECT source_id, kind, name, name_en, required_pct, cell_code, community_code, street_code, "
           "district_code, geom FROM places "
           + _where(within, params) + " ORDER BY id")
    return _gdf(to_frame(conn.execute(text(sql), params)))


def open_ledger(conn: Connection, today: dt.date, within: Within = None) -> gpd.GeoDataFrame:
    """Open ledger items with ``overdue_days`` (0 when not overdue)."""
    params: dict = {"open": list(OPEN)}
    sql = ("SELECT kind, category, title, responsible_unit, found_on, deadline, status, cell_code, geom "
           "FROM ledger_items WHERE status IN :open " + _where(within, params, first=False) + " ORDER BY id")
    frame = to_frame(conn.execute(text(sql).bindparams(bindparam("open", expanding=True)), params))
    deadlines = pd.to_datetime(frame["deadline"], errors="coerce")
    frame["overdue_days"] = (pd.Timestamp(today) - deadlines).dt.days.clip(lower=0).fillna(0).astype(int)
    return _gdf(frame)


def zones(conn: Connection, within: Within = None) -> gpd.GeoDataFrame:
    """Patrol zones (those overlapping the area ``within`` names, when given)."""
    sql = "SELECT code, name, name_en, team, shift, staff, geom FROM patrol_zones ORDER BY code"
    out = _gdf(to_frame(conn.execute(text(sql))))
    if within and not out.empty:
        region = area_shape(conn, within[1])
        if region.empty:
            return out.iloc[0:0]
        shape = region.geometry.iloc[0]
        overlap = shapely.area(shapely.intersection(np.asarray(out.geometry.values), shape)) > 0
        out = out[overlap].reset_index(drop=True)
    return out


def incident_points(conn: Connection, start: dt.date, end: dt.date, tz: str, *,
                    categories: Sequence[str] | None = None, within: Within = None,
                    limit: int | None = None, exclude: Sequence[str] = ()) -> pd.DataFrame:
    """Incidents of local days ``start``..``end``: ``occurred_at`` (UTC), category, cell_code, lon, lat.

    Newest first; ``limit`` keeps the newest N.
    """
    lo, hi = utc_bounds(start, end, tz)
    params: dict = {"lo": lo, "hi": hi}
    sql = "SELECT occurred_at, category, cell_code, community_code, street_code, district_code, geom FROM incidents " \
          "WHERE occurred_at >= :lo AND occurred_at < :hi "
    stmt_binds = []
    if categories:
        sql += "AND category IN :cats "
        params["cats"] = list(categories)
        stmt_binds.append(bindparam("cats", expanding=True))
    if exclude:
        sql += "AND category NOT IN :exclude "
        params["exclude"] = list(exclude)
        stmt_binds.append(bindparam("exclude", expanding=True))
    sql += _where(within, params, first=False) + " ORDER BY occurred_at DESC"
    if limit:
        sql += f" LIMIT {int(limit)}"
    from geo.store.models import Incident

    stmt = text(sql).bindparams(bindparam("lo", type_=Incident.occurred_at.type),
                                bindparam("hi", type_=Incident.occurred_at.type), *stmt_binds)
    frame = to_frame(conn.execute(stmt, params))
    geoms = [from_db(v) for v in frame.pop("geom")]
    frame["lon"] = [g.x if g is not None else None for g in geoms]
    frame["lat"] = [g.y if g is not None else None for g in geoms]
    frame["occurred_at"] = pd.to_datetime(frame["occurred_at"], utc=True)
    return frame


def areas_within(conn: Connection, level: str, parent: str | None, under: str | None = None) -> gpd.GeoDataFrame:
    """Areas of ``level``: children of ``parent``, or all below ``under``; code/name/team/population and shape."""
    params: dict = {"level": level}
    sql = "SELECT code, name, name_en, team, population, parent_code, geom FROM areas WHERE level = :level"
    if parent:
        sql += " AND parent_code = :parent"
        params["parent"] = parent
    frame = to_frame(conn.execute(text(sql + " ORDER BY code"), params))
    if under:
        frame = frame[frame["code"].isin(descendants(conn, under, level))].reset_index(drop=True)
    return _gdf(frame)


def area_shape(conn: Connection, code: str) -> gpd.GeoDataFrame:
    return _gdf(to_frame(conn.execute(text("SELECT code, name, name_en, level, geom FROM areas WHERE code = :c"),
                                      {"c": code})))


def daily_totals(conn: Connection, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Incidents per local day (``day``, ``n``) from the rollup."""
    stmt = text("SELECT day, SUM(n) FROM incident_daily WHERE day BETWEEN :s AND :e GROUP BY day ORDER BY day") \
        .bindparams(bindparam("s", type_=Date), bindparam("e", type_=Date))
    return to_frame(conn.execute(stmt, {"s": start, "e": end}), ["day", "n"])
