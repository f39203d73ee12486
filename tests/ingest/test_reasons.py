"""Every skipped row and refused file says why with a stable code the pages translate.

The English sentence (what the command line prints) is unchanged; the code and its values travel
beside it; every code has a catalogue entry in both languages that uses only values the reason
carries; and every refusal and skip made on the import path is made through a declared code, so a
new reason without a translation fails here.
"""

from __future__ import annotations

import ast
import copy
import datetime as dt
import json
import pickle

import pandas as pd
import pytest

from geo.core import ledger as rules
from geo.ingest.errors import ImportRefused
from geo.ingest.ledger_rows import workflow_reason
from geo.ingest.reasons import ENGLISH, Reason, params_of, placeholders, reason
from geo.ingest.validate import validate
from tests.conftest import ROOT

CATALOGUE = json.loads((ROOT / "data" / "i18n.json").read_text(encoding="utf-8"))
# the modules an import runs through (demo.py and export.py are commands of their own)
IMPORT_PATH = ["readers.py", "rawtable.py", "textfiles.py", "geofiles.py", "validate.py", "pipeline.py", "presets.py",
               "areas.py", "ledger_rows.py"]


@pytest.mark.parametrize("code", sorted(ENGLISH))
def test_every_reason_code_is_in_the_catalogue_in_both_languages(code):
    entry = CATALOGUE.get(f"import.skip.{code}")
    assert entry and entry.get("zh") and entry.get("en"), f"import.skip.{code} missing from data/i18n.json"
    for lang in ("zh", "en"):
        unknown = placeholders(entry[lang]) - params_of(code)
        assert not unknown, f"import.skip.{code} ({lang}) uses {unknown}, which the reason does not carry"


# ---- every refusal and skip on the import path goes through a declared code --------------------------

def _name(node) -> str | None:
    return node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None


def _codes_made(arg) -> list[str] | None:
    """The reason codes an ImportRefused argument or a skipped row's reason is made with (None: not a reason)."""
    if isinstance(arg, ast.IfExp):
        a, b = _codes_made(arg.body), _codes_made(arg.orelse)
        return None if a is None or b is None else a + b
    if isinstance(arg, ast.Call) and _name(arg.func) == "because" and arg.args:
        first = arg.args[0]
        if isinstance(first, ast.Constant):
            return [first.value]
        if isinstance(first, ast.JoinedStr):  # f"too_big_{what}": checked at its callers
            return []
    if isinstance(arg, ast.Name) and arg.id == "outside":  # a reason made once, above, for many rows
        return []
    return None


def unreasoned(source: str, where: str) -> list[str]:
    """Refusals and skips in ``source`` made without a declared reason code: one line each."""
    problems = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = _name(node.func)
        if name == "ImportRefused":
            codes = _codes_made(node.args[0]) if node.args else None
            if codes is None:
                problems.append(f"{where}:{node.lineno}: ImportRefused without a reason code")
            problems += [f"{where}:{node.lineno}: undeclared code {c!r}" for c in codes or [] if c not in ENGLISH]
        elif name == "because" and node.args and isinstance(node.args[0], ast.Constant):
            if node.args[0].value not in ENGLISH:
                problems.append(f"{where}:{node.lineno}: undeclared code {node.args[0].value!r}")
        elif name in ("too_big", "_too_big") and len(node.args) > 1 and isinstance(node.args[1], ast.Constant):
            if f"too_big_{node.args[1].value}" not in ENGLISH:
                problems.append(f"{where}:{node.lineno}: undeclared code too_big_{node.args[1].value}")
        elif name in ("_read_bounded", "check_unpacked") and len(node.args) > 2 and isinstance(node.args[2], ast.Constant):
            if f"too_big_{node.args[2].value}" not in ENGLISH:
                problems.append(f"{where}:{node.lineno}: undeclared code too_big_{node.args[2].value}")
        elif name == "refuse" and len(node.args) > 1:  # validate's refuse(mask, code, **values)
            code = node.args[1]
            if not (isinstance(code, ast.Constant) and code.value in ENGLISH):
                problems.append(f"{where}:{node.lineno}: refuse() without a declared code")
        elif name == "append" and isinstance(node.func, ast.Attribute) and _name(node.func.value) == "skipped":
            row = node.args[0] if node.args else None
            if not (isinstance(row, ast.Tuple) and len(row.elts) == 2 and _codes_made(row.elts[1]) is not None):
                problems.append(f"{where}:{node.lineno}: a skipped row without a reason code")
    return problems


@pytest.mark.parametrize("module", IMPORT_PATH)
def test_every_refusal_and_skip_on_the_import_path_has_a_declared_code(module):
    path = ROOT / "geo" / "ingest" / module
    assert not unreasoned(path.read_text(encoding="utf-8"), module)


