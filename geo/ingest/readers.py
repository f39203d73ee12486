"""Readers: any supported file in, a table of raw cells (and geometry, if the file has any) out.

The file's own bytes decide what it is, not only its name: a PNG renamed ``.csv``, an
``.xlsx`` that is not a zip archive or a truncated gzip stream is refused with a message
saying so. Text is UTF-8 (with or without BOM) or GB18030 (a superset of GBK), detected.

This module finds what a file is and unpacks it (gzip, zip) within the limits; the tables are read
by ``geo.ingest.textfiles`` (CSV, Excel) and ``geo.ingest.geofiles`` (GeoJSON, Shapefile,
GeoPackage), into a ``geo.ingest.rawtable.RawTable``.
"""

from __future__ import annotations

import gzip
import stat
import tempfile
import zipfile
import zlib
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from geo.ingest.errors import ImportRefused
from geo.ingest.geofiles import read_geojson, read_ogr
from geo.ingest.limits import describe, limit
from geo.ingest.rawtable import RawTable, check_unpacked, short_error, too_big
from geo.ingest.reasons import reason as because
from geo.ingest.textfiles import read_excel, read_text_table

GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"
SQLITE_MAGIC = b"SQLite format 3\x00"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls
CHUNK = 1024 ** 2  # bytes unpacked at a time
TEXT_SUFFIXES = (".csv", ".txt", ".tsv")
JSON_SUFFIXES = (".geojson", ".json")
OGR_SUFFIXES = (".shp", ".gpkg", ".zip")


def read_table(path: str | Path) -> RawTable:
    """Read a CSV (optionally gzip-compressed or zipped), Excel, GeoJSON, Shapefile or GeoPackage.

    Nothing larger than the limits of :mod:`geo.ingest.limits` is ever held in memory: sizes are
    checked before reading, and compressed data is unpacked in chunks up to the limit.
    """
    path = Path(path)
    if not path.exists():
        raise ImportRefused(because("no_such_file", file=str(path)))
    if path.is_dir():
        return read_ogr(path, path.name)
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
        return read_excel(path)
    if name.endswith(".gz"):
        if not head.startswith(GZIP_MAGIC):
            raise ImportRefused(because("not_gzip", file=path.name))
        return _read_named(_gunzip(path), path.name, name[:-3])
    if name.endswith(JSON_SUFFIXES):
        return read_geojson(_read_file(path, "SAFEGRID_MAX_TEXT_BYTES"), path.name)
    if name.endswith(".zip"):
        if not head.startswith(ZIP_MAGIC):
            raise ImportRefused(because("not_zip", file=path.name))
        return _read_zip(path)
    if name.endswith(OGR_SUFFIXES):
        if name.endswith(".gpkg") and not head.startswith(SQLITE_MAGIC):
            raise ImportRefused(because("not_gpkg", file=path.name))
        return read_ogr(path, path.name)
    if name.endswith(TEXT_SUFFIXES):
        if head.startswith(GZIP_MAGIC):
            return read_text_table(_gunzip(path), path.name, inner=name)
        return read_text_table(_read_file(path, "SAFEGRID_MAX_TEXT_BYTES"), path.name, inner=name)
    raise ImportRefused(because("unsupported_type", file=path.name))


def _read_named(data: bytes, name: str, inner: str) -> RawTable:
    """Unpacked bytes read by the name they had inside the archive (``a.geojson`` in ``a.geojson.gz``)."""
    if inner.endswith(JSON_SUFFIXES):
        return read_geojson(data, name)
    return read_text_table(data, name, inner=inner)


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
            raise too_big(name, what, setting, **params)


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
    check_unpacked(infos, name, "archive")
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
        raise ImportRefused(because("zip_damaged", file=path.name, detail=short_error(exc))) from exc
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
                        raise too_big(name, "archive", "SAFEGRID_MAX_ARCHIVE_BYTES")
                    dst.write(chunk)
        return read_ogr(Path(tmp) / ("layer" + PurePosixPath(main.filename).suffix.lower()), name)
