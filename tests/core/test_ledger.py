"""Ledger rules: every allowed and refused transition per role, re-check dates, overdue and
oversight figures by hand."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from geo.core import ledger as L
from geo.core.auth import ROLES

TODAY = dt.date(2026, 6, 15)
# (status, action) -> status after, for every allowed pair; the roles allowed are listed separately
EXPECTED = {
    ("reported", "assign"): "assigned", ("assigned", "start"): "rectifying",
    ("rectifying", "rectify"): "rectified", ("rectified", "verify"): "verified",
    ("rectified", "reopen"): "assigned", ("verified", "reopen"): "assigned", ("cancelled", "reopen"): "assigned",
    ("reported", "cancel"): "cancelled", ("assigned", "cancel"): "cancelled", ("rectifying", "cancel"): "cancelled",
}
WHO = {"assign": {"clerk", "admin"}, "start": {"clerk", "admin"}, "rectify": {"clerk", "admin"},
       "verify": {"leader", "admin"}, "reopen": {"clerk", "leader", "admin"}, "cancel": {"leader", "admin"}}


@pytest.mark.parametrize("status", L.STATUSES)
@pytest.mark.parametrize("action", sorted(L.ACTIONS))
@pytest.mark.parametrize("role", [*ROLES, None])
def test_every_transition_for_every_role(status, action, role):
    allowed = (status, action) in EXPECTED and role in WHO[action]
    kwargs = dict(note="fixed the lamp", today=TODAY, recheck_on=TODAY - dt.timedelta(days=1)
                  if action == "verify" else None)
    if allowed:
        assert L.step(status, action, role, **kwargs).status == EXPECTED[(status, action)]
        assert action in L.actions_for(status, role)
    else:
        with pytest.raises(L.WorkflowRefused):
            L.step(status, action, role, **kwargs)
        assert action not in L.actions_for(status, role)


def test_refusals_say_why():
    with pytest.raises(L.WorkflowRefused, match="the wall role may not rectify"):
        L.step("rectifying", "rectify", "wall", note="x", today=TODAY)
    with pytest.raises(L.WorkflowRefused, match="an item that is reported cannot be verified"):
        L.step("reported", "verify", "leader", note=None, today=TODAY)
    with pytest.raises(L.WorkflowRefused, match="needs a note"):
        L.step("rectifying", "rectify", "clerk", note="  ", today=TODAY)
    with pytest.raises(L.WorkflowRefused, match="unknown action"):
        L.step("reported", "explode", "admin", note="x", today=TODAY)


def test_rectification_sets_the_recheck_date_and_verification_waits_for_it():
    done = L.step("rectifying", "rectify", "clerk", note="railing fixed", today=TODAY)
    assert done.status == "rectified" and done.recheck_on == TODAY + dt.timedelta(days=L.RECHECK_DAYS)
    chosen = L.step("rectifying", "rectify", "clerk", note="x", today=TODAY, recheck_on=TODAY + dt.timedelta(days=3))
    assert chosen.recheck_on == TODAY + dt.timedelta(days=3)
    with pytest.raises(L.WorkflowRefused, match="in the past"):
        L.step("rectifying", "rectify", "clerk", note="x", today=TODAY, recheck_on=TODAY - dt.timedelta(days=1))
    with pytest.raises(L.WorkflowRefused, match="cannot be verified before"):
        L.step("rectified", "verify", "leader", note=None, today=done.recheck_on - dt.timedelta(days=1),
               recheck_on=done.recheck_on)
    assert L.step("rectified", "verify", "leader", note=None, today=done.recheck_on,
                  recheck_on=done.recheck_on).status == "verified"  # on the day itself
    assert L.step("verified", "reopen", "leader", note="came back", today=TODAY).recheck_on is None


def test_field_checks():
    L.check_fields("hazard", TODAY, TODAY, "loose cover")  # a deadline on the day found is fine
    for args, msg in [((None, TODAY, None, "t"), "needs a kind"), (("hazard", TODAY, None, " "), "needs a title"),
                      (("hazard", None, None, "t"), "date it was found"),
                      (("hazard", TODAY, TODAY - dt.timedelta(days=1), "t"), "before the date found")]:
        with pytest.raises(ValueError, match=msg):
            L.check_fields(*args)


def _ledger():
    d = dt.date
    items = pd.DataFrame([
        # id, unit, status, found, deadline
        (1, "roads", "rectified", d(2026, 5, 1), d(2026, 5, 20)),
        (2, "roads", "verified", d(2026, 5, 1), d(2026, 5, 31)),
        (3, "roads", "assigned", d(2026, 5, 10), d(2026, 6, 10)),   # overdue (5 days)
        (4, "roads", "rectifying", d(2026, 6, 1), d(2026, 6, 20)),  # due soon
        (5, "parks", "reported", d(2026, 6, 1), d(2026, 6, 15)),    # due today: due soon, not overdue
        (6, "parks", "cancelled", d(2026, 6, 1), d(2026, 6, 2)),    # cancelled: left out
        (7, "parks", "assigned", d(2026, 4, 1), d(2026, 4, 30)),    # rectified once, reopened, now overdue
        (8, None, "reported", d(2026, 6, 10), None),
    ], columns=["id", "responsible_unit", "status", "found_on", "deadline"])
    ts = lambda s: pd.Timestamp(s, tz="UTC")  # noqa: E731
    events = pd.DataFrame([(1, "rectify", ts("2026-05-11 09:00")), (2, "rectify", ts("2026-05-21 12:00")),
                           (7, "rectify", ts("2026-04-05")), (7, "reopen", ts("2026-04-20"))],
                          columns=["item_id", "action", "at"])
    return items, events


def test_due_flags_by_hand():
    items, _ = _ledger()
    flags = L.due_flags(items, TODAY).set_index("id")
    assert flags["overdue"][flags["overdue"]].index.tolist() == [3, 7]
    assert flags["due_soon"][flags["due_soon"]].index.tolist() == [4, 5]


def test_oversight_by_hand():
    items, events = _ledger()
    table = L.oversight(items, events, TODAY, "responsible_unit").set_index("responsible_unit")
    roads, parks = table.loc["roads"], table.loc["parks"]
    assert (roads["items"], roads["open"], roads["overdue"], roads["due_soon"], roads["rectified"]) == (4, 2, 1, 1, 2)
    assert roads["rectification_rate"] == pytest.approx(0.5)
    assert roads["median_days"] == pytest.approx(np.median([10.375, 20.5]))  # found at midnight UTC
    assert roads["reopened"] == 0 and roads["reopen_rate"] == 0
    # parks: item 6 cancelled is left out; 7 was rectified (then reopened): 1 of 2 items
    assert (parks["items"], parks["open"], parks["overdue"], parks["rectified"], parks["reopened"]) == (2, 2, 1, 1, 1)
    assert parks["rectification_rate"] == pytest.approx(0.5) and parks["reopen_rate"] == pytest.approx(1.0)
    assert parks["median_days"] == pytest.approx(4.0)
    assert table.loc["—", "items"] == 1 and np.isnan(table.loc["—", "median_days"])
    assert list(table["rank"]) == [1, 2, 3]
    # ties on the rate: fewer overdue first, then by name; the unit with nothing rectified last
    assert list(table.index) == ["parks", "roads", "—"]
    empty = L.oversight(items.iloc[0:0], events, TODAY, "responsible_unit")
    assert empty.empty and "rank" in empty.columns


@pytest.mark.parametrize("before,after,role,note,expected", [
    ("reported", "reported", "clerk", None, []),
    ("reported", "assigned", "clerk", None, ["assign"]),
    ("reported", "rectifying", "clerk", None, ["assign", "start"]),
    ("reported", "rectified", "clerk", "fixed", ["assign", "start", "rectify"]),
    ("rectified", "rectifying", "clerk", "not fixed", ["reopen", "start"]),
    ("assigned", "cancelled", "admin", "duplicate", ["cancel"]),
    ("reported", "verified", "clerk", "fixed", "the clerk role may not verify"),
    ("reported", "cancelled", "clerk", "duplicate", "the clerk role may not cancel"),
    ("reported", "rectified", "clerk", None, "rectify needs a note"),
    ("reported", "verified", "admin", "fixed", "the re-check is due on"),
    ("rectifying", "reported", "admin", "undo", "no workflow step leads from rectifying to reported"),
    (None, "reported", "clerk", None, []),
    (None, "verified", "admin", "old", "a new item starts as reported"),
], ids=lambda v: str(v))
def test_import_steps_follow_the_cards_rules(before, after, role, note, expected):
    if isinstance(expected, str):
        with pytest.raises(L.WorkflowRefused, match=expected):
            L.import_steps(before, after, role, note=note, today=TODAY)
    else:
        assert [a for a, _ in L.import_steps(before, after, role, note=note, today=TODAY)] == expected


@pytest.mark.parametrize("before,after,refused", [("rectified", "rectified", True), ("verified", "cancelled", True),
                                                  ("rectified", "assigned", False), ("assigned", "rectified", False)],
                         ids=["closed", "closed-to-closed", "reopened", "rectified-after"])
def test_import_steps_edit_only_an_open_item(before, after, refused):
    def run():
        return L.import_steps(before, after, "admin", note="n", today=TODAY, edits=True)
    if refused:
        with pytest.raises(L.WorkflowRefused, match="cannot be edited: reopen it first"):
            run()
    else:
        run()


def test_categories_are_codes_of_the_kinds_and_unknown_ones_are_refused():
    from geo.core.ledger import CATEGORIES, CATEGORIES_BY_KIND, check_category

    assert set(CATEGORIES_BY_KIND) == set(L.KINDS) and "fire" in CATEGORIES and "other" in CATEGORIES
    assert len(set(CATEGORIES)) == len(CATEGORIES)
    check_category(None)
    check_category("fire")
    with pytest.raises(ValueError, match="unknown category"):
        check_category("消防")


def test_a_unit_spelt_another_way_is_the_same_unit():
    from geo.core.ledger import same_unit, unit_key

    known = ["城关派出所", "县住建局", "Roads Office"]
    assert unit_key("城关 派出所 ") == unit_key("城关派出所")
    assert same_unit("城关派出所\u3000", known) == "城关派出所"  # an ideographic space
    assert same_unit("ＲＯＡＤＳ office", known) == "Roads Office"  # full-width letters, case
    assert same_unit("县住建局。", known) == "县住建局"
    assert same_unit("东城派出所", known) is None
