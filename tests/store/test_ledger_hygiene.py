"""Ledger hygiene over the store on both backends: likely duplicates found, linked or judged distinct on
create; escalation of long-overdue items (recorded once, cleared when no longer due); corrections
with a reason; all inside the account's scope."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from sqlalchemy import text

from geo.core import ledger as rules
from geo.store import audit, features, ledger
from geo.store import ledger_hygiene as hygiene
from geo.store.ledger import ItemRefused
from geo.store.scope import Scope
from tests.conftest import BACKENDS, TODAY, backend_demo

ALL = Scope.jurisdiction()
_SEQ = itertools.count(1)


@pytest.fixture(scope="module", params=BACKENDS)
def city(request, tmp_path_factory):
    engine, url = backend_demo(request, tmp_path_factory, seed=46, scale=0.03, end=TODAY)
    yield engine
    engine.dispose()


_CELL = itertools.count(0)


def _fresh_spot(engine):
    """A place of its own for each call (the next grid cell's inner point), so tests do not meet each other."""
    with engine.connect() as conn:
        cells = features.areas_within(conn, ALL, "grid")
    cell = cells.iloc[(next(_CELL) * 7) % len(cells)]
    p = cell.geometry.representative_point()
    return p.x, p.y, cell


M_LON, M_LAT = 1 / 96_000.0, 1 / 111_000.0  # about a metre east and north in degrees (30° N)


def _make(engine, *, lon, lat, kind="hazard", category="gas", found_on=TODAY, distinct=None, original=None,
          scope=ALL, role="clerk", deadline=None):
    return ledger.create_item(engine, "clerk.h", role, kind=kind, title=f"gas smell {next(_SEQ)}", found_on=found_on,
                              lon=lon, lat=lat, category=category, responsible_unit="gas office", deadline=deadline,
                              scope=scope, distinct_from=distinct, duplicate_of=original)


def _hist(engine, item_id):
    with engine.connect() as conn:
        return ledger.history(conn, ALL, item_id)


def test_a_second_item_nearby_is_held_until_linked_or_judged_distinct(city):
    engine = city
    x, y, _ = _fresh_spot(engine)
    first = _make(engine, lon=x, lat=y, distinct=())
    with pytest.raises(hygiene.LikelyDuplicate) as held:
        _make(engine, lon=x + 20 * M_LON, lat=y, found_on=TODAY - dt.timedelta(days=3))
    found = held.value.candidates
    assert list(found["id"]) == [first] and 15 < found["distance_m"].iloc[0] < 25
    assert held.value.code == "likely_duplicate"
    copy = _make(engine, lon=x + 20 * M_LON, lat=y, original=first)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT duplicate_of FROM ledger_items WHERE id = :i"), {"i": copy}).scalar() == first
        assert str(copy) in set(audit.entries(conn, action="ledger.link")["object"])
    assert list(_hist(engine, copy)["action"]) == ["create", "link"]
    assert f"#{first}" in _hist(engine, copy)["note"].iloc[-1]
    # a third: the copy is no candidate (only the original is), and judged distinct it says so in its history
    with pytest.raises(hygiene.LikelyDuplicate) as again:
        _make(engine, lon=x, lat=y + 10 * M_LAT)
    assert list(again.value.candidates["id"]) == [first]
    third = _make(engine, lon=x, lat=y + 10 * M_LAT, distinct=[first])
    assert list(_hist(engine, third)["action"]) == ["create", "distinct"]


@pytest.mark.parametrize("change", [dict(category="fire"), dict(kind="security_gap", category="camera"),
                                    dict(east_m=80.0), dict(days=-9)],
                         ids=["other-category", "other-kind", "beyond-50m", "beyond-7-days"])
def test_what_is_not_a_likely_duplicate(city, change):
    engine = city
    x, y, _ = _fresh_spot(engine)
    _make(engine, lon=x, lat=y, distinct=())
    kw = {k: v for k, v in change.items() if k in ("category", "kind")}
    new = _make(engine, lon=x + change.get("east_m", 0.0) * M_LON, lat=y,
                found_on=TODAY + dt.timedelta(days=change.get("days", 0)), **kw)
    assert list(_hist(engine, new)["action"]) == ["create"]


def test_a_closed_item_is_no_candidate_and_the_distance_is_a_setting(city, monkeypatch):
    engine = city
    x, y, _ = _fresh_spot(engine)
    first = _make(engine, lon=x, lat=y, distinct=())
    ledger.act(engine, "admin", "admin", first, 1, "cancel", note="entered twice", scope=ALL)
    _make(engine, lon=x, lat=y)  # not held: the first is closed
    monkeypatch.setenv("SAFEGRID_DUP_METRES", "500")
    with pytest.raises(hygiene.LikelyDuplicate):
        _make(engine, lon=x + 300 * M_LON, lat=y)
    monkeypatch.setenv("SAFEGRID_DUP_METRES", "10")
    _make(engine, lon=x + 30 * M_LON, lat=y)


def test_the_original_must_be_open_unlinked_and_in_scope(city):
    engine = city
    x, y, _ = _fresh_spot(engine)
    first = _make(engine, lon=x, lat=y, distinct=())
    copy = _make(engine, lon=x, lat=y + 5 * M_LAT, original=first)
    with pytest.raises(rules.Refusal) as bad:
        _make(engine, lon=x, lat=y, original=copy)
    assert bad.value.code == "bad_original"
    with engine.connect() as conn:
        in_street = conn.execute(text("SELECT street_code FROM ledger_items WHERE id = :i"), {"i": first}).scalar()
        other_street = conn.execute(text("SELECT code FROM areas WHERE level = 'street' AND code <> :s"),
                                    {"s": in_street}).scalar()
        elsewhere = Scope.of(conn, other_street)
        mine = Scope.of(conn, in_street)
        # seen from another street the item is neither a candidate nor an original
        assert hygiene.likely_duplicates(conn, elsewhere, kind="hazard", category="gas", lon=x, lat=y,
                                         found_on=TODAY).empty
        assert list(hygiene.likely_duplicates(conn, mine, kind="hazard", category="gas", lon=x, lat=y,
                                              found_on=TODAY)["id"]) == [first]
    with pytest.raises(rules.Refusal) as outside:
        with engine.begin() as conn:
            hygiene.original_ok(conn, elsewhere, first)
    assert outside.value.code == "bad_original"


def test_escalation_is_recorded_once_with_its_date_and_cleared_when_the_item_closes(city):
    engine = city
    x, y, _ = _fresh_spot(engine)
    late = _make(engine, lon=x, lat=y, found_on=TODAY - dt.timedelta(days=40),
                 deadline=TODAY - dt.timedelta(days=20), distinct=())
    x2, y2, _ = _fresh_spot(engine)
    recent = _make(engine, lon=x2, lat=y2, found_on=TODAY - dt.timedelta(days=40),
                   deadline=TODAY - dt.timedelta(days=13), distinct=())
    with engine.connect() as conn:
        up = hygiene.escalated_items(conn, ALL, TODAY)
    row = up[up["id"] == late].iloc[0]
    assert row["escalated_on"] == TODAY - dt.timedelta(days=6) and row["overdue_days"] == 20 and not row["recorded"]
    assert recent not in set(up["id"])  # 13 days overdue: not yet (14 by default)
    done, _ = hygiene.record_escalations(engine, ALL, TODAY, actor="cli:test")
    assert done >= 1
    assert hygiene.record_escalations(engine, ALL, TODAY, actor="cli:test")[0] == 0  # idempotent
    hist = _hist(engine, late)
    assert list(hist["action"]).count("escalate") == 1 and str(TODAY - dt.timedelta(days=6)) in hist["note"].iloc[-1]
    with engine.connect() as conn:
        assert hygiene.escalated_items(conn, ALL, TODAY).set_index("id").at[late, "recorded"]
        frame = ledger.items(conn, ALL, TODAY, ids=[late, recent])
    assert dict(zip(frame["id"], frame["escalated"])) == {late: True, recent: False}
    v = ledger.act(engine, "clerk", "clerk", late, 1, "assign", scope=ALL)
    ledger.act(engine, "admin", "admin", late, v, "cancel", note="handled elsewhere", scope=ALL)
    assert hygiene.record_escalations(engine, ALL, TODAY)[1] >= 1
    with engine.connect() as conn:
        assert conn.execute(text("SELECT escalated_on FROM ledger_items WHERE id = :i"), {"i": late}).scalar() is None


def test_escalated_items_respect_the_scope(city):
    engine = city
    with engine.connect() as conn:
        every = hygiene.escalated_items(conn, ALL, TODAY, days=0)
        assert len(every), "the demo has overdue items"
        street = every["street_code"].dropna().iloc[0]
        inside = hygiene.escalated_items(conn, Scope.of(conn, street), TODAY, days=0)
    assert len(inside) and (inside["street_code"] == street).all() and len(inside) <= len(every)


def test_a_correction_needs_a_reason_and_is_kept_in_the_history(city):
    engine = city
    x, y, _ = _fresh_spot(engine)
    item = _make(engine, lon=x, lat=y, distinct=())
    with pytest.raises(ItemRefused) as edit:
        ledger.edit_item(engine, "clerk", "clerk", item, 1, category="fire", scope=ALL)
    assert edit.value.code == "correct_not_edit"
    with pytest.raises(ItemRefused) as no_reason:
        hygiene.correct_item(engine, "leader.a", "leader", item, 1, reason="  ", category="fire", scope=ALL)
    assert no_reason.value.code == "needs_reason"
    with pytest.raises(ItemRefused) as planner:
        hygiene.correct_item(engine, "p", "planner", item, 1, reason="x", category="fire", scope=ALL)
    assert planner.value.code == "role_may_not_correct"
    with pytest.raises(ItemRefused) as same:
        hygiene.correct_item(engine, "leader.a", "leader", item, 1, reason="x", category="gas", scope=ALL)
    assert same.value.code == "nothing_to_correct"
    v = hygiene.correct_item(engine, "leader.a", "leader", item, 1, reason="it was a fire hazard",
                             category="fire", responsible_unit="fire brigade", scope=ALL)
    assert v == 2
    with engine.connect() as conn:
        row = conn.execute(text("SELECT category, responsible_unit FROM ledger_items WHERE id = :i"), {"i": item}).one()
        log = audit.entries(conn, action="ledger.correct")
    assert tuple(row) == ("fire", "fire brigade") and str(item) in set(log["object"])
    last = _hist(engine, item).iloc[-1]
    assert last["action"] == "correct" and "gas -> fire" in last["note"] and "it was a fire hazard" in last["note"]
    with pytest.raises(ledger.StaleEdit):
        hygiene.correct_item(engine, "leader.a", "leader", item, 1, reason="again", category="gas", scope=ALL)


def test_oversight_does_not_count_linked_duplicates_and_counts_escalations(city):
    engine = city
    with engine.connect() as conn:
        before = ledger.oversight(conn, ALL, TODAY, "responsible_unit")
    x, y, _ = _fresh_spot(engine)
    first = _make(engine, lon=x, lat=y, distinct=(), deadline=TODAY - dt.timedelta(days=30),
                  found_on=TODAY - dt.timedelta(days=31))
    _make(engine, lon=x, lat=y + 5 * M_LAT, original=first, deadline=TODAY - dt.timedelta(days=30),
          found_on=TODAY - dt.timedelta(days=31))
    with engine.connect() as conn:
        after = ledger.oversight(conn, ALL, TODAY, "responsible_unit")
    get = lambda t, col: int(t.set_index("responsible_unit")[col].get("gas office", 0))  # noqa: E731
    assert get(after, "items") == get(before, "items") + 1
    assert get(after, "escalated") == get(before, "escalated") + 1


def test_the_command_line_records_escalations_once(city, capsys):
    from geo.cli import main

    engine = city
    x, y, _ = _fresh_spot(engine)
    late = _make(engine, lon=x, lat=y, found_on=TODAY - dt.timedelta(days=60), deadline=TODAY - dt.timedelta(days=30),
                 distinct=())
    url = engine.url.render_as_string(hide_password=False)
    assert main(["ledger", "escalate", "--db", url, "--today", str(TODAY)]) == 0
    out = capsys.readouterr().out
    assert "escalations recorded" in out and "SAFEGRID_ESCALATE_DAYS" in out
    assert main(["ledger", "escalate", "--db", url, "--today", str(TODAY)]) == 0
    assert "0 escalations recorded" in capsys.readouterr().out
    hist = _hist(engine, late)
    assert list(hist["action"]).count("escalate") == 1 and hist["actor"].iloc[-1].startswith("cli:")
    assert main(["ledger", "escalate", "--db", url, "--today", "July 1st"]) == 2
    assert "--today: not a date" in capsys.readouterr().err
