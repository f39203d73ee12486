import datetime as dt

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from geo.core.density import default_bandwidth, kde, kernel
from geo.core.emerging import CATEGORIES, classify_series, emerging
from geo.core.forecast import near_repeat, pai_table
from geo.core.trends import hour_weekday_table, mann_kendall, poisson_change
from geo.core.weights import queen


@pytest.mark.parametrize("name", ["quartic", "gaussian"])
def test_kde_equals_direct_evaluation(name):
    rng = np.random.default_rng(2)
    cell, h = 50.0, 180.0
    # points on cell centres: binning is exact, so the FFT surface must equal the direct sum
    cols, rows = rng.integers(0, 40, 300), rng.integers(0, 30, 300)
    x, y = (cols + 0.5) * cell, (rows + 0.5) * cell
    surface = kde(x, y, h, cell, bounds=(0, 0, 40 * cell, 30 * cell), name=name)
    cx, cy = np.meshgrid((np.arange(40) + 0.5) * cell, (np.arange(30) + 0.5) * cell)
    d = np.hypot(cx[..., None] - x, cy[..., None] - y)
    direct = kernel(d / h, name).sum(axis=-1) / h ** 2 * 1e6
    np.testing.assert_allclose(surface.values, direct, rtol=1e-6, atol=1e-9)


def test_kde_integrates_to_the_number_of_points():
    rng = np.random.default_rng(3)
    x, y = rng.normal(5000, 300, 2000), rng.normal(5000, 300, 2000)
    s = kde(x, y, 200.0, 25.0)
    total = s.values.sum() * (25.0 ** 2) / 1e6  # per km² times cell area in km²
    assert total == pytest.approx(2000, rel=0.01)
    assert 50 <= default_bandwidth(x, y) <= 400


def test_quartic_kernel_integrates_to_one():
    r = np.linspace(0, 1, 200_001)
    assert np.trapezoid(kernel(r) * 2 * np.pi * r, r) == pytest.approx(1.0, rel=1e-6)


def test_mann_kendall_matches_kendall_tau_without_ties():
    x = np.array([3.0, 1.0, 4.0, 1.5, 5.0, 9.0, 2.6, 5.3, 5.8, 9.7])
    s, z, p = mann_kendall(x)
    tau = stats.kendalltau(np.arange(len(x)), x)
    n = len(x)
    assert s == pytest.approx(tau.statistic * n * (n - 1) / 2)
    assert mann_kendall(np.arange(12.0))[2] < 0.001 and mann_kendall(np.ones(12))[2] == 1.0


def test_poisson_change_exact_test():
    change, p, small = poisson_change(30, 15)
    assert change == 100.0 and p == pytest.approx(stats.binomtest(30, 45, 0.5).pvalue) and not small
    assert poisson_change(3, 2)[2] is True  # five incidents: a fragile change, flagged
    assert poisson_change(4, 0)[0] is None


def test_hour_weekday_table_counts():
    times = pd.Series(pd.to_datetime(["2026-11-23 08:10", "2026-11-23 08:50", "2026-11-29 23:00"]))  # Mon, Mon, Sun
    table = hour_weekday_table(times)
    assert table.shape == (7, 24) and table.loc[0, 8] == 2 and table.loc[6, 23] == 1 and table.values.sum() == 3


def test_pai_table_by_hand():
    # four cells of area 1, 1, 2, 6 (total 10); test incidents 5, 3, 2, 0 (total 10)
    t = pai_table(scores=[9, 1, 5, 0], actual=[5, 3, 2, 0], area=[1, 1, 2, 6], shares=(0.1, 0.3))
    # 10 %: the best cell (area 1 = 10 %, 5 of 10 incidents): hit 0.5, PAI 5
    assert t.loc[0, ["cells", "area_share", "hit_rate", "pai"]].tolist() == [1, 0.1, 0.5, 5.0]
    # 30 %: cells 1 and 3 (area 3 = 30 %, 7 of 10): hit 0.7, PAI 0.7 / 0.3
    assert t.loc[1, "cells"] == 2 and t.loc[1, "hit_rate"] == pytest.approx(0.7)
    assert t.loc[1, "pai"] == pytest.approx(0.7 / 0.3)


def _flags(T, hot=(), cold=()):
    h, c = np.zeros(T, bool), np.zeros(T, bool)
    h[list(hot)], c[list(cold)] = True, True
    return h, c


