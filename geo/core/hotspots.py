"""Local hot-spot statistics per area: Getis-Ord Gi* and Local Moran's I.

Arrays in, arrays out; weights from :mod:`geo.core.weights`. Both are computed the way
PySAL's esda computes them (tests compare to 1e-9):

- **Gi\\*** (``esda.G_Local(y, w, star=True, transform="B")``): binary weights with each area
  its own neighbour. With ``c_i`` the number of areas in i's neighbourhood (itself included),
  ``G_i = sum_j w_ij y_j / sum(y)``, ``E[G_i] = c_i / n`` and
  ``Var[G_i] = c_i (n - c_i) / (n - 1) / n^2 * s^2 / ybar^2``; ``z = (G_i - E) / sqrt(Var)``.
  p-values are two-sided normal. An island (no neighbour) is only itself: its z is reported
  but it is never classed hot or cold.
- **Local Moran's I** (``esda.Moran_Local(y, w, transformation="r")``): ``z = (y - ybar) / sd(y)``,
  ``I_i = (n - 1) z_i (W z)_i / sum(z^2)`` with row-standardised W; quadrants 1 HH, 2 LH, 3 LL,
  4 HL; pseudo p-values from conditional permutations with a fixed seed.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse, stats

from geo.core.weights import islands, queen, row_standardise

CONFIDENCE = (0.90, 0.95, 0.99)
HOT = ("hot_95", "hot_99")  # the classes counted as a hot spot wherever one is named: 95 % or more
PERMUTATIONS = 999
SEED = 12345
NOT_SIGNIFICANT = "ns"


def gi_star(y: np.ndarray, w: sparse.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
    """Gi* z-scores and two-sided p-values for values ``y`` on binary weights ``w`` (no self-links)."""
    y = np.asarray(y, dtype=float)
    n = len(y)
    ws = (w + sparse.identity(n, format="csr")).tocsr()
    ws.data[:] = 1.0
    total = y.sum()
    if n < 2 or total == 0:
        return np.zeros(n), np.ones(n)
    g = (ws @ y) / total
    mean = total / n
    var_y = (y ** 2).sum() / n - mean ** 2
    card = np.asarray(ws.sum(axis=1)).ravel()
    expected = card / n
    variance = card * (n - card) / (n - 1) / n ** 2 * var_y / mean ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(variance > 0, (g - expected) / np.sqrt(variance), 0.0)
    return z, 2 * stats.norm.sf(np.abs(z))


def bh_significant(p: np.ndarray, alpha: float) -> np.ndarray:
    """Benjamini-Hochberg: which p-values stay significant at false discovery rate ``alpha``."""
    p = np.asarray(p, dtype=float)
    m = len(p)
    if m == 0:
        return np.zeros(0, dtype=bool)
    order = np.argsort(p)
    passed = p[order] <= alpha * np.arange(1, m + 1) / m
    keep = np.zeros(m, dtype=bool)
    if passed.any():
        keep[order[: np.flatnonzero(passed).max() + 1]] = True
    return keep


def gi_classes(z: np.ndarray, p: np.ndarray, *, fdr: bool = False, island: np.ndarray | None = None,
               levels: tuple[float, ...] = CONFIDENCE) -> np.ndarray:
    """``hot_99``/``hot_95``/``hot_90``, the cold ones, or ``ns``: the highest confidence reached.

    With ``fdr`` each level uses the Benjamini-Hochberg rule instead of ``p < 1 - level``.
    """
    z, p = np.asarray(z, dtype=float), np.asarray(p, dtype=float)
    out = np.full(len(z), NOT_SIGNIFICANT, dtype=object)
    for level in sorted(levels):  # higher levels overwrite lower ones
        alpha = 1 - level
        sig = bh_significant(p, alpha) if fdr else p < alpha
        if island is not None:
            sig &= ~island
        tag = f"{round(level * 100)}"
        out[sig & (z > 0)] = f"hot_{tag}"
        out[sig & (z < 0)] = f"cold_{tag}"
    return out


def gi_hot_spots(y: np.ndarray, w: sparse.csr_matrix, *, fdr: bool = False
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The Gi* chain on weights ``w``: (z, p, class) per area, an island never classed
    (:func:`gi_star`, then :func:`gi_classes` with the islands of ``w``)."""
    z, p = gi_star(y, w)
    return z, p, gi_classes(z, p, fdr=fdr, island=islands(w))


