"""A street-scoped leader opens every page of the router: nothing of another street may show.

The pages come from the router's own table (``PAGES`` in app.py), so a new page is walked
without editing this test. Each page is run through the real sign-in as ``leader.street1``, and
everything it sends to the browser is searched: every element's message (text, tables, map
HTML inside the folium component, chart specs, widget options) and every data frame shown.
A code of another street (or of anything below it) or the name of another street or community
fails the test.
"""

from __future__ import annotations

import ast
import re

import pytest
from sqlalchemy import text

from geo.store.engine import make_engine
from tests.conftest import ROOT
from tests.pages.common import run_page

USER = "leader.street1"


def _router_pages() -> list[tuple[str, str]]:
    tree = ast.parse((ROOT / "app.py").read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "PAGES" for t in node.targets):
            return [(elt.elts[0].value, elt.elts[-1].value) for elt in node.value.elts]  # (file, permission)
    raise AssertionError("app.py has no PAGES table")


PAGES = _router_pages()
# Known leaks still open, as expected failures (none now).
KNOWN_LEAKS: dict[str, str] = {}  # page -> why, for a leak still open


@pytest.fixture
def app_env(monkeypatch, demo_url):
    monkeypatch.setenv("DATABASE_URL", demo_url)
    monkeypatch.chdir(ROOT)


@pytest.fixture(scope="module")
def outside(demo_url):
    """(regex of every code outside the account's street, names of other streets and communities)."""
    engine = make_engine(demo_url)
    with engine.connect() as conn:
        mine = conn.execute(text("SELECT scope_code FROM users WHERE username = :u"), {"u": USER}).scalar()
        others = conn.execute(text("SELECT code FROM areas WHERE level = 'street' AND code <> :s"), {"s": mine}).scalars().all()
        names = conn.execute(text("SELECT name FROM areas WHERE level IN ('street', 'community') AND parent_code <> :s "
                                  "AND code <> :s AND name IS NOT NULL"), {"s": mine}).scalars().all()
    engine.dispose()
    assert mine and len(others) >= 2 and names
    # demo codes nest: a cell's code starts with its community's, which starts with its street's
    return re.compile("|".join(re.escape(c) for c in others)), sorted(set(names) - {""})


def _everything_sent(at) -> str:
    out = []

    def walk(node):
        proto = getattr(node, "proto", None)
        if proto is not None:
            out.append(str(proto))
        children = getattr(node, "children", None)
        if isinstance(children, dict):
            for child in children.values():
                walk(child)

    walk(at._tree)
    out += [frame.value.to_csv() for frame in at.dataframe]
    return "\n".join(out)


@pytest.mark.parametrize("page,permission", PAGES, ids=[p for p, _ in PAGES])
def test_a_street_leader_sees_nothing_of_other_streets(app_env, outside, page, permission):
    from geo.core.auth import allowed

    if page in KNOWN_LEAKS:
        pytest.xfail(KNOWN_LEAKS[page])
    codes, names = outside
    if not allowed("leader", permission):  # not in a leader's navigation at all
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            run_page(page, "zh", USER)
        return
    at = run_page(page, "zh", USER)
    assert not at.exception
    sent = _everything_sent(at)
    assert len(sent) > 100  # the page did render
    leaked = sorted(set(codes.findall(sent)))
    assert not leaked, f"{page} shows codes of other streets: {leaked[:10]}"
    shown = [n for n in names if n in sent]
    assert not shown, f"{page} shows names of other areas: {shown[:10]}"


def test_the_walk_finds_a_leak_when_there_is_one(app_env, outside):
    """The same search on a county-wide account's ledger page finds other streets' codes."""
    codes, _ = outside
    assert codes.findall(_everything_sent(run_page("pages/ledger.py", "zh", "leader")))
