"""A freshly started server asked for a page by its address first: the page must come through the router
(sign-in form), not alone as in Streamlit's old pages-folder mode (as happens to a browser that
reconnects to a restarted server, or to the other server behind the proxy when its own died)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import SLOW_MS, start_server, stop_server

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("path", ["grid_map", "wall"])
def test_the_first_request_to_a_fresh_server_goes_through_the_router(browser, demo_url, tmp_path, path):
    proc, url = start_server(demo_url, tmp_path)
    try:
        page = browser.new_context().new_page()
        page.goto(f"{url}/{path}")
        page.get_by_label("账号").wait_for(timeout=SLOW_MS)  # the router's sign-in form
        assert page.get_by_text("请先登录").count() == 0  # not the page's own "sign in first" notice
        assert page.get_by_role("link", name="grid map").count() == 0  # nor the pages folder listed by file
    finally:
        stop_server(proc)
