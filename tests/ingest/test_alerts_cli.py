"""``python -m geo alerts run`` and the run after every import: raised once, delivery failures and even a
failed evaluation never fail the import (it is committed first)."""

from __future__ import annotations

import socket

import pytest
from sqlalchemy import text

from geo.cli import main
from geo.store import accounts, alerts
from geo.store.scope import Scope
from tests.helpers import centre, incidents_csv, small_city

HEAD = ["source_id", "kind", "found_on", "deadline", "x", "y", "title"]


def _url(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _ledger(tmp_path, name="items.csv"):
    rows = [("L1", "hazard", "2026-06-01", "2026-06-20", *centre("C1"), "broken street light"),
            ("L2", "hazard", "2026-06-01", "2026-07-02", *centre("C2"), "blocked fire lane"),
            ("L3", "hazard", "2026-06-01", "2026-09-30", *centre("C3"), "loose railing")]
    return incidents_csv(tmp_path, rows, name=name, header=HEAD)


@pytest.fixture
def city(db, tmp_path):
    small_city(db, tmp_path)
    accounts.add(db, "admin", "clerk.d1", "Correct-horse-42x", "clerk", "D1")
    return db


def _subscribe(engine, **channels):
    with engine.connect() as conn:
        scope = Scope.of(conn, "D1")
    alerts.subscribe(engine, "clerk.d1", "clerk", scope, "D1", "ledger", due_days=3, **channels)


def _alerts(engine):
    with engine.connect() as conn:
        return conn.execute(text("SELECT subject, condition, delivery FROM alerts ORDER BY subject")).all()


def test_an_import_raises_the_alerts_and_a_run_later_raises_nothing_new(city, tmp_path, capsys):
    _subscribe(city)
    assert main(["import", "ledger", str(_ledger(tmp_path)), "--db", _url(city)]) == 0
    err = capsys.readouterr().err
    assert "alerts: 1 subscriptions evaluated (0 skipped), 2 raised" in err
    with city.connect() as conn:
        ids = dict(conn.execute(text("SELECT source_id, id FROM ledger_items")).all())
    assert _alerts(city) == sorted([(f"item:{ids['L1']}", "overdue", "none"), (f"item:{ids['L2']}", "due_soon", "none")])
    assert main(["alerts", "run", "--db", _url(city)]) == 0
    out = capsys.readouterr().out
    assert "0 raised, 2 still active" in out and len(_alerts(city)) == 2


def test_no_alerts_skips_the_run(city, tmp_path, capsys):
    _subscribe(city)
    assert main(["import", "ledger", str(_ledger(tmp_path)), "--no-alerts", "--db", _url(city)]) == 0
    assert "alerts:" not in capsys.readouterr().err and _alerts(city) == []


def test_a_failed_delivery_does_not_fail_the_import(city, tmp_path, capsys):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    _subscribe(city, webhook=f"http://127.0.0.1:{port}/hook")
    assert main(["import", "ledger", str(_ledger(tmp_path)), "--db", _url(city)]) == 0
    assert "delivery failed 2" in capsys.readouterr().err
    assert {d for _, _, d in _alerts(city)} == {"failed"}
    with city.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM ledger_items")).scalar() == 3


def test_an_evaluation_that_fails_leaves_the_import_committed(make_db, tmp_path, capsys):
    engine = make_db("sqlite")
    small_city(engine, tmp_path)
    with engine.begin() as conn:  # an alerts table the run cannot use
        conn.execute(text("DROP TABLE alerts"))
    assert main(["import", "ledger", str(_ledger(tmp_path)), "--db", _url(engine)]) == 0
    assert "warning: alerts were not evaluated after the import" in capsys.readouterr().err
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM ledger_items")).scalar() == 3


def test_alerts_run_on_a_missing_database_is_a_clear_error(tmp_path, capsys):
    assert main(["alerts", "run", "--db", f"sqlite:///{tmp_path / 'none.sqlite'}"]) == 2
    assert "run `python -m geo init` first" in capsys.readouterr().err
