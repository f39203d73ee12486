"""Readers: any supported file in, a table of raw cells (and geometry, if the file has any) out.

The file's own bytes decide what it is, not only its name: a PNG renamed ``.csv``, an
``.xlsx`` that is not a zip archive or a truncated gzip stream is refused with a message
saying so. Text is UTF-8 (with or without BOM) or GB18030 (a superset of GBK), detected.
"""

from __future__ import annotations

import gzip
import io
import json
import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo.ingest.errors import ImportRefused

GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"
SQLITE_MAGIC = b"SQLite format 3\x00"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls
MAX_BYTES = 2 * 1024 ** 3
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


def read_table(path: str | Path) -> RawTable:
    """Read a CSV (optionally gzip-compressed), Excel, GeoJSON, Shapefile or GeoPackage."""
    path = Path(path)
    if not path.exists():
        raise ImportRefused(f"{path}: no such file or folder")
    if path.is_dir():
        return _read_ogr(path)
    name = path.name.lower()
    head = path.open("rb").read(16)
    if not head:
        raise ImportRefused(f"{path.name}: the file is empty")
    if path.stat().st_size > MAX_BYTES:
        raise ImportRefused(f"{path.name}: larger than {MAX_BYTES // 1024 ** 3} GiB; split it")
    if name.endswith(".xls") or head.startswith(OLE_MAGIC):
        raise ImportRefused(f"{path.name}: old binary Excel (.xls) is not supported; save it as .xlsx")
    if name.endswith(".xlsx"):
        if not head.startswith(ZIP_MAGIC):
            raise ImportRefused(f"{path.name}: not an Excel .xlsx file (an .xlsx is a zip archive; this is not)")
        return _read_excel(path)
    if name.endswith(".gz"):
        if not head.startswith(GZIP_MAGIC):
            raise ImportRefused(f"{path.name}: named .gz but not gzip-compressed")
        return _read_text_table(_gunzip(path), path.name, inner=name[:-3])
    if name.endswith(JSON_SUFFIXES):
        return _read_geojson(path.read_bytes(), path.name)
    if name.endswith(OGR_SUFFIXES):
        if name.endswith(".gpkg") and not head.startswith(SQLITE_MAGIC):
            raise ImportRefused(f"{path.name}: not a GeoPackage (a GeoPackage is an SQLite file; this is not)")
        if name.endswith(".zip") and not head.startswith(ZIP_MAGIC):
            raise ImportRefused(f"{path.name}: named .zip but not a zip archive")
        return _read_ogr(path)
    if name.endswith(TEXT_SUFFIXES):
        if head.startswith(GZIP_MAGIC):
            return _read_text_table(_gunzip(path), path.name, inner=name)
        return _read_text_table(path.read_bytes(), path.name, inner=name)
    raise ImportRefused(f"{path.name}: unsupported file type; use .csv, .csv.gz, .xlsx, .geojson, "
                        ".shp (or a zipped shapefile) or .gpkg")


def _gunzip(path: Path) -> bytes:
    try:
        with gzip.open(path, "rb") as fh:
            return fh.read()
    except (EOFError, zlib.error, gzip.BadGzipFile, OSError) as exc:
        raise ImportRefused(f"{path.name}: the compressed file is damaged or truncated ({exc})") from exc


