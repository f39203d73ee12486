"""Change over time: exact Poisson rate comparison, the Mann-Kendall trend test, heat tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

SMALL_COUNT = 20  # fewer incidents than this in both periods together: the change is fragile


def poisson_change(n1: int, n0: int, t1: float = 1.0, t0: float = 1.0) -> tuple[float | None, float, bool]:
    """(change %, two-sided p, small) comparing count ``n1`` over exposure ``t1`` with ``n0`` over ``t0``.

    Exact conditional test: given ``n1 + n0``, ``n1`` is binomial with ``p = t1 / (t1 + t0)``
    when the rates are equal. The change is None when ``n0`` is zero.
    """
    total = int(n1) + int(n0)
    change = None if n0 == 0 else round((n1 / t1 - n0 / t0) / (n0 / t0) * 100, 1)
    p = 1.0 if total == 0 else float(stats.binomtest(int(n1), total, t1 / (t1 + t0)).pvalue)
    return change, p, total < SMALL_COUNT


def mann_kendall(series: np.ndarray) -> tuple[float, float, float]:
    """(S, z, two-sided p) of the Mann-Kendall trend test, with the tie correction."""
    x = np.asarray(series, dtype=float)
    n = len(x)
    if n < 3:
        return 0.0, 0.0, 1.0
    diff = np.sign(x[None, :] - x[:, None])
    s = float(np.triu(diff, 1).sum())
    _, ties = np.unique(x, return_counts=True)
    var = (n * (n - 1) * (2 * n + 5) - (ties * (ties - 1) * (2 * ties + 5)).sum()) / 18.0
    if var <= 0:
        return s, 0.0, 1.0
    z = (s - np.sign(s)) / np.sqrt(var)
    return s, float(z), float(2 * stats.norm.sf(abs(z)))


def hour_weekday_table(local_times: pd.Series) -> pd.DataFrame:
    """Counts by weekday (rows, Monday first) and hour of day (columns 0-23)."""
    times = pd.to_datetime(local_times)
    table = pd.crosstab(times.dt.day_of_week, times.dt.hour)
    return table.reindex(index=range(7), columns=range(24), fill_value=0)
