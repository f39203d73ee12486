"""The grid map and the wall in a real browser with no internet: polygons drawn, a click on a
cell opens its card, the wall shows its KPIs and refreshes itself. Screenshots are kept."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser
SCREENS = os.environ.get("SAFEGRID_SCREENSHOTS")
POLYGONS = """() => Object.values(window.map._layers)
  .filter(l => l.feature && /Polygon/.test(l.feature.geometry.type)).length"""
CELL_POINT = """(prefix) => {
  // a cell of the community whose bounding-box centre lies inside it (clipped cells may be concave)
  for (const layer of Object.values(window.map._layers)) {
    const code = layer.feature && String(layer.feature.properties.code);
    if (!code || !code.startsWith(prefix) || code.length <= prefix.length) continue;
    const centre = layer.getBounds().getCenter();
    if (!layer._containsPoint(window.map.latLngToLayerPoint(centre))) continue;
    const p = window.map.latLngToContainerPoint(centre);
    return {x: Math.round(p.x), y: Math.round(p.y), code: code};
  }
  return null;
}"""


def _shot(page, name: str, tmp_path) -> Path:
    path = Path(SCREENS or tmp_path) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    return path


def _frame_where(page, predicate: str, arg=None, timeout_s: float = 60):
    """The map frame for which the JS ``predicate(arg)`` holds (a rerun replaces frames, so poll)."""
    import time

    deadline = time.time() + timeout_s
    while time.time() < deadline:
        for frame in [f for f in page.frames if "streamlit_folium" in f.url]:
            try:
                if frame.evaluate(f"(arg) => !!window.map && ({predicate})(arg)", arg):
                    return frame
            except Exception:  # detached or still loading
                continue
        page.wait_for_timeout(250)
    raise AssertionError(f"no map frame satisfied {predicate} within {timeout_s} s")


def _wait_polygons(page, at_least: int):
    """The map frame that draws at least ``at_least`` polygons."""
    return _frame_where(page, f"(n) => ({POLYGONS})() >= n", at_least)


def _open_grid(page, app_url):
    sign_in(page, app_url)  # the home page first: a cold direct hit on /grid shows Streamlit's "page not found"
    page.get_by_text("平安网格 · 总览").wait_for(timeout=60_000)
    page.get_by_role("link", name="网格地图").click()
    page.get_by_text("统计期").first.wait_for(timeout=60_000)


def test_grid_page_draws_every_cell_offline(offline_page, app_url, tmp_path):
    page = offline_page
    _open_grid(page, app_url)
    _wait_polygons(page, 6)  # the six streets (and the district outline)
    page.get_by_text("全部网格", exact=True).click()
    frame = _wait_polygons(page, 1000)
    assert frame.evaluate("() => typeof L !== 'undefined' && L.version") == "1.9.4"
    _shot(page, "grid.png", tmp_path)
    assert page.external_requests == []


def test_click_on_a_cell_opens_its_card(offline_page, app_url, tmp_path):
    page = offline_page
    _open_grid(page, app_url)
    page.get_by_label("按编码或名称查找").fill("AN0101")
    page.keyboard.press("Enter")
    page.get_by_role("button", name="AN0101 · 社区/村").click()
    expect(page.get_by_role("button", name=re.compile("^› "))).to_have_count(2, timeout=30_000)  # street › community
    frame = _frame_where(page, "(p) => Object.values(window.map._layers).some(l => l.feature && "
                               "String(l.feature.properties.code).startsWith(p + '0'))", "AN0101")
    # Scroll the map fully into view first: a click that makes the page scroll can land off target.
    frame.locator(".leaflet-container").scroll_into_view_if_needed()
    target, previous = frame.evaluate(CELL_POINT, "AN0101"), None
    while target != previous:  # wait until the map has stopped moving (fit-bounds animation)
        page.wait_for_timeout(300)
        previous, target = target, frame.evaluate(CELL_POINT, "AN0101")
    frame.locator(".leaflet-container").click(position={"x": target["x"], "y": target["y"]})
    page.get_by_text("近 12 个月警情").wait_for(timeout=30_000)
    expect(page.get_by_text("2026-06-03 至 2026-06-30（含首尾）")).to_be_visible()  # the default period held
    expect(page.get_by_text(f"编码 {target['code']}")).to_be_visible()
    _shot(page, "grid-card.png", tmp_path)
    assert page.external_requests == []


def test_wall_renders_its_kpis_and_refreshes(offline_page, app_url, tmp_path):
    page = offline_page
    page.set_viewport_size({"width": 1920, "height": 1080})
    sign_in(page, f"{app_url}/?wall=1", "wall")
    page.locator("[data-kpi='today']").wait_for(timeout=60_000)
    for kpi in ("today", "week", "month", "open", "overdue", "coverage", "online"):
        expect(page.locator(f"[data-kpi='{kpi}'] .v")).not_to_be_empty()
    expect(page.locator("[data-testid='stSidebar']")).to_be_hidden()
    stamp = page.locator("[data-testid='wall-asof']").inner_text()
    page.wait_for_function("(old) => { const e = document.querySelector(\"[data-testid='wall-asof']\"); "
                           "return e && e.innerText !== old; }", arg=stamp, timeout=20_000)  # refreshed itself
    _wait_polygons(page, 1000)
    _shot(page, "wall.png", tmp_path)
    assert page.external_requests == []
