"""Fast scans of text columns: pyarrow's compute kernels (RE2, in C++) instead of Python loops.

Used as prefilters: they find the few rows worth a closer look with Python's ``re``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def _arrow(values: pd.Series) -> pa.Array:
    if values.dtype == object:
        clean = values.where(values.map(lambda v: isinstance(v, str), na_action="ignore").fillna(False).astype(bool))
        return pa.array(clean.to_numpy(dtype=object), type=pa.large_string(), from_pandas=True)
    return pa.array(values.astype("string[pyarrow]"), type=pa.large_string(), from_pandas=True)


def contains(values: pd.Series, pattern: str, *, regex: bool = True) -> np.ndarray:
    """Boolean array: which values contain ``pattern`` (an RE2 regex, or plain text). Missing is False."""
    if len(values) == 0:
        return np.zeros(0, dtype=bool)
    arr = _arrow(values)
    hit = pc.match_substring_regex(arr, pattern) if regex else pc.match_substring(arr, pattern)
    return hit.fill_null(False).to_numpy(zero_copy_only=False).astype(bool)
