"""Emerging hot-spot analysis on a cell x time cube.

For every time step (week or month) Gi* is computed over the cells (binary weights, the
cell included); a step is *hot* (*cold*) for a cell when its Gi* is significant at
``ALPHA`` = 0.10 with z > 0 (z < 0). A Mann-Kendall test on each cell's series of Gi* z-scores
gives its trend (significant at ``TREND_ALPHA`` = 0.05). With ``T`` steps and the last one
called *final*, a cell is (the cold categories mirror the hot ones with "cold" for "hot"):

- ``persistent_hot``: hot in at least 90 % of the steps, the final one included, no significant trend
- ``intensifying_hot``: as persistent, with a significant upward trend
- ``diminishing_hot``: as persistent, with a significant downward trend
- ``new_hot``: hot in the final step only
- ``consecutive_hot``: hot in an uninterrupted run of at least two steps ending with the final one,
  never before that run, and in less than 90 % of the steps
- ``sporadic_hot``: hot in the final step, on and off before, in less than 90 % of the steps,
  never cold
- ``oscillating_hot``: hot in the final step, cold in some earlier step, less than 90 % hot
- ``historical_hot``: not hot in the final step, but hot in at least 90 % of the steps
- ``no_pattern``: none of the above

A cell hot in the final step takes a hot category; else a cell cold in the final step a cold
one; else a historical one; else no pattern.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from geo.core.hotspots import gi_star
from geo.core.trends import mann_kendall

ALPHA = 0.10
TREND_ALPHA = 0.05
MOSTLY = 0.90
CATEGORIES = tuple(f"{kind}_{side}" for side in ("hot", "cold") for kind in
                   ("new", "consecutive", "intensifying", "persistent", "diminishing", "sporadic", "oscillating",
                    "historical")) + ("no_pattern",)


def gi_cube(cube: np.ndarray, w: sparse.csr_matrix) -> np.ndarray:
    """Gi* z-scores for each step of ``cube`` (cells x steps)."""
    return np.column_stack([gi_star(cube[:, t], w)[0] for t in range(cube.shape[1])])


def classify_series(z: np.ndarray, hot: np.ndarray, cold: np.ndarray) -> str:
    """The category of one cell from its z-scores and hot/cold flags per step (see the module)."""
    final = len(hot) - 1
    for side, here, other in (("hot", hot, cold), ("cold", cold, hot)):
        if not here[final]:
            continue
        share = here.mean()
        if share >= MOSTLY:
            _, tz, tp = mann_kendall(z)
            if tp < TREND_ALPHA:
                up = tz > 0
                return f"{'intensifying' if up == (side == 'hot') else 'diminishing'}_{side}"
            return f"persistent_{side}"
        if not here[:final].any():
            return f"new_{side}"
        run = _final_run(here)
        if run >= 2 and not here[:len(here) - run].any():
            return f"consecutive_{side}"
        return f"oscillating_{side}" if other[:final].any() else f"sporadic_{side}"
    for side, here in (("hot", hot), ("cold", cold)):
        if here.mean() >= MOSTLY:
            return f"historical_{side}"
    return "no_pattern"


def _final_run(flags: np.ndarray) -> int:
    run = 0
    for v in flags[::-1]:
        if not v:
            break
        run += 1
    return run


def emerging(cube: np.ndarray, w: sparse.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
    """(category per cell, Gi* z-scores cells x steps) for a count cube (cells x steps)."""
    z = gi_cube(np.asarray(cube, dtype=float), w)
    from scipy import stats

    p = 2 * stats.norm.sf(np.abs(z))
    hot, cold = (p < ALPHA) & (z > 0), (p < ALPHA) & (z < 0)
    cats = np.array([classify_series(z[i], hot[i], cold[i]) for i in range(len(z))], dtype=object)
    return cats, z
