"""Point and polygon layers read for maps: cameras, key places, ledger items, patrol zones, incidents.

Each reader takes the reader's :class:`~geo.store.scope.Scope` as a required argument (its filter
comes from :mod:`geo.store.filters`) and returns a GeoDataFrame in WGS 84. No reader returns free text that could name a person: incidents
come back as time, category and place codes only.
"""

from __future__ import annotations

import datetime as dt
from typing import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from geo.core.crs import STORAGE_CRS
from geo.core.ledger import OPEN
from geo.store import filters
from geo.store.frames import to_frame
from geo.store.models import Area, Camera, Incident, IncidentDaily, LedgerItem, PatrolZone, Place
from geo.store.scope import Scope, require

CAMERAS, PLACES, LEDGER, INCIDENTS, DAILY = (m.__table__ for m in (Camera, Place, LedgerItem, Incident, IncidentDaily))


def _gdf(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    frame["geometry"] = frame.pop("geom")  # shapely already: the column type converts on read
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=STORAGE_CRS)


def _read(conn: Connection, stmt) -> gpd.GeoDataFrame:
    return _gdf(to_frame(conn.execute(stmt)))


def cameras(conn: Connection, scope: Scope) -> gpd.GeoDataFrame:
    """Cameras inside ``scope`` (points with heading, field of view, range, horizontal resolution, kind,
    status, owner)."""
    c = CAMERAS.c
    stmt = select(c.source_id, c.heading, c.fov, c.range_m, c.resolution_h, c.kind, c.status, c.owner, c.cell_code, c.community_code,
                  c.street_code, c.district_code, c.geom).where(filters.rows(CAMERAS, scope)).order_by(c.id)
    return _read(conn, stmt)


def places(conn: Connection, scope: Scope) -> gpd.GeoDataFrame:
    """Key places inside ``scope``."""
    c = PLACES.c
    stmt = select(c.source_id, c.kind, c.name, c.name_en, c.required_pct, c.cell_code, c.community_code,
                  c.street_code, c.district_code, c.geom).where(filters.rows(PLACES, scope)).order_by(c.id)
    return _read(conn, stmt)


def open_ledger(conn: Connection, scope: Scope, today: dt.date) -> gpd.GeoDataFrame:
    """Open ledger items inside ``scope`` with ``overdue_days`` (0 when not overdue)."""
    c = LEDGER.c
    stmt = select(c.kind, c.category, c.title, c.responsible_unit, c.found_on, c.deadline, c.status, c.cell_code,
                  c.geom).where(filters.rows(LEDGER, scope), c.status.in_(list(OPEN))).order_by(c.id)
    frame = to_frame(conn.execute(stmt))
    deadlines = pd.to_datetime(frame["deadline"], errors="coerce")
    frame["overdue_days"] = (pd.Timestamp(today) - deadlines).dt.days.clip(lower=0).fillna(0).astype(int)
    return _gdf(frame)


def zones(conn: Connection, scope: Scope) -> gpd.GeoDataFrame:
    """Patrol zones overlapping the area of ``scope`` (every zone for the whole jurisdiction)."""
    z = PatrolZone.__table__.c
    out = _read(conn, select(z.code, z.name, z.name_en, z.team, z.shift, z.staff, z.geom).order_by(z.code))
    if not require(scope).everything and not out.empty:
        region = area_shape(conn, scope, scope.code)
        shape = region.geometry.iloc[0]
        overlap = shapely.area(shapely.intersection(np.asarray(out.geometry.values), shape)) > 0
        out = out[overlap].reset_index(drop=True)
    return out


def incident_points(conn: Connection, scope: Scope, start: dt.date, end: dt.date, tz: str, *,
                    categories: Sequence[str] | None = None, limit: int | None = None,
                    exclude: Sequence[str] = ()) -> pd.DataFrame:
    """Incidents inside ``scope`` of local days ``start``..``end``: ``occurred_at`` (UTC), category,
    the area codes, lon, lat. Newest first; ``limit`` keeps the newest N.
    """
    c = INCIDENTS.c
    stmt = select(c.occurred_at, c.category, c.cell_code, c.community_code, c.street_code, c.district_code, c.geom) \
        .where(filters.rows(INCIDENTS, scope, days=(start, end), tz=tz, categories=categories, exclude=exclude)) \
        .order_by(c.occurred_at.desc())
    if limit:
        stmt = stmt.limit(int(limit))
    frame = to_frame(conn.execute(stmt))
    geoms = frame.pop("geom").tolist()
    frame["lon"] = [g.x if g is not None else None for g in geoms]
    frame["lat"] = [g.y if g is not None else None for g in geoms]
    frame["occurred_at"] = pd.to_datetime(frame["occurred_at"], utc=True)
    return frame


def areas_within(conn: Connection, scope: Scope, level: str, parent: str | None = None) -> gpd.GeoDataFrame:
    """Areas of ``level`` inside ``scope`` (children of ``parent`` only, when given):
    code/name/team/population, parent and shape."""
    return _read(conn, filters.area_rows(conn, scope, level, parent))


def area_shape(conn: Connection, scope: Scope, code: str) -> gpd.GeoDataFrame:
    """The outline of area ``code``, which must lie inside ``scope`` (:class:`ScopeError` otherwise)."""
    require(scope).narrow(conn, code)
    a = Area.__table__.c
    return _read(conn, select(a.code, a.name, a.name_en, a.level, a.geom).where(a.code == code))


def daily_totals(conn: Connection, scope: Scope, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Incidents per local day (``day``, ``n``) inside ``scope``, from the rollup."""
    d = DAILY.c
    stmt = select(d.day, func.sum(d.n)).where(filters.rows(DAILY, scope, days=(start, end))).group_by(d.day) \
        .order_by(d.day)
    return to_frame(conn.execute(stmt), ["day", "n"])
