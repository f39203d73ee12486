"""Data generations (``geo.store.generation``): every write that changes what pages show bumps one,
on both backends, including two first bumps racing on PostgreSQL."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text

from geo.store import generation


def test_counters_start_at_zero_and_count_bumps(db):
    with db.connect() as conn:
        assert generation.current(conn) == {"data": 0, "ledger": 0, "buildings": 0}
    with generation.writing(db, "data"):
        pass
    with generation.writing(db, "data", "ledger"):
        pass
    with db.connect() as conn:
        assert generation.current(conn) == {"data": 2, "ledger": 1, "buildings": 0}


def test_a_stamp_is_fresh_each_time_and_none_before_the_first(db):
    with db.connect() as conn:
        assert generation.stamp(conn, "buildings") is None
    stamps = []
    for _ in range(2):
        with db.begin() as conn:
            stamps.append(generation.renew_stamp(conn, "buildings"))
    with db.connect() as conn:
        assert generation.stamp(conn, "buildings") == stamps[1] != stamps[0]


def test_a_failed_write_bumps_nothing(db):
    with pytest.raises(RuntimeError):
        with generation.writing(db, "data"):
            raise RuntimeError("refused")
    with db.connect() as conn:
        assert generation.current(conn)["data"] == 0


def test_an_unknown_topic_is_refused(db):
    with pytest.raises(ValueError, match="nope"):
        with generation.writing(db, "nope"):
            pass


def test_two_first_bumps_at_once_both_count_on_postgresql(make_db):
    """The second transaction's INSERT waits for the first's, fails on the key, and falls back to the
    UPDATE inside its savepoint: the counter ends at 2 and neither transaction fails."""
    engine = make_db("postgis")
    errors = []
    with engine.begin() as first:
        generation.bump(first, "data")

        def second():
            try:
                with generation.writing(engine, "data"):
                    pass
            except Exception as exc:  # reported below
                errors.append(exc)

        racer = threading.Thread(target=second)
        racer.start()
        racer.join(0.5)
        assert racer.is_alive()  # waiting on the first transaction's row
    racer.join(10)
    assert not errors
    with engine.connect() as conn:
        assert generation.current(conn)["data"] == 2
        assert conn.execute(text("SELECT count(*) FROM settings WHERE key = 'generation.data'")).scalar() == 1


def test_imports_bump_data_and_ledger_writes_bump_ledger(db, tmp_path):
    import datetime as dt

    from geo.ingest.pipeline import import_file
    from geo.store import ledger
    from geo.store.scope import Scope
    from tests.helpers import centre, incidents_csv, small_city

    small_city(db, tmp_path)  # two area imports
    with db.connect() as conn:
        assert generation.current(conn) == {"data": 2, "ledger": 0, "buildings": 0}
    x, y = centre("C1")
    path = incidents_csv(tmp_path, [("a1", "2026-06-01T10:00:00+08:00", x, y, "theft", "")])
    import_file(db, path, "incidents", scope=Scope.jurisdiction())
    import_file(db, path, "incidents", scope=Scope.jurisdiction())  # the same file again changes nothing
    with db.connect() as conn:
        assert generation.current(conn) == {"data": 3, "ledger": 0, "buildings": 0}
    ledger.create_item(db, "clerk", "clerk", kind="hazard", title="t", found_on=dt.date(2026, 6, 1),
                       lon=x, lat=y, scope=Scope.jurisdiction())
    with db.connect() as conn:
        assert generation.current(conn) == {"data": 3, "ledger": 1, "buildings": 0}


def test_retention_that_removes_rows_bumps_data(db, tmp_path):
    import datetime as dt

    from geo.ingest.pipeline import import_file
    from geo.store.retention import maintain
    from geo.store.scope import Scope
    from tests.helpers import centre, incidents_csv, small_city

    small_city(db, tmp_path)
    x, y = centre("C1")
    old = incidents_csv(tmp_path, [("o1", "2020-03-01T10:00:00+08:00", x, y, "theft", ""),
                                   ("n1", "2026-06-01T10:00:00+08:00", x, y, "theft", "")])
    import_file(db, old, "incidents", scope=Scope.jurisdiction())
    with db.connect() as conn:
        before = generation.current(conn)["data"]
    with db.begin() as conn:
        maintain(conn, dt.date(2026, 7, 1), retain=24)  # removes the 2020 incident: one bump
    with db.begin() as conn:
        maintain(conn, dt.date(2026, 7, 1), retain=24)  # finds nothing more to remove: no bump
    with db.connect() as conn:
        assert generation.current(conn)["data"] == before + 1
        assert conn.execute(text("SELECT COUNT(*) FROM incidents")).scalar() == 1
