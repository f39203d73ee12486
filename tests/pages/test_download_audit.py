"""Every download leaves an audit row: who, which page's file, inside which scope, how many rows.

The row is written by the button's ``on_click`` (``geo.ui.downloads.record``) when the file is
taken, not when the button is drawn. AppTest presses download buttons the way the browser's click
does (a trigger with the callback run before the rerun); the browser test in
tests/browser/test_download_audit_live.py clicks one for real.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from geo.store.engine import make_engine
from tests.conftest import ROOT
from tests.pages.common import run_page


@pytest.fixture
def env(demo_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", demo_url)
    monkeypatch.chdir(ROOT)
    engine = make_engine(demo_url)
    yield engine
    engine.dispose()


def downloads_of(engine, username: str) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            "SELECT object, detail FROM audit_log WHERE action = 'download' AND username = :u ORDER BY id"),
            {"u": username})]


def test_record_writes_one_row_with_page_file_scope_and_size(env):
    from geo.ui import downloads

    downloads.record("record.tester", "ledger", "ledger.csv", "AN01", rows=12, size=3456)
    downloads.record("record.tester", "report", "report_AN_2026-01-01_2026-06-30.pdf", None)
    assert downloads_of(env, "record.tester") == [
        ("ledger:ledger.csv", "scope AN01, 12 rows, 3456 bytes"),
        ("report:report_AN_2026-01-01_2026-06-30.pdf", "scope all")]


@pytest.mark.parametrize("page,user,key,obj,scoped", [
    ("pages/ledger.py", "clerk", "ledger.csv", "ledger:ledger.csv", False),
    ("pages/ledger.py", "clerk", "ledger.xlsx", "ledger:ledger.xlsx", False),
    ("pages/hotspots.py", "leader.street1", "hot.export.csv", "hotspots:", True),
    ("pages/admin.py", "admin", "admin.audit.download", "audit_log:audit_log.csv", False),
], ids=["ledger-csv", "ledger-xlsx", "hotspots-scoped", "audit-log"])
def test_drawing_a_download_records_nothing_and_taking_it_records_one_row(env, page, user, key, obj, scoped):
    before = downloads_of(env, user)
    at = run_page(page, "en", user)
    assert not at.exception, at.exception
    assert downloads_of(env, user) == before  # drawn, not taken
    at.download_button(key=key).click().run()
    assert not at.exception, at.exception
    rows = downloads_of(env, user)[len(before):]
    assert len(rows) == 1 and rows[0][0].startswith(obj), rows
    with env.connect() as conn:
        scope = conn.execute(text("SELECT scope_code FROM users WHERE username = :u"), {"u": user}).scalar()
    assert (scope is not None) == scoped
    assert rows[0][1].startswith(f"scope {scope or 'all'}, ") and " rows, " in rows[0][1]
    at.run()  # a later rerun does not count the same click again
    assert len(downloads_of(env, user)) == len(before) + 1
