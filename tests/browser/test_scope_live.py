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
from tests.browser.conftest import a_run, sign_in, wait_for_frames, wait_until_idle
from tests.pages.test_scope_leaks import PAGES_WITH_TITLES, USER

pytestmark = pytest.mark.browser


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


def _open(page, link) -> str:
    """Click the navigation ``link``; once its page has run, every frame has loaded and no run follows,
    the page's DOM and every frame's."""
    if link.get_attribute("aria-current") == "page":  # the page already shown need not run again
        link.click()
        wait_until_idle(page)
    else:
        with a_run(page):
            link.click()
    wait_for_frames(page)
    wait_until_idle(page)  # a map reports back when drawn, which may run the page again
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
        sent = _open(page, page.get_by_role("link", name=t(title, lang="zh")).first)
        assert "Traceback" not in sent, path
        leaked = sorted(set(codes.findall(sent)))
        assert not leaked, f"{path} in the browser shows codes of other streets: {leaked[:10]}"
        shown = [n for n in names if n in sent]
        assert not shown, f"{path} in the browser shows names of other areas: {shown[:10]}"
        walked.append(path)
    assert len(walked) >= 6 and not page.external_requests