def hot_cells(counts: np.ndarray, polygons: np.ndarray, *, fdr: bool = False
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`gi_hot_spots` of ``counts`` on the queen contiguity of ``polygons`` (a frame's geometry)."""
    return gi_hot_spots(counts, queen(polygons), fdr=fdr)


def is_hot(classes) -> np.ndarray:
    """Which classes count as a hot spot (:data:`HOT`)."""
    return np.isin(np.asarray(classes, dtype=object), HOT)


def local_moran(y: np.ndarray, w: sparse.csr_matrix, permutations: int = PERMUTATIONS,
                seed: int = SEED) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(I, quadrant, pseudo p) per area; see the module docstring."""
    y = np.asarray(y, dtype=float)
    n = len(y)
    sd = y.std()
    if n < 3 or sd == 0:
        return np.zeros(n), np.zeros(n, dtype=int), np.ones(n)
    z = (y - y.mean()) / sd
    wr = row_standardise(w.tocsr())
    lag = wr @ z
    den = (z * z).sum()
    local_i = (n - 1) * z * lag / den
    quad = np.where(z > 0, np.where(lag > 0, 1, 4), np.where(lag > 0, 2, 3))
    p_sim = _conditional_p(z, wr, local_i, den, permutations, seed) if permutations else np.full(n, np.nan)
    return local_i, quad, p_sim


def _conditional_p(z: np.ndarray, wr: sparse.csr_matrix, observed: np.ndarray, den: float, permutations: int,
                   seed: int) -> np.ndarray:
    """Pseudo p-values: each area's value held, the others' values drawn for its neighbours."""
    n = len(z)
    rng = np.random.default_rng(seed)
    counts = np.diff(wr.indptr)
    kmax = int(counts.max()) if n else 0
    p = np.ones(n)
    if kmax == 0:
        return p
    # One table of draws shared by all areas (as esda does): indices into the other n - 1 values.
    draws = np.stack([rng.choice(n - 1, size=kmax, replace=False) for _ in range(permutations)])
    for i in range(n):
        k = counts[i]
        if k == 0:
            continue
        picks = draws[:, :k]
        picks = picks + (picks >= i)  # skip the area itself
        weights = wr.data[wr.indptr[i]:wr.indptr[i + 1]]
        sims = (n - 1) * z[i] * (z[picks] @ weights) / den
        larger = int((sims >= observed[i]).sum())
        larger = min(larger, permutations - larger)
        p[i] = (larger + 1) / (permutations + 1)
    return p


# ---- ranking a result table: strongest first --------------------------------------------------

GI_ORDER = ("hot_99", "hot_95", "hot_90", "ns", "cold_90", "cold_95", "cold_99")
LISA_ORDER = ("1", "4", "2", "3", NOT_SIGNIFICANT)  # High-High, High-Low, Low-High, Low-Low, then the rest
EMERGING_ORDER = tuple(f"{kind}_hot" for kind in ("intensifying", "persistent", "consecutive", "new", "sporadic",
                                                  "oscillating", "diminishing", "historical")) + ("no_pattern",) + \
    tuple(f"{kind}_cold" for kind in ("historical", "diminishing", "oscillating", "sporadic", "new", "consecutive",
                                      "persistent", "intensifying"))


def strongest_first(table, method: str, class_column: str | None = None):
    """The rows of a hot-spot result ``table`` (a DataFrame), strongest first, for a list a reader
    scans from the top.

    ``gistar``: by class (hot 99 % first, cold 99 % last), then z, then incidents; ``lisa``: by the
    quadrant shown in ``class_column`` (High-High first, not significant last), then p, then
    incidents; ``emerging``: by category (intensifying and persistent hot spots first, cold ones
    last), then incidents; ``yoy``/``pop``: new first, then the largest rise, unknown last;
    ``kde``: highest mean density; anything else: most incidents. Ties keep the code order.
    """
    import pandas as pd

    out = table.sort_values("code", kind="stable") if "code" in table else table
    n = -pd.to_numeric(out["n_incidents"], errors="coerce").fillna(0)

    def rank(column: str, order: tuple[str, ...]):
        return out[column].astype(str).map({c: i for i, c in enumerate(order)}).fillna(len(order))

    if method == "gistar":
        keys = [rank("gi_class", GI_ORDER), -out["gi_z"].astype(float), n]
    elif method == "lisa":
        keys = [rank(class_column or "lisa_q", LISA_ORDER), out["lisa_p"].astype(float), n]
    elif method == "emerging":
        keys = [rank("emerging_class", EMERGING_ORDER), n]
    elif method in ("yoy", "pop"):
        before = pd.to_numeric(out["n_last_year"], errors="coerce").fillna(0)
        new = (before == 0) & (n < 0)
        pct = pd.to_numeric(out["yoy_pct"], errors="coerce")
        keys = [~new, pct.isna(), -pct.fillna(0), n]
    elif method == "kde":
        keys = [-pd.to_numeric(out["kde_mean"], errors="coerce").fillna(-1), n]
    else:
        keys = [n]
    order = pd.DataFrame({f"k{i}": k.to_numpy() for i, k in enumerate(keys)}, index=out.index)
    return out.loc[order.sort_values(list(order.columns), kind="stable").index]
