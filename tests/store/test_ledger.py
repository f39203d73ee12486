"""The ledger over the store on both backends: create, edit, the workflow, history, concurrent
edits, oversight and recurrence."""

from __future__ import annotations

import datetime as dt
import itertools
import random

import pandas as pd
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from geo.core.ledger import WorkflowRefused
from geo.core import clock
from geo.store import audit, features, ledger, ledger_hygiene
from geo.store.ledger import ItemRefused, StaleEdit
from tests.conftest import BACKENDS, ROOT, TODAY, backend_demo
from geo.store.scope import Scope

ALL = Scope.jurisdiction()  # the operator's explicit whole-jurisdiction scope



@pytest.fixture(scope="module", params=BACKENDS)
def city(request, tmp_path_factory):
    engine, url = backend_demo(request, tmp_path_factory, seed=45, scale=0.03, end=TODAY)
    yield engine, url
    engine.dispose()


def _spot(engine):
    with engine.connect() as conn:
        cell = features.areas_within(conn, ALL, "grid").iloc[0]
    p = cell.geometry.representative_point()
    return cell["code"], p.x, p.y


_SEQ = itertools.count(1)


def _new(engine, **kw):
    code, x, y = _spot(engine)
    # each call a different item: the store refuses the very same item twice in a row (see below)
    args = dict(kind="hazard", title=f"loose manhole cover {next(_SEQ)}", found_on=TODAY - dt.timedelta(days=3), lon=x, lat=y,
                category="road", responsible_unit="roads office", deadline=TODAY + dt.timedelta(days=10))
    args.update(kw)
    return _judged(engine, "clerk", **args, scope=ALL), code


def _judged(engine, actor, **args):
    """Create as the form does once the clerk has seen the likely duplicates and judged the item distinct
    (the hygiene checks themselves are tested in test_ledger_hygiene.py)."""
    with engine.connect() as conn:
        seen = ledger_hygiene.likely_duplicates(conn, args["scope"], kind=args["kind"], category=args.get("category"),
                                                lon=args["lon"], lat=args["lat"], found_on=args["found_on"])
    return ledger.create_item(engine, actor, "clerk", **args, distinct_from=list(seen["id"]))


def _row(engine, item_id):
    with engine.connect() as conn:
        return dict(conn.execute(text("SELECT * FROM ledger_items WHERE id = :i"), {"i": item_id}).mappings().one())


def test_create_places_the_item_in_its_cell_masks_identifiers_and_records_it(city):
    engine, _ = city
    item_id, cell = _new(engine, description="caller 13812345678 says the cover rocks")
    row = _row(engine, item_id)
    assert row["status"] == "reported" and row["version"] == 1 and row["cell_code"] == cell
    assert "13812345678" not in row["description"]
    with engine.connect() as conn:
        hist = ledger.history(conn, ALL, item_id)
        log = audit.entries(conn, action="ledger.create")
    # (then "distinct": the clerk judged it distinct from the likely duplicates the earlier tests left there)
    assert list(hist["action"])[:1] == ["create"] and hist["to_status"].iloc[0] == "reported"
    assert str(item_id) in set(log["object"])


def test_the_form_path_masks_identifiers_in_every_text_field_and_note(city):
    from geo.core.identifiers import ID_TOKEN, PHONE_TOKEN

    engine, _ = city
    item_id, _ = _new(engine, title="井盖松动，电话１３８　１２３４　５６７８", category="road",
                      description="报警人110101 19900307 1234", responsible_unit="市政所（010）12345678转12")
    row = _row(engine, item_id)  # the category is a code from the list: nothing typed can reach it
    assert (row["title"], row["category"], row["description"], row["responsible_unit"]) == (
        f"井盖松动，电话{PHONE_TOKEN}", "road", f"报警人{ID_TOKEN}", f"市政所{PHONE_TOKEN}")
    v = ledger_hygiene.correct_item(engine, "clerk", "clerk", item_id, 1, responsible_unit="所长 +86 138-1234-5678",
                                    reason="报错单位 13712345678", scope=ALL)
    v = ledger.act(engine, "admin", "admin", item_id, v, "cancel", note="重复，联系 13912345678", scope=ALL)
    with engine.connect() as conn:
        notes = ledger.history(conn, ALL, item_id)["note"].tolist()
    assert _row(engine, item_id)["responsible_unit"] == f"所长 {PHONE_TOKEN}"
    assert notes[-1] == f"重复，联系 {PHONE_TOKEN}"


