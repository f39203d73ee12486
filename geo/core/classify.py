"""Classing values for choropleths, and the colour-blind-safe palettes they are drawn with.

Arrays in, arrays out. ``quantiles`` and ``natural_breaks`` (Fisher-Jenks) come from
mapclassify (PySAL) for measures that cannot be negative (counts, rates, densities).
Two kinds of value get fixed, meaningful classes instead of data-driven ones, so a legend
means the same on every map and never names a value the measure cannot take:

* a signed change (year on year, period on period) by :func:`change_classes`: a change can
  never fall below -100 %, and a rise from nothing is "new", not a percentage;
* a workload against its mean (patrol zones) by :func:`deviation_classes`: within 5 % of the
  mean is balanced, whatever the spread of the plan.

Every :class:`Classes` also says which values are missing (no data) and which are hidden by
disclosure control (suppressed), so a legend can explain every colour on its map
(:func:`legend_rows`).
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
NO_DATA = "#d9d9d9"
SUPPRESSED_FILL = "#8c8c8c"  # darker than no data: a count is there, but not shown
MISSING, SUPPRESSED = -1, -2  # class numbers of values with no data and of hidden values

# Signed change in percent: fixed breaks, a diverging palette (ColorBrewer RdBu, fall blue,
# rise red) centred on "about the same", and "new" (nothing before) in a hue of its own.
CHANGE_KEYS = ("down_50", "down_10", "same", "up_10", "up_50", "up_100", "new")
CHANGE_COLORS = ("#2166ac", "#92c5de", "#f7f7f7", "#f4a582", "#d6604d", "#b2182b", "#762a83")
CHANGE_SAME = 10.0  # within +-10 %: about the same
# Workload against the mean, in percent: within +-5 % balanced (green: on target), beyond +-15 % far off
# (blue under, red over).
DEVIATION_KEYS = ("under_15", "under_5", "balanced", "over_5", "over_15")
DEVIATION_COLORS = ("#2166ac", "#92c5de", "#a6dba0", "#f4a582", "#b2182b")  # balanced: a calm green, not blank
BALANCED = 5.0
FAR_OFF = 15.0
DENSITY_CLEAR_SHARE = 0.02  # density pixels below this share of the highest are left clear

# Hot and cold classes (Gi*): ColorBrewer RdBu, strongest at 99 %; LISA quadrants 1 HH, 2 LH, 3 LL, 4 HL.
GI_COLORS = {"hot_99": "#b2182b", "hot_95": "#ef8a62", "hot_90": "#fddbc7", "ns": "#f0f0f0",
             "cold_90": "#d1e5f0", "cold_95": "#67a9cf", "cold_99": "#2166ac"}
LISA_COLORS = {"1": "#d7191c", "2": "#abd9e9", "3": "#2c7bb6", "4": "#fdae61"}
# Emerging hot-spot categories: a hue (or lightness) of their own each, warm for hot and cool for
# cold, so that no two lie closer than 25 CIELAB units (tests/core/test_classify.py checks it).
EMERGING_COLORS = {"new_hot": "#ffd92f", "consecutive_hot": "#fd8d3c", "intensifying_hot": "#800026",
                   "persistent_hot": "#e31a1c", "diminishing_hot": "#fbb4ae", "sporadic_hot": "#e7298a",
                   "oscillating_hot": "#8856a7", "historical_hot": "#8c510a",
                   "new_cold": "#b8e186", "consecutive_cold": "#35978f", "intensifying_cold": "#08306b",
                   "persistent_cold": "#2171b5", "diminishing_cold": "#9ecae1", "sporadic_cold": "#4d9221",
                   "oscillating_cold": "#c2a5cf", "historical_cold": "#737373", "no_pattern": "#f7f7f7"}
CLASS_COLORS = {**GI_COLORS, **EMERGING_COLORS, **LISA_COLORS}


@dataclass(frozen=True)
class Classes:
    """Upper bounds of each class (``bins``), each value's class and the class colours.

    A value's class is ``MISSING`` (-1) when it has no data and ``SUPPRESSED`` (-2) when a
    shared screen hides it. Fixed classes carry a ``keys`` name each (legend text comes from
    the catalogue by that name).
    """

    bins: np.ndarray
    klass: np.ndarray
    colors: tuple[str, ...]
    lower: float = 0.0
    integer: bool = False  # every value is a whole number (counts)
    keys: tuple[str, ...] = ()
    floor: float | None = None  # the least value above zero that can be shown (a shared screen's k)

    def color_of(self) -> list[str]:
        """The colour of every value (``NO_DATA`` where missing, ``SUPPRESSED_FILL`` where hidden)."""
        extra = {MISSING: NO_DATA, SUPPRESSED: SUPPRESSED_FILL}
        return [self.colors[k] if k >= 0 else extra[int(k)] for k in self.klass]

    @property
    def has_missing(self) -> bool:
        return bool((self.klass == MISSING).any())

    @property
    def has_suppressed(self) -> bool:
        return bool((self.klass == SUPPRESSED).any())

    def labels(self, fmt: str = "{:,.0f}") -> list[str]:
        """Legend text per class: ``low – high``.

        Whole numbers: each class starts at the first count above the class before it, and
        never below ``floor`` (a class of counts a shared screen cannot show starts where it can).
        """
        out = []
        for i, hi in enumerate(self.bins):
            lo = self.lower if i == 0 else self.bins[i - 1]
            if self.integer:  # whole numbers: a class holds the counts from just above the last bound
                lo, hi = (lo if i == 0 else np.floor(lo) + 1), np.floor(hi)
                if self.floor is not None and 0 < lo < self.floor:
                    lo = self.floor
            out.append(fmt.format(hi) if self.integer and lo >= hi else f"{fmt.format(lo)} – {fmt.format(hi)}")
        return out


def classify(values: np.ndarray, method: str = "quantiles", k: int = N_CLASSES,
             colors: tuple[str, ...] = SEQUENTIAL, *, suppressed: np.ndarray | None = None,
             floor: float | None = None) -> Classes:
    """Class ``values`` (NaN = no data; never negative) into at most ``k`` classes by ``method``.

    Fewer classes are used when there are fewer distinct values. Bins are the upper bound
    of each class, the last one the maximum. ``suppressed`` marks values a shared screen
    hides (class ``SUPPRESSED``, whatever the value); ``floor`` is the least count above zero
    that can be shown there: zero then always has a class of its own and no label names a
    count between them.
    """
    if method not in METHODS:
        raise ValueError(f"unknown classification {method!r}: {', '.join(METHODS)}")
    values = np.asarray(values, dtype=float)
    hidden = np.zeros(len(values), dtype=bool) if suppressed is None else np.asarray(suppressed, dtype=bool)
    if (values[np.isfinite(values) & ~hidden] < 0).any():
        raise ValueError("classify takes values that cannot be negative; use change_classes for changes")
    klass = np.full(len(values), MISSING, dtype=np.int64)
    klass[hidden] = SUPPRESSED
    ok = np.isfinite(values) & ~hidden
    if not ok.any():
        return Classes(np.array([]), klass, (), floor=floor)
    data = values[ok]
    distinct = np.unique(data)
    k = max(1, min(k, len(distinct)))
    zeros = float(np.mean(data == 0))
    positive = data[data > 0]
    zero_class = (zeros >= ZERO_CLASS_SHARE and method == "quantiles") or (floor is not None and zeros > 0)
    if k == 1:
        bins = np.array([distinct[-1]])
    elif zero_class and positive.size:
        # Mostly zeros (quiet cells), or a shared screen: zero is a class of its own, the rest split.
        upper = _bins(positive, method, min(k - 1, len(np.unique(positive))))
        bins = np.unique(np.concatenate([[0.0], upper]))
    else:
        bins = _bins(data, method, k)
    klass[ok] = np.minimum(np.searchsorted(bins, data, side="left"), len(bins) - 1)
    palette = _spread(colors, len(bins))
    whole = bool(np.all(data == np.round(data)))
    return Classes(bins, klass, palette, lower=float(data.min()), integer=whole, floor=floor)


def _bins(data: np.ndarray, method: str, k: int) -> np.ndarray:
    distinct = np.unique(data)
    if k <= 1 or len(distinct) == 1:
        return np.array([distinct[-1]])
    if method == "quantiles":
        return np.unique(mapclassify.Quantiles(data, k=k).bins)
    # Fisher-Jenks is quadratic in pure Python (no numba here): run it on at most
    # JENKS_SAMPLE evenly spaced quantiles of the data, which keeps it deterministic.
    sample = distinct if len(distinct) <= JENKS_SAMPLE else np.quantile(data, np.linspace(0, 1, JENKS_SAMPLE))
    with warnings.catch_warnings():  # "Numba not installed": the pure-Python path is meant
        warnings.simplefilter("ignore")
        bins = np.unique(mapclassify.FisherJenks(sample, k=k).bins)
    bins[-1] = data.max()
    return bins


def change_pct(current: np.ndarray, before: np.ndarray) -> np.ndarray:
    """Percent change from ``before`` to ``current`` (counts): NaN where ``before`` is zero or missing."""
    current, before = np.asarray(current, dtype=float), np.asarray(before, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(before > 0, (current - before) / np.where(before > 0, before, 1.0) * 100, np.nan)


def change_classes(current: np.ndarray, before: np.ndarray) -> Classes:
    """Fixed classes of the change from ``before`` to ``current`` (counts, NaN = no data).

    ``down_50`` (-100 % to -50 %), ``down_10`` (-50 % to -10 %), ``same`` (-10 % to +10 %, and
    none in either period), ``up_10`` (+10 % to +50 %), ``up_50`` (+50 % to +100 %), ``up_100``
    (more than doubled) and ``new`` (some now, none before). Bounds of the middle class belong
    to it; a change can never fall below -100 %, so no class goes beyond it. Every class is
    kept (the legend is the same on every map); ``bins`` are the classes' upper bounds in percent
    (``new`` has none: infinity).
    """
    current, before = np.asarray(current, dtype=float), np.asarray(before, dtype=float)
    pct = change_pct(current, before)
    known = np.isfinite(current) & np.isfinite(before)
    new = known & (before == 0) & (current > 0)
    quiet = known & (before == 0) & (current == 0)
    klass = np.select(
        [~known, new, quiet, pct <= -50, pct < -CHANGE_SAME, pct <= CHANGE_SAME, pct <= 50, pct <= 100],
        [MISSING, 6, 2, 0, 1, 2, 3, 4], default=5).astype(np.int64)
    bins = np.array([-50.0, -CHANGE_SAME, CHANGE_SAME, 50.0, 100.0, np.inf, np.inf])
    return Classes(bins, klass, CHANGE_COLORS, lower=-100.0, keys=CHANGE_KEYS)


def deviation_pct(values: np.ndarray, target: float | None = None) -> np.ndarray:
    """How far each value lies from ``target`` (default: the mean of the values), in percent of it."""
    values = np.asarray(values, dtype=float)
    ok = np.isfinite(values)
    centre = float(np.mean(values[ok])) if target is None and ok.any() else (target or 0.0)
    if not centre:
        return np.where(ok, 0.0, np.nan)
    return (values - centre) / centre * 100


def deviation_classes(values: np.ndarray, target: float | None = None) -> Classes:
    """Fixed classes of each value's distance from ``target`` (default: the mean), for workloads.

    ``balanced`` within +-5 % (bounds included), ``under_5``/``over_5`` 5 % to 15 % below/above,
    ``under_15``/``over_15`` further. A plan whose zones all lie within 5 % of the mean shows one
    colour, however its values spread inside that band.
    """
    dev = deviation_pct(values, target)
    ok = np.isfinite(dev)
    klass = np.select([~ok, dev < -FAR_OFF, dev < -BALANCED, dev <= BALANCED, dev <= FAR_OFF],
                      [MISSING, 0, 1, 2, 3], default=4).astype(np.int64)
    bins = np.array([-FAR_OFF, -BALANCED, BALANCED, FAR_OFF, np.inf])
    return Classes(bins, klass, DEVIATION_COLORS, lower=-100.0, keys=DEVIATION_KEYS)


def density_classes(values: np.ndarray, k: int = N_CLASSES, colors: tuple[str, ...] = SEQUENTIAL,
                    clear_share: float = DENSITY_CLEAR_SHARE) -> Classes:
    """Classes of a density surface's pixels (``values`` of any shape, classes row-major).

    Pixels below ``clear_share`` of the highest density have no class (``MISSING``: drawn
    clear, so the areas show through); the rest are split by quantiles. ``lower`` is that
    threshold, so the first class's label starts where the drawing does.
    """
    flat = np.asarray(values, dtype=float).ravel()
    ok = np.isfinite(flat)
    top = float(flat[ok].max()) if ok.any() else 0.0
    if top <= 0:
        return Classes(np.array([]), np.full(len(flat), MISSING, dtype=np.int64), ())
    threshold = top * clear_share
    shown = np.where(ok & (flat >= threshold), flat, np.nan)
    got = classify(shown, "quantiles", k, colors)
    return Classes(got.bins, got.klass, got.colors, lower=threshold, integer=False)


def legend_rows(classes: Classes, labels: list[str], *, no_data: str | None = None,
                suppressed: str | None = None) -> tuple[list[str], list[str]]:
    """(labels, colours) of a legend for ``classes``: one row per class, then a row for hidden
    values and one for values with no data when the map has any (grey is never left unexplained).

    ``labels`` gives the text of each class (e.g. :meth:`Classes.labels`, or the catalogue's
    text for each of ``classes.keys``).
    """
    if len(labels) != len(classes.colors):
        raise ValueError(f"{len(labels)} labels for {len(classes.colors)} classes")
    rows, colors = list(labels), list(classes.colors)
    if classes.has_suppressed:
        if suppressed is None:
            raise ValueError("the map hides some values: the legend must say so")
        rows.append(suppressed)
        colors.append(SUPPRESSED_FILL)
    if classes.has_missing:
        if no_data is None:
            raise ValueError("the map has values with no data: the legend must say so")
        rows.append(no_data)
        colors.append(NO_DATA)
    return rows, colors


def _spread(colors: tuple[str, ...], n: int) -> tuple[str, ...]:
    """``n`` colours picked evenly from a palette (keeps the darkest for the top class)."""
    if n >= len(colors):
        return tuple(colors)
    idx = np.round(np.linspace(0, len(colors) - 1, n)).astype(int)
    return tuple(colors[i] for i in idx)
