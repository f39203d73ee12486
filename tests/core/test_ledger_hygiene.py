"""The pure hygiene rules: settings read safely, likely duplicates, escalation dates, corrections."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from geo.core import ledger_hygiene as hygiene
from geo.core.ledger import Refusal

D = dt.date(2026, 6, 1)


@pytest.mark.parametrize("env,expected", [
    ({}, (50.0, 7, 14)),
    ({"SAFEGRID_DUP_METRES": "80", "SAFEGRID_DUP_DAYS": "3", "SAFEGRID_ESCALATE_DAYS": "30"}, (80.0, 3, 30)),
    ({"SAFEGRID_DUP_METRES": "fifty", "SAFEGRID_DUP_DAYS": "-1", "SAFEGRID_ESCALATE_DAYS": ""}, (50.0, 7, 14)),
], ids=["defaults", "set", "malformed-keeps-defaults"])
def test_settings_from_reads_the_environment_and_keeps_defaults_on_nonsense(env, expected):
    got = hygiene.settings_from(env)
    assert (got.dup_metres, got.dup_days, got.escalate_days) == expected


def _others(**over):
    base = dict(id=[1, 2, 3, 4, 5], x=[10.0, 0.0, 30.0, 0.0, 0.0], y=[0.0, 60.0, 0.0, 5.0, 5.0],
                kind=["hazard"] * 5, category=["gas", "gas", "gas", "fire", "gas"],
                found_on=[D, D, D + dt.timedelta(days=8), D, D], status=["reported"] * 4 + ["cancelled"],
                duplicate_of=[None] * 5)
    base.update(over)
    return pd.DataFrame(base)


def test_candidates_are_open_unlinked_same_kind_and_category_within_metres_and_days_nearest_first():
    found = hygiene.candidates(0.0, 0.0, "hazard", "gas", D, _others())
    assert list(found["id"]) == [1]  # 2 too far, 3 too many days apart, 4 another category, 5 closed
    linked = hygiene.candidates(0.0, 0.0, "hazard", "gas", D, _others(duplicate_of=[9, None, None, None, None]))
    assert linked.empty
    wider = hygiene.candidates(0.0, 0.0, "hazard", "gas", D, _others(), metres=100, days=10)
    assert list(wider["id"]) == [1, 3, 2] and list(wider["distance_m"]) == [10.0, 30.0, 60.0]


def test_no_category_on_both_counts_as_the_same():
    others = _others(category=[None, "gas", "gas", "gas", "gas"])
    assert list(hygiene.candidates(0.0, 0.0, "hazard", None, D, others)["id"]) == [1]


def test_escalation_on_deadline_plus_days_for_open_unlinked_items():
    items = pd.DataFrame({"status": ["assigned", "assigned", "rectified", "assigned", "reported"],
                          "deadline": [D, D + dt.timedelta(days=1), D, D, None],
                          "duplicate_of": [None, None, None, 7, None]})
    out = hygiene.escalation(items, D + dt.timedelta(days=14), days=14)
    assert list(out["escalated"]) == [True, False, False, False, False]
    assert out["escalated_on"].iloc[0] == D + dt.timedelta(days=14)


@pytest.mark.parametrize("role,changes,reason,code", [
    ("planner", {"category": "fire"}, "r", "role_may_not_correct"),
    ("clerk", {"title": "x"}, "r", "not_editable"),
    ("clerk", {"category": "gas"}, "r", "nothing_to_correct"),
    ("leader", {"category": "fire"}, " ", "needs_reason"),
], ids=["role", "field", "nothing", "reason"])
def test_check_correction_refuses_with_a_code(role, changes, reason, code):
    with pytest.raises(Refusal) as refused:
        hygiene.check_correction(role, {"category": "gas", "responsible_unit": "u"}, changes, reason)
    assert refused.value.code == code


def test_filling_an_empty_field_is_an_edit_replacing_a_set_one_a_correction():
    assert hygiene.is_correction({"category": None, "responsible_unit": "a"}, {"category": "gas"}) == []
    assert hygiene.is_correction({"category": "gas", "responsible_unit": "a"},
                                 {"category": "fire", "responsible_unit": "a"}) == ["category"]
