"""Cached access to the store for pages: one engine per process, query results with a TTL."""

from __future__ import annotations

import streamlit as st
from sqlalchemy.engine import Engine

from geo.store.engine import describe, make_engine
from geo.store.queries import area_level_counts, areas_for_map, latest_day, table_counts
from geo.store.schema import deployment_timezone, is_initialised

TTL_SECONDS = 60


@st.cache_resource
def engine() -> Engine:
    return make_engine()


def database_label() -> str:
    return describe(engine())


@st.cache_data(ttl=TTL_SECONDS)
def overview() -> dict | None:
    """Counts for the home page, or ``None`` when the database has no schema."""
    eng = engine()
    if not is_initialised(eng):
        return None
    with eng.connect() as conn:
        return {"tables": table_counts(conn), "levels": area_level_counts(conn), "latest": latest_day(conn),
                "timezone": deployment_timezone(conn)}


@st.cache_data(ttl=TTL_SECONDS)
def boundary_layers():
    with engine().connect() as conn:
        return areas_for_map(conn, ("district", "street", "grid"))
