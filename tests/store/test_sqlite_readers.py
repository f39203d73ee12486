"""On SQLite a transaction takes the write lock at once (BEGIN IMMEDIATE), except on a connection marked
as a reader (``geo.store.dialects.READ_ONLY``, what the pages' reads use): readers then run beside a
writer instead of queueing for the one write lock."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from geo.store.dialects import READ_ONLY


def _write(engine, key: str) -> None:
    with engine.connect() as conn:
        conn.connection.driver_connection.execute("PRAGMA busy_timeout=200")  # fail fast, not after 10 s
        with conn.begin():
            conn.execute(text("INSERT INTO settings (key, value) VALUES (:k, '1')"), {"k": key})


def test_an_open_read_transaction_does_not_hold_back_a_writer(make_db):
    engine = make_db("sqlite")
    with engine.connect() as reader:
        reader.execution_options(**{READ_ONLY: True})
        assert reader.execute(text("SELECT COUNT(*) FROM settings")).scalar() >= 0  # its transaction is open
        _write(engine, "while.reading")
        # the reader's snapshot is the one it began with (WAL)
        assert reader.execute(text("SELECT COUNT(*) FROM settings WHERE key = 'while.reading'")).scalar() == 0
    with engine.connect() as conn:
        assert conn.execute(text("SELECT value FROM settings WHERE key = 'while.reading'")).scalar() == "1"


def test_an_unmarked_transaction_holds_the_write_lock_from_its_start(make_db):
    engine = make_db("sqlite")
    with engine.connect() as holder:
        holder.execute(text("SELECT COUNT(*) FROM settings")).scalar()  # BEGIN IMMEDIATE: the lock is taken
        with pytest.raises(OperationalError, match="locked"):
            _write(engine, "blocked")
