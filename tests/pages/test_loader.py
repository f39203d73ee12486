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


def test_a_read_replica_takes_the_cached_reads_and_the_primary_the_rest(two_databases, monkeypatch):
    monkeypatch.setenv("DATABASE_READ_URL", two_databases[1])
    assert first("x")[1] == two_databases[1]  # page reads: the replica
    with data.session() as (conn, _):  # writes and reads that must be current: the primary
        assert str(conn.engine.url) == two_databases[0]
    with data.replica_session() as (conn, _):  # the wall's uncached read: the replica
        assert str(conn.engine.url) == two_databases[1]
    assert str(data.engine().url) == two_databases[0]


def test_an_unreachable_replica_gives_way_to_the_primary(two_databases, monkeypatch):
    monkeypatch.setenv("DATABASE_READ_URL", "postgresql://nobody@127.0.0.1:1/nothing")  # nothing listens on port 1
    assert first("x")[1] == two_databases[0]
    with data.replica_session() as (conn, _):
        assert str(conn.engine.url) == two_databases[0]


def test_a_write_through_another_server_is_seen_without_a_clear(two_databases, monkeypatch):
    """Another app server's write bumps the data generation; this server's cached read is keyed by it,
    so the read changes once the generation is polled again, long before the TTL."""
    from geo.store import generation
    from geo.store.engine import make_engine
    from geo.ui import replica as polling

    @data.loader(ttl=3600, show_spinner=False)
    def codes(conn, scope) -> list[str]:
        return sorted(conn.execute(text("SELECT code FROM areas")).scalars())

    assert codes() == ["D1"]
    elsewhere = make_engine(two_databases[0])  # another process's engine on the same database
    with elsewhere.begin() as conn:
        conn.execute(text("UPDATE areas SET code = 'D3'"))
    assert codes() == ["D1"]  # a write that bumps nothing is seen only after the TTL
    with generation.writing(elsewhere, "data") as conn:
        conn.execute(text("UPDATE areas SET code = 'D4'"))
    monkeypatch.setattr(polling, "POLL_S", 0.0)
    assert codes() == ["D4"]


def test_the_ledger_generation_renews_only_the_reads_that_depend_on_it(two_databases, monkeypatch):
    from geo.store import generation
    from geo.ui import replica as polling

    @data.loader(ttl=3600, show_spinner=False)
    def plain(conn, scope) -> int:
        return next(CALLS)

    @data.loader(ttl=3600, show_spinner=False, topics=("data", "ledger"))
    def with_ledger(conn, scope) -> int:
        return next(CALLS)

    monkeypatch.setattr(polling, "POLL_S", 0.0)
    a, b = plain(), with_ledger()
    with generation.writing(data.engine(), "ledger"):
        pass
    assert plain() == a and with_ledger() != b


def test_a_read_the_replica_cannot_answer_is_answered_by_the_primary(two_databases, monkeypatch):
    """A query failing on the replica (as a hot standby cancels one that conflicts with replay) is run
    again on the primary; here the replica lacks a table the primary has."""
    with data.engine().begin() as conn:
        conn.execute(text("CREATE TABLE only_here (n INTEGER)"))
        conn.execute(text("INSERT INTO only_here VALUES (7)"))
    monkeypatch.setenv("DATABASE_READ_URL", two_databases[1])

    @data.loader(ttl=60, show_spinner=False)
    def count(conn, scope) -> int:
        return conn.execute(text("SELECT n FROM only_here")).scalar()

    assert count() == 7
