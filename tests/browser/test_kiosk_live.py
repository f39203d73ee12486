"""A kiosk address (a wall account's display key) in Chromium: the wall with no sign-in, again after a
reload and in a fresh browser context (a restarted browser), never another page, and back to the
sign-in form within one refresh (2 s on the test server) once the key is revoked or the account disabled."""

from __future__ import annotations

import uuid

import pytest

from geo.store import accounts, displaykeys
from geo.store.engine import make_engine

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("stop", ["revoke", "disable"])
def test_a_kiosk_address_survives_reloads_and_stops_when_revoked(browser, offline_page, app_url, demo_url, stop):
    name = f"kiosk.{uuid.uuid4().hex[:6]}"
    engine = make_engine(demo_url)
    accounts.add(engine, "test", name, "A-long-secret-2026", "wall")
    key = displaykeys.issue(engine, "test", name)
    kiosk = f"{app_url}/?wall=1&key={key}"
    page = offline_page
    page.goto(kiosk)
    page.locator("[data-kpi='today']").wait_for(timeout=60_000)  # the wall, nobody signed in
    page.reload()
    page.locator("[data-kpi='today']").wait_for(timeout=60_000)
    fresh = browser.new_context()  # a restarted browser keeps nothing but the address
    try:
        other = fresh.new_page()
        other.goto(kiosk)
        other.locator("[data-kpi='today']").wait_for(timeout=60_000)
        other.goto(f"{app_url}/?key={key}")  # the key opens the wall and nothing else
        other.get_by_label("账号").wait_for(timeout=60_000)
        assert other.locator("[data-kpi='today']").count() == 0
    finally:
        fresh.close()
    if stop == "revoke":
        displaykeys.revoke(engine, "test", name)
    else:
        accounts.disable(engine, "test", name)
    engine.dispose()
    page.get_by_label("账号").wait_for(timeout=30_000)  # the open screen signs out by itself
    assert page.locator("[data-kpi='today']").count() == 0
    page.reload()
    page.get_by_label("账号").wait_for(timeout=60_000)  # and the revoked address opens nothing
    assert not page.external_requests
