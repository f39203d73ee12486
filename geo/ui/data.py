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
from sqlalchemy.engine import Engine

from geo.core import clock
from geo.core.coverage import camera_views
from geo.core.auth import allowed
from geo.store import features, patrol
from geo.store import scope as scoping
from geo.store.engine import describe, make_engine, resolve_url
from geo.store.kpis import wall_view
from geo.store.measures import area_card, area_measures, area_path, search_areas
from geo.store.queries import area_level_counts, areas_for_map, categories, latest_day, table_counts
from geo.store.scope import Scope
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


def may_read_ledger() -> bool:
    """Whether the signed-in account holds the ledger permission (ledger layer, card items, report sheet)."""
    user = st.session_state.get("auth.user") or {}
    return allowed(user.get("role"), "view_ledger")


# ---- overview --------------------------------------------------------------------------------

@st.cache_data(ttl=TTL_SECONDS)
def _overview(url: str, scope: str | None) -> dict | None:
    if not is_initialised(_engine_for(url)):
        return None
    with reading(url, scope) as (conn, s):
        return {"tables": table_counts(conn, s), "levels": area_level_counts(conn, s), "latest": latest_day(conn, s),
                "timezone": deployment_timezone(conn)}


def overview() -> dict | None:
    """Counts for the home page (inside the account's scope), or ``None`` without a schema."""
    return _overview(*_key())


@st.cache_data(ttl=GEOMETRY_TTL)
def _boundary_layers(url: str, scope: str | None):
    with reading(url, scope) as (conn, s):
        return areas_for_map(conn, s, ("district", "street", "grid"))


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
    with reading(url, scope) as (conn, s):
        return latest_day(conn, s)


def anchor_day() -> dt.date:
    """The day quick periods end on: the latest incident's local date, never after today."""
    latest = _latest(*_key())
    return min(latest, today()) if latest else today()


@st.cache_data(ttl=TTL_SECONDS)
def _categories(url: str, scope: str | None) -> list[str]:
    with reading(url, scope) as (conn, s):
        return categories(conn, s)


def incident_categories() -> list[str]:
    return _categories(*_key())


@st.cache_data(ttl=TTL_SECONDS)
def _in_scope(url: str, scope: str | None, code: str | None) -> bool:
    with reading(url, scope) as (conn, s):
        return s.contains(conn, code)


def in_scope(code: str | None) -> bool:
    """Whether area ``code`` lies inside the account's scope."""
    return _in_scope(*_key(), code)


@st.cache_data(ttl=TTL_SECONDS)
def _measures(url, scope, level, start, end, cats, parent, under, day):
    with reading(url, scope) as (conn, s):
        return area_measures(conn, s.narrow(conn, under), level, start, end, today=day,
                             categories=list(cats) or None, parent=parent)


def measures(level: str, start: dt.date, end: dt.date, cats: tuple[str, ...], parent: str | None,
             under: str | None = None):
    """Measures of the areas of ``level`` inside the scope: children of ``parent``, or all below ``under``."""
    return _measures(*_key(), level, start, end, tuple(cats), parent, under, today())


@st.cache_data(ttl=TTL_SECONDS)
def _card(url, scope, code, start, end, cats, day, with_ledger):
    with reading(url, scope) as (conn, s):
        if not s.contains(conn, code):
            return None
        return area_card(conn, s, code, start, end, today=day, with_ledger=with_ledger,
                         categories=list(cats) or None)


def card(code: str, start: dt.date, end: dt.date, cats: tuple[str, ...]) -> dict | None:
    """An area's card, or None for an unknown code or one outside the account's scope. Its ledger
    items only for an account with the ledger permission."""
    return _card(*_key(), code, start, end, tuple(cats), today(), may_read_ledger())


@st.cache_data(ttl=GEOMETRY_TTL)
def _path(url, scope, code):
    with reading(url, scope) as (conn, s):
        return area_path(conn, s, code)


def path(code: str | None) -> list[dict]:
    """Breadcrumbs from the top of the account's scope down to ``code`` (empty outside the scope)."""
    return _path(*_key(), code) if code else []


@st.cache_data(ttl=GEOMETRY_TTL)
def _search(url, scope, query):
    with reading(url, scope) as (conn, s):
        return search_areas(conn, s, query, limit=20)


def search(query: str):
    """Areas matching ``query`` inside the account's scope."""
    return _search(*_key(), query)


@st.cache_data(ttl=GEOMETRY_TTL)
def _shapes(url, scope, level, parent, under):
    with reading(url, scope) as (conn, s):
        return features.areas_within(conn, s.narrow(conn, under), level, parent)


def shapes(level: str, parent: str | None, under: str | None = None):
    """Areas of ``level`` inside the account's scope (children of ``parent``, below ``under``)."""
    return _shapes(*_key(), level, parent, under)


@st.cache_data(ttl=GEOMETRY_TTL)
def _outline(url, scope, code):
    with reading(url, scope) as (conn, s):
        return features.area_shape(conn, s, code)


def outline(code: str):
    return _outline(*_key(), code)


@st.cache_data(ttl=GEOMETRY_TTL)
def _top_areas(url, scope):
    with reading(url, scope) as (conn, s):
        if not s.everything:
            return features.area_shape(conn, s, s.code)
        return features.areas_within(conn, s, "district")


def top_areas():
    """The top of the account's world: its scope area, else the districts."""
    return _top_areas(*_key())


@st.cache_data(ttl=TTL_SECONDS)
def _layer(url, scope, name, focus, day, with_ledger):
    with reading(url, scope) as (conn, s):
        inside = s.narrow(conn, focus)
        if name == "cameras":
            cams = features.cameras(conn, inside)
            if not cams.empty:
                cams["geometry"] = camera_views(cams).to_crs(4326).values
            return cams
        if name == "places":
            return features.places(conn, inside)
        if name == "ledger":
            if not with_ledger:
                raise PermissionError("the ledger layer needs the ledger permission")
            return features.open_ledger(conn, inside, day)
        if name == "zones":
            if not patrol.zones_visible(s):
                raise PermissionError("patrol zones are shown to accounts of a district or the whole jurisdiction")
            return features.zones(conn, inside)
    raise ValueError(name)


def layer(name: str, focus: str | None = None):
    """Cameras (as fields of view), key places, open ledger items (ledger permission) or patrol zones
    (district-wide accounts), inside the account's scope and the area ``focus``."""
    return _layer(*_key(), name, focus, today(), may_read_ledger())


@st.cache_data(ttl=TTL_SECONDS)
def _incidents(url, scope, start, end, cats, focus, limit):
    with reading(url, scope) as (conn, s):
        return features.incident_points(conn, s.narrow(conn, focus), start, end, deployment_timezone(conn),
                                        categories=list(cats) or None, limit=limit)


def incidents(start: dt.date, end: dt.date, cats: tuple[str, ...] = (), focus: str | None = None,
              limit: int | None = None):
    """Incident points inside the account's scope (and the area ``focus``)."""
    return _incidents(*_key(), start, end, tuple(cats), focus, limit)


def wall(now: dt.datetime, *, k: int, hot_cells: int, exclude: tuple[str, ...], delay_days: int) -> dict:
    """What the wall shows now inside the account's scope, through disclosure control (never cached)."""
    with reading(*_key()) as (conn, s):
        return wall_view(conn, s, now, k=k, hot_cells=hot_cells, exclude=exclude, delay_days=delay_days)
