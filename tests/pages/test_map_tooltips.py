"""The grid map's extra layers carry their coded tooltip values in words too (cameras' status, places'
kind, ledger items' status): the tooltips showed `online`, `bank`, `reported`."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import Point

from geo.ui import gridview, i18n


@pytest.mark.parametrize("lang,words", [("zh", ["在线", "银行", "已上报"]), ("en", ["Online", "Bank", "Reported"])])
def test_extra_layers_say_their_codes_in_words(monkeypatch, lang, words):
    monkeypatch.setattr(i18n, "_last_language", lang)  # outside a script run: the language last seen
    pt = [Point(112.9, 28.1)]
    cams = gridview.readable_layer("cameras", gpd.GeoDataFrame({"status": ["online"]}, geometry=pt, crs=4326))
    places = gridview.readable_layer("places", gpd.GeoDataFrame({"kind": ["bank"]}, geometry=pt, crs=4326))
    items = gridview.readable_layer("ledger", gpd.GeoDataFrame({"status": ["reported"]}, geometry=pt, crs=4326))
    assert [cams["status_text"][0], places["kind_text"][0], items["status_text"][0]] == words
    assert cams["status"][0] == "online"  # the code stays for the colours