@pytest.mark.parametrize("source", [
    'raise ImportRefused(f"{name}: the file is odd")',
    'raise ImportRefused(because("no_such_code", file=name))',
    'skipped.append((3, "a reason in English only"))',
    'refuse(mask, "something new")',
    'raise _too_big(name, "bucket", "SAFEGRID_MAX_TEXT_BYTES")',
])
def test_the_scan_would_catch_an_untranslated_reason(source):
    assert unreasoned(source, "x.py")


def test_the_scan_passes_declared_reasons():
    assert not unreasoned('raise ImportRefused(because("empty_file", file=name))\n'
                          'skipped.append((3, because("beyond_header", width=4)))\n'
                          'refuse(mask, "missing_value", field="x")\n', "x.py")


# ---- reasons keep their English and carry their values ------------------------------------------------

def _ledger_rows(**columns) -> pd.DataFrame:
    base = {"source_id": ["a", "b", "c", "a", "d"], "kind": ["hazard", "nonsense", "hazard", "hazard", "13812345678"],
            "found_on": ["2026-01-01", "2026-01-01", "not a date", "2026-01-01", "2026-01-01"],
            "x": ["112.9"] * 5, "y": ["28.1"] * 5}
    return pd.DataFrame({**base, **columns})


def test_skipped_rows_keep_the_english_sentence_and_carry_code_and_values():
    checked = validate(_ledger_rows(), pd.Series([2, 3, 4, 5, 6]), "ledger", crs="EPSG:4326", tz="Asia/Shanghai",
                       today=dt.date(2026, 7, 1))
    by_row = dict(checked.skipped)
    assert by_row[3] == "unknown kind 'nonsense' (expected one of: dispute, hazard, other, security_gap)"
    assert by_row[3].code == "unknown_value"
    assert by_row[3].params == {"field": "kind", "value": "nonsense", "layer": "ledger",
                                "allowed": ("dispute", "hazard", "other", "security_gap")}
    assert by_row[4] == "date unparseable: not a date"
    assert (by_row[4].code, by_row[4].params) == ("date_unparseable", {"field": "found_on", "value": "not a date"})
    assert by_row[5] == "duplicate source_id (first on row 2)"
    assert (by_row[5].code, by_row[5].params) == ("duplicate_id", {"field": "source_id", "first": "2"})
    # a quoted cell holding a phone number is masked in the sentence and in the value alike
    assert "13812345678" not in by_row[6] and "13812345678" not in by_row[6].params["value"]
    assert by_row[6].code == "unknown_value" and by_row[6].params["value"] in by_row[6]


def test_a_refusal_carries_its_reason():
    with pytest.raises(ImportRefused) as caught:
        validate(pd.DataFrame({"title": ["x"]}), pd.Series([2]), "ledger", crs="EPSG:4326", tz="Asia/Shanghai")
    why = caught.value.reason
    assert isinstance(why, Reason) and why.code == "missing_columns"
    assert why.params["layer"] == "ledger" and "source_id" in why.params["fields"]
    assert str(caught.value).startswith("required column(s) missing for ledger: source_id, kind, found_on, x, y")
    assert ImportRefused("plain words").reason == "plain words"


def test_a_reason_survives_copy_and_pickle_and_refuses_an_undeclared_code():
    why = reason("no_row_read", file="a.csv", row=3, first=reason("beyond_header", width=4))
    assert why == "a.csv: no row could be read (line 3: cells beyond the header's 4 columns)"
    for twin in (copy.deepcopy(why), pickle.loads(pickle.dumps(why))):
        assert twin == why and twin.code == "no_row_read" and twin.params["first"].code == "beyond_header"
    with pytest.raises(KeyError):
        reason("never_declared")


def _refused(before, after, role, note=None, edits=False, recheck_on=None, today=dt.date(2026, 7, 1)):
    with pytest.raises(rules.WorkflowRefused) as caught:
        rules.import_steps(before, after, role, note=note, today=today, recheck_on=recheck_on, edits=edits)
    why = workflow_reason(caught.value, before, after, role, note=note, edits=edits, recheck_on=recheck_on,
                          today=today)
    assert why == str(caught.value), "the English sentence is the workflow's own"
    return why


def test_workflow_refusals_of_ledger_rows_get_their_own_codes():
    assert _refused(None, "assigned", "clerk").code == "ledger_new_status"
    assert _refused("verified", "rectified", "clerk", edits=True).code == "ledger_closed_edit"
    role = _refused("reported", "assigned", "wall")
    assert (role.code, role.params) == ("ledger_role_step", {"role": "wall", "action": "assign"})
    detour = _refused("reported", "assigned", "leader")  # a leader gets there by cancel and reopen: notes needed
    assert (detour.code, detour.params) == ("ledger_needs_note", {"action": "cancel"})
    note = _refused("rectifying", "rectified", "clerk")
    assert (note.code, note.params) == ("ledger_needs_note", {"action": "rectify"})
    due = _refused("rectified", "verified", "leader", recheck_on=dt.date(2026, 7, 20))
    assert (due.code, due.params) == ("ledger_recheck_due", {"date": "2026-07-20"})
