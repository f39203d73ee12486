"""Classing values for choropleths, and the colour-blind-safe palettes they are drawn with.

Arrays in, arrays out. ``quantiles`` and ``natural_breaks`` (Fisher-Jenks) come from
mapclassify (PySAL); ``diverging`` classes symmetric around zero for changes (year on year).
"""

from __future__ import annotations

from dataclasses import dataclass

import warnings

import numpy as np

import mapclassify

N_CLASSES = 5
JENKS_SAMPLE = 300
ZERO_CLASS_SHARE = 0.2  # at least this share of zeros: zero gets a class of its own (quantiles)
METHODS = ("quantiles", "natural_breaks")
# ColorBrewer schemes marked colour-blind safe (light to dark).
SEQUENTIAL = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")  # YlOrRd 5
SEQUENTIAL_BLUE = ("#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c")  # Blues 5
DIVERGING = ("#2166ac", "#67a9cf", "#f7f7f7", "#ef8a62", "#b2182b")  # RdBu 5 reversed: fall blue, rise red
NO_DATA = "#d9d9d9"


@dataclass(frozen=True)
class Classes:
    """Upper bounds of each class (``bins``), each value's class (-1 for missing) and colours."""

    bins: np.ndarray
    klass: np.ndarray
    colors: tuple[str, ...]

    def color_of(self) -> list[str]:
        """The colour of every value (``NO_DATA`` where missing)."""
        return [self.colors[k] if k >= 0 else NO_DATA for k in self.klass]

    lower: float = 0.0
    integer: bool = False  # every value is a whole number (counts)

    def labels(self, fmt: str = "{:,.0f}") -> list[str]:
        """Legend text per class: ``low – high`` (whole numbers: the first count of each class)."""
        out = []
        for i, hi in enumerate(self.bins):
            lo = self.lower if i == 0 else self.bins[i - 1]
            if self.integer:  # whole numbers: a class holds the counts from just above the last bound
                lo, hi = (lo if i == 0 else np.floor(lo) + 1), np.floor(hi)
            out.append(fmt.format(hi) if self.integer and lo >= hi else f"{fmt.format(lo)} – {fmt.format(hi)}")
        return out


def classify(values: np.ndarray, method: str = "quantiles", k: int = N_CLASSES,
             colors: tuple[str, ...] = SEQUENTIAL) -> Classes:
    """Class ``values`` (NaN = no data) into at most ``k`` classes by ``method``.

    Fewer classes are used when there are fewer distinct values. Bins are the upper bound
    of each class, the last one the maximum.
    """
    if method not in METHODS:
        raise ValueError(f"unknown classification {method!r}: {', '.join(METHODS)}")
    values = np.asarray(values, dtype=float)
    klass = np.full(len(values), -1, dtype=np.int64)
    ok = np.isfinite(values)
    if not ok.any():
        return Classes(np.array([]), klass, ())
    data = values[ok]
    distinct = np.unique(data)
    k = max(1, min(k, len(distinct)))
    zeros = float(np.mean(data == 0))
    if k == 1:
        bins = np.array([distinct[-1]])
    elif method == "quantiles" and zeros >= ZERO_CLASS_SHARE and (data > 0).sum() >= k - 1:
        # Mostly zeros (quiet cells): zero is a class of its own, the rest split by quantiles.
        positive = data[data > 0]
        upper = mapclassify.Quantiles(positive, k=min(k - 1, len(np.unique(positive)))).bins
        bins = np.unique(np.concatenate([[0.0], upper]))
    elif method == "quantiles":
        bins = np.unique(mapclassify.Quantiles(data, k=k).bins)
    else:
        # Fisher-Jenks is quadratic in pure Python (no numba here): run it on at most
        # JENKS_SAMPLE evenly spaced quantiles of the data, which keeps it deterministic.
        sample = distinct if len(distinct) <= JENKS_SAMPLE else np.quantile(data, np.linspace(0, 1, JENKS_SAMPLE))
        with warnings.catch_warnings():  # "Numba not installed": the pure-Python path is meant
            warnings.simplefilter("ignore")
            bins = np.unique(mapclassify.FisherJenks(sample, k=k).bins)
        bins[-1] = data.max()
    klass[ok] = np.minimum(np.searchsorted(bins, data, side="left"), len(bins) - 1)
    palette = _spread(colors, len(bins))
    whole = bool(np.all(data == np.round(data)))
    return Classes(bins, klass, palette, lower=float(data.min()), integer=whole)


def diverging(values: np.ndarray, k: int = N_CLASSES, colors: tuple[str, ...] = DIVERGING) -> Classes:
    """Classes symmetric around zero for signed changes: the middle class holds the small ones."""
    values = np.asarray(values, dtype=float)
    klass = np.full(len(values), -1, dtype=np.int64)
    ok = np.isfinite(values)
    if not ok.any():
        return Classes(np.array([]), klass, ())
    top = float(np.nanpercentile(np.abs(values[ok]), 95)) or 1.0
    step = top / (k / 2)  # k = 5: edges at -3/5, -1/5, +1/5, +3/5 of the range
    edges = np.array([(-k / 2 + 1 + i) * step for i in range(k - 1)])
    bins = np.append(edges, max(float(values[ok].max()), edges[-1]))
    klass[ok] = np.minimum(np.searchsorted(bins, values[ok], side="left"), k - 1)
    return Classes(bins, klass, tuple(colors), lower=float(min(values[ok].min(), -top)))


def _spread(colors: tuple[str, ...], n: int) -> tuple[str, ...]:
    """``n`` colours picked evenly from a palette (keeps the darkest for the top class)."""
    if n >= len(colors):
        return tuple(colors)
    idx = np.round(np.linspace(0, len(colors) - 1, n)).astype(int)
    return tuple(colors[i] for i in idx)
