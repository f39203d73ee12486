"""A switch of language keeps where the user is: the grid map's drill-down and the open card both
survive it, and the next click on the map goes on from there (in a real browser, offline)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_pages_live import CELL_POINT, _frame_where, _open_grid, _shot

pytestmark = pytest.mark.browser
IDLE = "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
CELLS_OF = ("(p) => Object.values(window.map._layers).some(l => l.feature && "
            "String(l.feature.properties.code).startsWith(p + '0'))")
OTHER_CELL = """(args) => {
  // a cell of the community other than args.not whose bounding-box centre lies inside it
  for (const layer of Object.values(window.map._layers)) {
    const code = layer.feature && String(layer.feature.properties.code);
    if (!code || !code.startsWith(args.prefix) || code.length <= args.prefix.length || code === args.not) continue;
    const centre = layer.getBounds().getCenter();
    if (!layer._containsPoint(window.map.latLngToLayerPoint(centre))) continue;
    const p = window.map.latLngToContainerPoint(centre);
    return {x: Math.round(p.x), y: Math.round(p.y), code: code};
  }
  return null;
}"""


def _click_cell(page, script, arg):
    """Click a cell on the map now shown (a rerun may replace the map's frame meanwhile: then again)."""
    for attempt in range(5):
        frame = _frame_where(page, CELLS_OF, "AN0101")
        try:
            frame.locator(".leaflet-container").scroll_into_view_if_needed(timeout=10_000)
            target, previous = frame.evaluate(script, arg), None
            while target != previous:  # wait until the map has stopped moving
                page.wait_for_timeout(300)
                previous, target = target, frame.evaluate(script, arg)
            frame.locator(".leaflet-container").click(position={"x": target["x"], "y": target["y"]}, timeout=10_000)
            return target["code"]
        except Exception:  # the frame was replaced (detached or hidden): find the new one
            if attempt == 4:
                raise
            page.wait_for_timeout(500)


def test_a_language_switch_keeps_the_drill_down_and_the_card(offline_page, app_url, tmp_path):
    page = offline_page
    _open_grid(page, app_url)
    page.get_by_label("按编码或名称查找").fill("AN0101")
    page.keyboard.press("Enter")
    page.get_by_role("button", name="AN0101 · 社区/村").click()
    crumbs = page.get_by_role("button", name=re.compile("^› "))
    expect(crumbs).to_have_count(2, timeout=30_000)  # street › community
    first = _click_cell(page, CELL_POINT, "AN0101")
    expect(page.get_by_text(f"编码 {first}")).to_be_visible(timeout=30_000)
    page.wait_for_function(IDLE, timeout=60_000)
    page.get_by_text("English", exact=True).click()
    expect(page.get_by_text(re.compile(f"^Code {first}"))).to_be_visible(timeout=30_000)  # the card, in English
    expect(crumbs).to_have_count(2)  # and the drill-down
    page.wait_for_function(IDLE, timeout=60_000)
    # the next click goes on from there: another cell of the same community opens, nothing is reset
    second = _click_cell(page, OTHER_CELL, {"prefix": "AN0101", "not": first})
    expect(page.get_by_text(re.compile(f"^Code {second}"))).to_be_visible(timeout=30_000)
    page.wait_for_function(IDLE, timeout=60_000)
    page.wait_for_timeout(1000)
    expect(crumbs).to_have_count(2)  # the drill-down held: still the street and the community
    _shot(page, "grid-language.png", tmp_path)
    assert page.external_requests == []