@pytest.mark.parametrize("change,message", [
    ({"deadline": TODAY - dt.timedelta(days=30)}, "before the date found"),
    ({"lon": 0.0, "lat": 0.0}, "outside the district"),
    ({"lon": float("nan")}, "needs a location"),
    ({"title": "  "}, "needs a title"),
])
def test_create_refuses_bad_items_and_writes_nothing(city, change, message):
    engine, _ = city
    with engine.connect() as conn:
        before = conn.execute(text("SELECT count(*) FROM ledger_items")).scalar()
    with pytest.raises(ItemRefused, match=message):
        _new(engine, **change)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM ledger_items")).scalar() == before


def test_only_clerks_and_admins_create_or_edit(city):
    engine, _ = city
    code, x, y = _spot(engine)
    for role in ("leader", "planner", "wall", None):
        with pytest.raises(WorkflowRefused, match="may not create or edit"):
            ledger.create_item(engine, "someone", role, kind="hazard", title="t", found_on=TODAY, lon=x, lat=y, scope=ALL)


def test_the_whole_workflow_with_history_and_audit(city):
    engine, _ = city
    item_id, _ = _new(engine)
    v = ledger.act(engine, "clerk", "clerk", item_id, 1, "assign", scope=ALL)
    v = ledger.act(engine, "clerk", "clerk", item_id, v, "start", scope=ALL)
    with pytest.raises(WorkflowRefused, match="needs a note"):
        ledger.act(engine, "clerk", "clerk", item_id, v, "rectify", scope=ALL)
    v = ledger.act(engine, "clerk", "clerk", item_id, v, "rectify", note="cover replaced", today=TODAY, scope=ALL)
    row = _row(engine, item_id)
    assert row["status"] == "rectified" and pd.Timestamp(row["recheck_on"]).date() == TODAY + dt.timedelta(days=30)
    with pytest.raises(WorkflowRefused, match="may not verify"):
        ledger.act(engine, "clerk", "clerk", item_id, v, "verify", today=TODAY + dt.timedelta(days=30), scope=ALL)
    with pytest.raises(WorkflowRefused, match="cannot be verified before"):
        ledger.act(engine, "leader", "leader", item_id, v, "verify", today=TODAY + dt.timedelta(days=29), scope=ALL)
    v = ledger.act(engine, "leader", "leader", item_id, v, "verify", today=TODAY + dt.timedelta(days=30), scope=ALL)
    v = ledger.act(engine, "leader", "leader", item_id, v, "reopen", note="rocking again", scope=ALL)
    assert _row(engine, item_id)["status"] == "assigned" and v == 6 == _row(engine, item_id)["version"]
    with engine.connect() as conn:
        hist = ledger.history(conn, ALL, item_id)
        log = audit.entries(conn)
    hist = hist[hist["action"] != "distinct"].reset_index(drop=True)  # the clerk's judgement at create (see _new)
    assert list(hist["action"]) == ["create", "assign", "start", "rectify", "verify", "reopen"]
    assert list(hist["to_status"]) == ["reported", "assigned", "rectifying", "rectified", "verified", "assigned"]
    assert list(hist["from_status"].iloc[1:]) == list(hist["to_status"].iloc[:-1])  # a chain with no gap
    assert hist.loc[hist["action"] == "rectify", "note"].iloc[0] == "cover replaced"
    mine = log[log["object"] == str(item_id)]
    assert set(mine["action"]) >= {"ledger.create", "ledger.assign", "ledger.start", "ledger.rectify",
                                   "ledger.verify", "ledger.reopen"}


def test_history_is_append_only(city):
    engine, _ = city
    item_id, _ = _new(engine)
    for sql in ("UPDATE ledger_events SET note = 'rewritten' WHERE item_id = :i",
                "DELETE FROM ledger_events WHERE item_id = :i"):
        with pytest.raises(DBAPIError, match="append-only"):
            with engine.begin() as conn:
                conn.execute(text(sql), {"i": item_id})
    with engine.connect() as conn:
        assert len(ledger.history(conn, ALL, item_id).query("action != 'distinct'")) == 1


