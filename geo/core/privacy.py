"""Personal identifiers in free text: found and masked before anything is stored.

SafeGrid records events and places, never people. Free-text fields (titles, descriptions,
addresses) may still carry a resident ID number or a phone number typed by a clerk; these
are replaced by a fixed token. The patterns are deliberately generous: masking a number
that only looks like an ID costs little, storing a real one is not allowed.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from geo.core.textscan import contains

ID_TOKEN = "[证件号已隐藏/ID removed]"
PHONE_TOKEN = "[电话已隐藏/phone removed]"

# Mainland resident ID: 6-digit region, birth date 18xx-20xx, 3-digit sequence, check digit.
_RESIDENT_ID = re.compile(
    r"(?<![0-9A-Za-z])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]"
    r"(?![0-9A-Za-z])"
    r"|(?<!\d)[1-9]\d{7}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}(?!\d)"  # 15-digit legacy
)
# Mobile (with optional +86), mainland landline, and North-American style numbers.
_PHONE = re.compile(
    r"(?<![\d+])(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)"
    r"|(?<![\d])0\d{2,3}[- ]\d{7,8}(?!\d)"
    r"|(?<![\d])(?:\+?1[- .]?)?\(?[2-9]\d{2}\)?[- .]\d{3}[- .]\d{4}(?!\d)"
)


# Every pattern above contains a run of 10+ digits and separators (space ( ) + - .) that starts
# and ends in a digit. An RE2 pattern (pyarrow): \pN is any Unicode digit, as Python's \d.
_CANDIDATE = r"\pN[\pN\s()+\-.]{8,}[\pNXx]"


def mask_pii(text: str) -> tuple[str, int]:
    """Mask resident ID and phone numbers in one string; return (text, number masked)."""
    text, n_id = _RESIDENT_ID.subn(ID_TOKEN, text)
    text, n_phone = _PHONE.subn(PHONE_TOKEN, text)
    return text, n_id + n_phone


def mask_pii_series(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Vectorised :func:`mask_pii` over a text column.

    Returns the masked column and, per row, how many identifiers were masked. Missing
    values stay missing.
    """
    text = values.astype("string")
    counts = pd.Series(0, index=values.index, dtype=int)
    # Only rows with a long run of digits and separators can hold an identifier (RE2 scan).
    suspect = pd.Series(contains(text, _CANDIDATE), index=values.index)
    if suspect.any():
        sub = text[suspect]
        n_id = sub.str.count(_RESIDENT_ID.pattern).fillna(0).astype(int)
        sub = sub.str.replace(_RESIDENT_ID.pattern, ID_TOKEN, regex=True)
        n_phone = sub.str.count(_PHONE.pattern).fillna(0).astype(int)
        sub = sub.str.replace(_PHONE.pattern, PHONE_TOKEN, regex=True)
        text = text.copy()
        text[suspect] = sub
        counts[suspect] = (n_id + n_phone).to_numpy()
    return text.astype(object).where(text.notna(), None), counts


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
