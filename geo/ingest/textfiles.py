"""Tables of text: CSV (UTF-8 or GB18030, detected; comma, semicolon or tab) and Excel workbooks.

A CSV is parsed by pyarrow when every line is one row, else record by record, so that blank lines,
quoted line breaks and rows of the wrong width are told apart and numbered as a person sees them.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path

import pandas as pd

from geo.ingest.errors import ImportRefused
from geo.ingest.limits import limit
from geo.ingest.rawtable import RawTable, check_cells, check_header, check_unpacked, short_error, too_big
from geo.ingest.reasons import reason as because


def decode_text(data: bytes, name: str) -> tuple[str, str]:
    """Decode CSV bytes; returns (text, encoding). UTF-8 (BOM or not) first, then GB18030."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportRefused(because("utf16", file=name))
    if b"\x00" in data[:65536]:
        raise ImportRefused(because("binary_text", file=name))
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as utf8_error:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            raise ImportRefused(because("bad_encoding", file=name, detail=utf8_error.reason,
                                        at=utf8_error.start)) from None
        if not re.search(r"[\u4e00-\u9fff]", text):
            raise ImportRefused(because("bad_encoding_no_chinese", file=name, at=utf8_error.start))
        return text, "gb18030"


def read_text_table(data: bytes, name: str, inner: str) -> RawTable:
    # a line ends at LF, CRLF or a lone CR (old Mac "CSV"), as the parsers below read it
    lone_cr = data.count(b"\r") - data.count(b"\r\n")
    lines = data.count(b"\n") + lone_cr + (0 if data.endswith((b"\n", b"\r")) else 1)
    most = limit("SAFEGRID_MAX_ROWS")
    if lines > most + 1:
        raise ImportRefused(because("too_many_lines", file=name, n=lines - 1, most=most))
    text, encoding = decode_text(data, name)
    if not text.strip():
        raise ImportRefused(because("no_rows_text", file=name))
    first = re.split(r"\r\n|\r|\n", text, maxsplit=1)[0]
    sep = "\t" if inner.endswith(".tsv") or ("\t" in first and "," not in first) else \
        (";" if ";" in first and "," not in first else ",")
    if first.count(sep) + 1 > limit("SAFEGRID_MAX_COLUMNS"):
        raise ImportRefused(because("too_many_columns_header", file=name, n=first.count(sep) + 1,
                                    most=limit("SAFEGRID_MAX_COLUMNS")))
    check_cells(lines - 1, first.count(sep) + 1, name)
    # an odd number of quotes: an inch mark (55" TV) or a quote never closed, which the fast parser
    # would run to the end of the file; the record reader tells the two apart
    frame = None if data.count(b'"') % 2 else (_fast_csv(data[3:] if data.startswith(b"\xef\xbb\xbf") else data, sep)
                                                if encoding == "utf-8" else _fast_csv(text.encode("utf-8"), sep))
    if frame is not None and len(frame) + 1 == lines:  # one line a row: the line numbers follow
        check_header(frame, name)
        return RawTable(frame, None, None, pd.Series(frame.index.to_numpy() + 2, index=frame.index), "line")
    # Blank lines, quoted line breaks or rows of the wrong width: read record by record.
    frame, numbers, skipped = _csv_records(text, sep, name)
    check_header(frame, name, skipped)
    return RawTable(frame, None, None, pd.Series(numbers, index=frame.index), "line", skipped)


