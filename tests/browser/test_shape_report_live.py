"""In a real browser: on the grid page, draw a polygon with leaflet.draw (served locally), make the
shape's report and download its PDF; the PDF holds the count of incidents inside the polygon, and
making and taking it are audited."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
import shapely
from pypdf import PdfReader
from sqlalchemy import text

from geo.store import features
from geo.store.engine import make_engine
from geo.store.schema import deployment_timezone
from geo.store.scope import Scope
from tests.browser.conftest import SLOW_MS, a_run, map_frame, open_grid, screenshot

pytestmark = pytest.mark.browser
DRAW_READY = "() => !!document.querySelector('.leaflet-draw-draw-polygon')"
VERTICES_TAKEN = """(n) => {
  const control = Object.values(window).find(v => v instanceof L.Control.Draw);
  const drawing = control._toolbars.draw._modes.polygon.handler;
  return drawing._markers.length === n && !drawing._disableMarkers;
}"""


def _audit(engine, action: str) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            "SELECT object, detail FROM audit_log WHERE action = :a AND username = 'admin' ORDER BY id"), {"a": action})]


def test_drawing_a_polygon_on_the_grid_page_downloads_its_report(offline_page, app_url, demo_url, tmp_path):
    engine = make_engine(demo_url)
    page = offline_page
    try:
        open_grid(page, app_url)
        made_before, taken_before = len(_audit(engine, "report")), len(_audit(engine, "download"))
        with a_run(page):
            page.get_by_text("按任意形状出报告（画多边形，或取点和半径）").click()
        frame = map_frame(page, DRAW_READY)
        container = frame.locator(".leaflet-container")
        container.scroll_into_view_if_needed(timeout=10_000)
        size = container.bounding_box()
        w, h = size["width"], size["height"]
        frame.locator("a.leaflet-draw-draw-polygon").click()
        corners = [(0.42, 0.40), (0.58, 0.42), (0.56, 0.60), (0.44, 0.58)]
        for i, (x, y) in enumerate(corners):
            container.click(position={"x": w * x, "y": h * y})
            # leaflet.draw takes the vertex, then ignores clicks for a moment: wait until it listens again
            frame.wait_for_function(VERTICES_TAKEN, arg=i + 1, timeout=10_000, polling=50)
        with a_run(page):  # closing the ring (a click on its first vertex) hands the polygon to the page
            frame.locator(".leaflet-editing-icon").first.click(timeout=10_000)
        box = page.get_by_role("textbox", name="多边形（GeoJSON，WGS 84 经纬度）")
        page.wait_for_function("(el) => el.value.includes('Polygon')", arg=box.element_handle(), timeout=SLOW_MS)
        with a_run(page):
            page.get_by_role("button", name="生成该形状的报告").click()
        button = page.get_by_role("button", name="下载 PDF")
        button.wait_for(timeout=SLOW_MS)
        shot = screenshot(page, "shape_report_grid.png", tmp_path)
        with a_run(page), page.expect_download(timeout=SLOW_MS) as taken:
            button.click()
        saved = tmp_path / taken.value.suggested_filename
        taken.value.save_as(saved)
        assert re.fullmatch(r"shape_report_[0-9a-f]{12}_\d{4}-\d\d-\d\d_\d{4}-\d\d-\d\d_zh\.pdf", saved.name)
        made = _audit(engine, "report")[made_before:]
        assert len(made) == 1 and made[0][0].startswith("shape:")
        period, _, wkt = made[0][1].split("; ", 2)
        start, end = (dt.date.fromisoformat(d) for d in period.split(".."))
        drawn = shapely.from_wkt(wkt)
        assert drawn.geom_type == "Polygon" and len(shapely.get_coordinates(drawn)) == 5
        with engine.connect() as conn:
            pts = features.incident_points(conn, Scope.jurisdiction(), start, end, deployment_timezone(conn))
        inside = int(shapely.covers(drawn, shapely.points(pts["lon"].to_numpy(float), pts["lat"].to_numpy(float))).sum())
        body = saved.read_bytes()
        words = "".join(p.extract_text() for p in PdfReader(io.BytesIO(body)).pages)
        assert body.startswith(b"%PDF") and inside > 0 and f"{inside:,}" in words and str(start) in words
        taken_rows = _audit(engine, "download")[taken_before:]
        assert [r[0] for r in taken_rows] == [f"report:shape:{saved.name}"]
        assert page.external_requests == []  # leaflet.draw came from the app itself
        print(f"screenshot: {shot}")
    finally:
        engine.dispose()
