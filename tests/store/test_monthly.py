"""The monthly rollup: always the daily one summed per month, and reads through it give the same figures."""

from __future__ import annotations

import datetime as dt
import random

import pandas as pd
import pytest
from sqlalchemy import func, select, text

from geo.ingest.pipeline import import_file
from geo.store import scope as scoping
from geo.store.measures import area_card, area_measures
from geo.store.retention import cutoff, maintain
from geo.store.rollup import period_counts, whole_months
from geo.store.schema import alembic_config
from geo.store.scope import Scope
from tests.conftest import TODAY
from tests.helpers import centre, incidents_csv, small_city

EVERYTHING = Scope.jurisdiction()
CELLS = ("C1", "C2", "C4", None)  # None: a point outside every cell (codes '')
# (id, local time, cell, category): Jan 2024 .. Jun 2026, a few rows on most days of the month's edges
ROWS = [(i, f"{2024 + m // 12}-{m % 12 + 1:02d}-{(1, 2, 15, 28, 30)[i % 5] if m % 12 != 1 else 1 + i % 28:02d} "
            f"{(0, 9, 23)[i % 3]:02d}:30", CELLS[i % 4], ("theft", "fight", "fire")[i % 3])
        for i, m in enumerate(k % 30 for k in range(1, 241))]
A = dt.date


def _csv(tmp_path, rows, name="incidents.csv"):
    lines = []
    for i, when, cell, category in rows:
        x, y = centre(cell) if cell else (113.5, 28.5)
        lines.append((i, when, x, y, category, ""))
    return incidents_csv(tmp_path, lines, name=name)


def _monthly_is_daily_summed(engine) -> pd.DataFrame:
    """Assert incident_monthly equals incident_daily grouped by month; return it (to see it changed)."""
    keys = ["month", "category", "cell_code", "community_code", "street_code", "district_code"]
    with engine.connect() as conn:
        daily = pd.DataFrame(conn.execute(text("SELECT * FROM incident_daily")).mappings().all(),
                             columns=["day", *keys[1:], "n"])
        monthly = pd.DataFrame(conn.execute(text("SELECT * FROM incident_monthly")).mappings().all(),
                               columns=[*keys, "n"])
    daily["month"] = pd.to_datetime(daily.pop("day")).dt.to_period("M").dt.start_time.dt.date
    expected = daily.groupby(keys)["n"].sum().astype(int)
    monthly["month"] = pd.to_datetime(monthly["month"]).dt.date
    got = monthly.set_index(keys)["n"].astype(int).sort_index()
    assert not got.empty
    pd.testing.assert_series_equal(got, expected.sort_index(), check_names=False)
    return got


@pytest.mark.parametrize("start, end, months, days", [
    (A(2025, 1, 1), A(2025, 12, 31), (A(2025, 1, 1), A(2025, 12, 31)), []),
    (A(2025, 1, 15), A(2025, 4, 10), (A(2025, 2, 1), A(2025, 3, 31)), [(A(2025, 1, 15), A(2025, 1, 31)),
                                                                      (A(2025, 4, 1), A(2025, 4, 10))]),
    (A(2025, 3, 2), A(2025, 3, 30), None, [(A(2025, 3, 2), A(2025, 3, 30))]),
    (A(2025, 3, 9), A(2025, 3, 9), None, [(A(2025, 3, 9), A(2025, 3, 9))]),
    (A(2024, 12, 20), A(2025, 1, 31), (A(2025, 1, 1), A(2025, 1, 31)), [(A(2024, 12, 20), A(2024, 12, 31))]),
    (A(2024, 2, 1), A(2024, 2, 29), (A(2024, 2, 1), A(2024, 2, 29)), []),
    (A(2024, 2, 1), A(2024, 2, 28), None, [(A(2024, 2, 1), A(2024, 2, 28))]),
    (A(2025, 2, 1), A(2025, 1, 31), None, []),
], ids=["year", "partial-both-ends", "inside-a-month", "one-day", "across-year-end", "leap-february",
        "february-less-a-day", "empty"])
def test_whole_months_splits_a_period(start, end, months, days):
    assert whole_months(start, end) == (months, days)


def test_monthly_follows_every_change_of_the_daily_rollup(db, tmp_path):
    small_city(db, tmp_path)
    import_file(db, _csv(tmp_path, ROWS), "incidents", scope=EVERYTHING)  # first import: whole recount
    first = _monthly_is_daily_summed(db)
    moved = [(i, "2023-11-05 10:00" if i % 2 else when.replace("2024-", "2026-"), cell, cat)
             for i, when, cell, cat in ROWS[:40]]
    import_file(db, _csv(tmp_path, moved + ROWS[40:], "changed.csv"), "incidents", scope=EVERYTHING)
    second = _monthly_is_daily_summed(db)  # re-import with changed dates: old and new months recounted
    assert not first.equals(second) and (A(2023, 11, 1) in second.index.get_level_values("month"))
    feed = [(1000 + i, f"2026-06-{1 + i:02d} 12:00", CELLS[i % 4], "theft") for i in range(12)]
    import_file(db, _csv(tmp_path, feed, "feed.csv"), "incidents", scope=EVERYTHING)  # a small feed: added
    third = _monthly_is_daily_summed(db)
    assert third.sum() == second.sum() + len(feed)
    with db.begin() as conn:
        maintain(conn, TODAY, retain=24)
    kept = _monthly_is_daily_summed(db)
    assert min(kept.index.get_level_values("month")) >= cutoff(TODAY, 24) > min(third.index.get_level_values("month"))


