"""Alerts in a real browser with no internet: a clerk subscribes through the form, the run raises the
alerts, the inbox lists them and one is acknowledged (audited)."""

from __future__ import annotations

import re
import shutil

import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from geo.store import alerts_run
from geo.store.engine import make_engine
from tests.browser.conftest import screenshot, sign_in, start_server, stop_server, wait_for_text, wait_until_idle

pytestmark = pytest.mark.browser


@pytest.fixture
def own_app(demo_url, tmp_path):
    """A server on a copy of the demo (this test writes subscriptions and alerts)."""
    path = tmp_path / "alerts.sqlite"
    shutil.copy(demo_url[len("sqlite:///"):], path)
    url = f"sqlite:///{path}"
    proc, address = start_server(url, tmp_path)
    yield address, url
    stop_server(proc)


def test_clerk_subscribes_sees_the_alerts_and_acknowledges_one(offline_page, own_app, tmp_path):
    app, db = own_app
    engine = make_engine(db)
    page = offline_page
    sign_in(page, app, "clerk")
    page.get_by_role("link", name="预警").click()
    wait_for_text(page, "预警与订阅")
    wait_until_idle(page)
    page.get_by_role("button", name="订阅", exact=True).click()
    expect(page.get_by_text("已保存。")).to_be_visible(timeout=60_000)
    with engine.connect() as conn:
        (rule, area), = conn.execute(text("SELECT rule, area_code FROM alert_subscriptions WHERE username = 'clerk'")).all()
    summary = alerts_run.run(engine)
    assert summary.raised > 0
    page.get_by_text("显示已确认和暂缓的预警").click()  # a rerun of the page reads the new alerts
    wait_until_idle(page)
    expect(page.get_by_role("combobox", name="选择预警")).to_have_value(re.compile(r"^#\d+ "), timeout=60_000)
    shot = screenshot(page, "alerts_inbox.png", tmp_path)
    page.get_by_role("button", name="确认", exact=True).click()
    expect(page.get_by_text("已保存。")).to_be_visible(timeout=60_000)
    with engine.connect() as conn:
        acked = conn.execute(text("SELECT COUNT(*) FROM alerts WHERE status = 'acknowledged'")).scalar()
        logged = conn.execute(text("SELECT COUNT(*) FROM audit_log WHERE action = 'alerts.acknowledge' "
                                   "AND username = 'clerk'")).scalar()
    assert (acked, logged) == (1, 1)
    assert shot.exists()
    engine.dispose()