def decode_text(data: bytes, name: str) -> tuple[str, str]:
    """Decode CSV bytes; returns (text, encoding). UTF-8 (BOM or not) first, then GB18030."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportRefused(f"{name}: UTF-16 text is not supported; save it as UTF-8 CSV")
    if b"\x00" in data[:65536]:
        raise ImportRefused(f"{name}: not a text file (it contains NUL bytes); is it really a CSV?")
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as utf8_error:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            raise ImportRefused(
                f"{name}: cannot read the text: not UTF-8 ({utf8_error.reason} at byte {utf8_error.start}) "
                "and not GBK/GB18030; save it as UTF-8") from None
        if not re.search(r"[\u4e00-\u9fff]", text):
            raise ImportRefused(
                f"{name}: cannot read the text: not UTF-8 (byte {utf8_error.start}) and no Chinese text "
                "found when read as GBK; save it as UTF-8")
        return text, "gb18030"


def _read_text_table(data: bytes, name: str, inner: str) -> RawTable:
    text, encoding = decode_text(data, name)
    if not text.strip():
        raise ImportRefused(f"{name}: the file has no rows")
    first = text.split("\n", 1)[0]
    sep = "\t" if inner.endswith(".tsv") or ("\t" in first and "," not in first) else \
        (";" if ";" in first and "," not in first else ",")
    try:
        frame = _fast_csv(data[3:] if data.startswith(b"\xef\xbb\xbf") else data, sep) \
            if encoding == "utf-8" else _fast_csv(text.encode("utf-8"), sep)
        if frame is None:  # the fast reader refused: the C reader gives the precise message
            frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False,
                                na_values=[""], skipinitialspace=False, engine="c")
    except pd.errors.ParserError as exc:
        raise ImportRefused(f"{name}: malformed CSV ({_short(exc)}); is the file truncated or mis-quoted?") from exc
    except pd.errors.EmptyDataError as exc:
        raise ImportRefused(f"{name}: the file has no header row") from exc
    _check_header(frame, name)
    rows = pd.Series(frame.index.to_numpy() + 2, index=frame.index)  # header is line 1
    return RawTable(frame, None, None, rows, "line")


def _fast_csv(data: bytes, sep: str) -> pd.DataFrame | None:
    """Multi-threaded parse with pyarrow (all columns as text); None when it cannot."""
    if data.count(b'"') % 2:  # an unclosed quote: only the C reader says where
        return None
    try:
        import pyarrow  # noqa: F401  (streamlit depends on it; absent, the C reader is used)
        frame = pd.read_csv(io.BytesIO(data), sep=sep, dtype=str, engine="pyarrow",
                            keep_default_na=False, na_values=[""])
    except Exception:  # pyarrow's errors are not precise: let the C reader explain
        return None
    if any(str(c).startswith("Unnamed") or str(c) == "" for c in frame.columns):
        return None
    return frame


def _read_excel(path: Path) -> RawTable:
    try:
        frame = pd.read_excel(path, dtype=object, engine="openpyxl")
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ImportRefused(f"{path.name}: not a readable Excel workbook ({_short(exc)})") from exc
    _check_header(frame, path.name)
    frame = frame.map(lambda v: None if (v is None or (isinstance(v, float) and v != v)) else
                      (v.strip() if isinstance(v, str) else v))
    rows = pd.Series(frame.index.to_numpy() + 2, index=frame.index)
    return RawTable(frame, None, None, rows, "line")


def _check_header(frame: pd.DataFrame, name: str) -> None:
    cols = [str(c) for c in frame.columns]
    if frame.empty:
        raise ImportRefused(f"{name}: the file has a header but no rows")
    dupes = sorted({c for c in cols if cols.count(c) > 1
                    or (re.fullmatch(r".+\.\d+", c) and c.rsplit(".", 1)[0] in cols)})
    if dupes:
        raise ImportRefused(f"{name}: duplicate column names {dupes}")


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
        raise ImportRefused(f"{name}: not valid JSON ({exc.msg} at line {exc.lineno}); is the file truncated?") from exc
    if not isinstance(doc, dict) or doc.get("type") not in ("FeatureCollection", "Feature"):
        raise ImportRefused(f"{name}: not GeoJSON (expected a FeatureCollection)")
    features = doc.get("features", [doc]) if doc["type"] == "FeatureCollection" else [doc]
    if not isinstance(features, list) or not features:
        raise ImportRefused(f"{name}: the GeoJSON has no features")
    props, geoms = [], []
    import shapely.geometry as sg

    bad_geometry = []
    for i, feat in enumerate(features, start=1):
        if not isinstance(feat, dict):
            raise ImportRefused(f"{name}: feature {i} is not a GeoJSON feature")
        props.append(feat.get("properties") or {})
        geom = feat.get("geometry")
        try:
            geoms.append(sg.shape(geom) if geom else None)
        except Exception:  # shapely raises several kinds for malformed coordinates
            geoms.append(None)
            bad_geometry.append(i)
    frame = pd.DataFrame(props)
    frame = frame.map(lambda v: v if v is None or isinstance(v, str) else
                      (json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else str(v)))
    frame = frame.where(frame.notna(), None)
    geometry = gpd.GeoSeries(geoms, index=frame.index)
    table = RawTable(frame, geometry, crs_from_geojson(doc), pd.Series(frame.index + 1, index=frame.index), "feature")
    table.frame.attrs["bad_geometry"] = bad_geometry
    return table


def _read_ogr(path: Path) -> RawTable:
    target = path
    if path.is_dir():
        shps = sorted(path.glob("*.shp"))
        if len(shps) != 1:
            raise ImportRefused(f"{path}: a shapefile folder must hold exactly one .shp (found {len(shps)})")
        target = shps[0]
    try:
        gdf = gpd.read_file(target)
    except Exception as exc:  # pyogrio raises DataSourceError and friends
        raise ImportRefused(f"{path.name}: cannot read it as a spatial file ({_short(exc)})") from exc
    if gdf.empty:
        raise ImportRefused(f"{path.name}: the layer has no features")
    file_crs = None
    if gdf.crs is not None:
        epsg = gdf.crs.to_epsg()
        file_crs = f"EPSG:{epsg}" if epsg else gdf.crs.to_wkt()
    frame = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    frame = frame.map(lambda v: None if v is None or (isinstance(v, float) and v != v) else
                      (v if isinstance(v, str) else str(v)))
    geometry = gpd.GeoSeries(gdf.geometry.values, index=frame.index)
    return RawTable(frame, geometry, file_crs, pd.Series(frame.index + 1, index=frame.index), "feature")


def _short(exc: Exception) -> str:
    return str(exc).strip().splitlines()[-1][:200] if str(exc).strip() else exc.__class__.__name__
