"""Where next: predicting hot cells and scoring predictions.

Scores rank cells; the top cells covering a share of the total area are the predicted hot
spots. ``hit rate`` is the share of the test period's incidents inside them and the
Predictive Accuracy Index ``PAI = (n / N) / (a / A)``: hit rate over area share.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

SHARES = (0.01, 0.05, 0.10)
MIN_BACKTEST_DAYS = 28  # four whole weeks: at least two weeks of history and one tested week
TEST_SHARE = 0.75  # the backtest predicts the weeks after this share of the period


def backtest_split(start: dt.date, end: dt.date) -> dt.date:
    """The Monday from which a period ``start`` .. ``end`` (both included) is tested week by week.

    The period needs at least ``MIN_BACKTEST_DAYS`` days (the default 28-day period qualifies);
    the tested weeks start on the Monday on or before ``TEST_SHARE`` of it, so the history
    before them holds at least two weeks. Raises ValueError on a shorter period.
    """
    days = (end - start).days + 1
    if days < MIN_BACKTEST_DAYS:
        raise ValueError(f"a backtest needs at least {MIN_BACKTEST_DAYS} days, not {days}")
    split = start + dt.timedelta(days=int((days - 1) * TEST_SHARE))
    return split - dt.timedelta(days=split.weekday())


def pai_table(scores: np.ndarray, actual: np.ndarray, area: np.ndarray, shares=SHARES) -> pd.DataFrame:
    """Hit rate and PAI when the highest-scoring cells covering each share of the area are flagged.

    Cells are taken best score first until their area reaches the share (the last one may
    overshoot; the area share used is the one actually flagged). Ties keep the input order.
    """
    scores, actual, area = (np.asarray(a, dtype=float) for a in (scores, actual, area))
    order = np.argsort(-scores, kind="stable")
    cum_area = np.cumsum(area[order]) / area.sum()
    cum_hits = np.cumsum(actual[order])
    total = actual.sum()
    rows = []
    for share in shares:
        k = int(np.searchsorted(cum_area, share - 1e-12) + 1)
        k = min(k, len(order))
        a_share = cum_area[k - 1]
        hit = cum_hits[k - 1] / total if total else 0.0
        rows.append({"share": share, "cells": k, "area_share": a_share, "hit_rate": hit,
                     "pai": hit / a_share if a_share else 0.0})
    return pd.DataFrame(rows)


def baseline(history: np.ndarray) -> np.ndarray:
    """Last period's counts (cells x steps history): the prediction to beat."""
    return np.asarray(history, dtype=float)[:, -1]


def near_repeat(history: np.ndarray, w: np.ndarray, decay_steps: float = 2.0, neighbour_share: float = 0.3,
                background_weight: float = 0.5) -> np.ndarray:
    """A self-exciting score: long-run background plus recent events, decaying in time and
    spilling over to neighbours (row-standardised ``w``)."""
    h = np.asarray(history, dtype=float)
    steps = h.shape[1]
    decay = np.exp(-(steps - 1 - np.arange(steps)) / decay_steps)
    recent = h @ decay / decay.sum()
    background = h.mean(axis=1)
    local = (1 - neighbour_share) * recent + neighbour_share * (w @ recent)
    return background_weight * background + (1 - background_weight) * local


def backtest(cube: np.ndarray, area: np.ndarray, first_test: int, scorers: dict, shares=SHARES) -> pd.DataFrame:
    """Score each method on every test step and average.

    ``cube`` is counts (cells x steps); steps from ``first_test`` on are tested one at a time,
    each predicted from the steps before it only: ``scorers[name](history, step)`` returns a
    score per cell. Returns one row per method and share: mean hit rate and mean PAI over the
    test steps that had any incident.
    """
    rows = []
    for name, scorer in scorers.items():
        tables = []
        for step in range(first_test, cube.shape[1]):
            actual = cube[:, step]
            if actual.sum() == 0:
                continue
            tables.append(pai_table(scorer(cube[:, :step], step), actual, area, shares))
        if not tables:
            continue
        both = pd.concat(tables)
        summary = both.groupby("share")[["hit_rate", "pai", "area_share"]].mean().reset_index()
        summary.insert(0, "method", name)
        summary["steps"] = len(tables)
        rows.append(summary)
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(
        columns=["method", "share", "hit_rate", "pai", "area_share", "steps"])
