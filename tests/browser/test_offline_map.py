"""The map draws in a real browser with no internet: Leaflet comes from the app itself."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser
SCREENS = os.environ.get("SAFEGRID_SCREENSHOTS")
# Counts pixels the canvas renderer painted (anything not fully transparent).
PAINTED = """() => {
  const c = document.querySelector('.leaflet-container canvas');
  if (!c) return -1;
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
  return n;
}"""


def _map_frame(page):
    page.wait_for_selector("iframe[title*='st_folium'], iframe[src*='streamlit_folium']", timeout=60_000)
    frame = next(f for f in page.frames if "streamlit_folium" in f.url)
    frame.wait_for_selector(".leaflet-container canvas", timeout=60_000)
    return frame


def test_home_map_draws_offline(offline_page, app_url, tmp_path):
    page = offline_page
    sign_in(page, app_url)
    page.get_by_text("平安网格 · 总览").wait_for(timeout=60_000)
    frame = _map_frame(page)
    frame.wait_for_function(f"({PAINTED})() > 20000", timeout=30_000)
    assert frame.evaluate("() => typeof L !== 'undefined' && L.version") == "1.9.4"
    scripts = frame.evaluate("() => Array.from(document.scripts).map(s => s.src).filter(Boolean)")
    assert any(s.endswith("/app/static/vendor/leaflet/leaflet.js") for s in scripts), scripts
    painted = frame.evaluate(PAINTED)
    box = frame.evaluate("() => { const c = document.querySelector('.leaflet-container canvas'); "
                         "return c.width * c.height; }")
    assert painted > 0.2 * box, (painted, box)  # the grid covers a good part of the map
    assert page.external_requests == []
    shot = Path(SCREENS or tmp_path) / "home.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000


def test_language_switch_to_english(offline_page, app_url):
    page = offline_page
    sign_in(page, app_url)
    page.get_by_text("English").click()
    page.get_by_text("SafeGrid · Overview").wait_for(timeout=30_000)
    expect(page.get_by_text("Grid cells").first).to_be_visible(timeout=30_000)  # metrics render after the title
    # The choice survives a page switch (the browser re-sends widget values on navigation).
    page.get_by_role("link", name="Grid map").click()
    expect(page.locator("h1").first).to_have_text("Grid map", timeout=30_000)
    expect(page.get_by_text("2026-06-03 to 2026-06-30 (inclusive)")).to_be_visible()  # 28 days held
    assert page.external_requests == []


def test_static_leaflet_is_served_as_javascript(app_url):
    import urllib.request

    with urllib.request.urlopen(f"{app_url}/app/static/vendor/leaflet/leaflet.js") as resp:
        assert resp.headers["Content-Type"].startswith(("application/javascript", "text/javascript"))
        assert b"Leaflet" in resp.read(2000)


def test_import_page_uploads_with_progress_and_report(offline_page, app_url, tmp_path):
    page = offline_page
    # Two rows inside the demo county and one with no coordinates.
    upload = tmp_path / "upload.csv"
    upload.write_text("编号,发生时间,经度,纬度,类别\n"
                      "UP1,2026-06-01 10:00,112.93,28.12,theft\n"
                      "UP2,2026-06-01 11:00,112.94,28.13,fraud\n"
                      "UP3,2026-06-01 12:00,,,fraud\n", encoding="gbk")
    sign_in(page, app_url, "clerk")
    page.get_by_role("link", name="导入数据").click()
    page.get_by_text("数据导入").first.wait_for(timeout=60_000)
    page.locator("input[type=file]").set_input_files(str(upload))
    page.get_by_text("upload.csv").first.wait_for(timeout=30_000)  # the upload has finished
    button = page.get_by_role("button", name="开始导入")
    expect(button).to_be_enabled(timeout=30_000)
    button.click()
    page.get_by_text("upload.csv（警情）：读取 3 行，新增 2").wait_for(timeout=60_000)
    expect(page.get_by_text("完成", exact=True)).to_be_visible()  # the progress bar ran to the end
    # the skipped-rows table is a canvas grid; its cells exist for screen readers only
    page.get_by_text(re.compile("缺少坐标|坐标缺失")).first.wait_for(state="attached", timeout=10_000)  # in Chinese
    if SCREENS:
        page.screenshot(path=str(Path(SCREENS) / "import.png"), full_page=True)
    assert page.external_requests == []
