"""A switch of language keeps where the user is: the grid map's drill-down and the open card both
survive it, and the next click on the map goes on from there (in a real browser, offline)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (a_run, click_on_map, drill_down, map_frame, open_grid, screenshot,
                                    wait_until_idle)

pytestmark = pytest.mark.browser
# the map outlines the open card's cell (drawn by the run that opened the card)
HIGHLIGHTED = ("(code) => Object.values(window.map._layers).some(l => l.feature && "
               "String(l.feature.properties.code) === code && l.feature.properties._hl === true)")


def test_a_language_switch_keeps_the_drill_down_and_the_card(offline_page, app_url, tmp_path):
    page = offline_page
    open_grid(page, app_url)
    drill_down(page, "AN0101")  # street › community
    crumbs = page.get_by_role("button", name=re.compile("^› "))
    first = click_on_map(page, "AN0101")["code"]
    expect(page.get_by_text(f"编码 {first}")).to_be_visible(timeout=30_000)
    wait_until_idle(page)
    page.get_by_text("English", exact=True).click()
    expect(page.get_by_text(re.compile(f"^Code {first}"))).to_be_visible(timeout=30_000)  # the card, in English
    expect(crumbs).to_have_count(2)  # and the drill-down
    wait_until_idle(page)
    # the next click goes on from there: another cell of the same community opens, nothing is reset
    with a_run(page):
        second = click_on_map(page, "AN0101", arg={"prefix": "AN0101", "not": first})["code"]
    expect(page.get_by_text(re.compile(f"^Code {second}"))).to_be_visible(timeout=30_000)
    map_frame(page, HIGHLIGHTED, second)  # the map of the run that opened the second card is up
    wait_until_idle(page)
    expect(crumbs).to_have_count(2)  # the drill-down held: still the street and the community
    screenshot(page, "grid-language.png", tmp_path)
    assert page.external_requests == []
