"""Playback steps follow the calendar and are cut to the period; one set of classes serves every step."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from geo.core.classify import classify
from geo.core.timeline import (MAX_STEPS, TooManySteps, check_size, pooled_classes, step_classes, step_label,
                               step_spans)

A = dt.date


@pytest.mark.parametrize("start, end, step, first, last, n", [
    (A(2026, 6, 3), A(2026, 6, 30), "day", (A(2026, 6, 3),) * 2, (A(2026, 6, 30),) * 2, 28),
    (A(2026, 6, 3), A(2026, 6, 30), "week", (A(2026, 6, 3), A(2026, 6, 7)), (A(2026, 6, 29), A(2026, 6, 30)), 5),
    (A(2025, 7, 1), A(2026, 6, 30), "week", (A(2025, 7, 1), A(2025, 7, 6)), (A(2026, 6, 29), A(2026, 6, 30)), 53),
    (A(2025, 11, 20), A(2026, 2, 28), "month", (A(2025, 11, 20), A(2025, 11, 30)), (A(2026, 2, 1), A(2026, 2, 28)), 4),
    (A(2024, 1, 31), A(2024, 3, 1), "month", (A(2024, 1, 31),) * 2, (A(2024, 3, 1),) * 2, 3),
    (A(2026, 3, 9), A(2026, 3, 9), "week", (A(2026, 3, 9),) * 2, (A(2026, 3, 9),) * 2, 1),
    (A(2026, 3, 9), A(2026, 3, 8), "week", None, None, 0),
], ids=["days", "cut-weeks", "year-of-weeks", "cut-months", "leap-february", "one-day", "empty"])
def test_step_spans_cover_the_period_without_gaps(start, end, step, first, last, n):
    spans = step_spans(start, end, step)
    assert len(spans) == n
    if n:
        assert spans[0] == first and spans[-1] == last
        days = sum((b - a).days + 1 for a, b in spans)
        assert days == (end - start).days + 1  # every day once
        assert all(b + dt.timedelta(days=1) == c for (_, b), (c, _) in zip(spans, spans[1:]))
    if step == "week":
        assert all(a.weekday() == 0 for a, _ in spans[1:])  # weeks start on Monday


def test_step_spans_refuse_too_many_steps_and_unknown_steps():
    with pytest.raises(TooManySteps):
        step_spans(A(2025, 1, 1), A(2025, 12, 31), "day")
    assert len(step_spans(A(2025, 1, 1), A(2025, 1, 1) + dt.timedelta(days=MAX_STEPS - 1), "day")) == MAX_STEPS
    with pytest.raises(ValueError):
        step_spans(A(2025, 1, 1), A(2025, 2, 1), "fortnight")
    with pytest.raises(TooManySteps):
        check_size(52, 50_000)
    check_size(52, 10_000)


@pytest.mark.parametrize("first, last, step, label", [
    (A(2026, 3, 9), A(2026, 3, 9), "day", "2026-03-09"),
    (A(2026, 3, 9), A(2026, 3, 15), "week", "2026-03-09 – 03-15"),
    (A(2025, 12, 29), A(2026, 1, 4), "week", "2025-12-29 – 2026-01-04"),
    (A(2026, 2, 1), A(2026, 2, 28), "month", "2026-02"),
    (A(2026, 2, 10), A(2026, 2, 28), "month", "2026-02-10 – 02-28"),
], ids=["day", "week", "week-over-new-year", "month", "cut-month"])
def test_step_label_reads_as_dates(first, last, step, label):
    assert step_label(first, last, step) == label


def test_pooled_classes_give_every_step_the_same_bounds():
    rng = np.random.default_rng(3)
    counts = rng.poisson(np.outer([0.2, 1.0, 4.0], rng.gamma(1, 2, 300)))  # a quiet, a usual and a busy step
    pooled = pooled_classes(counts)
    np.testing.assert_allclose(pooled.bins, classify(counts.ravel().astype(float)).bins)
    steps = [step_classes(pooled, row) for row in counts]
    assert all(np.array_equal(s.bins, pooled.bins) and s.colors == pooled.colors for s in steps)
    for row, s in zip(counts, steps):  # each value in the first class whose upper bound it does not pass
        want = np.minimum(np.searchsorted(pooled.bins, row, side="left"), len(pooled.bins) - 1)
        np.testing.assert_array_equal(s.klass, want)
    assert steps[0].klass.mean() < steps[2].klass.mean()  # a quiet step looks quieter than a busy one
    per_step = [classify(row.astype(float)) for row in counts]
    assert not all(np.array_equal(p.bins, per_step[0].bins) for p in per_step)  # what pooling avoids
