"""What every reader gives back, and the checks every reader makes of what it read.

A :class:`RawTable` holds the cells as read, the geometry (if the file has any) and the numbers a
person finds each row by. :func:`check_header` and :func:`check_cells` hold a table to the limits
of :mod:`geo.ingest.limits`; :func:`too_big` is the refusal of a part that passes one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd

from geo.ingest.errors import ImportRefused
from geo.ingest.limits import describe, limit
from geo.ingest.reasons import reason as because


@dataclass
class RawTable:
    """Cells as read (strings, or typed values from Excel), geometry if any, and row labels."""

    frame: pd.DataFrame
    geometry: gpd.GeoSeries | None  # in the file's CRS
    file_crs: str | None  # "EPSG:<code>" when the file says
    rows: pd.Series  # the number a person finds the row by (line in the file, or feature no.)
    row_word: str  # "line" or "feature"
    skipped: list[tuple[int, str]] = field(default_factory=list)  # rows the reader could not take


def too_big(name: str, what: str, setting: str, **params) -> ImportRefused:
    """``what``: the part too big, as a reason code ``too_big_<what>`` (file, text, archive, member, ...)."""
    return ImportRefused(because(f"too_big_{what}", file=name, size=describe(limit(setting)), setting=setting,
                                 **params))


def check_unpacked(infos, name: str, what: str) -> None:
    """Refuse a zip container (an archive, a workbook) whose files unpack to more than
    ``SAFEGRID_MAX_ARCHIVE_BYTES``, read from its directory before anything is unpacked."""
    if sum(i.file_size for i in infos) > limit("SAFEGRID_MAX_ARCHIVE_BYTES"):
        raise too_big(name, what, "SAFEGRID_MAX_ARCHIVE_BYTES")


def check_cells(rows: int, columns: int, name: str) -> None:
    """Refuse a table of more cells than ``SAFEGRID_MAX_CELLS``."""
    most = limit("SAFEGRID_MAX_CELLS")
    if rows * columns > most:
        raise ImportRefused(because("too_many_cells", file=name, rows=rows, columns=columns, most=most))


def check_header(frame: pd.DataFrame, name: str, skipped: list[tuple[int, str]] | None = None) -> None:
    """Refuse a table past the column, row or cell limits, one with no rows, or one whose column
    names repeat (also as ``a`` / ``a.1``, or differing only in case)."""
    cols = [str(c) for c in frame.columns]
    if len(cols) > limit("SAFEGRID_MAX_COLUMNS"):
        raise ImportRefused(because("too_many_columns", file=name, n=len(cols), most=limit("SAFEGRID_MAX_COLUMNS")))
    if len(frame) > limit("SAFEGRID_MAX_ROWS"):
        raise ImportRefused(because("too_many_rows", file=name, n=len(frame), most=limit("SAFEGRID_MAX_ROWS")))
    check_cells(len(frame), len(cols), name)
    if len(frame) == 0:
        if skipped:
            raise ImportRefused(because("no_row_read", file=name, row=skipped[0][0], first=skipped[0][1]))
        raise ImportRefused(because("header_only", file=name))
    dupes = sorted({c for c in cols if cols.count(c) > 1
                    or (re.fullmatch(r".+\.\d+", c) and c.rsplit(".", 1)[0] in cols)})
    if dupes:
        raise ImportRefused(because("duplicate_columns", file=name, columns=tuple(dupes)))
    folded: dict[str, str] = {}
    for col in cols:
        key = col.strip().casefold()
        if key in folded:
            raise ImportRefused(because("columns_differ_in_case", file=name, a=folded[key], b=col))
        folded[key] = col


def short_error(exc: Exception) -> str:
    """The last line of a library's error, at most 200 characters: the detail a refusal quotes."""
    return str(exc).strip().splitlines()[-1][:200] if str(exc).strip() else exc.__class__.__name__
