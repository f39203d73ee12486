"""Alert rules: the usual band (cross-checked with scipy), the history it is taken from, ledger
conditions, coverage under target, the wall's banded count."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from scipy import stats

from geo.core import alerts as rules

TODAY = dt.date(2026, 7, 1)  # a Wednesday, ISO week 2026-W27


@pytest.mark.parametrize("history", [[4, 6, 5], [0, 0, 1], [30, 41, 35, 38], [2.5], [100] * 8],
                         ids=["small", "near-zero", "larger", "one", "flat"])
def test_usual_band_is_scipys_poisson_upper_95(history):
    expected = stats.poisson.ppf(0.95, np.mean(history))
    assert rules.usual_band(history) == int(expected)
    # the band is the least count whose cumulative probability reaches 95 %
    band = rules.usual_band(history)
    assert stats.poisson.cdf(band, np.mean(history)) >= 0.95 > stats.poisson.cdf(band - 1, np.mean(history))


def test_usual_band_of_a_quiet_history_is_zero_and_of_none_is_refused():
    assert rules.usual_band([0, 0, 0]) == 0
    with pytest.raises(ValueError):
        rules.usual_band([])


def _weekly(pairs):
    return {rules.week_start(d): n for d, n in pairs}


def test_band_history_takes_the_same_iso_week_of_earlier_years():
    weekly = {dt.date.fromisocalendar(y, 27, 1): n for y, n in ((2023, 7), (2024, 9), (2025, 11))}
    weekly[dt.date.fromisocalendar(2026, 26, 1)] = 99  # last week: not used when years suffice
    history, basis = rules.band_history(weekly, TODAY, dt.date(2023, 1, 2))
    assert basis == "same_week" and sorted(history) == [7, 9, 11]


def test_band_history_skips_years_the_data_does_not_cover_wholly():
    weekly = {dt.date.fromisocalendar(y, 27, 1): 5 for y in (2024, 2025)}
    # data from the Thursday of 2024-W27: that week is not whole, so one year only: the weeks before are used
    history, basis = rules.band_history(weekly, TODAY, dt.date.fromisocalendar(2024, 27, 4))
    assert basis == "recent" and len(history) == rules.SHORT_WEEKS


def test_band_history_falls_back_to_the_eight_weeks_before_when_history_is_short():
    monday = rules.week_start(TODAY)
    weekly = {monday - dt.timedelta(weeks=k): k for k in range(1, 12)}
    history, basis = rules.band_history(weekly, TODAY, dt.date(2026, 1, 1))
    assert basis == "recent" and history == list(range(1, 9))
    # data only three weeks back: those three
    history, basis = rules.band_history(weekly, TODAY, monday - dt.timedelta(weeks=3))
    assert history == [1, 2, 3]
    assert rules.band_history({}, TODAY, TODAY) == ([], "none")


def test_band_history_skips_week_53_in_years_without_one():
    day = dt.date.fromisocalendar(2026, 53, 3)
    weekly = {dt.date.fromisocalendar(2020, 53, 1): 4}
    history, basis = rules.band_history(weekly, day, dt.date(2015, 1, 1))
    assert basis == "recent"  # only 2020 has a week 53 among the five years before: not enough


@pytest.mark.parametrize("count,band,above", [(10, 9, True), (9, 9, False), (0, 0, False), (1, 0, True)])
def test_above_band(count, band, above):
    assert rules.above_band(count, band) is above


@pytest.mark.parametrize("status,deadline,days,expected", [
    ("assigned", TODAY - dt.timedelta(days=1), 3, "overdue"),
    ("assigned", TODAY, 0, "due_soon"),
    ("rectifying", TODAY + dt.timedelta(days=3), 3, "due_soon"),
    ("rectifying", TODAY + dt.timedelta(days=4), 3, None),
    ("rectified", TODAY - dt.timedelta(days=9), 3, None),
    ("reported", None, 3, None),
], ids=["overdue", "due-today", "due-in-n", "beyond-n", "closed", "no-deadline"])
def test_ledger_condition(status, deadline, days, expected):
    assert rules.ledger_condition(status, deadline, TODAY, days) == expected


@pytest.mark.parametrize("counted,target,under", [(50.0, 60.0, True), (60.0, 60.0, False), (float("nan"), 60.0, False),
                                                  (40.0, None, False)])
def test_under_target(counted, target, under):
    assert rules.under_target(counted, target) is under


@pytest.mark.parametrize("value", ["x", -1, rules.MAX_DUE_DAYS + 1, None])
def test_check_due_days_refuses(value):
    with pytest.raises(ValueError):
        rules.check_due_days(value)


@pytest.mark.parametrize("n,k,band", [(0, 3, None), (2, 3, None), (3, 3, "3–5"), (5, 3, "3–5"), (6, 3, "6–14"),
                                      (149, 3, "60–149"), (150, 3, "150+"), (9, 5, "5–9")])
def test_open_count_band_never_shows_a_small_or_exact_count(n, k, band):
    assert rules.open_count_band(n, k) == band
