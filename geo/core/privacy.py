"""Privacy rules: personal identifiers masked in text, small counts and exact points kept off shared screens.

Masking lives in :mod:`geo.core.identifiers` and is re-exported here, where callers have
always found it.
"""

from __future__ import annotations

import numpy as np

from geo.core.identifiers import ID_TOKEN, PHONE_TOKEN, mask_pii, mask_pii_series

__all__ = ["ID_TOKEN", "PHONE_TOKEN", "PUBLIC_K", "SUPPRESSED", "generalise_points", "mask_pii", "mask_pii_series",
           "suppress_small_counts"]


# ---- shared screens: generalised points and small-count suppression -------------------------

PUBLIC_K = 3  # counts from 1 to k-1 are never published on a shared screen
SUPPRESSED = -1  # marker for a suppressed count


def suppress_small_counts(counts: np.ndarray, groups: np.ndarray | None = None, k: int = PUBLIC_K) -> np.ndarray:
    """Counts safe to publish: 1..k-1 become ``SUPPRESSED``, plus a complementary count per group.

    When a group (e.g. the cells of one community) has exactly one suppressed count, the
    group's total would give it away, so its next smallest count is suppressed as well.
    Zeros stay published unless needed as the complement.
    """
    counts = np.asarray(counts, dtype=np.int64)
    out = counts.copy()
    primary = (counts >= 1) & (counts < k)
    out[primary] = SUPPRESSED
    if groups is None:
        groups = np.zeros(len(counts), dtype=np.int64)
    groups = np.asarray(groups)
    for g in np.unique(groups):
        idx = np.flatnonzero(groups == g)
        hidden = idx[out[idx] == SUPPRESSED]
        if len(hidden) == 1:
            rest = idx[out[idx] != SUPPRESSED]
            if len(rest):
                out[rest[np.argmin(counts[rest])]] = SUPPRESSED
    return out


def generalise_points(cell_index: np.ndarray, centroids_x: np.ndarray, centroids_y: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Each point moved to its cell's centroid (``cell_index`` -1: no position, NaN)."""
    cell_index = np.asarray(cell_index)
    x = np.full(len(cell_index), np.nan)
    y = np.full(len(cell_index), np.nan)
    ok = cell_index >= 0
    x[ok] = np.asarray(centroids_x)[cell_index[ok]]
    y[ok] = np.asarray(centroids_y)[cell_index[ok]]
    return x, y
