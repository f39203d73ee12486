"""A ledger file is imported under the rules of the item's card: new items start reported, a status
change becomes the workflow steps that lead there (as the importing person, checked for their
role, notes and re-check dates), and a row that breaks a rule is skipped whole with its row number."""

from __future__ import annotations

import datetime as dt
import getpass

import pytest
from sqlalchemy import text

from geo.cli import main
from geo.core.ledger import RECHECK_DAYS
from geo.ingest.errors import ImportRefused
from geo.ingest.pipeline import Importer, import_file
from geo.store import audit
from geo.store.scope import Scope
from tests.conftest import TODAY
from tests.helpers import centre, incidents_csv, small_city

EVERYTHING = Scope.jurisdiction()
CLERK = Importer("clerk.a", "clerk")
HEAD = ["source_id", "kind", "found_on", "x", "y", "title", "status", "note"]


def _ledger(tmp_path, rows: list[tuple], name: str):
    """Ledger rows (source_id, cell, title, status, note), found on 1 June in their cell, each source id at a
    place of its own about 100 m from the next (not likely duplicates of each other: see
    test_ledger_import_duplicates.py)."""
    return incidents_csv(tmp_path, [(sid, "hazard", "2026-06-01", *centre(cell, _spread(sid)), title, status, note)
                                    for sid, cell, title, status, note in rows], name=name, header=HEAD)


def _spread(sid: str) -> float:
    return 0.1 + 0.1 * (sum(map(ord, sid)) % 9)


def _items(engine) -> dict[str, tuple]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT source_id, status, title, recheck_on FROM ledger_items")).all()
    return {sid: (status, title, None if recheck is None else str(recheck)[:10]) for sid, status, title, recheck in rows}


def _history(engine, sid: str) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            "SELECT e.actor, e.action, e.from_status, e.to_status FROM ledger_events e "
            "JOIN ledger_items i ON i.id = e.item_id WHERE i.source_id = :s ORDER BY e.id"), {"s": sid})]


@pytest.fixture
def city(db, tmp_path):
    small_city(db, tmp_path)
    rows = [(f"L{k}", "C1", f"item {k}", "", "") for k in range(1, 7)]
    import_file(db, _ledger(tmp_path, rows, "first.csv"), "ledger", scope=EVERYTHING, by=CLERK)
    return db


def test_import_file_starts_new_items_reported_only(db, tmp_path):
    small_city(db, tmp_path)
    path = _ledger(tmp_path, [("N1", "C1", "a", "已上报", ""), ("N2", "C2", "b", "", ""),
                              ("N3", "C3", "c", "verified", "done"), ("N4", "C4", "d", "assigned", "")], "new.csv")
    report = import_file(db, path, "ledger", scope=EVERYTHING, by=CLERK)
    assert (report.inserted, [line for line, _ in report.skipped]) == (2, [4, 5])
    assert all("a new item starts as reported" in why for _, why in report.skipped)
    assert {sid: s for sid, (s, _, _) in _items(db).items()} == {"N1": "reported", "N2": "reported"}
    assert _history(db, "N1") == [("clerk.a", "import", None, "reported")]


def test_import_file_moves_items_by_the_clerks_steps_and_refuses_the_rest_row_by_row(city, tmp_path):
    path = _ledger(tmp_path, [
        ("L1", "C1", "item 1", "assigned", ""),                       # line 2: assign
        ("L2", "C1", "item 2", "verified", "fixed"),                  # line 3: a leader's step
        ("L3", "C1", "renamed 3", "cancelled", "duplicate"),          # line 4: a leader's step
        ("L4", "C1", "item 4", "rectified", "railing replaced"),      # line 5: assign, start, rectify
        ("L5", "C1", "item 5", "rectified", ""),                      # line 6: rectify needs a note
        ("L6", "C1", "item 6", "", "")], "second.csv")                # line 7: unchanged
    report = import_file(city, path, "ledger", scope=EVERYTHING, by=CLERK)
    assert (report.updated, report.unchanged) == (2, 1)
    why = dict(report.skipped)
    assert sorted(why) == [3, 4, 6]
    assert "the clerk role may not verify" in why[3] and "the clerk role may not cancel" in why[4]
    assert "rectify needs a note" in why[6]
    items = _items(city)
    assert items["L1"][0] == "assigned"
    assert items["L2"][0] == items["L5"][0] == "reported"
    assert items["L3"] == ("reported", "item 3", None)  # nothing of a refused row is written
    assert items["L4"] == ("rectified", "item 4", str(TODAY + dt.timedelta(days=RECHECK_DAYS)))
    assert _history(city, "L4") == [("clerk.a", "import", None, "reported"),
                                    ("clerk.a", "assign", "reported", "assigned"),
                                    ("clerk.a", "start", "assigned", "rectifying"),
                                    ("clerk.a", "rectify", "rectifying", "rectified")]
    with city.connect() as conn:
        log = audit.entries(conn, action="ledger.")
    assert sorted(log["action"]) == ["ledger.assign", "ledger.assign", "ledger.rectify", "ledger.start"]
    assert set(log["username"]) == {"clerk.a"}


