"""A wall screen already open follows its account: disabling it or resetting its password signs the
screen out within one timed refresh (the test server refreshes the wall every 2 s), in Chromium."""

from __future__ import annotations

import uuid

import pytest

from geo.ingest.demo import demo_password
from geo.store import accounts
from geo.store.engine import make_engine
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("change", ["disable", "reset"])
def test_an_open_wall_signs_out_within_a_refresh(offline_page, app_url, demo_url, change):
    name = f"wall.{uuid.uuid4().hex[:6]}"
    engine = make_engine(demo_url)
    accounts.add(engine, "test", name, demo_password(name), "wall")
    page = offline_page
    sign_in(page, f"{app_url}/?wall=1", name)
    page.locator("[data-kpi='today']").wait_for(timeout=60_000)  # the wall is up
    stamp = page.locator("[data-testid='wall-asof']").inner_text()
    page.wait_for_function("(old) => { const e = document.querySelector(\"[data-testid='wall-asof']\"); "
                           "return e && e.innerText !== old; }", arg=stamp, timeout=30_000)  # it refreshes by itself
    if change == "disable":
        accounts.disable(engine, "test", name)
    else:
        accounts.reset_password(engine, "test", name, "A-new-long-secret-2026")
    engine.dispose()
    page.get_by_label("账号").wait_for(timeout=30_000)  # back at the sign-in form, nobody touched the screen
    assert page.locator("[data-kpi='today']").count() == 0
    assert not page.external_requests
