"""Cached access to the store for pages: one engine per database, query results with a TTL.

Every cached loader takes the database URL and the account's area scope as its first two
arguments, so two databases (tests, a changed ``DATABASE_URL``) or two accounts with
different scopes never share a cached result. Each read sets the scope for PostgreSQL's
row-level security for its own transaction only.
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

import streamlit as st
from sqlalchemy import text
from sqlalchemy.engine import Engine

from geo.core import clock
from geo.core.coverage import fov_polygons
from geo.core.crs import metric_crs
from geo.core.grid import LEVELS
from geo.store import features
from geo.store import scope as scoping
from geo.store.scope import Scope
from geo.store.areas import descendants
from geo.store.engine import describe, make_engine, resolve_url
from geo.store.kpis import wall_snapshot
from geo.store.measures import area_card, area_measures, area_path, search_areas
from geo.store.queries import TABLE_COUNTS, area_level_counts, categories, latest_day, table_counts
from geo.store.schema import deployment_timezone, is_initialised

TTL_SECONDS = 60
GEOMETRY_TTL = 600  # shapes change only on import, which clears the caches anyway


@st.cache_resource
def _engine_for(url: str) -> Engine:
    return make_engine(url)


def engine() -> Engine:
    return _engine_for(resolve_url())


def database_label() -> str:
    return describe(engine())


def user_scope() -> str | None:
    """The signed-in account's area scope (None: the whole jurisdiction)."""
    user = st.session_state.get("auth.user") or {}
    return user.get("scope")


@contextmanager
def _conn(url: str, scope: str | None):
    """A connection whose transaction carries ``scope`` (row-level security on PostgreSQL)."""
    with reading(url, scope) as (conn, _):
        yield conn


@contextmanager
def reading(url: str, scope: str | None):
    """``(connection, Scope)`` for an account's stored scope code: the one way loaders read.

    The code is resolved strictly (an unknown code raises, it never means "everything"), and the
    transaction carries it for PostgreSQL's row-level security.
    """
    with _engine_for(url).connect() as conn:
        resolved = Scope.for_account(conn, scope)
        scoping.apply(conn, resolved)
        yield conn, resolved


def scope() -> Scope:
    """The signed-in account's scope, resolved (for writes, which check it too)."""
    with reading(*_key()) as (_, resolved):
        return resolved


def _key() -> tuple[str, str | None]:
    return resolve_url(), user_scope()


# ---- overview --------------------------------------------------------------------------------

@st.cache_data(ttl=TTL_SECONDS)
def _overview(url: str, scope: str | None) -> dict | None:
    if not is_initialised(_engine_for(url)):
        return None
    with _conn(url, scope) as conn:
        within = scoping.column(conn, scope)
        if within is None:
            tables, levels = table_counts(conn), area_level_counts(conn)
        else:
            tables = {t: int(conn.execute(text(f"SELECT COUNT(*) FROM {t} WHERE {within[0]} = :c"),
                                          {"c": scope}).scalar())
                      for t in TABLE_COUNTS if t not in ("areas", "patrol_zones")}
            levels = {lv: len(descendants(conn, scope, lv)) for lv in LEVELS}
            own = conn.execute(text("SELECT level FROM areas WHERE code = :c"), {"c": scope}).scalar()
            levels[own] = 1
            tables = {"areas": sum(levels.values()), **tables}
        return {"tables": tables, "levels": levels, "latest": latest_day(conn),
                "timezone": deployment_timezone(conn)}


def overview() -> dict | None:
    """Counts for the home page (inside the account's scope), or ``None`` without a schema."""
    return _overview(*_key())


@st.cache_data(ttl=GEOMETRY_TTL)
def _boundary_layers(url: str, scope: str | None):
    with _conn(url, scope) as conn:
        from geo.store.areas import load_areas

        areas = load_areas(conn)
        areas = areas[areas["level"].isin(("district", "street", "grid"))]
        if scope:
            inside = {scope} | {c for lv in LEVELS for c in descendants(conn, scope, lv)}
            areas = areas[areas["code"].isin(inside)]
        return areas


def boundary_layers():
    return _boundary_layers(*_key())


# ---- filters and measures (grid map, wall) -------------------------------------------------

def today() -> dt.date:
    """Today's local date in the deployment's time zone."""
    return clock.today(timezone())


@st.cache_data(ttl=TTL_SECONDS)
def _timezone(url: str) -> str:
    with _engine_for(url).connect() as conn:
        return deployment_timezone(conn)


def timezone() -> str:
    return _timezone(resolve_url())


@st.cache_data(ttl=TTL_SECONDS)
def _latest(url: str, scope: str | None) -> dt.date | None:
    with _conn(url, scope) as conn:
        return latest_day(conn)


def anchor_day() -> dt.date:
    """The day quick periods end on: the latest incident's local date, never after today."""
    latest = _latest(*_key())
    return min(latest, today()) if latest else today()


@st.cache_data(ttl=TTL_SECONDS)
def _categories(url: str, scope: str | None) -> list[str]:
    with _conn(url, scope) as conn:
        return categories(conn)


