"""A real click on a download in a real browser leaves its audit row, and the file is safe to open."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import text

from geo.report.safefiles import is_formula_like
from geo.store.engine import make_engine
from tests.browser.conftest import a_run, sign_in

pytestmark = pytest.mark.browser


def _downloads(engine) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            "SELECT object, detail FROM audit_log WHERE action = 'download' AND username = 'clerk' ORDER BY id"))]


def test_clicking_the_ledger_csv_download_writes_an_audit_row(offline_page, app_url, demo_url, tmp_path):
    engine = make_engine(demo_url)
    page = offline_page
    try:
        sign_in(page, app_url, "clerk")
        page.get_by_role("link", name="隐患台账").click()
        button = page.get_by_role("button", name="导出 CSV（当前筛选）")
        button.wait_for(timeout=60_000)
        before = _downloads(engine)
        with a_run(page), page.expect_download(timeout=60_000) as taken:
            button.click()  # the audit callback runs with the rerun the click starts
        saved = tmp_path / taken.value.suggested_filename
        taken.value.save_as(saved)
        assert saved.name == "ledger.csv"
        rows = list(csv.reader(io.StringIO(saved.read_text(encoding="utf-8-sig"), newline="")))
        assert rows[0][0] == "编号" and len(rows) > 1  # headers in the page's language
        assert not [c for row in rows for c in row if is_formula_like(c)]
        new = _downloads(engine)[len(before):]
        assert new == [("ledger:ledger.csv", f"scope all, {len(rows) - 1} rows, {saved.stat().st_size} bytes")]
        assert page.external_requests == []
    finally:
        engine.dispose()
