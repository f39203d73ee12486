"""Work once per distinct value: factorize a column, compute on its distinct values, take back.

Imported columns repeat a lot (a year of crimes has ~30 categories, a few hundred distinct
descriptions, one date per day, a block's coordinates on every crime of the block), and most
checks are pure functions of a cell's value. Computing them on the distinct values and taking
the results back row by row gives the same answer for a fraction of the work.

Missing values are values too: ``None``/``NaN``/``<NA>`` are passed to the function like any
other, so the result is what the function gives on the whole column.

Examples
--------
>>> import pandas as pd
>>> s = pd.Series(["a", "b", "a", None, "a"], dtype=object)
>>> per_distinct(s, lambda u: u.str.upper()).tolist()
['A', 'B', 'A', None, 'A']
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd

# Distinct values above this share of the rows: the column is worked on whole (factorizing a
# column of unique ids only adds work).
MOST_DISTINCT_SHARE = 0.5
SAMPLE_ROWS = 10_000  # a long column whose first rows are mostly distinct is not factorized


def factorize(values: pd.Series) -> tuple[np.ndarray, pd.Series] | None:
    """``(codes, uniques)`` with ``values`` equal to ``uniques.take(codes)``, or None when the
    column holds missing values of more than one kind (``None`` and ``NaN``), which factorizing
    would merge. Missing values are one more unique, the column's own."""
    codes, uniques = pd.factorize(values.array)
    distinct = pd.Series(uniques, dtype=values.dtype, copy=False)
    missing = codes < 0
    if missing.any():
        absent = values[missing]
        if len({type(v) for v in absent.array}) > 1:
            return None
        distinct = pd.concat([distinct, absent.iloc[:1].reset_index(drop=True)], ignore_index=True)
        codes[missing] = len(distinct) - 1
    return codes, distinct


def take(result, codes: np.ndarray, index: pd.Index):
    """A result computed on the distinct values, expanded to the rows (Series, arrays or a tuple of them)."""
    if isinstance(result, tuple):
        return tuple(take(part, codes, index) for part in result)
    if isinstance(result, pd.Series):
        return result.take(codes).set_axis(index)
    return np.asarray(result)[codes]


def per_distinct(values: pd.Series, fn: Callable, *, most_share: float = MOST_DISTINCT_SHARE):
    """``fn(values)`` computed as ``fn`` of the distinct values, taken back to every row.

    ``fn`` takes a Series and returns a Series, an array (one value per input value) or a tuple of
    them; each is expanded. When most values are distinct ``fn`` runs on ``values`` itself.
    """
    if len(values) == 0:
        return fn(values)
    sample = values.iloc[:SAMPLE_ROWS]
    if len(values) > SAMPLE_ROWS and sample.nunique(dropna=False) > most_share * len(sample):
        return fn(values)  # ids, exact times, coordinates: factorizing them all would only add work
    found = factorize(values)
    if found is None or len(found[1]) > most_share * len(values):
        return fn(values)
    codes, uniques = found
    return take(fn(uniques), codes, values.index)


def distinct_pairs(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(codes, first)`` for pairs ``(a[i], b[i])``: equal pairs share a code, and ``first[k]`` is
    the row where pair ``k`` first appears (so ``a[first][codes]`` is ``a``)."""
    ca, ua = pd.factorize(a, use_na_sentinel=False)
    cb, ub = pd.factorize(b, use_na_sentinel=False)
    codes, _ = pd.factorize(ca.astype(np.int64) * max(len(ub), 1) + cb)
    first = np.full(codes.max() + 1 if len(codes) else 0, -1, dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)  # the last write per code wins: the first row
    return codes, first
