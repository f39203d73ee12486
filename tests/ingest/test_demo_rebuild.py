"""Rebuilding the demo city empties the append-only ledger history once, in one transaction, and
puts the guard back: afterwards the history again refuses deletes. A rebuild replaces only demo
data unless forced, and the audit log records every build and wipe and keeps all it held."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from geo.cli import main
from geo.ingest.demo import build_demo
from geo.ingest.errors import ImportRefused
from geo.store import audit, generation, ledger
from geo.store.scope import Scope
from tests.conftest import BACKENDS
from tests.helpers import small_city

END = dt.date(2026, 6, 30)


def _log(engine) -> list[tuple]:
    with engine.connect() as conn:
        rows = audit.entries(conn)
    return list(zip(rows["id"], rows["username"], rows["action"], rows["detail"]))[::-1]  # oldest first


@pytest.mark.parametrize("backend", BACKENDS)
def test_demo_replace_rebuilds_the_history_and_keeps_it_append_only(make_db, backend):
    engine = make_db(backend, tz="Asia/Shanghai")
    build_demo(engine, seed=5, scale=0.01, end=END, actor="cli:tester")
    with engine.connect() as conn:
        first = conn.execute(text("SELECT count(*) FROM ledger_events")).scalar()
        rectified = conn.execute(text("SELECT count(*) FROM ledger_events WHERE action = 'rectify'")).scalar()
        footprints = conn.execute(text("SELECT count(*) FROM buildings")).scalar()
        stamp = generation.stamp(conn, "buildings")
    assert first > 0 and rectified > 0  # the demo's closed items carry their rectification
    assert footprints > 1_000 and stamp  # the town's buildings, through the buildings import
    before = _log(engine)
    build_demo(engine, seed=6, scale=0.01, end=END, replace=True, actor="cli:tester")
    with engine.connect() as conn:
        assert generation.stamp(conn, "buildings") != stamp  # the visibility cache sees other buildings
        assert conn.execute(text("SELECT count(*) FROM buildings WHERE source <> 'demo'")).scalar() == 0
        items = conn.execute(text("SELECT count(*) FROM ledger_items")).scalar()
        imported = conn.execute(text("SELECT count(*) FROM ledger_events WHERE action = 'import'")).scalar()
        camps = conn.execute(text("SELECT count(*) FROM campaigns")).scalar()
    assert imported == items and camps == 1  # only the new build's history and campaign
    with pytest.raises(DBAPIError, match="append-only"):
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM ledger_events"))
    after = _log(engine)
    assert after[:len(before)] == before  # the audit log keeps every entry it held
    mine = [(user, action) for _, user, action, _ in after if user == "cli:tester"]
    assert mine == [("cli:tester", "demo.build"), ("cli:tester", "demo.replace"), ("cli:tester", "demo.build")]
    wipe = next(detail for _, _, action, detail in after if action == "demo.replace")
    assert f"{first} ledger_events" in wipe and "forced" not in wipe


@pytest.mark.parametrize("backend", BACKENDS)
def test_demo_replace_refuses_data_the_demo_did_not_build_unless_forced(make_db, backend):
    engine = make_db(backend, tz="Asia/Shanghai")
    build_demo(engine, seed=5, scale=0.01, end=END, actor="cli:tester")
    everything = Scope.jurisdiction()
    with engine.connect() as conn:
        item_id, version = conn.execute(text("SELECT id, version FROM ledger_items WHERE status = 'reported' "
                                             "ORDER BY id")).first()
    ledger.act(engine, "clerk", "clerk", item_id, version, "assign", scope=everything)
    with engine.connect() as conn:
        items = ledger.items(conn, everything, END, ids=[item_id])
    point = items.geometry.iloc[0]
    ledger.create_item(engine, "clerk", "clerk", kind="hazard", title="real hazard", found_on=END,
                       lon=point.x, lat=point.y, scope=everything)
    with pytest.raises(ImportRefused) as refused:
        build_demo(engine, seed=6, scale=0.01, end=END, replace=True, actor="cli:tester")
    assert "1 ledger_items from other sources than the demo" in str(refused.value)
    assert "latest: ledger.create" in str(refused.value) and "--force" in str(refused.value)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM ledger_items WHERE source = 'app'")).scalar() == 1
    build_demo(engine, seed=6, scale=0.01, end=END, replace=True, force=True, actor="cli:tester")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM ledger_items WHERE source = 'app'")).scalar() == 0
    log = _log(engine)
    assert [a for _, _, a, _ in log].count("ledger.assign") == 1  # the audit log outlives the wipe
    wipe = next(detail for _, _, action, detail in log if action == "demo.replace")
    assert "forced over: 1 ledger_items from other sources" in wipe


def test_cli_demo_replace_refuses_a_database_no_demo_built(make_db, tmp_path, capsys):
    engine = make_db("sqlite")
    small_city(engine, tmp_path)
    url = engine.url.render_as_string(hide_password=False)
    assert main(["demo", "--replace", "--quiet", "--db", url]) == 2
    assert "no demo build is recorded in this database" in capsys.readouterr().err
    assert main(["demo", "--force", "--quiet", "--db", url]) == 2
    assert "--force only goes with --replace" in capsys.readouterr().err
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM areas")).scalar() == 5  # the small city is still there
