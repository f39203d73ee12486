"""Time playback: a period cut into day, week or month steps, and one set of classes for all of them.

A playback map shows the same areas step after step. Its colours only compare across steps when
every step is classed with the same bounds, so the classes are computed once over the values of
all steps together (:func:`pooled_classes`) and each step takes its class from those bounds
(:func:`step_classes`).

Steps follow the calendar: a day; an ISO week (Monday to Sunday); a calendar month. The first and
last step are cut to the period, so they may be shorter than the others (their labels show the
days they hold). Dates are local calendar dates, both ends included.

Examples
--------
>>> import datetime as dt
>>> step_spans(dt.date(2026, 3, 4), dt.date(2026, 3, 17), "week")
[(datetime.date(2026, 3, 4), datetime.date(2026, 3, 8)), (datetime.date(2026, 3, 9), datetime.date(2026, 3, 15)), (datetime.date(2026, 3, 16), datetime.date(2026, 3, 17))]
>>> step_label(dt.date(2026, 3, 9), dt.date(2026, 3, 15), "week")
'2026-03-09 – 03-15'
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np

from geo.core.classify import SEQUENTIAL, Classes, classify

STEPS = ("day", "week", "month")
MAX_STEPS = 120  # a playback of more steps asks for a longer step or a shorter period
MAX_VALUES = 2_000_000  # steps x areas: about 4 MB to the browser at two bytes a value


class TooManySteps(ValueError):
    """The period cut into the chosen steps gives more steps (or values) than a playback carries."""


def _next_start(day: dt.date, step: str) -> dt.date:
    if step == "day":
        return day + dt.timedelta(days=1)
    if step == "week":
        return day + dt.timedelta(days=7 - day.weekday())
    if step == "month":
        return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    raise ValueError(f"unknown step {step!r}: {', '.join(STEPS)}")


def step_spans(start: dt.date, end: dt.date, step: str) -> list[tuple[dt.date, dt.date]]:
    """The steps of ``start``..``end`` as (first day, last day), calendar-aligned, cut to the period."""
    if step not in STEPS:
        raise ValueError(f"unknown step {step!r}: {', '.join(STEPS)}")
    spans, day = [], start
    while day <= end:
        following = _next_start(day, step)
        spans.append((day, min(end, following - dt.timedelta(days=1))))
        day = following
        if len(spans) > MAX_STEPS:
            raise TooManySteps(f"{start}..{end} in {step} steps gives more than {MAX_STEPS} steps")
    return spans


def check_size(n_steps: int, n_areas: int) -> None:
    """:class:`TooManySteps` when a playback of ``n_steps`` over ``n_areas`` would be too large to send."""
    if n_steps > MAX_STEPS or n_steps * n_areas > MAX_VALUES:
        raise TooManySteps(f"{n_steps} steps x {n_areas} areas is more than a playback carries "
                           f"({MAX_STEPS} steps, {MAX_VALUES:,} values)")


def step_label(first: dt.date, last: dt.date, step: str) -> str:
    """How a step reads under the slider: a day, a month, or a span of days (a week, a cut month)."""
    if step == "day" or first == last:
        return first.isoformat()
    if step == "month" and first.day == 1 and (last + dt.timedelta(days=1)).day == 1:
        return first.strftime("%Y-%m")
    tail = last.strftime("%m-%d") if last.year == first.year else last.isoformat()
    return f"{first.isoformat()} – {tail}"


def pooled_classes(counts: np.ndarray, method: str = "quantiles",
                   colors: tuple[str, ...] = SEQUENTIAL) -> Classes:
    """Classes of every value of ``counts`` (steps x areas) taken together: one legend for every step."""
    counts = np.asarray(counts, dtype=float)
    return classify(counts.ravel(), method, colors=colors)


def step_classes(pooled: Classes, values: np.ndarray) -> Classes:
    """``pooled`` with the classes of one step's ``values`` (same bounds, same colours, same legend)."""
    values = np.asarray(values, dtype=float)
    if len(pooled.bins) == 0:
        return dataclasses.replace(pooled, klass=np.full(len(values), -1, dtype=np.int64))
    klass = np.minimum(np.searchsorted(pooled.bins, values, side="left"), len(pooled.bins) - 1)
    return dataclasses.replace(pooled, klass=klass.astype(np.int64))
