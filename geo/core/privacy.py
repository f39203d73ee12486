"""Personal identifiers in free text: found and masked before anything is stored.

SafeGrid records events and places, never people. Free-text fields (titles, descriptions,
addresses) may still carry a resident ID number or a phone number typed by a clerk; these
are replaced by a fixed token. The patterns are deliberately generous: masking a number
that only looks like an ID costs little, storing a real one is not allowed.
"""

from __future__ import annotations

import re

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
