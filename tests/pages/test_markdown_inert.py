"""Text from records is shown as text: no image, link, colour or formula from a ledger title or a name.

A demo city gets Markdown in every text field a page can show (ledger title, category, unit,
description; area, zone, place and campaign names; teams; incident categories). Every page of the
router is run as an admin, the ledger card and the grid card opened on seeded records, and every
element Streamlit renders as Markdown (text, captions, headings, alerts) is parsed the way the
browser does it, CommonMark with GitHub's extensions: no image, no link and no Streamlit
directive may come out of it, and the seeded text must still be readable on the ledger card.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
import streamlit as st
from sqlalchemy import text

from geo.ui.markup import plain
from tests.conftest import ROOT, backend_demo
from tests.pages.common import router_pages, run_page

HOSTILE = ["![pixel](https://tracker.invalid/p.png)", "[official notice](https://phish.invalid)",
           "https://bare.invalid/x", ":red[alarm] $x^2$", "<img src=https://tracker.invalid/h.png>",
           "# heading\n    code\n> quote", "**bold** _it_ `code` ~~gone~~"]
SEEDED = [("areas", ("name", "name_en", "team")), ("patrol_zones", ("name", "name_en", "team")),
          ("places", ("name", "name_en")), ("cameras", ("owner",)),
          ("ledger_items", ("category", "title", "description", "responsible_unit")),
          ("campaigns", ("name", "name_en"))]
KINDS = ("markdown", "caption", "subheader", "header", "title", "error", "warning", "info", "success")

# What a Markdown renderer would turn into an image, a link, a directive or math, after CommonMark
# escapes; a match counts when it carries seeded text (the page's own ``:red[...]`` flag is fine).
_ESCAPED = re.compile(r"\\[!-/:-@\[-`{-~]")
_LIVE = [("image", re.compile(r"!\[[^\]]*\]\([^)]*\)")), ("link", re.compile(r"\[[^\]]*\]\([^)]*\)")),
         ("autolink", re.compile(r"(?:https?://|www\.)\S*")), ("directive", re.compile(r":[a-z]+\[[^\]]*\]")),
         ("math", re.compile(r"\$[^$]+\$")), ("html", re.compile(r"<(?:img|a)\b[^>]*>"))]
SEED_MARKS = ("pixel", "notice", ".invalid", "alarm", "x^2")


def live_markup(source: str) -> list[str]:
    """The kinds of live markup built from seeded text in a Markdown source."""
    if source.lstrip().startswith("<"):  # an HTML block (the wall): text in it is never Markdown...
        blocks = source.split("\n\n")  # ...unless a blank line ends the block
        return (["blank line in HTML"] if len(blocks) > 1 else []) + \
            [kind for kind, pattern in _LIVE[-1:] for m in pattern.finditer(source)
             if any(mark in m.group(0) for mark in SEED_MARKS)]
    bare = _ESCAPED.sub("\u2400", source)
    return sorted({kind for kind, pattern in _LIVE for m in pattern.finditer(bare)
                   if any(mark in m.group(0) for mark in SEED_MARKS)})


@pytest.mark.parametrize("value", HOSTILE + ["plain words", "", None, "a\\b", "100% * 2 = 200"])
def test_plain_renders_nothing_live_and_keeps_every_character(value):
    out = plain(value)
    assert live_markup(out) == []
    unescaped = re.sub(r"\\(.)", r"\1", out.replace("  \n", "\n"))
    expected = "\n".join(line.strip() for line in (value or "").split("\n"))
    assert unescaped == expected


def test_the_check_finds_live_markup():  # the check above can fail
    assert set(live_markup(HOSTILE[0] + HOSTILE[1] + HOSTILE[3])) >= {"image", "link", "directive", "math"}


def _seed(conn) -> None:
    from geo.store.models import Base

    for table, columns in SEEDED:
        key, = [c.name for c in Base.metadata.tables[table].primary_key.columns]
        ids = conn.execute(text(f"SELECT {key} FROM {table} ORDER BY {key}")).scalars().all()
        sets = ", ".join(f"{c} = :{c}" for c in columns)
        for n, row_id in enumerate(ids):
            values = {c: HOSTILE[(n + i) % len(HOSTILE)] for i, c in enumerate(columns)}
            conn.execute(text(f"UPDATE {table} SET {sets} WHERE {key} = :k"), {**values, "k": row_id})


@pytest.fixture(scope="module")
def markdown_city(tmp_path_factory):
    request = SimpleNamespace(param="sqlite", getfixturevalue=lambda name: None)
    engine, url = backend_demo(request, tmp_path_factory, seed=7, scale=0.03)
    with engine.begin() as conn:
        _seed(conn)
        item = conn.execute(text("SELECT id FROM ledger_items ORDER BY id")).scalar()
        cell = conn.execute(text("SELECT code FROM areas WHERE level = 'grid' ORDER BY code")).scalar()
    engine.dispose()
    return SimpleNamespace(url=url, item=item, cell=cell)


@pytest.fixture
def app_env(monkeypatch, markdown_city):
    monkeypatch.setenv("DATABASE_URL", markdown_city.url)
    monkeypatch.chdir(ROOT)
    st.cache_data.clear()


def _rendered(at) -> list[str]:
    return [el.value for kind in KINDS for el in getattr(at, kind) if isinstance(el.value, str)]


@pytest.mark.parametrize("page", router_pages())
def test_no_page_renders_markup_from_records(app_env, page):
    at = run_page(page, "en", "admin")
    assert not at.exception, at.exception
    bad = [(s, live_markup(s)) for s in _rendered(at) if live_markup(s)]
    assert not bad, bad


def test_the_ledger_card_shows_the_seeded_text_inert(app_env, markdown_city):
    at = run_page("pages/ledger.py", "en", "admin")
    at.session_state["ledger.item"] = markdown_city.item
    at.run()
    assert not at.exception, at.exception
    rendered = _rendered(at)
    bad = [(s, live_markup(s)) for s in rendered if live_markup(s)]
    assert not bad, bad
    shown = "\n".join(re.sub(r"\\(.)", r"\1", s) for s in rendered)
    assert sum(h.split("\n")[0] in shown for h in HOSTILE) >= 3  # the title, unit and description are there


def test_the_grid_card_shows_a_hostile_area_name_inert(app_env, markdown_city):
    at = run_page("pages/grid_map.py", "en", "admin")
    at.text_input(key="grid.search").set_value(markdown_city.cell).run()
    at.button(key=f"grid.found.{markdown_city.cell}").click().run()
    assert not at.exception, at.exception
    assert at.subheader, "the card did not open"
    bad = [(s, live_markup(s)) for s in _rendered(at) if live_markup(s)]
    assert not bad, bad
