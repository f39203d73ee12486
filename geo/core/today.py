"""When "today so far" may be compared with another day.

Early in the morning today's count is small whatever the day brings: "0, down 100 %" at 07:00
says nothing. The wall therefore compares today only

* up to the time data has arrived for (the earlier of now and the latest incident received),
  against the same hours of the comparison day (never against that day's whole 24 hours), and
* once that part of the day is long enough (``MIN_DAY_SHARE`` of it: 06:00 local), and the
  comparison day had enough incidents in those hours (``MIN_EXPECTED``) for a percentage to
  mean something.

Before that the change is not shown (no arrow), and the screen says why.
"""

from __future__ import annotations

import datetime as dt

MIN_DAY_SHARE = 0.25  # a quarter of the day (06:00) before today is compared at all
MIN_EXPECTED = 10  # incidents in the same hours of the comparison day, at least


def cutoff(day_start: dt.datetime, now: dt.datetime, data_as_of: dt.datetime | None) -> dt.datetime:
    """The moment today's data reaches: the earlier of ``now`` and the latest incident received,
    kept within the day that starts at ``day_start`` (all aware datetimes)."""
    end = now if data_as_of is None else min(now, data_as_of)
    return min(max(end, day_start), day_start + dt.timedelta(days=1))


def day_share(day_start: dt.datetime, until: dt.datetime) -> float:
    """The share of the day starting at ``day_start`` that lies before ``until`` (0 to 1)."""
    return min(1.0, max(0.0, (until - day_start) / dt.timedelta(days=1)))


def comparable(share: float, expected: int) -> bool:
    """Whether today so far (``share`` of the day) may be compared with the same hours of another
    day that had ``expected`` incidents in them."""
    return share >= MIN_DAY_SHARE and expected >= MIN_EXPECTED


def change(current: int, expected: int, share: float) -> float | None:
    """Today's change in percent against the same hours of the comparison day, or None while
    :func:`comparable` says it is too early (or too few) to tell."""
    if not comparable(share, expected):
        return None
    return round((current - expected) / expected * 100, 1)