def test_import_file_keeps_closed_items_closed_to_edits_and_checks_the_recheck_date(city, tmp_path):
    import_file(city, _ledger(tmp_path, [("L1", "C1", "item 1", "rectified", "fixed")], "fix.csv"), "ledger",
                scope=EVERYTHING, by=CLERK)
    admin = Importer("boss", "admin")
    report = import_file(city, _ledger(tmp_path, [("L1", "C1", "item 1", "verified", ""),
                                                  ("L2", "C1", "item 2", "rectified", "")], "verify.csv"),
                         "ledger", scope=EVERYTHING, by=admin)
    assert "the re-check is due on" in dict(report.skipped)[2]
    report = import_file(city, _ledger(tmp_path, [("L1", "C1", "new title", "rectified", "")], "edit.csv"),
                         "ledger", scope=EVERYTHING, by=admin)
    assert "a rectified item cannot be edited: reopen it first" in dict(report.skipped)[2]
    report = import_file(city, _ledger(tmp_path, [("L1", "C1", "new title", "assigned", "not fixed after all")],
                                       "reopen.csv"), "ledger", scope=EVERYTHING, by=admin)
    assert report.skipped == [] and _items(city)["L1"] == ("assigned", "new title", None)
    assert _history(city, "L1")[-2:] == [("boss", "reopen", "rectified", "assigned"),
                                         ("boss", "import-update", "assigned", "assigned")]


def test_import_file_refuses_items_outside_the_importers_area(city, tmp_path):
    path = _ledger(tmp_path, [("L1", "C2", "item 1", "assigned", ""),     # moved into C2: not in C2 before
                              ("N1", "C2", "new", "", "")], "moved.csv")
    report = import_file(city, path, "ledger", scope=Scope("C2", "grid"), by=CLERK)
    assert report.skipped == [(2, "ledger item L1 is not in your area C2")] and report.inserted == 1
    assert _items(city)["L1"][0] == "reported"


@pytest.mark.parametrize("by,message", [(None, "needs to know who imports it"),
                                        (Importer("lead", "leader"), "the leader role may not create")],
                         ids=["nobody", "leader"])
def test_import_file_refuses_a_ledger_file_from_someone_who_may_not_edit_the_ledger(city, tmp_path, by, message):
    path = _ledger(tmp_path, [("L1", "C1", "item 1", "verified", "")], "any.csv")
    with pytest.raises(ImportRefused, match=message):
        import_file(city, path, "ledger", scope=EVERYTHING, by=by)


def test_cli_import_takes_workflow_steps_as_the_os_user(city, tmp_path, capsys):
    url = city.url.render_as_string(hide_password=False)
    path = _ledger(tmp_path, [("L1", "C1", "item 1", "cancelled", "duplicate of L2"),
                              ("L2", "C1", "item 2", "verified", "")], "cli.csv")
    assert main(["import", "ledger", str(path), "--db", url]) == 0
    assert "skipped line 3: rectify needs a note" in capsys.readouterr().err
    me = f"cli:{getpass.getuser()}"
    assert _history(city, "L1")[-1] == (me, "cancel", "reported", "cancelled")
    assert _items(city)["L2"][0] == "reported"
    with city.connect() as conn:
        log = audit.entries(conn)
    assert list(log["action"][:2]) == ["import", "ledger.cancel"] and set(log["username"][:2]) == {me}


def test_the_import_writes_its_history_through_the_stores_one_writer(city, tmp_path, monkeypatch):
    """Every history row an import leaves (a new item, workflow steps, a field change) and the row a
    card's create leaves are the rows handed to ``geo.store.ledger.record_history``, nothing besides."""
    from geo.store import ledger as store_ledger

    handed = []
    writer = store_ledger.record_history

    def watched(conn, rows, rechecks=None, *, scope):
        handed.extend(rows)
        return writer(conn, rows, rechecks, scope=scope)

    monkeypatch.setattr(store_ledger, "record_history", watched)
    with city.connect() as conn:
        before = conn.execute(text("SELECT MAX(id) FROM ledger_events")).scalar()
    path = _ledger(tmp_path, [("L1", "C1", "item 1", "assigned", ""),
                              ("L4", "C1", "renamed 4", "rectified", "railing replaced"),
                              ("N9", "C2", "new", "", "")], "third.csv")
    import_file(city, path, "ledger", scope=EVERYTHING, by=CLERK)
    x, y = centre("C3")
    store_ledger.create_item(city, "clerk.a", "clerk", kind="hazard", title="by the card", found_on=TODAY,
                             lon=x, lat=y, scope=EVERYTHING)
    with city.connect() as conn:
        written = [tuple(r) for r in conn.execute(text(
            "SELECT item_id, actor, action, from_status, to_status, note FROM ledger_events WHERE id > :b "
            "ORDER BY id"), {"b": before})]
    assert {action for _, _, action, _, _, _ in written} >= {"import", "import-update", "assign", "rectify", "create"}
    assert written == [(r["item_id"], r["actor"], r["action"], r["from_status"], r["to_status"], r["note"])
                       for r in handed]
