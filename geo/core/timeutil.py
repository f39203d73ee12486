"""Times and dates: stored in UTC, typed and read as local calendar dates.

Every deployment has a time zone. Timestamps in a file are read in the import's zone
(a preset carries its own); naive times that fall in a daylight-saving gap are moved
forward to the first valid instant, and ambiguous ones (the repeated hour) take the
first, daylight-time reading. Explicit UTC offsets in the text win over the zone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from geo.core.distinct import per_distinct
from geo.core.textscan import contains

DEFAULT_TIMEZONE = "Asia/Shanghai"
DEFAULT_PERIOD_DAYS = 365
# a time of day followed by an explicit offset: Z, UTC, GMT, +08, +0800, +08:00
_OFFSET_SUFFIX = r"\d:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|[Uu][Tt][Cc]|[Gg][Mm][Tt]|[+-]\d{2}(?::?\d{2})?)\s*$"
# written values that pandas would turn into a date but that name none: a time of day alone
# (read as today), a bare year, or a two-digit year (240301 read as 2001-03-24)
_NOT_A_DATE = (r"^(?:\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:[AaPp]\.?[Mm]\.?)?|\d{4}|\d{6}"
               r"|\d{1,2}[./-]\d{1,2}[./-]\d{1,2})$")
# Parsed instants are held within these bounds (a 64-bit nanosecond time spans 1677-2262).
FAR_PAST = pd.Timestamp(1800, 1, 1)
FAR_FUTURE = pd.Timestamp(2200, 1, 1)


class TimeZoneError(ValueError):
    """An unknown IANA time zone name."""


def check_timezone(name: str) -> str:
    """Return ``name`` if it is a known IANA zone, else raise :class:`TimeZoneError`."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:  # a folder of zones, an overlong name
        raise TimeZoneError(f"unknown time zone {name!r} (use an IANA name such as Asia/Shanghai)") from exc
    return name


@dataclass
class ParsedTimes:
    """Result of :func:`parse_local_times`."""

    utc: pd.Series  # datetime64[ns, UTC]; NaT where unparseable or missing
    missing: pd.Series  # bool: the cell was empty
    unparseable: pd.Series  # bool: text present but not a time
    shifted_gap: int = 0  # times inside a DST gap, moved forward
    ambiguous: int = 0  # times inside a DST overlap, read as the first instant
    notes: list[str] = field(default_factory=list)


def parse_local_times(values: pd.Series, tz: str, fmt: str | None = None) -> ParsedTimes:
    """Parse a column of timestamps written in local time ``tz`` into UTC.

    ``fmt`` is a strptime format (fast path); without it ISO 8601 is tried, then any
    format pandas recognises element by element. Text with an explicit offset or ``Z``
    is converted by that offset instead of the zone.
    """
    check_timezone(tz)
    # Each distinct written value is parsed once (a file repeats its times and dates a lot).
    utc, missing, unparseable, gap, overlap = per_distinct(values, lambda v: _parse_times(v, tz, fmt))
    shifted, ambiguous = int(gap.sum()), int(overlap.sum())
    notes = []
    if shifted:
        notes.append(f"{shifted} times fell in a daylight-saving gap and were moved forward")
    if ambiguous:
        notes.append(f"{ambiguous} times fell in a daylight-saving overlap and were read as the first instant")
    return ParsedTimes(utc, missing, unparseable, shifted, ambiguous, notes)


def _parse_times(values: pd.Series, tz: str, fmt: str | None) -> tuple[pd.Series, ...]:
    """(utc, missing, unparseable, in a gap, in an overlap) of every value; see :func:`parse_local_times`."""
    raw = values.astype("string").str.strip()
    missing = raw.isna() | (raw == "")
    raw = raw.where(missing | ~not_a_date(raw), "?")
    utc = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns, UTC]")
    gap = pd.Series(False, index=values.index)
    overlap = pd.Series(False, index=values.index)
    if pd.api.types.is_datetime64_any_dtype(values):  # Excel cells already typed
        parsed = pd.to_datetime(values, errors="coerce")
        if getattr(parsed.dt, "tz", None) is not None:
            utc = parsed.dt.tz_convert("UTC")
            return utc, missing, parsed.isna() & ~missing, gap, overlap
        naive = parsed
        offset_mask = pd.Series(False, index=values.index)
    else:
        offset_mask = pd.Series(contains(raw, _OFFSET_SUFFIX), index=values.index)
        if offset_mask.any():
            aware = pd.to_datetime(raw[offset_mask], errors="coerce", utc=True, format="mixed")
            utc[offset_mask] = aware.clip(lower=FAR_PAST.tz_localize("UTC"), upper=FAR_FUTURE.tz_localize("UTC"))
        naive = _parse_naive(raw.where(~offset_mask & ~missing), fmt)
    local_mask = naive.notna() & ~offset_mask
    if local_mask.any():
        local = naive[local_mask]
        localized = local.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
        bad = localized.isna()
        if bad.any():
            first = local[bad].dt.tz_localize(
                tz, ambiguous=np.ones(int(bad.sum()), dtype=bool), nonexistent="shift_forward")
            in_gap = local[bad].dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT").isna() & \
                local[bad].dt.tz_localize(tz, ambiguous=np.zeros(int(bad.sum()), dtype=bool),
                                          nonexistent="NaT").isna()
            gap[in_gap.index[in_gap.to_numpy()]] = True
            overlap[in_gap.index[~in_gap.to_numpy()]] = True
            localized[bad] = first
        utc[local_mask] = localized.dt.tz_convert("UTC")
    return utc, missing, utc.isna() & ~missing, gap, overlap