@pytest.mark.parametrize("hot,cold,z,expected", [
    ([9], [], None, "new_hot"),
    ([7, 8, 9], [], None, "consecutive_hot"),
    (range(10), [], np.arange(10.0), "intensifying_hot"),
    (range(10), [], np.ones(10), "persistent_hot"),
    (range(10), [], -np.arange(10.0), "diminishing_hot"),
    ([1, 4, 9], [], None, "sporadic_hot"),
    ([1, 9], [5], None, "oscillating_hot"),
    (range(9), [], None, "historical_hot"),
    ([], [9], None, "new_cold"),
    ([], [8, 9], None, "consecutive_cold"),
    ([], range(10), -np.arange(10.0), "intensifying_cold"),
    ([], range(10), np.ones(10), "persistent_cold"),
    ([], range(10), np.arange(10.0), "diminishing_cold"),
    ([], [2, 5, 9], None, "sporadic_cold"),
    ([3], [1, 9], None, "oscillating_cold"),
    ([], range(9), None, "historical_cold"),
    ([], [], None, "no_pattern"),
], ids=lambda v: v if isinstance(v, str) else None)
def test_emerging_categories_on_hand_built_series(hot, cold, z, expected):
    h, c = _flags(10, hot, cold)
    assert classify_series(np.zeros(10) if z is None else z, h, c) == expected
    assert expected in CATEGORIES


def test_emerging_on_a_cube_finds_a_new_hot_cell():
    import geopandas as gpd
    import shapely

    cells = [shapely.box(i, j, i + 1, j + 1) for j in range(8) for i in range(8)]
    w = queen(gpd.GeoSeries(cells).values)
    rng = np.random.default_rng(0)
    cube = rng.poisson(2, (64, 12)).astype(float)
    cube[[27, 28, 35, 36], -1] += 40  # a cluster appears in the last week only
    cats, z = emerging(cube, w)
    assert z.shape == (64, 12)
    assert {cats[i] for i in (27, 28, 35, 36)} == {"new_hot"}


def test_near_repeat_scores_recent_and_neighbouring_activity():
    history = np.zeros((3, 6))
    history[0, -1] = 5  # cell 0: a burst last week
    history[2, 0] = 5   # cell 2: the same, long ago
    w = np.array([[0, 1, 0], [1, 0, 0], [0, 0, 0]], dtype=float)
    s = near_repeat(history, w)
    assert s[0] > s[2] and s[1] > 0  # recent beats old; the neighbour of the burst is raised


def test_backtest_predicts_each_step_from_the_past_only():
    from geo.core.forecast import backtest, baseline

    cube = np.array([[5, 0, 5, 0, 5], [0, 5, 0, 5, 0], [1, 1, 1, 1, 1]], dtype=float)
    seen = []

    def spy(history, step):
        seen.append((history.shape[1], step))
        return baseline(history)

    table = backtest(cube, np.ones(3), 3, {"baseline": spy, "oracle": lambda h, s: cube[:, s]}, shares=(1 / 3,))
    assert seen == [(3, 3), (4, 4)]  # never sees the step it predicts
    by = table.set_index("method")
    assert by.loc["oracle", "hit_rate"] == pytest.approx((5 / 6 + 5 / 6) / 2)
    assert by.loc["baseline", "hit_rate"] == 0  # last step's busy cell is quiet in this alternating series
    assert by.loc["oracle", "pai"] > by.loc["baseline", "pai"] and (table["steps"] == 2).all()


@pytest.mark.parametrize("start,end,test_start", [
    (dt.date(2026, 11, 5), dt.date(2026, 12, 2), dt.date(2026, 11, 23)),  # the default 28 days
    (dt.date(2025, 7, 1), dt.date(2026, 6, 30), dt.date(2026, 3, 30)),  # a year: its last quarter
])
def test_backtest_split_accepts_the_default_period(start, end, test_start):
    """The page refused its own default period (28 days) with "at least 4 weeks are needed"."""
    from geo.core.forecast import backtest_split

    got = backtest_split(start, end)
    assert got == test_start and got.weekday() == 0
    assert (got - start).days >= 14  # two weeks of history at least


def test_backtest_split_refuses_a_shorter_period():
    from geo.core.forecast import MIN_BACKTEST_DAYS, backtest_split

    with pytest.raises(ValueError, match=f"at least {MIN_BACKTEST_DAYS} days, not 27"):
        backtest_split(dt.date(2026, 11, 6), dt.date(2026, 12, 2))