def test_a_closed_item_cannot_be_edited_and_unknown_fields_are_refused(city):
    engine, _ = city
    item_id, _ = _new(engine)
    v = ledger.act(engine, "admin", "admin", item_id, 1, "cancel", note="duplicate of another item", scope=ALL)
    with pytest.raises(ItemRefused, match="cannot be edited: reopen it first"):
        ledger.edit_item(engine, "clerk", "clerk", item_id, v, title="new", scope=ALL)
    v = ledger.act(engine, "clerk", "clerk", item_id, v, "reopen", note="not a duplicate after all", scope=ALL)
    with pytest.raises(ItemRefused, match="cannot be edited: status"):
        ledger.edit_item(engine, "clerk", "clerk", item_id, v, status="verified", scope=ALL)
    code, x, y = _spot(engine)
    v2 = ledger.edit_item(engine, "clerk", "clerk", item_id, v, title="moved cover", lon=x + 1e-5, lat=y, scope=ALL)
    row = _row(engine, item_id)
    assert v2 == v + 1 and row["title"] == "moved cover" and row["cell_code"] == code


def test_two_clerks_over_1000_random_interleavings_lose_no_update(city):
    """Each round both clerks read the item and write their own value, in a random order of the four
    steps. A write based on an old version is refused with a clear message and changes nothing;
    the refused clerk reloads and writes again. Every intended value ends up written exactly once."""
    engine, _ = city
    item_id, _ = _new(engine)
    rng = random.Random(7)
    version = {"a": None, "b": None}
    written, stale = [], 0
    for i in range(1000):
        steps = [("a", "read"), ("a", "write"), ("b", "read"), ("b", "write")]
        order = sorted(steps, key=lambda s: rng.random())  # a random order in which
        # each clerk still reads before writing
        for who in ("a", "b"):
            r, w = order.index((who, "read")), order.index((who, "write"))
            if r > w:
                order[r], order[w] = order[w], order[r]
        for who, what in order:
            if what == "read":
                version[who] = _row(engine, item_id)["version"]
                continue
            value = f"{who}-{i}"
            try:
                ledger.edit_item(engine, f"clerk-{who}", "clerk", item_id, version[who], description=value, scope=ALL)
            except StaleEdit as exc:
                stale += 1
                assert "changed by someone else" in str(exc)
                assert _row(engine, item_id)["description"] != value  # nothing of the refused write landed
                version[who] = _row(engine, item_id)["version"]  # reload and apply again
                ledger.edit_item(engine, f"clerk-{who}", "clerk", item_id, version[who], description=value, scope=ALL)
            assert _row(engine, item_id)["description"] == value
            written.append(value)
    assert len(written) == 2000 and len(set(written)) == 2000 and stale > 100
    row = _row(engine, item_id)
    with engine.connect() as conn:
        edits = ledger.history(conn, ALL, item_id)
    assert row["version"] == 1 + 2000 and (edits["action"] == "edit").sum() == 2000


def test_items_filters_and_oversight(city):
    engine, _ = city
    old, _ = _new(engine, responsible_unit="drains unit", found_on=TODAY - dt.timedelta(days=40),
                  deadline=TODAY - dt.timedelta(days=2))
    soon, _ = _new(engine, responsible_unit="drains unit", deadline=TODAY + dt.timedelta(days=3))
    with engine.connect() as conn:
        rows = ledger.items(conn, ALL, TODAY, units=["drains unit"]).set_index("id")
        overdue = ledger.items(conn, ALL, TODAY, units=["drains unit"], overdue_only=True)
        table = ledger.oversight(conn, ALL, TODAY, units=["drains unit"]).set_index("responsible_unit")
    assert bool(rows.loc[old, "overdue"]) and rows.loc[old, "overdue_days"] == 2
    assert bool(rows.loc[soon, "due_soon"]) and not bool(rows.loc[soon, "overdue"])
    assert list(overdue["id"]) == [old]
    assert table.loc["drains unit", "items"] == 2 and table.loc["drains unit", "overdue"] == 1
    assert table.loc["drains unit", "due_soon"] == 1 and table.loc["drains unit", "rectification_rate"] == 0


