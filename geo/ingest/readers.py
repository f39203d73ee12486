"""Readers: any supported file in, a table of raw cells (and geometry, if the file has any) out.

The file's own bytes decide what it is, not only its name: a PNG renamed ``.csv``, an
``.xlsx`` that is not a zip archive or a truncated gzip stream is refused with a message
saying so. Text is UTF-8 (with or without BOM) or GB18030 (a superset of GBK), detected.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import math
import re
import stat
import tempfile
import warnings
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO

import geopandas as gpd
import pandas as pd

from geo.ingest.errors import ImportRefused
from geo.ingest.limits import describe, limit
from geo.ingest.reasons import reason as because

GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"
SQLITE_MAGIC = b"SQLite format 3\x00"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls
CHUNK = 1024 ** 2
TEXT_SUFFIXES = (".csv", ".txt", ".tsv")
JSON_SUFFIXES = (".geojson", ".json")
OGR_SUFFIXES = (".shp", ".gpkg", ".zip")


@dataclass
class RawTable:
    """Cells as read (strings, or typed values from Excel), geometry if any, and row labels."""

    frame: pd.DataFrame
    geometry: gpd.GeoSeries | None  # in the file's CRS
    file_crs: str | None  # "EPSG:<code>" when the file says
    rows: pd.Series  # the number a person finds the row by (line in the file, or feature no.)
    row_word: str  # "line" or "feature"
    skipped: list[tuple[int, str]] = field(default_factory=list)  # rows the reader could not take


def read_table(path: str | Path) -> RawTable:
    """Read a CSV (optionally gzip-compressed or zipped), Excel, GeoJSON, Shapefile or GeoPackage.

    Nothing larger than the limits of :mod:`geo.ingest.limits` is ever held in memory: sizes are
    checked before reading, and compressed data is unpacked in chunks up to the limit.
    """
    path = Path(path)
    if not path.exists():
        raise ImportRefused(because("no_such_file", file=str(path)))
    if path.is_dir():
        return _read_ogr(path, path.name)
    if not stat.S_ISREG(path.stat().st_mode):
        raise ImportRefused(because("not_regular", file=path.name))
    name = path.name.lower()
    size = path.stat().st_size
    cap = limit("SAFEGRID_MAX_FILE_BYTES")
    if size > cap:
        raise ImportRefused(because("file_too_big", file=path.name, size=describe(cap)))
    try:
        with path.open("rb") as fh:
            head = fh.read(16)
    except OSError as exc:
        raise ImportRefused(because("unreadable", file=path.name, detail=str(exc.strerror or exc))) from None
    if not head:
        raise ImportRefused(because("empty_file", file=path.name))
    if name.endswith(".xls") or head.startswith(OLE_MAGIC):
        raise ImportRefused(because("old_excel", file=path.name))
    if name.endswith(".xlsx"):
        if not head.startswith(ZIP_MAGIC):
            raise ImportRefused(because("not_xlsx", file=path.name))
        return _read_excel(path)
    if name.endswith(".gz"):
        if not head.startswith(GZIP_MAGIC):
            raise ImportRefused(because("not_gzip", file=path.name))
        return _read_named(_gunzip(path), path.name, name[:-3])
    if name.endswith(JSON_SUFFIXES):
        return _read_geojson(_read_file(path, "SAFEGRID_MAX_TEXT_BYTES"), path.name)
    if name.endswith(".zip"):
        if not head.startswith(ZIP_MAGIC):
            raise ImportRefused(because("not_zip", file=path.name))
        return _read_zip(path)
    if name.endswith(OGR_SUFFIXES):
        if name.endswith(".gpkg") and not head.startswith(SQLITE_MAGIC):
            raise ImportRefused(because("not_gpkg", file=path.name))
        return _read_ogr(path, path.name)
    if name.endswith(TEXT_SUFFIXES):
        if head.startswith(GZIP_MAGIC):
            return _read_text_table(_gunzip(path), path.name, inner=name)
        return _read_text_table(_read_file(path, "SAFEGRID_MAX_TEXT_BYTES"), path.name, inner=name)
    raise ImportRefused(because("unsupported_type", file=path.name))


def _read_named(data: bytes, name: str, inner: str) -> RawTable:
    """Unpacked bytes read by the name they had inside the archive (``a.geojson`` in ``a.geojson.gz``)."""
    if inner.endswith(JSON_SUFFIXES):
        return _read_geojson(data, name)
    return _read_text_table(data, name, inner=inner)


def _too_big(name: str, what: str, setting: str, **params) -> ImportRefused:
    """``what``: the part too big, as a reason code ``too_big_<what>`` (file, text, archive, member, ...)."""
    return ImportRefused(because(f"too_big_{what}", file=name, size=describe(limit(setting)), setting=setting,
                                 **params))


def _read_bounded(fh: BinaryIO, name: str, what: str, setting: str, **params) -> bytes:
    """Everything ``fh`` gives, in chunks, refusing as soon as it passes the limit ``setting``."""
    cap = limit(setting)
    buf = bytearray()
    while True:
        chunk = fh.read(min(CHUNK, cap + 1 - len(buf)))
        if not chunk:
            return bytes(buf)
        buf += chunk
        if len(buf) > cap:
            raise _too_big(name, what, setting, **params)


def _read_file(path: Path, setting: str) -> bytes:
    with path.open("rb") as fh:
        return _read_bounded(fh, path.name, "file", setting)


def _gunzip(path: Path) -> bytes:
    try:
        with gzip.open(path, "rb") as fh:
            return _read_bounded(fh, path.name, "text", "SAFEGRID_MAX_TEXT_BYTES")
    except (EOFError, zlib.error, gzip.BadGzipFile, OSError) as exc:
        raise ImportRefused(because("damaged_gzip", file=path.name, detail=str(exc))) from exc


def _members(archive: zipfile.ZipFile, name: str) -> list[zipfile.ZipInfo]:
    """The archive's files, checked against the count and unpacked-size limits before any is read."""
    infos = [i for i in archive.infolist() if not i.is_dir()]
    most = limit("SAFEGRID_MAX_ZIP_FILES")
    if len(infos) > most:
        raise ImportRefused(because("zip_too_many_files", file=name, n=len(infos), most=most))
    if sum(i.file_size for i in infos) > limit("SAFEGRID_MAX_ARCHIVE_BYTES"):
        raise _too_big(name, "archive", "SAFEGRID_MAX_ARCHIVE_BYTES")
    if any(i.flag_bits & 0x1 for i in infos):
        raise ImportRefused(because("zip_encrypted", file=name))
    return infos


