"""Likely duplicates in a ledger import: imported, linked to their original (an open item in the
importer's area, or an earlier row of the same file), listed row by row in the report (both
languages on the page), never linked again on a re-run."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from geo.ingest.pipeline import Importer, import_file
from geo.store import audit
from geo.store.scope import Scope
from tests.helpers import STEP, centre, incidents_csv, small_city

ALL = Scope.jurisdiction()
CLERK = Importer("clerk.d", "clerk")
HEAD = ["source_id", "kind", "category", "found_on", "x", "y", "title"]
M = STEP / 1000.0  # about a metre (a cell is 0.01° across, about 1 km)


def _file(tmp_path, rows, name):
    """rows: (source_id, category, found_on, cell, metres east of the cell's middle, title)."""
    out = []
    for sid, category, found, cell, east, title in rows:
        x, y = centre(cell)
        out.append((sid, "hazard", category, found, x + east * M, y, title))
    return incidents_csv(tmp_path, out, name=name, header=HEAD)


def _links(engine) -> dict[str, str | None]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT i.source_id, o.source_id FROM ledger_items i "
                                 "LEFT JOIN ledger_items o ON o.id = i.duplicate_of")).all()
    return dict(rows)


def test_likely_duplicates_are_imported_linked_and_listed_row_by_row(db, tmp_path):
    small_city(db, tmp_path)
    import_file(db, _file(tmp_path, [("A1", "gas", "2026-06-01", "C1", 0, "gas smell")], "first.csv"), "ledger",
                scope=ALL, by=CLERK)
    rows = [("B1", "gas", "2026-06-03", "C1", 20, "gas smell again"),       # line 2: of item A1
            ("B2", "gas", "2026-06-20", "C1", 0, "gas smell in June"),      # line 3: 19 days later: distinct
            ("B3", "fire", "2026-06-02", "C1", 10, "blocked exit"),         # line 4: other category
            ("B4", "road", "2026-06-05", "C2", 0, "pothole"),               # line 5: new
            ("B5", "road", "2026-06-06", "C2", 30, "pothole again")]    # line 6: of line 5 of this file
    report = import_file(db, _file(tmp_path, rows, "second.csv"), "ledger", scope=ALL, by=CLERK)
    assert report.inserted == 5 and not report.skipped
    assert [line for line, _ in report.linked] == [2, 6]
    why = dict(report.linked)
    assert why[2].code == "ledger_duplicate_item" and re.search(r"\(19\.\d m, 2 days apart\)", why[2])
    assert why[6].code == "ledger_duplicate_row" and why[6].params["first"] == 5
    assert "2 linked as likely duplicates" in report.summary() and "linked line 6" in report.details()
    links = _links(db)
    assert (links["B1"], links["B5"]) == ("A1", "B4")
    assert links["B2"] is links["B3"] is links["B4"] is None
    with db.connect() as conn:
        hist = conn.execute(text("SELECT e.action, e.note FROM ledger_events e JOIN ledger_items i ON i.id = e.item_id "
                                 "WHERE i.source_id = 'B1' ORDER BY e.id")).all()
        assert len(audit.entries(conn, action="ledger.link")) == 2
    assert [a for a, _ in hist] == ["import", "link"] and "#" in hist[1][1]
    again = import_file(db, _file(tmp_path, rows, "second.csv"), "ledger", scope=ALL, by=CLERK)  # a re-run
    assert (again.inserted, again.unchanged, again.linked) == (0, 5, [])
    assert _links(db) == links
    with db.connect() as conn:
        assert len(audit.entries(conn, action="ledger.link")) == 2


def test_a_closed_item_is_no_original(db, tmp_path):
    small_city(db, tmp_path)
    import_file(db, _file(tmp_path, [("A1", "gas", "2026-06-01", "C1", 0, "gas smell")], "first.csv"), "ledger",
                scope=ALL, by=CLERK)
    with db.begin() as conn:
        conn.execute(text("UPDATE ledger_items SET status = 'cancelled' WHERE source_id = 'A1'"))
    report = import_file(db, _file(tmp_path, [("B1", "gas", "2026-06-02", "C1", 5, "gas smell")], "x.csv"), "ledger",
                         scope=ALL, by=CLERK)
    assert report.linked == [] and _links(db)["B1"] is None


@pytest.mark.parametrize("metres,linked", [("10", False), ("100", True)], ids=["10m", "100m"])
def test_the_distance_is_a_setting(db, tmp_path, monkeypatch, metres, linked):
    small_city(db, tmp_path)
    monkeypatch.setenv("SAFEGRID_DUP_METRES", metres)
    rows = [("A1", "gas", "2026-06-01", "C1", 0, "gas"), ("A2", "gas", "2026-06-01", "C1", 40, "gas")]
    report = import_file(db, _file(tmp_path, rows, "f.csv"), "ledger", scope=ALL, by=CLERK)
    assert bool(report.linked) is linked
