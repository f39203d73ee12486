"""The hotspots page asks the analysis once per request: the kernel density behind the table's
means is the one drawn on the map (it was built a second time for the picture)."""

from __future__ import annotations

import pytest

from geo.core import density
from geo.store import analysis
from geo.ui import hotspots
from tests.conftest import ROOT
from tests.pages.common import run_page


@pytest.fixture
def app_env(monkeypatch, demo_url):
    monkeypatch.setenv("DATABASE_URL", demo_url)
    monkeypatch.chdir(ROOT)


@pytest.mark.parametrize("kernel", ["quartic", "gaussian"])
def test_kde_page_evaluates_the_density_once_per_request(app_env, monkeypatch, kernel):
    calls = []

    def counting(*args, **kwargs):
        calls.append(kwargs.get("name"))
        return density.kde(*args, **kwargs)

    monkeypatch.setattr(analysis, "kde", counting)
    hotspots._run.clear()
    at = run_page("pages/hotspots.py", "en")
    at.segmented_control(key="hot.method").set_value("kde").run()
    if kernel != "quartic":
        at.radio(key="hot.kernel").set_value(kernel).run()
    assert not at.exception and not at.error
    assert calls[-1] == kernel and len(calls) == (1 if kernel == "quartic" else 2)  # one per kernel asked for
    assert "Mean density (per km²)" in at.dataframe[-1].value.columns