def _read_zip(path: Path) -> RawTable:
    """A zipped shapefile or GeoPackage, or a zip holding exactly one CSV or GeoJSON."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = [i for i in _members(archive, path.name)
                     if not i.filename.startswith("__MACOSX/") and not PurePosixPath(i.filename).name.startswith(".")]
            kinds = {}
            for info in infos:
                kinds.setdefault(_zip_kind(info.filename), []).append(info)
            for kind in ("shp", "gpkg"):
                if kinds.get(kind):
                    if len(kinds[kind]) > 1:
                        raise ImportRefused(because("zip_many_layers", file=path.name, n=len(kinds[kind]),
                                                    kind=kind))
                    return _read_zipped_ogr(archive, infos, kinds[kind][0], path.name)
            tables = kinds.get("json", []) + kinds.get("text", [])
            if len(tables) != 1:
                found = tuple(sorted(PurePosixPath(i.filename).name for i in tables))
                raise ImportRefused(because("zip_tables", file=path.name, found=found))
            inner = PurePosixPath(tables[0].filename).name.lower()
            with archive.open(tables[0]) as fh:
                data = _read_bounded(fh, path.name, "member", "SAFEGRID_MAX_TEXT_BYTES", member=inner)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, zlib.error, OSError) as exc:
        raise ImportRefused(because("zip_damaged", file=path.name, detail=_short(exc))) from exc
    return _read_named(data, path.name, inner)


def _zip_kind(member: str) -> str:
    suffix = PurePosixPath(member).suffix.lower()
    if suffix in (".shp", ".gpkg"):
        return suffix[1:]
    if suffix in JSON_SUFFIXES:
        return "json"
    if suffix in TEXT_SUFFIXES:
        return "text"
    return "other"


def _read_zipped_ogr(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo], main: zipfile.ZipInfo,
                     name: str) -> RawTable:
    """Unpack the layer's files (flat, under names of our own) into a temporary folder and read it."""
    stem = PurePosixPath(main.filename).with_suffix("")
    wanted = [i for i in infos if PurePosixPath(i.filename).with_suffix("") == stem]
    budget = limit("SAFEGRID_MAX_ARCHIVE_BYTES")
    with tempfile.TemporaryDirectory(prefix="safegrid-zip-") as tmp:
        for info in wanted:
            target = Path(tmp) / ("layer" + PurePosixPath(info.filename).suffix.lower())
            with archive.open(info) as src, target.open("wb") as dst:
                while chunk := src.read(CHUNK):
                    budget -= len(chunk)
                    if budget < 0:
                        raise _too_big(name, "archive", "SAFEGRID_MAX_ARCHIVE_BYTES")
                    dst.write(chunk)
        return _read_ogr(Path(tmp) / ("layer" + PurePosixPath(main.filename).suffix.lower()), name)


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


