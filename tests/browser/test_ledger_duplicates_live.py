"""Ledger hygiene in a real browser with no internet: a clerk adds an item close to an open one of the
same kind and category; the form holds it, lists the likely original, and the clerk links the new item
to it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from geo.store import features, ledger, ledger_hygiene
from geo.store.engine import make_engine
from geo.store.scope import Scope
from tests.browser.conftest import screenshot, sign_in, wait_until_idle
from tests.conftest import TODAY

EVERYTHING = Scope.jurisdiction()
pytestmark = pytest.mark.browser
ORIGINAL = "燃气管道异味（浏览器测试原件）"
COPY = "燃气管道异味（浏览器测试再报）"


def _original(engine) -> tuple[int, float, float]:
    with engine.connect() as conn:
        p = features.areas_within(conn, EVERYTHING, "grid").geometry.iloc[41].representative_point()
        seen = ledger_hygiene.likely_duplicates(conn, EVERYTHING, kind="hazard", category="gas", lon=p.x, lat=p.y,
                                                found_on=TODAY)
    lon, lat = round(p.x, 6), round(p.y, 6)
    item = ledger.create_item(engine, "clerk", "clerk", kind="hazard", category="gas", title=ORIGINAL, found_on=TODAY,
                              lon=lon, lat=lat, scope=EVERYTHING, distinct_from=list(seen["id"]))
    return item, lon, lat


def test_a_likely_duplicate_is_shown_and_linked_to_its_original(offline_page, app_url, demo_url, tmp_path):
    engine = make_engine(demo_url)
    original, lon, lat = _original(engine)
    page = offline_page
    sign_in(page, app_url, "clerk")
    page.get_by_role("link", name="隐患台账").click()
    page.get_by_role("tab", name="新增与导入").click()
    wait_until_idle(page)
    category = page.get_by_role("combobox", name="类别").filter(visible=True).last  # (the filter row has one too)
    category.click()
    page.keyboard.type("燃气")
    page.keyboard.press("Enter")
    title = page.get_by_label("标题", exact=True).filter(visible=True).last
    title.fill(COPY)
    page.get_by_label("经度", exact=True).filter(visible=True).last.fill(f"{lon:.6f}")
    page.get_by_label("纬度", exact=True).filter(visible=True).last.fill(f"{lat + 0.0001:.6f}")  # about 11 m north
    wait_until_idle(page)
    page.get_by_role("button", name="新增", exact=True).click()
    expect(page.get_by_text(re.compile(r"疑似与台账中已有的 1 个未办结事项重复"))).to_be_visible(timeout=60_000)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM ledger_items WHERE title = :t"), {"t": COPY}).scalar() == 0
    link = page.get_by_text(f"#{original} {ORIGINAL} 的重复（关联到它）")
    expect(link).to_be_visible()
    link.scroll_into_view_if_needed()
    shot = screenshot(page, "ledger_duplicates.png", tmp_path)
    link.click()
    page.get_by_role("button", name="保存新事项").click()
    created = page.get_by_text(re.compile(r"已新增 #\d+ " + re.escape(COPY)))
    expect(created).to_be_visible(timeout=60_000)
    item_id = int(re.search(r"#(\d+)", created.inner_text()).group(1))
    with engine.connect() as conn:
        linked = conn.execute(text("SELECT duplicate_of FROM ledger_items WHERE id = :i"), {"i": item_id}).scalar()
        actions = conn.execute(text("SELECT action FROM ledger_events WHERE item_id = :i ORDER BY id"),
                               {"i": item_id}).scalars().all()
    assert linked == original and actions == ["create", "link"]
    page.get_by_role("button", name=f"在台账中打开 #{item_id}").click()
    note = page.get_by_text(f"本事项是 #{original} 的重复")
    expect(note).to_be_visible(timeout=60_000)
    wait_until_idle(page)
    note.scroll_into_view_if_needed()
    screenshot(page, "ledger_duplicate_card.png", tmp_path)
    assert shot.exists() and page.external_requests == []