def not_a_date(raw: pd.Series) -> pd.Series:
    """Which written values carry no calendar date: words (``now``, ``today``), a time of day alone,
    a bare year or a two-digit year. Missing values are False."""
    text = raw.astype("string").str.strip()
    return (~text.str.contains(r"\d", regex=True) | text.str.fullmatch(_NOT_A_DATE)).fillna(False).astype(bool)


def _parse_naive(raw: pd.Series, fmt: str | None) -> pd.Series:
    try:
        out = pd.to_datetime(raw, format=fmt or "ISO8601", errors="coerce")
        if getattr(out.dt, "tz", None) is not None:
            out = out.dt.tz_localize(None)
    except (TypeError, ValueError, OverflowError):  # mixed zones and the like: value by value below
        out = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
    rest = out.isna() & raw.notna()
    if rest.any():
        try:
            mixed = pd.to_datetime(raw[rest], format="mixed", errors="coerce", dayfirst=False)
            if getattr(mixed.dt, "tz", None) is not None:
                raise TypeError("a zone in a value without an offset")
            out[rest] = mixed
        except (TypeError, ValueError, OverflowError, AttributeError):
            out[rest] = [_one_naive(v) for v in raw[rest]]
    # Year 1 or 9999 parse, but no caller accepts them: pinned to the bounds, they fail range checks.
    return out.clip(lower=FAR_PAST, upper=FAR_FUTURE)


def written_stamp(value) -> pd.Timestamp:
    """One written date or time as pandas reads it, or NaT for anything it cannot read (never raises)."""
    try:
        return pd.to_datetime(value, errors="coerce")
    except (TypeError, ValueError, OverflowError):
        return pd.NaT


def _one_naive(value) -> pd.Timestamp:
    """One written time without an offset, or NaT (a value naming a zone pandas reads is refused:
    only Z, UTC, GMT and numeric offsets are understood, the rest would be guesses)."""
    stamp = written_stamp(value)
    if stamp is pd.NaT or stamp.tzinfo is not None:
        return pd.NaT
    return stamp


def local_dates(utc: pd.Series, tz: str) -> pd.Series:
    """Local calendar date (``datetime.date`` objects) in zone ``tz`` of UTC timestamps."""
    days = utc.dt.tz_convert(tz).dt.tz_localize(None).dt.floor("D")
    return per_distinct(days, lambda d: d.dt.date, most_share=1.0)  # one date object per distinct day


def parse_date(text: str) -> dt.date:
    """Parse a user's calendar date (``YYYY-MM-DD``) with a clear message on error."""
    try:
        return dt.date.fromisoformat(str(text).strip())
    except ValueError as exc:
        raise ValueError(f"not a date: {text!r} (expected YYYY-MM-DD)") from exc


def default_period(latest: dt.date | None, today: dt.date) -> tuple[dt.date, dt.date]:
    """The 365 days ending on the latest incident's date (or today when there is none)."""
    end = latest or today
    return end - dt.timedelta(days=DEFAULT_PERIOD_DAYS - 1), end


def utc_bounds(start: dt.date, end: dt.date, tz: str) -> tuple[dt.datetime, dt.datetime]:
    """UTC instants [first instant of ``start``, first instant after ``end``) in zone ``tz``."""
    zone = ZoneInfo(tz)
    lo = pd.Timestamp(start).tz_localize(zone, nonexistent="shift_forward").tz_convert("UTC")
    hi = pd.Timestamp(end + dt.timedelta(days=1)).tz_localize(zone, nonexistent="shift_forward").tz_convert("UTC")
    return lo.to_pydatetime(), hi.to_pydatetime()


QUICK_PERIODS = ("7", "28", "90", "365", "year", "custom")


def quick_period(pick: str, anchor: dt.date, custom: tuple[dt.date, dt.date] | None = None) -> tuple[dt.date, dt.date]:
    """The local dates (inclusive) of a quick pick ending on ``anchor``.

    ``"7"``/``"28"``/``"90"``/``"365"`` are the last N days including ``anchor``; ``"year"``
    runs from 1 January of the anchor's year; ``"custom"`` returns ``custom`` (ordered).
    """
    if pick == "custom":
        if not custom:
            raise ValueError("a custom period needs a start and an end date")
        start, end = custom
        return (start, end) if start <= end else (end, start)
    if pick == "year":
        return dt.date(anchor.year, 1, 1), anchor
    if pick not in QUICK_PERIODS:
        raise ValueError(f"unknown period {pick!r}: {', '.join(QUICK_PERIODS)}")
    return anchor - dt.timedelta(days=int(pick) - 1), anchor


def year_before(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """The same calendar dates one year earlier (29 February becomes the 28th)."""
    def back(d: dt.date) -> dt.date:
        return d.replace(year=d.year - 1, day=min(d.day, 28 if d.month == 2 else d.day))
    return back(start), back(end)


def period_before(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """The period of the same length that ends the day before ``start`` (period on period)."""
    length = end - start + dt.timedelta(days=1)
    return start - length, start - dt.timedelta(days=1)