def _read_text_table(data: bytes, name: str, inner: str) -> RawTable:
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
    _check_cells(lines - 1, first.count(sep) + 1, name)
    # an odd number of quotes: an inch mark (55" TV) or a quote never closed, which the fast parser
    # would run to the end of the file; the record reader tells the two apart
    frame = None if data.count(b'"') % 2 else (_fast_csv(data[3:] if data.startswith(b"\xef\xbb\xbf") else data, sep)
                                                if encoding == "utf-8" else _fast_csv(text.encode("utf-8"), sep))
    if frame is not None and len(frame) + 1 == lines:  # one line a row: the line numbers follow
        _check_header(frame, name)
        return RawTable(frame, None, None, pd.Series(frame.index.to_numpy() + 2, index=frame.index), "line")
    # Blank lines, quoted line breaks or rows of the wrong width: read record by record.
    frame, numbers, skipped = _csv_records(text, sep, name)
    _check_header(frame, name, skipped)
    return RawTable(frame, None, None, pd.Series(numbers, index=frame.index), "line", skipped)


def _check_cells(rows: int, columns: int, name: str) -> None:
    most = limit("SAFEGRID_MAX_CELLS")
    if rows * columns > most:
        raise ImportRefused(because("too_many_cells", file=name, rows=rows, columns=columns, most=most))


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


def _read_excel(path: Path) -> RawTable:
    """The first sheet, row by row (read-only, so memory follows the cells, not the styles)."""
    import openpyxl

    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            if sum(i.file_size for i in infos) > limit("SAFEGRID_MAX_ARCHIVE_BYTES"):
                raise _too_big(path.name, "workbook", "SAFEGRID_MAX_ARCHIVE_BYTES")
            cells = sum(i.file_size for i in infos if i.filename.startswith("xl/worksheets/")
                        or i.filename == "xl/sharedStrings.xml")
            if cells > limit("SAFEGRID_MAX_TEXT_BYTES"):
                raise _too_big(path.name, "sheets", "SAFEGRID_MAX_TEXT_BYTES")
        book = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
    except ImportRefused:
        raise
    except Exception as exc:  # zipfile, XML and openpyxl's own errors: the workbook is unreadable
        raise ImportRefused(because("bad_excel", file=path.name, detail=_short(exc))) from exc
    try:
        visible = [ws for ws in book.worksheets if ws.sheet_state == "visible"]
        if not visible:
            raise ImportRefused(because("hidden_sheets", file=path.name))
        sheet = book.active if book.active in visible else visible[0]  # the sheet a person sees on opening
        header, records, numbers, skipped = _sheet_records(sheet, path.name)
    except ImportRefused:
        raise
    except Exception as exc:
        raise ImportRefused(because("bad_excel", file=path.name, detail=_short(exc))) from exc
    finally:
        book.close()
    frame = pd.DataFrame(records, columns=header, dtype=object)
    _check_header(frame, path.name, skipped)
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
            _check_cells(len(records), width, name)
        records.append(list(values[:width]) + [None] * (width - len(values)))
        numbers.append(number)
    if header is None:
        raise ImportRefused(because("empty_sheet", file=name))
    return header, records, numbers, skipped


def _check_header(frame: pd.DataFrame, name: str, skipped: list[tuple[int, str]] | None = None) -> None:
    cols = [str(c) for c in frame.columns]
    if len(cols) > limit("SAFEGRID_MAX_COLUMNS"):
        raise ImportRefused(because("too_many_columns", file=name, n=len(cols), most=limit("SAFEGRID_MAX_COLUMNS")))
    if len(frame) > limit("SAFEGRID_MAX_ROWS"):
        raise ImportRefused(because("too_many_rows", file=name, n=len(frame), most=limit("SAFEGRID_MAX_ROWS")))
    _check_cells(len(frame), len(cols), name)
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


def crs_from_geojson(doc: dict) -> str | None:
    """The EPSG code named by a GeoJSON ``crs`` member (old-style), if any."""
    crs = doc.get("crs") if isinstance(doc, dict) else None
    if not isinstance(crs, dict):
        return None
    text = str((crs.get("properties") or {}).get("name", ""))
    if "CRS84" in text.upper():
        return "EPSG:4326"
    match = re.search(r"EPSG:+(\d+)", text, re.IGNORECASE)
    return f"EPSG:{match.group(1)}" if match else None


