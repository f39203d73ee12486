"""The coverage map draws only the current run's camera plan (never a previous run's, never one run for
other inputs), and what-if cameras look unlike real ones, with a legend entry in both languages."""

from __future__ import annotations

import datetime as dt

import folium
import pytest

from geo.maps.document import CellMap
from geo.maps.layers import STATUS_COLORS, WHAT_IF_COLOR
from tests.conftest import ROOT
from tests.pages.common import run_page, submit


@pytest.fixture
def drawn(monkeypatch, demo_url):
    """The folium maps the coverage page hands to the browser, in order (the component itself is replaced)."""
    monkeypatch.setenv("DATABASE_URL", demo_url)
    monkeypatch.chdir(ROOT)
    maps = []

    def capture(fmap, **_):
        maps.append(fmap)
        return {}

    monkeypatch.setattr("geo.ui.coverage.show_cell_map", capture)
    return maps


def _layers(cmap: CellMap, name: str) -> list[folium.GeoJson]:
    groups = [c for c in cmap.fmap._children.values() if isinstance(c, folium.FeatureGroup) and c.layer_name == name]
    return [g for group in groups for g in group._children.values() if isinstance(g, folium.GeoJson)]


def _sites(fmap: CellMap, label: str) -> int:
    return sum(len(g.data["features"]) for g in _layers(fmap, label))


def _html(cmap: CellMap) -> str:
    return cmap.text()


def test_the_map_draws_the_plan_of_this_run_only(drawn):
    at = run_page("pages/coverage.py", "en", "planner")
    assert not at.exception and _sites(drawn[-1], "Planned sites") == 0
    at.number_input(key="cov.plan.amount").set_value(10.0)
    submit(at, "Plan")
    assert not at.exception and not at.error
    assert len(at.dataframe[-1].value) == 10 and _sites(drawn[-1], "Planned sites") == 10
    at.number_input(key="cov.plan.amount").set_value(3.0)
    submit(at, "Plan")
    assert len(at.dataframe[-1].value) == 3
    assert _sites(drawn[-1], "Planned sites") == 3  # the 3-site result, not the 10 dots of the run before
    assert "This plan&#x27;s sites (3)" in _html(drawn[-1]) or "This plan's sites (3)" in _html(drawn[-1])
    # another day: the plan was not run for it, so it is neither drawn nor listed
    tables = len(at.dataframe)
    at.date_input(key="cov.at").set_value(at.date_input(key="cov.at").value - dt.timedelta(days=30)).run()
    assert not at.exception and _sites(drawn[-1], "Planned sites") == 0
    assert len(at.dataframe) == tables - 1 and "cov.plan.result" not in at.session_state


@pytest.mark.parametrize("lang,name,real", [("en", "What-if cameras (dashed)", "Camera fields of view"),
                                            ("zh", "假设新增的监控（虚线）", "监控视域")])
def test_a_what_if_camera_looks_unlike_a_real_one_and_has_a_legend_entry(drawn, lang, name, real):
    at = run_page("pages/coverage.py", lang, "planner")
    assert _layers(drawn[-1], name) == []  # none yet
    at.session_state["cov.extra"] = [("what-if 1", 112.93, 28.12, 0.0, 360.0, 120.0, "online", "what-if", None)]
    at.run()
    assert not at.exception
    fmap = drawn[-1]
    views, dots = _layers(fmap, name)
    feature = views.data["features"][0]
    style = views.style_function(feature)
    assert style["color"] == WHAT_IF_COLOR and style.get("dashArray")  # its own colour, dashed
    assert WHAT_IF_COLOR not in STATUS_COLORS.values()
    assert len(dots.data["features"]) == 1
    real_views = _layers(fmap, real)
    assert real_views and all(real_views[0].style_function(f)["color"] != WHAT_IF_COLOR and
                              "dashArray" not in real_views[0].style_function(f)
                              for f in real_views[0].data["features"])
    html = _html(fmap)
    assert "safegrid-legend" in html and name in html and WHAT_IF_COLOR in html
