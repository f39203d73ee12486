"""The one writer of CSV and Excel files: every table SafeGrid hands out goes through here.

A spreadsheet reads a cell that starts with ``=``, ``+``, ``-`` or ``@`` (or with a tab or a
carriage return) as a formula, so a ledger title such as ``=HYPERLINK("http://x","y")`` would
become a live link, or worse, in the clerk's Excel. Every text cell (and every column header)
that could be read that way is written with a leading apostrophe, the mark spreadsheets
themselves use for "this is text": ``=1+1`` is written ``'=1+1``. The rule:

- a text whose first character is a tab, carriage return or line feed, or whose first
  character after leading white space (any Unicode space, so also ``"  =1"``) is one of
  ``= + - @`` or their full-width forms ``＝ ＋ － ＠``, is a trigger;
- except a text that is a plain number as a whole (``-3``, ``+5.1%``, ``1,234.5``, ``-2e-3``):
  it holds no formula, and spreadsheets read it as the number it is;
- numbers, dates and empty cells are written as they are.

Defusing is idempotent (``'=1`` starts with an apostrophe, not a trigger). In Excel files every
text cell is also stored as a text cell, never as a formula, whatever it holds; characters that
an .xlsx file cannot hold (control characters other than tab and line breaks) are dropped.

Examples
--------
>>> defuse('=HYPERLINK("http://x","y")')
'\\'=HYPERLINK("http://x","y")'
>>> defuse("  @SUM(A1)"), defuse("-3"), defuse(-2), defuse("Market street")
("'  @SUM(A1)", '-3', -2, 'Market street')
"""

from __future__ import annotations

import io
import os
import re
import secrets
from collections.abc import Callable, Mapping
from pathlib import Path

import pandas as pd

DEFUSE_PREFIX = "'"
LEADING_TRIGGERS = ("\t", "\r", "\n")  # a trigger as the very first character
FORMULA_STARTS = ("=", "+", "-", "@", "＝", "＋", "－", "＠")  # a trigger as the first non-space character
PLAIN_NUMBER = re.compile(r"[+-]?(?:\d[\d,]*)?\.?\d+(?:[eE][+-]?\d+)?%?")
CSV_ENCODING = "utf-8-sig"  # with a byte-order mark: Excel then reads Chinese text correctly
CSV_LINE_END = "\r\n"  # RFC 4180; a text holding a lone carriage return is then quoted too


def is_formula_like(text: str) -> bool:
    """Whether a spreadsheet could read ``text`` as a formula (see the module's rule)."""
    if text.startswith(LEADING_TRIGGERS):
        return True
    stripped = text.lstrip()
    return stripped.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.fullmatch(stripped)


def defuse(value):
    """``value`` with an apostrophe in front when it is a formula-like text; anything else unchanged."""
    return DEFUSE_PREFIX + value if isinstance(value, str) and is_formula_like(value) else value


def defuse_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every formula-like text cell and column name defused."""
    out = pd.DataFrame(frame).copy()
    out.columns = [defuse(c) for c in out.columns]
    for i in range(out.shape[1]):
        column = out.iloc[:, i]
        if column.dtype == object or pd.api.types.is_string_dtype(column) or \
                isinstance(column.dtype, pd.CategoricalDtype):
            out.isetitem(i, column.astype(object).map(defuse))
    return out


def csv_bytes(frame: pd.DataFrame, encoding: str = CSV_ENCODING) -> bytes:
    """``frame`` as CSV (no index, CRLF line ends), every formula-like text defused."""
    return defuse_frame(frame).to_csv(index=False, lineterminator=CSV_LINE_END).encode(encoding)


def xlsx_bytes(sheets: pd.DataFrame | Mapping[str, pd.DataFrame]) -> bytes:
    """A workbook of ``sheets`` (name -> frame; a single frame is the sheet "Sheet1"), no index,
    every formula-like text defused and every text stored as text."""
    if isinstance(sheets, pd.DataFrame):
        sheets = {"Sheet1": sheets}
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as book:
        for name, frame in sheets.items():
            _for_excel(frame).to_excel(book, sheet_name=name, index=False)
            for row in book.sheets[name].iter_rows():
                for cell in row:
                    if isinstance(cell.value, str):
                        cell.data_type = "s"  # text, never a formula, whatever it holds
    return buffer.getvalue()


def _for_excel(frame: pd.DataFrame) -> pd.DataFrame:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE  # here: every command imports this module

    out = defuse_frame(frame)
    for i in range(out.shape[1]):
        column = out.iloc[:, i]
        if isinstance(column.dtype, pd.DatetimeTZDtype):  # Excel has no time zones: wall time, as shown
            out.isetitem(i, column.dt.tz_localize(None))
        elif column.dtype == object or pd.api.types.is_string_dtype(column):
            out.isetitem(i, column.map(lambda v: ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v))
    return out


def write_atomic(out: str | Path, write: Callable[[Path], object]) -> None:
    """Write ``out`` whole or not at all: ``write`` fills a hidden file beside it (same suffix: the
    GeoJSON driver goes by it), which then takes the name ``out`` in one step (``os.replace``).

    A failed write leaves ``out`` as it was (absent, or the earlier file) and removes its part.
    """
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(f".{path.stem}.{secrets.token_hex(4)}.part{path.suffix}")
    try:
        write(part)
        os.replace(part, path)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
