import datetime as dt

import pandas as pd
import pytest

from geo.core.timeutil import default_period, local_dates, parse_local_times, utc_bounds


def test_parse_local_times_with_format_and_zone():
    got = parse_local_times(pd.Series(["07/01/2017 08:40:00 PM", "07/02/2017 12:00:00 AM"]), "America/Chicago",
                            "%m/%d/%Y %I:%M:%S %p")
    assert got.utc.tolist() == [pd.Timestamp("2017-07-02 01:40", tz="UTC"), pd.Timestamp("2017-07-02 05:00", tz="UTC")]


def test_parse_local_times_daylight_saving_gap_and_overlap():
    # 2017-03-12 02:30 does not exist in Chicago; 2017-11-05 01:30 happens twice.
    got = parse_local_times(pd.Series(["2017-03-12 02:30", "2017-11-05 01:30", "2017-11-05 03:00"]), "America/Chicago")
    assert got.shifted_gap == 1 and got.ambiguous == 1
    assert got.utc[0] == pd.Timestamp("2017-03-12 08:00", tz="UTC")  # moved forward to 03:00 CDT
    assert got.utc[1] == pd.Timestamp("2017-11-05 06:30", tz="UTC")  # first reading, CDT (UTC-5)
    assert got.utc[2] == pd.Timestamp("2017-11-05 09:00", tz="UTC")
    assert len(got.notes) == 2


def test_parse_local_times_offsets_missing_and_garbage():
    got = parse_local_times(pd.Series(["2024-01-01T08:00:00+08:00", "", None, "not a date", "2024-01-01 08:00"]),
                            "Asia/Shanghai")
    assert got.utc[0] == pd.Timestamp("2024-01-01 00:00", tz="UTC")
    assert got.missing.tolist() == [False, True, True, False, False]
    assert got.unparseable.tolist() == [False, False, False, True, False]
    assert got.utc[4] == pd.Timestamp("2024-01-01 00:00", tz="UTC")


def test_local_dates_and_bounds_are_inclusive_local_days():
    utc = pd.Series(pd.to_datetime(["2024-03-01 15:59", "2024-03-01 16:00"], utc=True))
    assert local_dates(utc, "Asia/Shanghai").tolist() == [dt.date(2024, 3, 1), dt.date(2024, 3, 2)]
    lo, hi = utc_bounds(dt.date(2024, 3, 1), dt.date(2024, 3, 1), "Asia/Shanghai")
    assert (lo.isoformat(), hi.isoformat()) == ("2024-02-29T16:00:00+00:00", "2024-03-01T16:00:00+00:00")


def test_default_period_is_365_days_ending_on_latest():
    assert default_period(dt.date(2017, 12, 31), dt.date(2026, 1, 1)) == (dt.date(2017, 1, 1), dt.date(2017, 12, 31))


@pytest.mark.parametrize("pick,start,end", [
    ("7", dt.date(2026, 6, 24), dt.date(2026, 6, 30)),
    ("28", dt.date(2026, 6, 3), dt.date(2026, 6, 30)),
    ("90", dt.date(2026, 4, 2), dt.date(2026, 6, 30)),
    ("365", dt.date(2025, 7, 1), dt.date(2026, 6, 30)),
    ("year", dt.date(2026, 1, 1), dt.date(2026, 6, 30)),
], ids=["7", "28", "90", "365", "year"])
def test_quick_period_ends_on_the_anchor_inclusive(pick, start, end):
    from geo.core.timeutil import quick_period

    assert quick_period(pick, dt.date(2026, 6, 30)) == (start, end)


def test_quick_period_custom_is_ordered_and_required():
    from geo.core.timeutil import quick_period

    a, b = dt.date(2026, 3, 9), dt.date(2026, 3, 1)
    assert quick_period("custom", dt.date(2026, 6, 30), (a, b)) == (b, a)
    with pytest.raises(ValueError):
        quick_period("custom", dt.date(2026, 6, 30))
    with pytest.raises(ValueError):
        quick_period("fortnight", dt.date(2026, 6, 30))


def test_year_before_moves_leap_day_to_the_28th():
    from geo.core.timeutil import year_before

    assert year_before(dt.date(2028, 2, 29), dt.date(2028, 3, 31)) == (dt.date(2027, 2, 28), dt.date(2027, 3, 31))
    assert year_before(dt.date(2026, 2, 15), dt.date(2026, 2, 15)) == (dt.date(2025, 2, 15), dt.date(2025, 2, 15))
