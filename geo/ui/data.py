"""Cached access to the store for pages: one engine per database, query results with a TTL.

Every cached loader takes the database URL as its first argument, so two databases in
one process (tests, or a changed ``DATABASE_URL``) never share cached results.
"""

from __future__ import annotations

import streamlit as st
from sqlalchemy.engine import Engine

from geo.store.engine import describe, make_engine, resolve_url
from geo.store.queries import area_level_counts, areas_for_map, latest_day, table_counts
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