def test_recurrence_counts_incidents_near_an_item_after_it_was_closed(city, tmp_path):
    from geo.ingest.pipeline import import_file

    engine, _ = city
    code, x, y = _spot(engine)
    item_id, _ = _new(engine, title="dark alley lamp")
    v = ledger.act(engine, "clerk", "clerk", item_id, 1, "assign", scope=ALL)
    v = ledger.act(engine, "clerk", "clerk", item_id, v, "start", scope=ALL)
    ledger.act(engine, "clerk", "clerk", item_id, v, "rectify", note="lamp fixed", scope=ALL)
    later = (clock.now_utc() + dt.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    far = x + 0.01
    csv = tmp_path / "after.csv"
    csv.write_text("source_id,occurred_at,x,y,category\n"
                   f"r1,{later},{x + 0.0002},{y},theft\nr2,{later},{x},{y + 0.0003},theft\nr3,{later},{far},{y},theft\n")
    import_file(engine, csv, "incidents", scope=ALL, source="recur-test", tz="UTC")
    with engine.connect() as conn:
        table = ledger.recurrence(conn, ALL, TODAY + dt.timedelta(days=1), distance_m=100, tz="UTC").set_index("id")
    assert table.loc[item_id, "incidents_after"] == 2  # ~20 m and ~33 m away; the third is ~1 km off


def test_an_account_scoped_to_one_street_cannot_touch_items_of_another(city):
    engine, _ = city
    item_id, cell = _new(engine)
    with engine.connect() as conn:
        street = conn.execute(text("SELECT street_code FROM ledger_items WHERE id = :i"), {"i": item_id}).scalar()
        other = conn.execute(text("SELECT code FROM areas WHERE level = 'street' AND code <> :s ORDER BY code"),
                             {"s": street}).scalar()
    code, x, y = _spot(engine)
    with engine.connect() as conn:
        street, other = Scope.of(conn, street), Scope.of(conn, other)
    with pytest.raises(ItemRefused, match="outside your area"):
        ledger.create_item(engine, "clerk", "clerk", kind="hazard", title="t", found_on=TODAY, lon=x, lat=y,
                           scope=other)
    with pytest.raises(ItemRefused, match="no ledger item"):
        ledger.act(engine, "clerk", "clerk", item_id, 1, "assign", scope=other)
    with pytest.raises(ItemRefused, match="no ledger item"):
        ledger.edit_item(engine, "clerk", "clerk", item_id, 1, title="x", scope=other)
    assert ledger.act(engine, "clerk", "clerk", item_id, 1, "assign", scope=street) == 2


def test_the_history_writer_refuses_items_outside_the_writers_area(city):
    engine, _ = city
    item_id, _cell = _new(engine)
    with engine.connect() as conn:
        street = conn.execute(text("SELECT street_code FROM ledger_items WHERE id = :i"), {"i": item_id}).scalar()
        other = conn.execute(text("SELECT code FROM areas WHERE level = 'street' AND code <> :s ORDER BY code"),
                             {"s": street}).scalar()
        street, other = Scope.of(conn, street), Scope.of(conn, other)
    step = ledger.history_row(item_id, "clerk", "edit", "reported", "reported", "a note", clock.now_utc())
    with pytest.raises(ItemRefused, match=f"no ledger item {item_id}"):
        with engine.begin() as conn:
            ledger.record_history(conn, [step], scope=other)
    with engine.begin() as conn:
        ledger.record_history(conn, [step], scope=street)
    with engine.connect() as conn:
        assert ledger.history(conn, street, item_id)["note"].tolist()[-1] == "a note"


def test_a_category_is_a_code_from_the_list_on_create_and_edit(city):
    engine, _ = city
    with pytest.raises(ItemRefused, match="unknown category"):
        _new(engine, category="消防")
    item_id, _ = _new(engine, category="fire")
    with pytest.raises(ItemRefused, match="unknown category"):
        ledger_hygiene.correct_item(engine, "clerk", "clerk", item_id, 1, category="Fire ", reason="r", scope=ALL)
    assert ledger_hygiene.correct_item(engine, "clerk", "clerk", item_id, 1, category="gas", reason="r",
                                       scope=ALL) == 2
    assert _row(engine, item_id)["category"] == "gas"


def test_the_very_same_item_twice_in_a_row_is_refused_as_a_repeat(city, monkeypatch):
    from geo.store.ledger import DuplicateItem

    engine, _ = city
    code, x, y = _spot(engine)
    args = dict(kind="hazard", title="repeated submission", found_on=TODAY, lon=x, lat=y, category="road",
                responsible_unit="roads office", scope=ALL)
    first = _judged(engine, "clerk", **args)
    with engine.connect() as conn:
        before = conn.execute(text("SELECT count(*) FROM ledger_items")).scalar()
    with pytest.raises(DuplicateItem) as refused:
        ledger.create_item(engine, "clerk", "clerk", **args)
    assert refused.value.item_id == first
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM ledger_items")).scalar() == before
    # not a repeat: another account, another field, another place, or after the window
    other = _judged(engine, "clerk-2", **args)
    assert _judged(engine, "clerk", **{**args, "deadline": TODAY + dt.timedelta(days=5)}) > other
    assert _judged(engine, "clerk", **{**args, "lon": x + 0.0001})
    later = clock.now_utc() + ledger.DUPLICATE_WINDOW + dt.timedelta(minutes=1)
    monkeypatch.setattr(ledger, "_now", lambda: later)
    assert _judged(engine, "clerk", **args) > first


def test_an_item_due_today_is_not_overdue_anywhere(city):
    from geo.store import kpis, measures

    engine, _ = city
    with engine.begin() as conn:  # only this item is open: every count below is this item's
        conn.execute(text("UPDATE ledger_items SET status = 'verified' WHERE status IN ('reported', 'assigned', "
                          "'rectifying')"))
    item_id, cell = _new(engine, found_on=TODAY - dt.timedelta(days=5), deadline=TODAY)
    with engine.connect() as conn:
        row = ledger.items(conn, ALL, TODAY, ids=[item_id]).iloc[0]
        overdue_list = ledger.items(conn, ALL, TODAY, overdue_only=True)
        league = ledger.oversight(conn, ALL, TODAY)
        wall = kpis.wall_snapshot(conn, ALL, TODAY)
        table = measures.area_measures(conn, ALL, "grid", TODAY - dt.timedelta(days=27), TODAY, today=TODAY)
        card = measures.area_card(conn, ALL, cell, TODAY - dt.timedelta(days=27), TODAY, today=TODAY,
                                  with_ledger=True)
        tomorrow = ledger.items(conn, ALL, TODAY + dt.timedelta(days=1), ids=[item_id]).iloc[0]
    assert not row["overdue"] and row["due_soon"] and row["overdue_days"] == 0
    assert item_id not in set(overdue_list["id"])
    assert league["overdue"].sum() == 0 and league["due_soon"].sum() == 1
    assert (wall["open_ledger"], wall["overdue_ledger"]) == (1, 0)
    assert table.set_index("code").loc[cell, "overdue_ledger"] == 0
    assert table.set_index("code").loc[cell, "open_ledger"] == 1
    assert card["ledger"]["overdue_days"].tolist() == [0]
    assert tomorrow["overdue"] and tomorrow["overdue_days"] == 1  # and the day after, it is


# ---- one writer of the history ------------------------------------------------------------------

def history_writes(source: str) -> list[int]:
    """Lines of ``source`` that could write ``ledger_events`` themselves: the model imported or its
    table reached, or SQL that inserts into or updates the table."""
    import ast
    import re

    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and any(a.name == "LedgerEvent" for a in node.names):
            found.append(node.lineno)
        elif (isinstance(node, ast.Name) and node.id == "LedgerEvent") or \
                (isinstance(node, ast.Attribute) and node.attr == "LedgerEvent"):
            found.append(node.lineno)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and \
                re.search(r"\b(insert\s+into|update)\s+ledger_events\b", node.value, re.IGNORECASE):
            found.append(node.lineno)
    return sorted(set(found))


WRITER = ROOT / "geo" / "store" / "ledger.py"
MODELS = ROOT / "geo" / "store" / "models.py"
OTHERS = [f for f in sorted((ROOT / "geo").rglob("*.py")) if f not in (WRITER, MODELS) and "migrations" not in f.parts]


@pytest.mark.parametrize("path", OTHERS, ids=[str(f.relative_to(ROOT)) for f in OTHERS])
def test_only_the_store_ledger_writes_the_history(path):
    """``geo.store.ledger.record_history`` is the one writer of ``ledger_events``: the card, the importer
    and the demo hand it their rows."""
    lines = history_writes(path.read_text(encoding="utf-8"))
    assert not lines, f"{path.relative_to(ROOT)} writes ledger_events itself on lines {lines}: use ledger.record_history"


@pytest.mark.parametrize("source", ["from geo.store.models import LedgerEvent",
                                    "conn.execute(models.LedgerEvent.__table__.insert(), rows)",
                                    "conn.execute(text('INSERT INTO ledger_events (item_id) VALUES (1)'))"])
def test_the_history_writer_rule_would_catch_a_second_writer(source):
    assert history_writes(source)


def test_the_writer_itself_is_found_by_the_rule():
    assert history_writes(WRITER.read_text(encoding="utf-8"))