def _read_geojson(data: bytes, name: str) -> RawTable:
    text, _ = decode_text(data, name)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportRefused(because("bad_json", file=name, detail=exc.msg, line=exc.lineno)) from exc
    except RecursionError:
        raise ImportRefused(because("json_too_deep", file=name)) from None
    if not isinstance(doc, dict) or doc.get("type") not in ("FeatureCollection", "Feature"):
        raise ImportRefused(because("not_geojson", file=name))
    features = doc.get("features", [doc]) if doc["type"] == "FeatureCollection" else [doc]
    if not isinstance(features, list) or not features:
        raise ImportRefused(because("no_features", file=name))
    if len(features) > limit("SAFEGRID_MAX_ROWS"):
        raise ImportRefused(because("too_many_features", file=name, n=len(features), most=limit("SAFEGRID_MAX_ROWS")))
    props, geoms = [], []
    import shapely.geometry as sg

    bad_geometry = []
    for i, feat in enumerate(features, start=1):
        if not isinstance(feat, dict):
            raise ImportRefused(because("bad_feature", file=name, i=i))
        properties = feat.get("properties") or {}
        if not isinstance(properties, dict):
            raise ImportRefused(because("bad_properties", file=name, i=i))
        props.append(properties)
        geom = feat.get("geometry")
        try:
            geoms.append(sg.shape(geom) if geom else None)
        except (Exception, RecursionError):  # shapely raises several kinds for malformed coordinates
            geoms.append(None)
            bad_geometry.append(i)
    keys = set().union(*(p.keys() for p in props))
    if len(keys) > limit("SAFEGRID_MAX_COLUMNS"):
        raise ImportRefused(because("too_many_properties", file=name, n=len(keys), most=limit("SAFEGRID_MAX_COLUMNS")))
    _check_cells(len(props), len(keys), name)
    frame = pd.DataFrame(props, index=range(len(props)))
    frame = frame.map(_property_text)
    frame = frame.where(frame.notna(), None)
    _check_header(frame, name)
    geometry = gpd.GeoSeries(geoms, index=frame.index)
    table = RawTable(frame, geometry, crs_from_geojson(doc), pd.Series(frame.index + 1, index=frame.index), "feature")
    table.frame.attrs["bad_geometry"] = bad_geometry
    return table


def _property_text(value) -> str | None:
    """A GeoJSON property as the text a CSV cell would hold (objects as JSON; NaN and infinity as missing)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (dict, list)):
        try:
            return json.dumps(value, ensure_ascii=False, allow_nan=False)
        except ValueError:
            return None
    return str(value)


def _read_ogr(path: Path, name: str) -> RawTable:
    target = path
    if path.is_dir():
        shps = sorted(path.glob("*.shp"))
        if len(shps) != 1:
            raise ImportRefused(because("shapefile_folder", file=str(path), n=len(shps)))
        target = shps[0]
    try:
        import pyogrio

        with warnings.catch_warnings():  # GDAL's warnings would print before the message
            warnings.simplefilter("ignore")
            layers = pyogrio.list_layers(target)
            if len(layers) > 1:
                raise ImportRefused(because("many_layers", file=name, n=len(layers),
                                            layers=tuple(str(n) for n in layers[:, 0])))
            info = pyogrio.read_info(target)
        features = info.get("features", 0)
    except ImportRefused:
        raise
    except Exception as exc:  # pyogrio raises DataSourceError and friends
        raise ImportRefused(because("bad_spatial", file=name, detail=_short(exc))) from exc
    if features is not None and features > limit("SAFEGRID_MAX_ROWS"):
        raise ImportRefused(because("too_many_features", file=name, n=features, most=limit("SAFEGRID_MAX_ROWS")))
    _check_cells(features or 0, len(info.get("fields", [])) + 1, name)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gdf = gpd.read_file(target)
    except Exception as exc:  # pyogrio raises DataSourceError and friends
        raise ImportRefused(because("bad_spatial", file=name, detail=_short(exc))) from exc
    if gdf.empty:
        raise ImportRefused(because("no_features_layer", file=name))
    file_crs = None
    if gdf.crs is not None:
        epsg = gdf.crs.to_epsg()
        file_crs = f"EPSG:{epsg}" if epsg else gdf.crs.to_wkt()
    frame = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    frame = frame.map(lambda v: None if v is None or (not isinstance(v, str) and pd.isna(v))
                      or (isinstance(v, float) and not math.isfinite(v)) else (v if isinstance(v, str) else str(v)))
    _check_header(frame, name)
    geometry = gpd.GeoSeries(gdf.geometry.values, index=frame.index)
    return RawTable(frame, geometry, file_crs, pd.Series(frame.index + 1, index=frame.index), "feature")


def _short(exc: Exception) -> str:
    return str(exc).strip().splitlines()[-1][:200] if str(exc).strip() else exc.__class__.__name__
