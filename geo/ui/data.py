"""Cached access to the store for pages: one engine per database, query results with a TTL.

Every cached loader takes the database URL as its first argument, so two databases in
one process (tests, or a changed ``DATABASE_URL``) never share cached results.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import streamlit as st
from sqlalchemy.engine import Engine

from geo.core.coverage import fov_polygons
from geo.core.crs import metric_crs
from geo.store import features
from geo.store.engine import describe, make_engine, resolve_url
from geo.store.measures import area_card, area_measures, area_path, search_areas
from geo.store.queries import area_level_counts, areas_for_map, categories, latest_day, table_counts
from geo.store.schema import deployment_timezone, is_initialised

TTL_SECONDS = 60


@st.cache_resource
def _engine_for(url: str) -> Engine:
    return make_engine(url)


def engine() -> Engine:
    return _engine_for(resolve_url())


def database_label() -> str:
    return describe(engine())


@st.cache_data(ttl=TTL_SECONDS)
def _overview(url: str) -> dict | None:
    eng = _engine_for(url)
    if not is_initialised(eng):
        return None
    with eng.connect() as conn:
        return {"tables": table_counts(conn), "levels": area_level_counts(conn), "latest": latest_day(conn),
                "timezone": deployment_timezone(conn)}


def overview() -> dict | None:
    """Counts for the home page, or ``None`` when the database has no schema."""
    return _overview(resolve_url())


@st.cache_data(ttl=TTL_SECONDS)
def _boundary_layers(url: str):
    with _engine_for(url).connect() as conn:
        return areas_for_map(conn, ("district", "street", "grid"))


def boundary_layers():
    return _boundary_layers(resolve_url())


# ---- filters and measures (grid map, wall) -------------------------------------------------

GEOMETRY_TTL = 600  # shapes change only on import, which clears the caches anyway


def today() -> dt.date:
    """Today's local date in the deployment's time zone."""
    return dt.datetime.now(ZoneInfo(timezone())).date()


@st.cache_data(ttl=TTL_SECONDS)
def _timezone(url: str) -> str:
    with _engine_for(url).connect() as conn:
        return deployment_timezone(conn)


def timezone() -> str:
    return _timezone(resolve_url())


@st.cache_data(ttl=TTL_SECONDS)
def _latest(url: str) -> dt.date | None:
    with _engine_for(url).connect() as conn:
        return latest_day(conn)


def anchor_day() -> dt.date:
    """The day quick periods end on: the latest incident's local date, never after today."""
    latest = _latest(resolve_url())
    return min(latest, today()) if latest else today()


@st.cache_data(ttl=TTL_SECONDS)
def _categories(url: str) -> list[str]:
    with _engine_for(url).connect() as conn:
        return categories(conn)


def incident_categories() -> list[str]:
    return _categories(resolve_url())


@st.cache_data(ttl=TTL_SECONDS)
def _measures(url, level, start, end, cats, parent, under, day):
    with _engine_for(url).connect() as conn:
        return area_measures(conn, level, start, end, today=day, categories=list(cats) or None, parent=parent,
                             under=under)


def measures(level: str, start: dt.date, end: dt.date, cats: tuple[str, ...], parent: str | None,
             under: str | None = None):
    return _measures(resolve_url(), level, start, end, tuple(cats), parent, under, today())


@st.cache_data(ttl=TTL_SECONDS)
def _card(url, code, start, end, cats, day):
    with _engine_for(url).connect() as conn:
        return area_card(conn, code, start, end, today=day, categories=list(cats) or None)


def card(code: str, start: dt.date, end: dt.date, cats: tuple[str, ...]) -> dict | None:
    return _card(resolve_url(), code, start, end, tuple(cats), today())


@st.cache_data(ttl=GEOMETRY_TTL)
def _path(url, code):
    with _engine_for(url).connect() as conn:
        return area_path(conn, code)


def path(code: str | None) -> list[dict]:
    return _path(resolve_url(), code) if code else []


@st.cache_data(ttl=GEOMETRY_TTL)
def _search(url, query):
    with _engine_for(url).connect() as conn:
        return search_areas(conn, query)


def search(query: str):
    return _search(resolve_url(), query)


@st.cache_data(ttl=GEOMETRY_TTL)
def _shapes(url, level, parent, under):
    with _engine_for(url).connect() as conn:
        return features.areas_within(conn, level, parent, under)


def shapes(level: str, parent: str | None, under: str | None = None):
    return _shapes(resolve_url(), level, parent, under)


@st.cache_data(ttl=GEOMETRY_TTL)
def _outline(url, code):
    with _engine_for(url).connect() as conn:
        return features.area_shape(conn, code)


def outline(code: str):
    return _outline(resolve_url(), code)


@st.cache_data(ttl=GEOMETRY_TTL)
def _top_areas(url):
    with _engine_for(url).connect() as conn:
        return features.areas_within(conn, "district", None)


def top_areas():
    return _top_areas(resolve_url())


@st.cache_data(ttl=TTL_SECONDS)
def _layer(url, name, within, day):
    with _engine_for(url).connect() as conn:
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
            return features.zones(conn)
    raise ValueError(name)


def layer(name: str, within: tuple[str, str] | None = None):
    """Cameras (as fields of view), key places, open ledger items or patrol zones."""
    return _layer(resolve_url(), name, within, today())


@st.cache_data(ttl=TTL_SECONDS)
def _incidents(url, start, end, cats, within, limit):
    with _engine_for(url).connect() as conn:
        return features.incident_points(conn, start, end, deployment_timezone(conn), categories=list(cats) or None,
                                        within=within, limit=limit)


def incidents(start: dt.date, end: dt.date, cats: tuple[str, ...] = (), within=None, limit: int | None = None):
    return _incidents(resolve_url(), start, end, tuple(cats), within, limit)