def incident_categories() -> list[str]:
    return _categories(*_key())


@st.cache_data(ttl=TTL_SECONDS)
def _in_scope(url: str, scope: str | None, code: str | None) -> bool:
    with _conn(url, scope) as conn:
        return scoping.contains(conn, scope, code)


def in_scope(code: str | None) -> bool:
    """Whether area ``code`` lies inside the account's scope."""
    return _in_scope(*_key(), code)


@st.cache_data(ttl=TTL_SECONDS)
def _measures(url, scope, level, start, end, cats, parent, under, day):
    with _conn(url, scope) as conn:
        return area_measures(conn, level, start, end, today=day, categories=list(cats) or None, parent=parent,
                             under=under)


def measures(level: str, start: dt.date, end: dt.date, cats: tuple[str, ...], parent: str | None,
             under: str | None = None):
    """Measures of the areas below ``parent``/``under``; callers keep those inside the scope."""
    return _measures(*_key(), level, start, end, tuple(cats), parent, under, today())


@st.cache_data(ttl=TTL_SECONDS)
def _card(url, scope, code, start, end, cats, day):
    with _conn(url, scope) as conn:
        if not scoping.contains(conn, scope, code):
            return None
        return area_card(conn, code, start, end, today=day, categories=list(cats) or None)


def card(code: str, start: dt.date, end: dt.date, cats: tuple[str, ...]) -> dict | None:
    """An area's card, or None for an unknown code or one outside the account's scope."""
    return _card(*_key(), code, start, end, tuple(cats), today())


@st.cache_data(ttl=GEOMETRY_TTL)
def _path(url, scope, code):
    with _conn(url, scope) as conn:
        return area_path(conn, code)


def path(code: str | None) -> list[dict]:
    return _path(*_key(), code) if code else []


@st.cache_data(ttl=GEOMETRY_TTL)
def _search(url, scope, query):
    with _conn(url, scope) as conn:
        found = search_areas(conn, query, limit=200)
        keep = [scoping.contains(conn, scope, c) for c in found["code"]]
        return found[keep].head(20).reset_index(drop=True)


def search(query: str):
    """Areas matching ``query`` inside the account's scope."""
    return _search(*_key(), query)


@st.cache_data(ttl=GEOMETRY_TTL)
def _shapes(url, scope, level, parent, under):
    with _conn(url, scope) as conn:
        return features.areas_within(conn, level, parent, under)


def shapes(level: str, parent: str | None, under: str | None = None):
    return _shapes(*_key(), level, parent, under)


@st.cache_data(ttl=GEOMETRY_TTL)
def _outline(url, scope, code):
    with _conn(url, scope) as conn:
        return features.area_shape(conn, code)


def outline(code: str):
    return _outline(*_key(), code)


@st.cache_data(ttl=GEOMETRY_TTL)
def _top_areas(url, scope):
    with _conn(url, scope) as conn:
        if scope:
            return features.area_shape(conn, scope)
        return features.areas_within(conn, "district", None)


def top_areas():
    """The top of the account's world: its scope area, else the districts."""
    return _top_areas(*_key())


@st.cache_data(ttl=TTL_SECONDS)
def _layer(url, scope, name, within, day):
    with _conn(url, scope) as conn:
        within = within or scoping.column(conn, scope)
        if name == "cameras":
            cams = features.cameras(conn, within)
            if cams.empty:
                return cams
            lon, lat = cams.geometry.x.to_numpy(), cams.geometry.y.to_numpy()
            crs = metric_crs(float(lon.mean()), float(lat.mean()))
            cams["geometry"] = fov_polygons(lon, lat, cams["heading"].to_numpy(dtype=float),
                                            cams["fov"].to_numpy(dtype=float), cams["range_m"].to_numpy(dtype=float), crs)
            return cams
        if name == "places":
            return features.places(conn, within)
        if name == "ledger":
            return features.open_ledger(conn, day, within)
        if name == "zones":
            return features.zones(conn, within)
    raise ValueError(name)


def layer(name: str, within: tuple[str, str] | None = None):
    """Cameras (as fields of view), key places, open ledger items or patrol zones, inside the scope."""
    return _layer(*_key(), name, within, today())


@st.cache_data(ttl=TTL_SECONDS)
def _incidents(url, scope, start, end, cats, within, limit):
    with _conn(url, scope) as conn:
        within = within or scoping.column(conn, scope)
        return features.incident_points(conn, start, end, deployment_timezone(conn), categories=list(cats) or None,
                                        within=within, limit=limit)


def incidents(start: dt.date, end: dt.date, cats: tuple[str, ...] = (), within=None, limit: int | None = None):
    return _incidents(*_key(), start, end, tuple(cats), within, limit)


def wall(day: dt.date, now: dt.datetime | None, hot_cells: int, exclude: tuple[str, ...]) -> dict:
    """A fresh wall snapshot inside the account's scope (never cached: the wall shows what is now)."""
    url, scope = _key()
    with _conn(url, scope) as conn:
        return wall_snapshot(conn, day, now=now, hot_cells=hot_cells, within=scoping.column(conn, scope),
                             exclude=exclude)
