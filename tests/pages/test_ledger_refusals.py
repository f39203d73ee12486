"""Ledger refusals in the reader's language: every refusal of the workflow and the store carries a
code from ``REFUSAL_CODES`` (checked in the source), every code is said in both languages, and the
card shows a refused step in Chinese on the Chinese page (it showed "rectify needs a note…")."""

from __future__ import annotations

import ast
import datetime as dt
import re
import string

import pytest
import streamlit as st
from sqlalchemy import text

from geo.core import ledger as rules
from geo.store import features, ledger
from geo.ui.i18n import catalogue
from geo.store.scope import Scope
from tests.conftest import ROOT, TODAY
from tests.pages.common import run_page, submit

REFUSALS = {"Refusal", "WorkflowRefused", "ItemRefused"}
ALL = Scope.jurisdiction()
CJK = re.compile(r"[\u4e00-\u9fff]")


def _raised_codes(path) -> list[tuple[int, str | None]]:
    """(line, code) of every refusal made in ``path``: a call of a refusal class, or the
    ``super().__init__`` of a class derived from one; the code is the call's second argument."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    refusals = set(REFUSALS)
    for node in ast.walk(tree):  # classes derived from a refusal are refusals too
        if isinstance(node, ast.ClassDef) and {getattr(b, "attr", None) or getattr(b, "id", None)
                                               for b in node.bases} & refusals:
            refusals.add(node.name)

    def code_of(call):
        return call.args[1].value if len(call.args) > 1 and isinstance(call.args[1], ast.Constant) else None

    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and (getattr(node.func, "attr", None) or getattr(node.func, "id", None)) \
                in REFUSALS:  # a derived class names its code in its own __init__ (below)
            found.append((node.lineno, code_of(node)))
        if isinstance(node, ast.ClassDef) and node.name in refusals:
            for call in ast.walk(node):
                if isinstance(call, ast.Call) and getattr(call.func, "attr", None) == "__init__" \
                        and isinstance(call.func.value, ast.Call) and getattr(call.func.value.func, "id", "") == "super":
                    if node.name not in REFUSALS:  # the base classes pass their caller's code on
                        found.append((call.lineno, code_of(call)))
    return found


@pytest.mark.parametrize("module", ["geo/core/ledger.py", "geo/store/ledger.py", "geo/core/ledger_hygiene.py",
                                    "geo/store/ledger_hygiene.py"])
def test_every_refusal_carries_a_known_code(module):
    made = _raised_codes(ROOT / module)
    assert made, "the scan found no refusal: it no longer reads the module"
    missing = [line for line, code in made if code not in rules.REFUSAL_CODES]
    assert not missing, f"{module}: refusals without a code of REFUSAL_CODES at lines {missing}"


def test_every_code_is_said_in_both_languages_with_the_values_it_carries():
    for code in rules.REFUSAL_CODES:
        entry = catalogue().get(f"ledger.refusal.{code}")
        assert entry and entry.get("zh") and entry.get("en"), code
        fields = [{f for _, f, _, _ in string.Formatter().parse(entry[lang]) if f} for lang in ("zh", "en")]
        assert fields[0] == fields[1], f"{code}: both languages use the same values"
        assert CJK.search(entry["zh"]) and not CJK.search(entry["en"]), code


def test_a_code_keeps_its_values_through_the_store():
    with pytest.raises(ledger.ItemRefused) as caught:
        ledger.create_item(None, "clerk", "clerk", kind="hazard", title="x", found_on=TODAY,
                           deadline=TODAY - dt.timedelta(days=1), lon=0.0, lat=0.0, scope=ALL)
    assert caught.value.code == "deadline_before"
    assert caught.value.params == {"deadline": TODAY - dt.timedelta(days=1), "found": TODAY}


def test_a_missing_note_is_refused_in_chinese_on_the_chinese_page(env):
    with env.connect() as conn:
        spot = features.areas_within(conn, ALL, "grid").geometry.iloc[5].representative_point()
    item_id = ledger.create_item(env, "clerk", "clerk", kind="hazard", title="消防通道堵塞", category="fire",
                                 found_on=TODAY - dt.timedelta(days=3), lon=round(spot.x, 6), lat=round(spot.y, 6),
                                 scope=ALL)
    v = ledger.act(env, "clerk", "clerk", item_id, 1, "assign", scope=ALL)
    v = ledger.act(env, "clerk", "clerk", item_id, v, "start", scope=ALL)
    st.cache_data.clear()
    at = run_page("pages/ledger.py", "zh", "clerk")
    at.session_state["ledger.item"] = item_id
    at.run()
    form = f"ledger.act.{item_id}.{v}"
    at.selectbox(key=f"{form}.action").set_value("rectify")
    submit(at, "提交")
    assert not at.exception
    errors = [e.value for e in at.error]
    assert errors == ["未保存：“整改完成”需要填写说明：做了什么或为什么"], errors
    with env.connect() as conn:
        assert conn.execute(text("SELECT status FROM ledger_items WHERE id = :i"), {"i": item_id}).scalar() \
            == "rectifying"
