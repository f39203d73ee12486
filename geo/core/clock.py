"""The one clock: every "now" and "today" in SafeGrid is read here.

By default this is the machine's clock. ``SAFEGRID_NOW`` (an ISO date or date-time; a date
means local midnight, a time without offset is UTC) moves it for the whole process and its
children: the clock then starts at that instant and runs on at the real pace, so elapsed
times (sign-in locks, session time-outs, wall refreshes) still behave. The tests set it to a
fixed instant so that no result depends on the day they run; a deployment leaves it unset.

This is the only module of :mod:`geo.core` that looks outside its arguments (the environment
and the system clock); everything else takes ``today`` or ``now`` as an argument.

Examples
--------
>>> import datetime as dt
>>> offset_for("2028-02-29T12:00:00+00:00", dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))
datetime.timedelta(days=789, seconds=43200)
"""

from __future__ import annotations

import datetime as dt
import os
import time
from zoneinfo import ZoneInfo

ENV = "SAFEGRID_NOW"
_UTC = dt.timezone.utc


def parse_instant(text: str) -> dt.datetime:
    """``2028-02-29`` (midnight UTC) or ``2028-02-29T12:00:00[+08:00]`` (UTC when no offset)."""
    value = dt.datetime.fromisoformat(text.strip())
    return value.replace(tzinfo=_UTC) if value.tzinfo is None else value.astimezone(_UTC)


def offset_for(setting: str | None, real_now: dt.datetime) -> dt.timedelta:
    """How far the clock is moved from ``real_now`` by a ``SAFEGRID_NOW`` value (zero when unset)."""
    if not setting:
        return dt.timedelta(0)
    return parse_instant(setting) - real_now


def _real_now() -> dt.datetime:
    return dt.datetime.fromtimestamp(time.time(), _UTC)


_SETTING = os.environ.get(ENV) or None
_OFFSET = offset_for(_SETTING, _real_now())


def now_utc() -> dt.datetime:
    """The current instant, timezone-aware in UTC."""
    return _real_now() + _OFFSET


def today(tz: str | None = None) -> dt.date:
    """Today's calendar date in the IANA zone ``tz`` (UTC when None)."""
    now = now_utc()
    return (now.astimezone(ZoneInfo(tz)) if tz else now).date()


def local_now(tz: str) -> dt.datetime:
    """The current wall-clock time in ``tz``, naive (as local times are stored in frames)."""
    return now_utc().astimezone(ZoneInfo(tz)).replace(tzinfo=None)


def moved() -> bool:
    """True when ``SAFEGRID_NOW`` (or :func:`move_to`) moves this process's clock."""
    return _SETTING is not None


def move_to(instant: dt.datetime | str | None) -> None:
    """Start this process's clock again at ``instant`` (None: back to ``SAFEGRID_NOW``, else real).

    For tests that need a later hour than the suite's fixed one; the app never calls it.
    """
    global _OFFSET, _SETTING
    if instant is None:
        _SETTING = os.environ.get(ENV) or None
    else:
        _SETTING = instant.isoformat() if isinstance(instant, dt.datetime) else instant
    _OFFSET = offset_for(_SETTING, _real_now())


def zone_label(tz: str | None, at: dt.datetime | None = None) -> str:
    """The zone times are shown in, for a column header: its UTC offset at ``at`` (now by default) and
    its IANA name, e.g. ``UTC+8 Asia/Shanghai``; ``UTC`` for UTC itself."""
    if not tz or tz.upper() in ("UTC", "ETC/UTC", "Z"):
        return "UTC"
    offset = (at or now_utc()).astimezone(ZoneInfo(tz)).utcoffset() or dt.timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign, minutes = ("+" if minutes >= 0 else "−"), abs(minutes)
    hours = f"{minutes // 60}" + (f":{minutes % 60:02d}" if minutes % 60 else "")
    return f"UTC{sign}{hours} {tz}"

