"""A frame as PostgreSQL COPY text, built column by column (no Python call per row and cell).

The text format: one line a row, columns apart by a tab, ``\\N`` for NULL, and backslash, tab,
line feed and carriage return escaped. Each column becomes one array of strings, each distinct
value converted once; rows are then joined. A column of a kind not handled here (mixed objects,
nullable extension numbers) gives None, and the caller writes the rows one by one instead.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo.core.distinct import per_distinct

NULL = "\\N"
_SPECIAL = "\\\t\n\r"
_ESCAPES = (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r"))


def copy_text(frame: pd.DataFrame) -> str | None:
    """``frame``'s rows as COPY text (a line feed after every row), or None if a column is of a
    kind this does not convert."""
    columns = []
    for col in frame.columns:
        cells = _column(frame[col])
        if cells is None:
            return None
        columns.append(cells)
    if not columns or not len(frame):
        return ""
    return "".join(["\t".join(row) + "\n" for row in zip(*columns)])


def _column(s: pd.Series) -> list[str] | None:
    if pd.api.types.is_datetime64_any_dtype(s):
        return per_distinct(s, _times).tolist()
    if pd.api.types.is_bool_dtype(s) and s.dtype == bool:
        return np.where(s.to_numpy(), "t", "f").tolist()
    if isinstance(s.dtype, np.dtype) and s.dtype.kind in "iu":
        return s.astype(str).tolist()
    if isinstance(s.dtype, np.dtype) and s.dtype.kind == "f":
        values = s.to_numpy()
        return [NULL if v != v else repr(v) for v in values.tolist()]
    kind = pd.api.types.infer_dtype(s, skipna=True)
    if kind in ("string", "empty") and (s.dtype == object or isinstance(s.dtype, pd.StringDtype)):
        return _texts(s)
    if kind == "date" and s.dtype == object:
        return per_distinct(s, lambda d: d.map(lambda v: v.isoformat(), na_action="ignore")
                            .astype(object).where(d.notna(), NULL)).tolist()
    return None


def _texts(s: pd.Series) -> list[str]:
    values = s.astype(object).where(s.notna(), None).tolist()
    joined = "".join(filter(None, values))  # one scan of the column's text for what needs escaping
    if any(ch in joined for ch in _SPECIAL):
        values = [None if v is None else _escaped(v) for v in values]
    return [NULL if v is None else v for v in values]


def _escaped(text: str) -> str:
    for raw, quoted in _ESCAPES:
        text = text.replace(raw, quoted)
    return text


def _times(s: pd.Series) -> pd.Series:
    """ISO text of times; aware times in UTC with their ``+00`` offset, naive ones as written."""
    aware = getattr(s.dt, "tz", None) is not None
    naive = s.dt.tz_convert("UTC").dt.tz_localize(None) if aware else s
    values = naive.to_numpy(dtype="datetime64[us]")
    text = np.char.add(np.char.replace(np.datetime_as_string(values, unit="us"), "T", " "), "+00" if aware else "")
    return pd.Series(text, index=s.index, dtype=object).where(~np.isnat(values), NULL)
