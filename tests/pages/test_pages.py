"""Every page, smoke-tested with Streamlit's AppTest against a real (small) demo database."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT

PAGES = ["pages/home.py", "pages/import_data.py"]


@pytest.fixture
def app_env(monkeypatch, demo_url):
    monkeypatch.setenv("DATABASE_URL", demo_url)
    monkeypatch.chdir(ROOT)


def _run(script: str, lang: str = "zh") -> AppTest:
    at = AppTest.from_file(str(ROOT / script), default_timeout=60)
    at.session_state["app.lang"] = lang
    return at.run()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_router_runs_and_shows_overview(app_env, lang):
    at = _run("app.py", lang)
    assert not at.exception
    titles = [t.value for t in at.title]
    assert titles == (["平安网格 · 总览"] if lang == "zh" else ["SafeGrid · Overview"])
    metrics = {m.label: m.value for m in at.metric}
    key = "网格" if lang == "zh" else "Grid cells"
    assert metrics[key] == "1,000"


@pytest.mark.parametrize("page", PAGES)
def test_page_smoke(app_env, page):
    at = _run(page)
    assert not at.exception
    assert not at.error


def test_home_without_schema_says_what_to_do(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'empty.sqlite'}")
    monkeypatch.chdir(ROOT)
    at = _run("pages/home.py", "en")
    assert not at.exception
    assert "python -m geo init" in at.warning[0].value