def test_monthly_follows_an_areas_import_that_reassigns(db, tmp_path):
    from geo.ingest.areas import import_areas
    from tests.helpers import cells_file, district_file

    import_areas(db, district_file(tmp_path), "district")
    import_file(db, _csv(tmp_path, ROWS), "incidents", scope=EVERYTHING)
    before = _monthly_is_daily_summed(db)
    assert set(before.index.get_level_values("cell_code")) == {""}
    import_areas(db, cells_file(tmp_path), "grid")
    after = _monthly_is_daily_summed(db)
    assert {"C1", "C2", "C4"} <= set(after.index.get_level_values("cell_code"))


def _periods(seed: int = 20) -> list[tuple[dt.date, dt.date]]:
    """Whole months, partial months, one day, across a year end, and random spans."""
    fixed = [(A(2025, 1, 1), A(2025, 12, 31)), (A(2025, 6, 1), A(2025, 6, 30)), (A(2025, 5, 15), A(2025, 8, 14)),
             (A(2025, 3, 9), A(2025, 3, 9)), (A(2024, 12, 15), A(2025, 2, 10)), (A(2025, 7, 1), A(2026, 6, 30)),
             (A(2024, 2, 29), A(2024, 3, 1))]
    rng = random.Random(seed)
    spans = []
    for _ in range(8):
        start = A(2024, 1, 1) + dt.timedelta(days=rng.randrange(0, 880))
        spans.append((start, start + dt.timedelta(days=rng.randrange(0, 420))))
    return fixed + spans


def _measures(conn, level, start, end, monthly):
    return area_measures(conn, EVERYTHING, level, start, end, today=TODAY, monthly=monthly)


def test_measures_are_identical_with_and_without_the_monthly_rollup(db, tmp_path):
    small_city(db, tmp_path)
    import_file(db, _csv(tmp_path, ROWS), "incidents", scope=EVERYTHING)
    compared = 0
    with db.connect() as conn:
        scoping.apply(conn, EVERYTHING)
        for start, end in _periods():  # each reads its year before too (year-on-year)
            for level in ("district", "grid"):
                via_months, via_days = _measures(conn, level, start, end, True), _measures(conn, level, start, end, False)
                pd.testing.assert_frame_equal(via_months, via_days)
                compared += int(via_days["n_incidents"].sum()) + int(via_days["n_last_year"].sum())
            for cats, area in ((None, Scope("C1", "grid")), (["theft", "fire"], EVERYTHING)):
                summed = [conn.execute(select(func.sum(p.c.n))).scalar() or 0
                          for p in (period_counts(area, start, end, categories=cats, monthly=m) for m in (True, False))]
                assert summed[0] == summed[1]
    assert compared > len(ROWS)  # the periods did count incidents


def test_reads_go_through_the_monthly_rollup(db, tmp_path):
    """Spoil one month of the monthly table: a whole-month period sees it, a period of days does not."""
    small_city(db, tmp_path)
    import_file(db, _csv(tmp_path, ROWS), "incidents", scope=EVERYTHING)
    with db.begin() as conn:
        conn.execute(text("UPDATE incident_monthly SET n = n + 100 WHERE month = '2025-03-01'"))
    with db.connect() as conn:
        scoping.apply(conn, EVERYTHING)
        march, days = (A(2025, 3, 1), A(2025, 3, 31)), (A(2025, 3, 1), A(2025, 3, 30))
        spoilt = _measures(conn, "district", *march, True)["n_incidents"].sum()
        assert spoilt - _measures(conn, "district", *march, False)["n_incidents"].sum() >= 100
        assert (_measures(conn, "district", *days, True)["n_incidents"].sum()
                == _measures(conn, "district", *days, False)["n_incidents"].sum())
        card = area_card(conn, EVERYTHING, "D1", *march, today=TODAY, with_ledger=False)
        assert card["n"] == spoilt


def test_the_migration_fills_the_monthly_rollup_of_an_existing_database(db, tmp_path):
    from alembic import command

    small_city(db, tmp_path)
    import_file(db, _csv(tmp_path, ROWS), "incidents", scope=EVERYTHING)
    made = _monthly_is_daily_summed(db)
    with db.begin() as conn:
        command.downgrade(alembic_config(conn), "0007")
    with db.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM incident_daily")).scalar() > 0
    with db.begin() as conn:
        command.upgrade(alembic_config(conn), "head")
    filled = _monthly_is_daily_summed(db)
    pd.testing.assert_series_equal(filled, made)
