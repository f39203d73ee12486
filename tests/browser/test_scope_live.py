"""The scope walk in a real browser: ``leader.street1`` signs in through the form in Chromium and
opens every page of the router's table that a leader may use, by its link in the navigation. The
whole page as the browser holds it (the DOM, and every frame's DOM: maps are folium iframes) must
hold no code and no name of another street or community. The page list comes from app.py."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from geo.core.auth import allowed
from geo.store.engine import make_engine
from tests.browser.conftest import sign_in
from tests.pages.test_scope_leaks import PAGES_WITH_TITLES, USER

pytestmark = pytest.mark.browser
IDLE = "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"


@pytest.fixture(scope="module")
def outside(demo_url):
    engine = make_engine(demo_url)
    with engine.connect() as conn:
        mine = conn.execute(text("SELECT scope_code FROM users WHERE username = :u"), {"u": USER}).scalar()
        others = conn.execute(text("SELECT code FROM areas WHERE level = 'street' AND code <> :s"), {"s": mine}).scalars().all()
        names = conn.execute(text("SELECT name FROM areas WHERE level IN ('street', 'community') AND parent_code <> :s "
                                  "AND code <> :s AND name IS NOT NULL"), {"s": mine}).scalars().all()
    engine.dispose()
    return re.compile(r"\b(?:" + "|".join(re.escape(c) for c in others) + r")\w*"), sorted(set(names) - {""})


def _settled(page) -> str:
    """The page's DOM and every frame's, once Streamlit has stopped running."""
    page.wait_for_timeout(500)
    page.wait_for_function(IDLE, timeout=90_000)
    page.wait_for_timeout(1500)
    page.wait_for_function(IDLE, timeout=90_000)
    parts = [page.content()]
    for frame in page.frames:
        try:
            parts.append(frame.content())
        except Exception:  # a frame replaced while reading: the next one holds the same
            continue
    return "\n".join(parts)


def test_a_street_leader_sees_nothing_of_other_streets_in_the_browser(offline_page, app_url, outside):
    from geo.ui.i18n import catalogue

    def t(key: str, lang: str) -> str:
        return catalogue()[key][lang]

    codes, names = outside
    page = offline_page
    sign_in(page, app_url, USER)
    walked = []
    for path, title, permission in PAGES_WITH_TITLES:
        if not allowed("leader", permission):
            assert page.get_by_role("link", name=t(title, lang="zh")).count() == 0, path
            continue
        page.get_by_role("link", name=t(title, lang="zh")).first.click()
        sent = _settled(page)
        assert "Traceback" not in sent, path
        leaked = sorted(set(codes.findall(sent)))
        assert not leaked, f"{path} in the browser shows codes of other streets: {leaked[:10]}"
        shown = [n for n in names if n in sent]
        assert not shown, f"{path} in the browser shows names of other areas: {shown[:10]}"
        walked.append(path)
    assert len(walked) >= 6 and not page.external_requests
