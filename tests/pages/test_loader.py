"""The pages' cached loader (``geo.ui.data.loader``): a loader's results are keyed by the database,
the account's scope and the loader itself, none of which the caller passes; ``session`` reads the
same database and scope uncached."""

from __future__ import annotations

import itertools

import pytest
import shapely
import streamlit as st
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.store.models import Area
from geo.ui import data

CALLS = itertools.count()


def _seen(conn, scope, tag: str) -> tuple:
    return tag, str(conn.engine.url), scope.code, next(CALLS)


@data.loader(ttl=60, show_spinner=False)
def first(conn, scope, tag: str) -> tuple:
    return _seen(conn, scope, tag)


@data.loader(ttl=60, show_spinner=False)
def second(conn, scope, tag: str) -> tuple:
    return _seen(conn, scope, tag)


@pytest.fixture
def two_databases(make_db, monkeypatch):
    """Two initialised SQLite databases, each holding district ``D1``; the app pointed at the first,
    signed in for the whole jurisdiction; the caches empty."""
    engines = [make_db("sqlite"), make_db("sqlite")]
    for engine in engines:
        with Session(engine) as session:
            session.add(Area(code="D1", level="district", geom=shapely.MultiPolygon([shapely.box(0, 0, 1, 1)])))
            session.commit()
    urls = [e.url.render_as_string(hide_password=False) for e in engines]
    monkeypatch.setenv("DATABASE_URL", urls[0])
    monkeypatch.setitem(st.session_state, "auth.user", {"username": "t", "role": "admin", "scope": None})
    st.cache_data.clear()
    yield urls
    st.cache_data.clear()


def test_a_loader_caches_and_its_caller_passes_only_its_own_arguments(two_databases):
    got = first("x")
    assert got[:3] == ("x", two_databases[0], None)
    assert first("x") == got  # served from the cache: the body did not run again
    assert first("y")[3] != got[3]


def test_two_loaders_with_the_same_arguments_never_share_a_result(two_databases):
    a, b = first("x"), second("x")
    assert a[3] != b[3]  # each body ran once
    assert first("x") == a and second("x") == b


def test_two_databases_never_share_a_result(two_databases, monkeypatch):
    here = first("x")
    monkeypatch.setenv("DATABASE_URL", two_databases[1])
    there = first("x")
    assert there[1] == two_databases[1] and there[3] != here[3]
    monkeypatch.setenv("DATABASE_URL", two_databases[0])
    assert first("x") == here


def test_two_scopes_never_share_a_result(two_databases, monkeypatch):
    everything = first("x")
    monkeypatch.setitem(st.session_state, "auth.user", {"username": "t", "role": "clerk", "scope": "D1"})
    district = first("x")
    assert everything[2] is None and district[2] == "D1" and district[3] != everything[3]
    with data.session() as (conn, scope):  # the uncached read sees the same account
        assert scope.code == "D1" and str(conn.engine.url) == two_databases[0]
    assert data.scope().code == "D1"


def test_an_unknown_scope_code_is_refused_not_read_as_everything(two_databases, monkeypatch):
    monkeypatch.setitem(st.session_state, "auth.user", {"username": "t", "role": "clerk", "scope": "NOPE"})
    with pytest.raises(Exception, match="NOPE"):
        first("x")


def test_clear_drops_the_loaders_results_only(two_databases):
    a, b = first("x"), second("x")
    first.clear()
    again = first("x")
    assert again[3] != a[3]
    assert first("x") == again and second("x") == b


def test_clear_after_a_write_shows_the_write(two_databases):
    @data.loader(ttl=60, show_spinner=False)
    def areas(conn, scope) -> list[str]:
        return sorted(conn.execute(text("SELECT code FROM areas")).scalars())

    assert areas() == ["D1"]
    with data.engine().begin() as conn:
        conn.execute(text("UPDATE areas SET code = 'D2'"))
    assert areas() == ["D1"]  # cached
    areas.clear()
    assert areas() == ["D2"]