def _csv_records(text: str, sep: str, name: str) -> tuple[pd.DataFrame, list[int], list[tuple[int, str]]]:
    """Records with the line each starts on; blank lines are passed over, over-wide rows skipped."""
    csv.field_size_limit(max(limit("SAFEGRID_MAX_TEXT_BYTES"), csv.field_size_limit()))  # long cells: row skips
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, strict=True)
    try:
        header = next(reader)
        while not any(cell.strip() for cell in header):
            header = next(reader)
    except StopIteration:
        raise ImportRefused(because("no_header", file=name)) from None
    except csv.Error as exc:
        raise ImportRefused(because("bad_header", file=name, detail=str(exc))) from None
    width = len(header)
    records, numbers, skipped = [], [], []
    line = reader.line_num
    try:
        for record in reader:
            start, line = line + 1, reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            if len(record) > width:
                skipped.append((start, because("too_many_fields", n=len(record), width=width)))
                continue
            records.append([cell if cell != "" else None for cell in record] + [None] * (width - len(record)))
            numbers.append(start)
    except csv.Error as exc:
        if "end of data" in str(exc):  # a quote opened at a cell's start runs to the end of the file
            raise ImportRefused(because("unclosed_quote", file=name, line=line + 1)) from None
        raise ImportRefused(because("malformed_csv", file=name, line=line + 1, detail=str(exc))) from None
    return pd.DataFrame(records, columns=header, dtype=object), numbers, skipped


def _fast_csv(data: bytes, sep: str) -> pd.DataFrame | None:
    """Multi-threaded parse with pyarrow (all columns as text); None when it cannot."""
    try:
        import pyarrow  # noqa: F401  (streamlit depends on it; absent, the record reader is used)
        frame = pd.read_csv(io.BytesIO(data), sep=sep, dtype=str, engine="pyarrow",
                            keep_default_na=False, na_values=[""])
    except Exception:  # pyarrow's errors are not precise: the record reader explains
        return None
    if any(str(c).startswith("Unnamed") or str(c) == "" for c in frame.columns):
        return None
    return frame


def read_excel(path: Path) -> RawTable:
    """The first sheet, row by row (read-only, so memory follows the cells, not the styles)."""
    import openpyxl

    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            check_unpacked(infos, path.name, "workbook")
            cells = sum(i.file_size for i in infos if i.filename.startswith("xl/worksheets/")
                        or i.filename == "xl/sharedStrings.xml")
            if cells > limit("SAFEGRID_MAX_TEXT_BYTES"):
                raise too_big(path.name, "sheets", "SAFEGRID_MAX_TEXT_BYTES")
        book = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
    except ImportRefused:
        raise
    except Exception as exc:  # zipfile, XML and openpyxl's own errors: the workbook is unreadable
        raise ImportRefused(because("bad_excel", file=path.name, detail=short_error(exc))) from exc
    try:
        visible = [ws for ws in book.worksheets if ws.sheet_state == "visible"]
        if not visible:
            raise ImportRefused(because("hidden_sheets", file=path.name))
        sheet = book.active if book.active in visible else visible[0]  # the sheet a person sees on opening
        header, records, numbers, skipped = _sheet_records(sheet, path.name)
    except ImportRefused:
        raise
    except Exception as exc:
        raise ImportRefused(because("bad_excel", file=path.name, detail=short_error(exc))) from exc
    finally:
        book.close()
    frame = pd.DataFrame(records, columns=header, dtype=object)
    check_header(frame, path.name, skipped)
    return RawTable(frame, None, None, pd.Series(numbers, index=frame.index), "line", skipped)


def _sheet_records(sheet, name: str):
    most, header, width = limit("SAFEGRID_MAX_ROWS"), None, 0
    records, numbers, skipped = [], [], []
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        values = [v.strip() or None if isinstance(v, str) else v for v in values]
        if not any(v is not None for v in values):
            continue
        if header is None:
            while values and values[-1] is None:
                values.pop()
            if len(values) > limit("SAFEGRID_MAX_COLUMNS"):
                raise ImportRefused(because("too_many_columns", file=name, n=len(values),
                                            most=limit("SAFEGRID_MAX_COLUMNS")))
            header = [f"Unnamed: {i}" if v is None else str(v) for i, v in enumerate(values)]
            width = len(header)
            continue
        if any(v is not None for v in values[width:]):
            skipped.append((number, because("beyond_header", width=width)))
            continue
        if len(records) >= most:
            raise ImportRefused(because("too_many_rows_sheet", file=name, most=most))
        if len(records) % 10_000 == 0:
            check_cells(len(records), width, name)
        records.append(list(values[:width]) + [None] * (width - len(values)))
        numbers.append(number)
    if header is None:
        raise ImportRefused(because("empty_sheet", file=name))
    return header, records, numbers, skipped
