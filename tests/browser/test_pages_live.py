"""The grid map and the wall in a real browser with no internet: polygons drawn, a click on a
cell opens its card, the wall shows its KPIs and refreshes itself. Screenshots are kept."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import click_on_map, drill_down, open_grid, screenshot, sign_in, wait_for_map

pytestmark = pytest.mark.browser


def test_grid_page_draws_every_cell_offline(offline_page, app_url, tmp_path):
    page = offline_page
    open_grid(page, app_url)
    wait_for_map(page, 6)  # the six streets (and the district outline)
    page.get_by_text("全部网格", exact=True).click()
    frame = wait_for_map(page, 1000)
    assert frame.evaluate("() => typeof L !== 'undefined' && L.version") == "1.9.4"
    screenshot(page, "grid.png", tmp_path)
    assert page.external_requests == []


def test_click_on_a_cell_opens_its_card(offline_page, app_url, tmp_path):
    page = offline_page
    open_grid(page, app_url)
    drill_down(page, "AN0101")  # street › community
    target = click_on_map(page, "AN0101")
    page.get_by_text("近 12 个月警情").wait_for(timeout=30_000)
    expect(page.get_by_text("2026-06-03 至 2026-06-30（含首尾）")).to_be_visible()  # the default period held
    expect(page.get_by_text(f"编码 {target['code']}")).to_be_visible()
    screenshot(page, "grid-card.png", tmp_path)
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
    wait_for_map(page, 1000)
    screenshot(page, "wall.png", tmp_path)
    assert page.external_requests == []


MARK_CELLS = """() => { let n = 0; for (const l of Object.values(window.map._layers)) {
  if (l.feature && l.feature.properties.code) { l.__safegridKept = true; n++; } } return n; }"""
KEPT_CELLS = """() => Object.values(window.map._layers).filter(l => l.feature && l.__safegridKept).length"""
FILLS = """() => Object.values(window.map._layers).filter(l => l.feature && l.feature.properties.code)
  .map(l => l.feature.properties.code + ':' + l.options.fillColor).sort().join(',')"""


def test_a_change_of_measure_restyles_the_drawn_cells_and_sends_no_shapes(offline_page, app_url, tmp_path):
    """All cells drawn once; then a change of measure and of classification: the same Leaflet polygons
    stay (marked before, still marked after) and are recoloured, and no message after the first
    drawing carries a shape set (the encoded geometry's key "xy")."""
    page = offline_page
    open_grid(page, app_url)
    wait_for_map(page, 6)
    socket = next(ws for ws in reversed(page.sockets) if not ws.is_closed())
    sizes, shapes = [], []

    def seen(payload):
        body = payload if isinstance(payload, (bytes, bytearray)) else str(payload).encode()
        sizes.append(len(body))
        shapes.append(b'"xy"' in body)

    socket.on("framereceived", seen)
    page.get_by_text("全部网格", exact=True).click()
    frame = wait_for_map(page, 1000)
    assert any(shapes)  # the all-cells shape set came once: the check below can see shapes
    first = len(sizes)
    marked = frame.evaluate(MARK_CELLS)
    before = frame.evaluate(FILLS)
    assert marked >= 1000
    page.get_by_role("radio", name="每千人警情").click()
    frame.wait_for_function(f"(old) => ({FILLS})() !== old", arg=before, timeout=60_000)
    after = frame.evaluate(FILLS)
    page.get_by_role("radio", name="自然断点").click()
    frame.wait_for_function(f"(old) => ({FILLS})() !== old", arg=after, timeout=60_000)
    assert frame.evaluate(KEPT_CELLS) == marked  # the same polygons, restyled: nothing rebuilt
    assert len(sizes) > first and not any(shapes[first:])
    assert max(sizes[first:]) < 100_000  # values for 1,000 cells, not their outlines
    screenshot(page, "grid-restyled.png", tmp_path)
    assert page.external_requests == []
