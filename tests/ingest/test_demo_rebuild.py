"""Rebuilding the demo city empties the append-only ledger history once, in one transaction, and
puts the guard back: afterwards the history again refuses deletes."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from geo.ingest.demo import build_demo
from tests.conftest import BACKENDS


@pytest.mark.parametrize("backend", BACKENDS)
def test_demo_replace_rebuilds_the_history_and_keeps_it_append_only(make_db, backend):
    engine = make_db(backend, tz="Asia/Shanghai")
    build_demo(engine, seed=5, scale=0.01, end=dt.date(2026, 6, 30))
    with engine.connect() as conn:
        first = conn.execute(text("SELECT count(*) FROM ledger_events")).scalar()
        rectified = conn.execute(text("SELECT count(*) FROM ledger_events WHERE action = 'rectify'")).scalar()
    assert first > 0 and rectified > 0  # the demo's closed items carry their rectification
    build_demo(engine, seed=6, scale=0.01, end=dt.date(2026, 6, 30), replace=True)
    with engine.connect() as conn:
        items = conn.execute(text("SELECT count(*) FROM ledger_items")).scalar()
        imported = conn.execute(text("SELECT count(*) FROM ledger_events WHERE action = 'import'")).scalar()
        camps = conn.execute(text("SELECT count(*) FROM campaigns")).scalar()
    assert imported == items and camps == 1  # only the new build's history and campaign
    with pytest.raises(DBAPIError, match="append-only"):
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM ledger_events"))
