"""Time playback in a real browser: Play moves through every step with no script run on the server, the
cells change colour between steps (each step's colour the one the store's counts and the pooled
classes give), and the legend stays the same. Screenshots are kept."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pytest

from geo.core.timeline import pooled_classes, step_spans
from geo.store.engine import make_engine
from geo.store.playback import step_counts
from geo.store.scope import Scope
from tests.browser.conftest import (a_run, map_frame, open_grid, screenshot, steady_point, wait_for_map,
                                    wait_for_text)

pytestmark = pytest.mark.browser

STATE = "() => window.__safegridPlayback ? JSON.parse(JSON.stringify(window.__safegridPlayback)) : null"
READY = "(n) => !!window.__safegridPlayback && window.__safegridPlayback.steps > 1 && " \
        "Object.values(window.map._layers).filter(l => l.feature && l.feature.properties.code).length >= n"
CELLS = """() => Object.fromEntries(Object.values(window.map._layers).filter(l => l.feature && l.feature.properties.code)
  .map(l => [l.feature.properties.code, [l.options.fillColor, l.feature.properties.value]]))"""
CELL_AMONG = """(codes) => {
  // the first of ``codes`` whose bounding-box centre lies inside it, as a point of the map's container
  const wanted = new Set(codes);
  for (const layer of Object.values(window.map._layers)) {
    const code = layer.feature && String(layer.feature.properties.code);
    if (!wanted.has(code)) continue;
    const centre = layer.getBounds().getCenter();
    if (!layer._containsPoint(window.map.latLngToLayerPoint(centre))) continue;
    const p = window.map.latLngToContainerPoint(centre);
    return {x: Math.round(p.x), y: Math.round(p.y), code: code};
  }
  return null;
}"""
LEGEND = "() => document.getElementById('safegrid-legend').innerHTML"


def _expected_fills(demo_url: str, start: dt.date, end: dt.date) -> tuple[list[dict], list, object]:
    """Per step {cell: colour} from the store and the classes pooled over every step; the steps; the counts."""
    engine = make_engine(demo_url)
    spans = step_spans(start, end, "week")
    try:
        with engine.connect() as conn:
            table = step_counts(conn, Scope.jurisdiction(), "grid", spans)
    finally:
        engine.dispose()
    counts = table.to_numpy().T
    pooled = pooled_classes(counts)
    out = []
    for row in counts:
        klass = np.minimum(np.searchsorted(pooled.bins, row, side="left"), len(pooled.bins) - 1)
        out.append({code: pooled.colors[k] for code, k in zip(table.index, klass)})
    return out, spans, table


def test_playback_plays_every_step_in_the_browser_with_a_fixed_legend(offline_page, app_url, demo_url, tmp_path):
    page = offline_page
    open_grid(page, app_url)
    wait_for_map(page, 6)
    with a_run(page):
        page.get_by_text("全部网格", exact=True).click()
    with a_run(page):
        page.get_by_text("时间回放", exact=True).click()
    wait_for_text(page, re.compile("时间回放：共 \\d+ 个时段"))
    frame = map_frame(page, READY, 1000)
    period = re.search(r"统计期 (\d{4}-\d\d-\d\d) 至 (\d{4}-\d\d-\d\d)", page.content())
    expected, spans, table = _expected_fills(demo_url, dt.date.fromisoformat(period[1]), dt.date.fromisoformat(period[2]))
    state = frame.evaluate(STATE)
    assert state["steps"] == len(spans) >= 4 and state["step"] == 0 and not state["playing"]
    legend = frame.evaluate(LEGEND)
    first = frame.evaluate(CELLS)
    assert {code: fill for code, (fill, _) in first.items()} == expected[0]

    socket = next(ws for ws in reversed(page.sockets) if not ws.is_closed())
    sent = []
    socket.on("framesent", lambda payload: sent.append(payload))
    seen = [first]
    frame.evaluate("() => { window.__safegridPlayMs = 400; }")  # slow enough to look at every step
    frame.get_by_test_id("playback-play").click()
    for step in range(1, len(spans)):
        frame.wait_for_function("(i) => window.__safegridPlayback.step >= i", arg=step, timeout=30_000)
        seen.append(frame.evaluate(CELLS))
        assert frame.evaluate(LEGEND) == legend  # one legend for every step
    frame.wait_for_function("() => !window.__safegridPlayback.playing", timeout=30_000)
    state = frame.evaluate(STATE)
    assert state["step"] == len(spans) - 1
    assert [p["step"] for p in state["painted"]][-(len(spans) - 1):] == list(range(1, len(spans)))
    assert sent == []  # no message to the server: no rerun, the browser stepped alone
    last = frame.evaluate(CELLS)
    assert {code: fill for code, (fill, _) in last.items()} == expected[-1]
    fills = [tuple(sorted((c, f) for c, (f, _) in s.items())) for s in seen]
    assert len(set(fills)) > 1  # the colours change from step to step
    screenshot(page, "grid-playback.png", tmp_path)
    # a cell's tooltip gives its count at the step shown (a cell whose count then differs from the first step's)
    frame.locator(".leaflet-container").scroll_into_view_if_needed()
    last = len(spans) - 1
    changed = [str(c) for c in table.index[table[last] != table[0]]]
    assert changed
    cell = steady_point(frame, CELL_AMONG, changed)
    frame.locator(".leaflet-container").hover(position={"x": cell["x"], "y": cell["y"]})
    tip = frame.locator(".leaflet-tooltip")
    tip.wait_for(timeout=10_000)
    assert re.search(rf"每时段警情数\s*{table.loc[cell['code'], last]}\b", tip.inner_text())

    slider = frame.get_by_test_id("playback-slider")  # the slider goes back to the first step, by keyboard
    slider.press("Home")
    frame.wait_for_function("() => window.__safegridPlayback.step === 0", timeout=10_000)
    assert {c: f for c, (f, _) in frame.evaluate(CELLS).items()} == expected[0]
    slider.press("ArrowRight")
    frame.wait_for_function("() => window.__safegridPlayback.step === 1", timeout=10_000)
    assert {c: f for c, (f, _) in frame.evaluate(CELLS).items()} == expected[1]
    assert page.external_requests == [] and sent == []

    # a page that no longer holds the counts (its store emptied) asks for them on the next run, once
    frame.evaluate("() => window.parent.__safegridTimelines.clear()")
    with a_run(page):
        page.get_by_text("English", exact=True).click()
    frame = map_frame(page, "() => window.parent.__safegridTimelines.size === 1 && "
                            "document.querySelector('.safegrid-pb-play').textContent.includes('Play')")
    assert frame.evaluate(STATE)["step"] == 1  # the same playback: it kept its place
    assert {c: f for c, (f, _) in frame.evaluate(CELLS).items()} == expected[1]
    screenshot(page, "grid-playback-en.png", tmp_path)


def test_hotspot_playback_plays_in_the_browser(offline_page, app_url, tmp_path):
    from tests.browser.conftest import open_page

    page = offline_page
    open_page(page, app_url, "热点分析")
    wait_for_map(page, 6)
    with a_run(page):
        page.get_by_text("时间回放", exact=True).click()
    frame = map_frame(page, READY, 6)
    legend = frame.evaluate(LEGEND)
    assert "每时段警情数" in legend
    socket = next(ws for ws in reversed(page.sockets) if not ws.is_closed())
    sent = []
    socket.on("framesent", lambda payload: sent.append(payload))
    frame.evaluate("() => { window.__safegridPlayMs = 100; }")
    steps = frame.evaluate(STATE)["steps"]
    frame.get_by_test_id("playback-play").click()
    frame.wait_for_function("(n) => window.__safegridPlayback.step === n - 1 && !window.__safegridPlayback.playing",
                            arg=steps, timeout=30_000)
    assert frame.evaluate(LEGEND) == legend and sent == []
    screenshot(page, "hotspots-playback.png", tmp_path)
    assert page.external_requests == []
