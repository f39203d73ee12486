"""Measures, cards, layers and the wall snapshot on both backends, checked against the raw tables."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text

from geo.core.ledger import OPEN
from geo.store import features
from geo.store.areas import descendants
from geo.store.frames import to_frame
from geo.store.kpis import wall_snapshot
from geo.store.measures import area_card, area_measures, area_path, search_areas
from tests.conftest import BACKENDS, backend_demo
from geo.store.scope import Scope, ScopeError

EVERYTHING = Scope.jurisdiction()

END = dt.date(2026, 6, 30)
TODAY = dt.date(2026, 7, 10)
START = dt.date(2026, 4, 1)


@pytest.fixture(scope="module", params=BACKENDS)
def demo(request, tmp_path_factory):
    """A small demo city per backend, built once for this module."""
    engine, _ = backend_demo(request, tmp_path_factory, seed=5, scale=0.03, end=END)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def raw(demo):
    """The incidents and ledger as plain frames: the independent side of every check."""
    with demo.connect() as conn:
        inc = to_frame(conn.execute(text("SELECT occurred_on, category, cell_code, community_code, street_code "
                                         "FROM incidents")))
        led = to_frame(conn.execute(text("SELECT status, deadline, cell_code FROM ledger_items")))
        cams = to_frame(conn.execute(text("SELECT status, cell_code FROM cameras")))
    inc["occurred_on"] = pd.to_datetime(inc["occurred_on"]).dt.date
    led["deadline"] = pd.to_datetime(led["deadline"]).dt.date
    return inc, led, cams


def _count(inc: pd.DataFrame, col: str, start: dt.date, end: dt.date) -> pd.Series:
    sel = inc[(inc["occurred_on"] >= start) & (inc["occurred_on"] <= end)]
    return sel.groupby(col).size()


def test_area_measures_match_the_raw_tables(demo, raw):
    inc, led, cams = raw
    with demo.connect() as conn:
        table = area_measures(conn, EVERYTHING, "grid", START, END, today=TODAY)
    assert len(table) == 1000
    now = table.set_index("code")
    want = _count(inc, "cell_code", START, END).reindex(now.index, fill_value=0)
    np.testing.assert_array_equal(now["n_incidents"].to_numpy(), want.to_numpy())
    before = _count(inc, "cell_code", dt.date(2025, 4, 1), dt.date(2025, 6, 30)).reindex(now.index, fill_value=0)
    np.testing.assert_array_equal(now["n_last_year"].to_numpy(), before.to_numpy())
    has = before > 0
    np.testing.assert_allclose(now.loc[has, "yoy_pct"], ((want - before) / before * 100)[has].round(1))
    assert now.loc[~has, "yoy_pct"].isna().all()
    open_items = led[led["status"].isin(OPEN)]
    np.testing.assert_array_equal(now["open_ledger"], open_items.groupby("cell_code").size()
                                  .reindex(now.index, fill_value=0))
    overdue = open_items[open_items["deadline"] < TODAY].groupby("cell_code").size().reindex(now.index, fill_value=0)
    np.testing.assert_array_equal(now["overdue_ledger"], overdue)
    installed = cams[cams["status"] != "planned"].groupby("cell_code").size().reindex(now.index, fill_value=0)
    np.testing.assert_array_equal(now["n_cameras"], installed)


def test_area_measures_children_and_descendants(demo, raw):
    inc, _, _ = raw
    with demo.connect() as conn:
        streets = area_measures(conn, EVERYTHING, "street", START, END, today=TODAY, parent="AN")
        street = streets["code"].iloc[0]
        cells = area_measures(conn, Scope(street, "street"), "grid", START, END, today=TODAY)
        comms = area_measures(conn, EVERYTHING, "community", START, END, today=TODAY, parent=street)
        under = descendants(conn, street, "grid")
    assert len(streets) == 6
    assert sorted(cells["code"]) == under and len(under) > 10
    # one street's cells add up to the street, and so do its communities
    assert cells["n_incidents"].sum() == streets.set_index("code").loc[street, "n_incidents"] \
        == comms["n_incidents"].sum() == _count(inc, "street_code", START, END).get(street, 0)


def test_area_measures_filter_categories(demo, raw):
    inc, _, _ = raw
    with demo.connect() as conn:
        table = area_measures(conn, EVERYTHING, "street", START, END, today=TODAY, categories=["theft"], parent="AN")
    want = _count(inc[inc["category"] == "theft"], "street_code", START, END)
    assert table.set_index("code")["n_incidents"].to_dict() == want.reindex(table["code"], fill_value=0).to_dict()


def test_area_card_adds_up(demo, raw):
    inc, led, _ = raw
    busiest = _count(inc, "cell_code", START, END).idxmax()
    with demo.connect() as conn:
        card = area_card(conn, EVERYTHING, busiest, START, END, today=TODAY, with_ledger=True)
        blind = area_card(conn, EVERYTHING, busiest, START, END, today=TODAY, with_ledger=False)
        with pytest.raises(ScopeError):
            area_card(conn, EVERYTHING, "NO-SUCH-CODE", START, END, today=TODAY, with_ledger=True)
    assert blind["open_ledger"] is None and blind["ledger"].empty and blind["n"] == card["n"]
    assert card["area"]["code"] == busiest and card["area"]["level"] == "grid"
    assert card["n"] == card["by_category"]["n"].sum() == _count(inc, "cell_code", START, END)[busiest]
    assert len(card["monthly"]) == 12
    first = (END.replace(day=1) - pd.DateOffset(months=11)).date()
    assert card["monthly"]["n"].sum() == _count(inc, "cell_code", first, END).get(busiest, 0)
    assert card["open_ledger"] == int(((led["cell_code"] == busiest) & led["status"].isin(OPEN)).sum())
    assert (card["ledger"]["overdue_days"] >= 0).all()


def test_area_path_and_search(demo):
    with demo.connect() as conn:
        cell = conn.execute(text("SELECT code FROM areas WHERE level = 'grid' ORDER BY code")).scalar()
        path = area_path(conn, EVERYTHING, cell)
        found = search_areas(conn, EVERYTHING, path[1]["name"])
        by_code = search_areas(conn, EVERYTHING, cell.lower())
    assert [p["level"] for p in path] == ["district", "street", "community", "grid"]
    assert path[-1]["code"] == cell and path[0]["code"] == "AN"
    assert path[1]["code"] in found["code"].tolist()
    assert by_code["code"].iloc[0] == cell


def test_layers_for_maps(demo, raw):
    inc, led, cams = raw
    with demo.connect() as conn:
        cameras = features.cameras(conn, EVERYTHING)
        ledger = features.open_ledger(conn, EVERYTHING, TODAY)
        points = features.incident_points(conn, EVERYTHING, START, END, "Asia/Shanghai")
        newest = features.incident_points(conn, EVERYTHING, START, END, "Asia/Shanghai", limit=5)
        zones = features.zones(conn, EVERYTHING)
    assert len(cameras) == len(cams) and cameras.crs.to_epsg() == 4326
    assert len(ledger) == int(led["status"].isin(OPEN).sum())
    assert len(points) == len(inc[(inc["occurred_on"] >= START) & (inc["occurred_on"] <= END)])
    assert newest["occurred_at"].is_monotonic_decreasing and len(newest) == 5
    assert {"lon", "lat", "category"} <= set(points.columns) and "description" not in points.columns
    assert len(zones) == 12


def test_wall_snapshot_counts_windows_ending_today(demo, raw):
    inc, led, cams = raw
    with demo.connect() as conn:
        snap = wall_snapshot(conn, EVERYTHING, END, hot_cells=5)
    for days in (1, 7, 28):
        start = END - dt.timedelta(days=days - 1)
        before = (start.replace(year=start.year - 1), END.replace(year=END.year - 1))
        assert snap["counts"][days]["n"] == int(((inc["occurred_on"] >= start) & (inc["occurred_on"] <= END)).sum())
        assert snap["counts"][days]["n_last_year"] == int(((inc["occurred_on"] >= before[0]) &
                                                           (inc["occurred_on"] <= before[1])).sum())
    assert snap["open_ledger"] == int(led["status"].isin(OPEN).sum())
    assert snap["cameras_online"] == int((cams["status"] == "online").sum())
    assert 0 < snap["coverage_pct"] < 100
    hot = snap["hot_cells"]  # Gi* hot spots of the last 7 days, strongest first
    assert len(hot) <= 5 and hot["gi_z"].is_monotonic_decreasing and (hot["gi_z"] > 1.95).all()
    assert "address" not in snap["latest"].columns and "description" not in snap["latest"].columns


def test_wall_snapshot_compares_today_so_far_with_the_same_hours_last_year(demo):
    noon = dt.datetime(2026, 6, 30, 4, 0, tzinfo=dt.timezone.utc)  # 12:00 in Asia/Shanghai
    with demo.connect() as conn:
        whole = wall_snapshot(conn, EVERYTHING, END)["counts"][1]["n_last_year"]
        so_far = wall_snapshot(conn, EVERYTHING, END, now=noon)["counts"][1]["n_last_year"]
        times = pd.to_datetime(to_frame(conn.execute(text("SELECT occurred_at FROM incidents")))["occurred_at"],
                               utc=True)
    local = times.dt.tz_convert("Asia/Shanghai")
    last_year = local[local.dt.date == dt.date(2025, 6, 30)]
    assert whole == len(last_year)
    assert so_far == int((last_year.dt.hour < 12).sum()) and so_far < whole


def test_wall_snapshot_compares_today_only_once_the_day_has_data_enough(demo):
    """With today's data not in yet (the feed's last incident came last evening), the wall showed
    "today 0, down 100 %"; it now compares nothing until data covers enough of the day."""
    next_day = END + dt.timedelta(days=1)
    afternoon = dt.datetime(2026, 7, 1, 6, 0, tzinfo=dt.timezone.utc)  # 14:00 in Asia/Shanghai
    early = dt.datetime(2026, 6, 29, 21, 30, tzinfo=dt.timezone.utc)  # 05:30 on END in Asia/Shanghai
    with demo.connect() as conn:
        stale = wall_snapshot(conn, EVERYTHING, next_day, now=afternoon)["counts"][1]
        dawn = wall_snapshot(conn, EVERYTHING, END, now=early)["counts"][1]
        noon = wall_snapshot(conn, EVERYTHING, END, now=early + dt.timedelta(hours=6.5))["counts"][1]
    assert stale["n"] == 0 and stale["yoy_pct"] is None and stale["early"]
    assert stale["n_last_year"] == 0  # the same (no) hours of last year's day
    assert dawn["yoy_pct"] is None and dawn["early"]
    assert not noon["early"]
    if noon["n_last_year"] >= 10:  # enough in last year's morning to compare
        assert noon["yoy_pct"] == round((noon["n"] - noon["n_last_year"]) / noon["n_last_year"] * 100, 1)
    else:
        assert noon["yoy_pct"] is None
