"""The ledger in a real browser with no internet: a clerk adds an item through the form, moves it
through the workflow, and sees it on the map of the ledger page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from geo.store import features
from geo.store.engine import make_engine
from geo.store.scope import Scope
from tests.browser.conftest import POLYGONS, click_on_map, map_frame, screenshot, sign_in, wait_until_idle

EVERYTHING = Scope.jurisdiction()

pytestmark = pytest.mark.browser
TITLE = "路灯损坏（浏览器测试）"
RECTIFIED = ("(n) => Object.values(window.map._layers).some(l => l.feature && String(l.feature.properties.id) === n "
             "&& l.options.fillColor === '#4daf4a')")


def test_clerk_adds_an_item_moves_it_through_the_workflow_and_sees_it_on_the_map(offline_page, app_url, demo_url,
                                                                                   tmp_path):
    engine = make_engine(demo_url)
    page = offline_page
    sign_in(page, app_url, "clerk")
    page.get_by_role("link", name="隐患台账").click()
    page.get_by_role("tab", name="新增与导入").click()
    page.get_by_text("在地图上点选位置").click()  # the toggle that shows the pick map
    # pick the place on the map: a click on a grid cell fills longitude and latitude
    target = click_on_map(page, "AN", where=f"(n) => ({POLYGONS})() >= n", where_arg=1000)
    expect(page.get_by_label("经度").filter(visible=True)).not_to_have_value("", timeout=30_000)
    # the click's rerun has finished: the form now on the page is the one that will be sent
    wait_until_idle(page)
    title = page.get_by_label("标题").filter(visible=True)  # the card's edit form (items tab) has one too
    title.fill(TITLE)
    expect(title).to_have_value(TITLE)
    page.get_by_role("button", name="新增", exact=True).click()
    # the result is shown where the user is, on the add tab; the form is emptied for the next item
    created = page.get_by_text(re.compile(r"已新增 #\d+ " + re.escape(TITLE)))
    expect(created).to_be_visible(timeout=60_000)
    item_id = int(re.search(r"#(\d+)", created.inner_text()).group(1))
    expect(page.get_by_label("标题").filter(visible=True)).to_have_value("")
    expect(page.get_by_label("经度").filter(visible=True)).to_have_value("")
    with engine.connect() as conn:
        (found, cell), = conn.execute(text("SELECT id, cell_code FROM ledger_items WHERE title = :t"),
                                      {"t": TITLE}).all()
    assert found == item_id
    page.get_by_role("button", name=f"在台账中打开 #{item_id}").click()  # brings the items tab forward
    expect(page.get_by_role("heading", name=f"#{item_id} {TITLE}")).to_be_visible(timeout=60_000)
    assert cell == target["code"]  # the item lies in the cell that was clicked
    for step, done in (("交办", "已交办"), ("开始整改", "已开始整改"), ("整改完成", "已整改完成")):
        # one action form on the page: the run has finished and the previous version's form is gone
        expect(page.get_by_role("combobox", name="处理")).to_have_count(1, timeout=60_000)
        expect(page.get_by_role("combobox", name="处理")).to_have_value(step, timeout=30_000)  # offered first
        if step == "整改完成":
            # (the browser may keep the previous version's form hidden a while: only the visible one counts)
            page.get_by_label("说明（整改、重开、撤销必填）").filter(visible=True).fill("已更换灯具")
        page.get_by_role("button", name="提交").click()
        expect(page.get_by_text(f"#{item_id} {TITLE}：{done}。")).to_be_visible(timeout=60_000)
    with engine.connect() as conn:
        status, = conn.execute(text("SELECT status FROM ledger_items WHERE id = :i"), {"i": item_id}).one()
        actions = conn.execute(text("SELECT action FROM ledger_events WHERE item_id = :i ORDER BY id"),
                               {"i": item_id}).scalars().all()
    assert status == "rectified" and actions == ["create", "assign", "start", "rectify"]
    # the item is drawn on the ledger map in the rectified colour (a rerun replaces the map: poll)
    map_frame(page, RECTIFIED, str(item_id))
    screenshot(page, "ledger.png", tmp_path)
    assert page.external_requests == []


def test_bulk_import_of_ledger_rows_shows_its_report_on_the_ledger_page(offline_page, app_url, demo_url, tmp_path):
    engine = make_engine(demo_url)
    with engine.connect() as conn:
        spot = features.areas_within(conn, EVERYTHING, "grid").geometry.iloc[20].representative_point()
    upload = tmp_path / "ledger_rows.csv"
    upload.write_text("source_id,kind,found_on,x,y,title,responsible_unit,deadline\n"
                      f"BULK1,hazard,2026-06-01,{spot.x:.6f},{spot.y:.6f},井盖缺失,市政,2026-06-20\n"
                      f"BULK2,dispute,2026-06-02,{spot.x:.6f},{spot.y:.6f},邻里纠纷,司法所,2026-06-30\n"
                      "BULK3,hazard,not-a-date,112.93,28.12,坏行,市政,\n", encoding="utf-8")
    page = offline_page
    sign_in(page, app_url, "clerk")
    page.get_by_role("link", name="隐患台账").click()
    page.get_by_role("tab", name="新增与导入").click()
    page.locator("input[type=file]").set_input_files(str(upload))
    page.get_by_text("ledger_rows.csv").first.wait_for(timeout=30_000)
    page.get_by_role("button", name="导入", exact=True).click()
    page.get_by_text("ledger_rows.csv（台账事项）：读取 3 行，新增 2").wait_for(timeout=60_000)
    with engine.connect() as conn:
        titles = conn.execute(text("SELECT title FROM ledger_items WHERE source_id IN ('BULK1', 'BULK2', 'BULK3') "
                                   "ORDER BY source_id")).scalars().all()
    assert titles == ["井盖缺失", "邻里纠纷"]  # the bad row was skipped and reported, the others written
    assert page.external_requests == []
