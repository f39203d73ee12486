"""Alert rules: pure conditions over counts, categories, deadlines and coverage. No I/O.

Four rule kinds an account subscribes to, per area of its scope (``geo.store.alerts`` evaluates them):

- ``hotspot``: a grid cell of the area is an emerging hot spot of a ``HOT_CATEGORIES`` kind
  (``geo.core.emerging``: hot in the final week only, or hot throughout with an upward trend) over
  the ``HOT_WEEKS`` weeks ending today, and had incidents itself in them (a quiet cell hot only through
  its neighbours is left to their alerts).
- ``band``: the area's incidents this ISO week (Monday to today) are above its usual band. The band
  is the Poisson upper 95 % point, ``scipy.stats.poisson.ppf(0.95, mean)``, of the mean of the
  *same ISO week* in each earlier year the data covers; with fewer than ``MIN_YEARS`` such years,
  the mean of the ``SHORT_WEEKS`` full weeks just before (:func:`band_history`). No history at all:
  no band, no alert.
- ``ledger``: a ledger item of the area is overdue (open, deadline before today), or open and due
  within the subscription's ``due_days`` days (today included).
- ``coverage``: the area's camera coverage (the share its target counts) is below its target, for
  example after cameras went offline.

An alert names events and places only (rule, area, cell, ledger item number, counts), never a person.

Examples
--------
>>> usual_band([4, 6, 5])
9
>>> ledger_condition("assigned", dt.date(2026, 6, 20), dt.date(2026, 7, 1), 3)
'overdue'
"""

from __future__ import annotations

import datetime as dt
from typing import Mapping, Sequence

import numpy as np
from scipy.stats import poisson

RULES = ("hotspot", "band", "ledger", "coverage")
HOT_CATEGORIES = ("new_hot", "intensifying_hot")
HOT_WEEKS = 12  # weeks of the emerging hot-spot cube
BAND_QUANTILE = 0.95
MIN_YEARS = 2  # same-week history needed before it is used; else the weeks just before
SHORT_WEEKS = 8
MAX_YEARS = 5  # same-week history looked at
DUE_DAYS = 3  # default for "due within N days"
MAX_DUE_DAYS = 90
OPEN_LEDGER = ("reported", "assigned", "rectifying")  # geo.core.ledger.OPEN, repeated as the rule's own
STATUSES = ("open", "acknowledged", "snoozed")
DELIVERY = ("none", "pending", "sent", "failed")
MAX_ATTEMPTS = 5  # delivery attempts before an alert's delivery is given up


def usual_band(history: Sequence[float], quantile: float = BAND_QUANTILE) -> int:
    """The upper ``quantile`` point of a Poisson law with the mean of ``history`` (counts per week).

    A mean of zero gives a band of zero (any incident is above it).
    """
    values = np.asarray(history, dtype=float)
    if values.size == 0:
        raise ValueError("a band needs at least one earlier week")
    mean = float(values.mean())
    return 0 if mean <= 0 else int(poisson.ppf(quantile, mean))


def week_start(day: dt.date) -> dt.date:
    """The Monday of ``day``'s ISO week."""
    return day - dt.timedelta(days=day.weekday())


def band_history(weekly: Mapping[dt.date, int], today: dt.date, first_day: dt.date) -> tuple[list[int], str]:
    """The earlier weeks the band of ``today``'s ISO week is taken from, and which rule chose them.

    ``weekly`` maps Mondays to counts (a missing Monday counts zero); ``first_day`` is the first day
    the data covers, so only weeks wholly after it count. Returns ``(counts, "same_week")`` with the
    same ISO week of up to ``MAX_YEARS`` earlier years when at least ``MIN_YEARS`` of them are covered,
    else ``(counts, "recent")`` with the up to ``SHORT_WEEKS`` full weeks before this one, else
    ``([], "none")``.
    """
    year, week, _ = today.isocalendar()
    covered = lambda monday: monday >= week_start(first_day) + (dt.timedelta(0) if first_day.weekday() == 0  # noqa: E731
                                                                 else dt.timedelta(days=7))
    same = []
    for back in range(1, MAX_YEARS + 1):
        try:
            monday = dt.date.fromisocalendar(year - back, week, 1)
        except ValueError:  # week 53 in a year of 52 weeks
            continue
        if covered(monday):
            same.append(int(weekly.get(monday, 0)))
    if len(same) >= MIN_YEARS:
        return same, "same_week"
    this = week_start(today)
    recent = [int(weekly.get(this - dt.timedelta(weeks=k), 0)) for k in range(1, SHORT_WEEKS + 1)
              if covered(this - dt.timedelta(weeks=k))]
    return (recent, "recent") if recent else ([], "none")


def above_band(count: int, band: int) -> bool:
    """Whether this week's ``count`` lies above the usual ``band`` (equal is usual)."""
    return int(count) > int(band)


def ledger_condition(status: str, deadline: dt.date | None, today: dt.date, due_days: int) -> str | None:
    """``"overdue"`` (open, deadline before today), ``"due_soon"`` (open, deadline within ``due_days``
    days from today, today included), else None."""
    if status not in OPEN_LEDGER or deadline is None:
        return None
    if deadline < today:
        return "overdue"
    return "due_soon" if deadline <= today + dt.timedelta(days=int(due_days)) else None


def under_target(counted_pct: float | None, target_pct: float | None) -> bool:
    """Whether the coverage a target counts lies below the target (no target, or no figure: no)."""
    if counted_pct is None or target_pct is None or np.isnan(counted_pct) or np.isnan(target_pct):
        return False
    return float(counted_pct) < float(target_pct)


def check_due_days(value) -> int:
    """``due_days`` as an int from 0 to ``MAX_DUE_DAYS``; ValueError otherwise."""
    try:
        days = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"due days must be a whole number, not {value!r}") from None
    if not 0 <= days <= MAX_DUE_DAYS:
        raise ValueError(f"due days must lie between 0 and {MAX_DUE_DAYS}")
    return days


def dedupe_key(subscription: int, rule: str, area: str, subject: str, period: str) -> str:
    """The key that makes an alert once only: subscription, rule, area, subject and period."""
    return "|".join((str(subscription), rule, area, subject, period))


def open_count_band(n: int, k: int) -> str | None:
    """A shared screen's generalised count of open alerts: None below ``k`` (suppressed), else a band
    ``k``..``2k-1``, ``2k``..``5k-1``, ``5k``..``10k-1``, ... up to ``"50k+"`` (never an exact count).

    >>> open_count_band(2, 3), open_count_band(4, 3), open_count_band(7, 3), open_count_band(500, 3)
    (None, '3–5', '6–14', '150+')
    """
    if n < k:
        return None
    edges = [k]
    for step in (2, 5, 10, 20, 50):
        edges.append(step * k)
    for low, high in zip(edges, edges[1:]):
        if n < high:
            return f"{low}–{high - 1}"
    return f"{edges[-1]}+"
