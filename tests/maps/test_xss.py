"""Fifty script-injection payloads in every free-text field of ledger items: stored as text,
escaped in map tooltips and on the wall, shown as text in tables, defused in exports."""

from __future__ import annotations

import datetime as dt
import shutil

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text

from geo.core.classify import classify
from geo.ingest.export import export_layer
from geo.ingest.pipeline import Importer, import_file
from geo.maps.layers import safe_text
from geo.report.safefiles import is_formula_like
from geo.maps.views import measure_map
from geo.store import features
from geo.store.engine import make_engine
from geo.store.scope import Scope

EVERYTHING = Scope.jurisdiction()

BASE = [
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "\"><svg onload=alert(1)>", "javascript:alert(1)",
    "'><iframe src=javascript:alert(1)>", "<body onload=alert(1)>", "<a href=\"javascript:alert(1)\">x</a>",
    "<div style=\"background:url(javascript:alert(1))\">", "</textarea><script>alert(1)</script>",
    "<math><mi xlink:href=\"javascript:alert(1)\">", "<details open ontoggle=alert(1)>", "<input autofocus onfocus=alert(1)>",
    "<video><source onerror=alert(1)>", "<object data=javascript:alert(1)>", "<marquee onstart=alert(1)>",
    "{{constructor.constructor('alert(1)')()}}", "${alert(1)}", "</style><script>alert(1)</script>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>", "=HYPERLINK(\"http://x.invalid\",\"x\")", "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0", "<svg><script>alert&#40;1&#41;</script>",
    "\u003cscript\u003ealert(1)\u003c/script\u003e",
]
PAYLOADS = BASE + [f"整改 {p.upper()}" for p in BASE]  # 50


@pytest.fixture(scope="module")
def hostile_db(demo_url, tmp_path_factory):
    """A copy of the demo with 50 ledger items whose title, description and unit are payloads."""
    path = tmp_path_factory.mktemp("xss") / "demo.sqlite"
    shutil.copy(demo_url[len("sqlite:///"):], path)
    engine = make_engine(f"sqlite:///{path}")
    rng = np.random.default_rng(1)
    rows = pd.DataFrame({
        "source_id": [f"X{i}" for i in range(len(PAYLOADS))], "kind": "hazard", "found_on": "2026-06-01",
        "deadline": "2026-06-10", "status": "reported",  # new items start reported
        "x": rng.uniform(112.92, 112.94, len(PAYLOADS)), "y": rng.uniform(28.11, 28.13, len(PAYLOADS)),
        "title": PAYLOADS, "description": PAYLOADS[::-1], "responsible_unit": PAYLOADS,
    })
    csv = path.parent / "hostile.csv"
    rows.to_csv(csv, index=False)
    report = import_file(engine, csv, "ledger", scope=EVERYTHING, source="xss", by=Importer("clerk", "clerk"))
    assert report.inserted == len(PAYLOADS)
    yield engine
    engine.dispose()


def test_payloads_are_stored_as_plain_text(hostile_db):
    with hostile_db.connect() as conn:
        titles = conn.execute(text("SELECT title FROM ledger_items WHERE source = 'xss' ORDER BY id")).scalars().all()
    assert titles == [p[:300] for p in PAYLOADS]


def test_map_tooltips_escape_every_payload(hostile_db):
    with hostile_db.connect() as conn:
        ledger = features.open_ledger(conn, EVERYTHING, dt.date(2026, 6, 30))
        cells = features.areas_within(conn, EVERYTHING, "grid")
    cells = cells.assign(value="1", label=cells["name"])
    classes = classify(np.ones(len(cells)))
    tips = {"title": "Item", "status": "Status", "deadline": "Deadline", "responsible_unit": "Unit"}
    fmap = measure_map(cells, classes, {"measure": "m", "ledger": "Ledger", "ledger_tips": tips},
                       tooltip_fields={"label": "Name"}, legend_labels=classes.labels(), ledger=ledger)
    doc = fmap.document()  # branca renders the script through Jinja twice: it must not choke
    page = "\n".join([doc["header"], doc["html"], doc["script"], fmap.legend])  # every part read as markup
    for payload in PAYLOADS:
        if any(ch in payload for ch in "<>\"{}`$"):
            assert payload not in page, payload
    from tests.maps.test_builders import _features

    shown = {f["properties"]["title"] for f in _features(page) if "title" in f["properties"]}
    assert {safe_text(p[:300]) for p in PAYLOADS} <= shown
    for value in shown:  # no markup, no template or script-literal syntax left in any tooltip value
        assert not set(value) & set("<>\"{}`$")


def test_exports_defuse_formulas_and_keep_text(hostile_db, tmp_path):
    out = tmp_path / "ledger.xlsx"
    export_layer(hostile_db, "ledger", out, scope=EVERYTHING)
    frame = pd.read_excel(out, dtype=str)
    mine = frame[frame["source_id"].str.startswith("X")].sort_values("source_id", key=lambda s: s.str[1:].astype(int))
    for got, sent in zip(mine["title"], PAYLOADS):
        assert not is_formula_like(str(got))
        assert str(got) in (sent, "'" + sent)  # a formula-like text gains one leading apostrophe
    csv = tmp_path / "ledger.csv"
    export_layer(hostile_db, "ledger", csv, scope=EVERYTHING)
    rows = pd.read_csv(csv, dtype=str, encoding="utf-8-sig")
    assert not rows["responsible_unit"].dropna().map(is_formula_like).any()
