"""Long work on the pages shows a status box with a progress bar that ends done, and the area report's
first click gives the file in the page's language (never one made earlier in the other language)."""

from __future__ import annotations

import io
import re

import pytest
import streamlit as st
from pypdf import PdfReader

from tests.conftest import ROOT
from tests.pages.common import run_page, submit


@pytest.fixture
def app_env(monkeypatch, demo_url):
    monkeypatch.setenv("DATABASE_URL", demo_url)
    monkeypatch.chdir(ROOT)
    st.cache_data.clear()
    return demo_url


def finished(at, label: str) -> None:
    """A status box ``label`` closed as done, its bar full."""
    boxes = [s for s in at.status if s.label == label]
    assert boxes and boxes[-1].state == "complete", [(s.label, s.state) for s in at.status]
    assert any(p.value == 100 for p in at.progress), [(p.value, p.text) for p in at.progress]


def test_zone_proposal_and_patrol_sheets_show_their_progress(app_env):
    at = run_page("pages/zones.py", "zh", "planner")
    at.number_input(key="zones.k").set_value(6)
    submit(at, "生成方案")
    assert not at.exception and not at.error
    finished(at, "正在生成均衡方案：已完成")
    assert any("搜索均衡紧凑的划分" in p.text or "绘制巡区边界" in p.text for p in at.progress)
    assert len(at.dataframe[1].value) == 6  # the proposal's scorecard
    at.button(key="zones.plan.pdf_make").click().run()
    assert not at.exception and not at.error
    finished(at, "正在生成巡逻单……：已完成")
    assert at.session_state["zones.plan.pdf"].startswith(b"%PDF")


def test_camera_plan_shows_its_progress(app_env):
    at = run_page("pages/coverage.py", "en", "planner")
    submit(at, "Plan")
    assert not at.exception and not at.error
    finished(at, "Planning new camera sites: done")
    assert any("Picking sites one by one" in p.text or "Ordering the sites by gain" in p.text for p in at.progress)


def _report_text(at) -> str:
    made = at.session_state["report.files"]
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(made[1])).pages)
    return re.sub(r"\s+", "", text.replace("\x00", ""))


def _campaigns_page(lang: str):
    """The campaigns page alone, signed in as a leader, so a language set in the session (as the
    sidebar's switch sets it) holds from one run to the next."""
    from streamlit.testing.v1 import AppTest

    from geo.core import clock

    now = clock.now_utc()
    at = AppTest.from_file(str(ROOT / "pages/campaigns.py"), default_timeout=60)
    at.session_state["app.lang"] = lang
    at.session_state["auth.user"] = {"username": "leader", "role": "leader", "scope": None, "started": now,
                                     "last_seen": now}
    return at.run()


def test_the_area_report_follows_the_language_on_the_first_click(app_env):
    at = _campaigns_page("zh")
    at.button(key="report.make").click().run()
    assert not at.exception and not at.error
    finished(at, "正在生成报告……：已完成")
    assert "区域报告" in _report_text(at)
    assert [b.label for b in at.get("download_button")] == ["下载 PDF", "下载 Excel"]
    # the same session switches to English: the Chinese files are not offered as English ones
    at.session_state["app.lang"] = "en"
    at.run()
    assert not at.exception and at.title[0].value == "Campaigns and reports"
    assert not at.get("download_button")
    at.button(key="report.make").click().run()  # the first click in English gives the English files
    assert not at.exception and not at.error
    text = _report_text(at)
    assert "Areareport" in text and "区域报告" not in text
    assert [b.label for b in at.get("download_button")] == ["Download PDF", "Download Excel"]
    # and back: the English files are not offered on the Chinese page, one click makes Chinese ones
    at.session_state["app.lang"] = "zh"
    at.run()
    assert not at.get("download_button")
    at.button(key="report.make").click().run()
    assert "区域报告" in _report_text(at) and "Areareport" not in _report_text(at)
