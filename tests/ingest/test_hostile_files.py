"""Hostile files against ``python -m geo import``, every layer: a clear refusal or a row-level skip.

Each case is one file written to disk and imported through the command line in-process. The
promise checked for every case: the command exits 0 (imported, bad rows listed by their real
line or feature number) or 2 (refused with a message, the database exactly as before), never
1 and never a traceback. Limits are lowered through their settings where a case needs a bomb.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import re
import shutil
import zipfile
from dataclasses import dataclass, field

import pytest
import shapely
from sqlalchemy import text

from geo.cli import main
from geo.store.engine import make_engine
from tests.helpers import STEP, X0, Y0, centre, small_city
from tests.ingest.test_bad_input import xlsx_bytes

X, Y = centre("C1")
X2, Y2 = centre("C4")
TABLES = {"incidents": "incidents", "cameras": "cameras", "places": "places", "ledger": "ledger_items",
          "zones": "patrol_zones", "areas": "areas"}


@dataclass
class Case:
    id: str
    layer: str
    name: str
    content: bytes | None  # None: ``make(tmp_path)`` creates the path itself
    outcome: str  # "refused" | "imported"
    message: str = ""  # regex on stderr (refused) or on the skip reasons (imported)
    skipped: dict[int, str] = field(default_factory=dict)  # row number -> reason regex
    written: int | None = None  # rows the layer's table holds after an import
    args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    make: object = None


# ---- point layers: one good row, then the hostile one ---------------------------------------

LAYOUT = {  # columns, the date column (or None), the free-text column, fixed cells
    "incidents": (["id", "occurred_at", "lon", "lat", "category", "description"], "occurred_at", "description",
                  {"occurred_at": "2024-03-01 10:00", "category": "theft"}),
    "cameras": (["id", "installed_on", "lon", "lat", "owner"], "installed_on", "owner",
                {"installed_on": "2023-05-01"}),
    "places": (["id", "kind", "lon", "lat", "name"], None, "name", {"kind": "school"}),
    "ledger": (["source_id", "kind", "found_on", "lon", "lat", "title"], "found_on", "title",
               {"kind": "hazard", "found_on": "2024-03-01"}),
}
POINT_LAYERS = tuple(LAYOUT)


def row(layer: str, ident: str, **cells) -> dict:
    columns, _date, textcol, fixed = LAYOUT[layer]
    out = {c: "" for c in columns}
    out.update(fixed)
    out[columns[0]] = ident
    out["lon"], out["lat"] = X, Y
    out[textcol] = "ok"
    for key, value in cells.items():
        out[textcol if key == "text" else (LAYOUT[layer][1] if key == "date" else key)] = value
    return out


def table_csv(layer: str, rows: list[dict], *, sep: str = ",", newline: str = "\n", encoding: str = "utf-8") -> bytes:
    buf = io.StringIO(newline="")
    writer = csv.DictWriter(buf, fieldnames=LAYOUT[layer][0], delimiter=sep, lineterminator=newline)
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue().encode(encoding)


def good(layer: str) -> dict:
    return row(layer, "G1")


def skip_case(layer: str, tag: str, bad: dict, reason: str, line: int = 3) -> Case:
    return Case(f"{layer}-{tag}", layer, f"{tag}.csv", table_csv(layer, [good(layer), bad]), "imported",
                skipped={line: reason}, written=1)


def point_cases(layer: str) -> list[Case]:
    date = LAYOUT[layer][1]
    textcol = LAYOUT[layer][2]
    cases = [
        skip_case(layer, "lon-inf", row(layer, "B1", lon="inf"), "not finite|unparseable"),
        skip_case(layer, "lat-minus-infinity", row(layer, "B1", lat="-Infinity"), "not finite|unparseable"),
        skip_case(layer, "lon-1e309", row(layer, "B1", lon="1e309"), "not finite"),
        skip_case(layer, "lat-nan", row(layer, "B1", lat="NaN"), "not finite|unparseable"),
        skip_case(layer, "id-over-128", row(layer, "B" * 200), "longer than 128"),
        skip_case(layer, "field-over-limit", row(layer, "B1", text="x" * 20_001), "longer than 20,000"),
        Case(f"{layer}-too-many-fields", layer, "wide.csv",
             table_csv(layer, [good(layer), row(layer, "B1")]).rstrip(b"\n") + b",extra,cells\n", "imported",
             skipped={3: "fields where the header"}, written=1),
        skip_case(layer, "lon-text", row(layer, "B1", lon="east"), "unparseable"),
        skip_case(layer, "null-island", row(layer, "B1", lon="0", lat="0"), r"\(0, 0\)"),
        skip_case(layer, "far-away", row(layer, "B1", lon="2.35", lat="48.85"), "far outside"),
        skip_case(layer, "swapped", row(layer, "B1", lon=Y, lat=X), "swapped"),
        Case(f"{layer}-ids-equal-after-cut", layer, "cut.csv",
             table_csv(layer, [good(layer), row(layer, "K" * 128 + "1"), row(layer, "K" * 128 + "2")]), "imported",
             skipped={3: "longer than 128", 4: "longer than 128"}, written=1),
        Case(f"{layer}-blank-lines", layer, "blank.csv",
             table_csv(layer, [good(layer)]) + b"\n\n   \n" + table_csv(layer, [row(layer, "B1", lon="x")])
             .split(b"\n", 1)[1], "imported", skipped={6: "unparseable"}, written=1),
        Case(f"{layer}-multiline-quoted", layer, "multiline.csv",
             table_csv(layer, [row(layer, "G1", text="line one\nline two\nline three"), row(layer, "B1", lon="x")]),
             "imported", skipped={5: "unparseable"}, written=1),
        Case(f"{layer}-crlf-bom", layer, "crlf.csv", b"\xef\xbb\xbf" + table_csv(layer, [good(layer)], newline="\r\n"),
             "imported", written=1),
        Case(f"{layer}-gb18030", layer, "gbk.csv", table_csv(layer, [row(layer, "G1", text="示范路口占道经营")],
                                                               encoding="gb18030"), "imported", written=1),
        Case(f"{layer}-semicolons", layer, "semi.csv", table_csv(layer, [good(layer)], sep=";"), "imported", written=1),
        Case(f"{layer}-html-and-formula", layer, "html.csv",
             table_csv(layer, [row(layer, "G1", text='<img src=x onerror=alert(1)>=HYPERLINK("http://x")')]),
             "imported", written=1),
        Case(f"{layer}-nul-after-64k", layer, "nul.csv",
             table_csv(layer, [row(layer, f"P{i}") for i in range(3000)] + [row(layer, "N1", text="a\x00b")]),
             "imported", message="control characters", written=3001),
        Case(f"{layer}-nul-at-start", layer, "nul0.csv", table_csv(layer, [row(layer, "G1", text="a\x00b")]),
             "refused", "NUL"),
        Case(f"{layer}-lat-and-LAT", layer, "case.csv",
             table_csv(layer, [good(layer)]).replace(b"lat", b"lat,LAT", 1).replace(f"{Y}".encode(), f"{Y},1".encode()),
             "refused", "differ only in case"),
        Case(f"{layer}-all-rows-bad", layer, "allbad.csv", table_csv(layer, [row(layer, "B1", lon="x")]),
             "refused", "no row could be imported"),
        Case(f"{layer}-zip-holding-csv", layer, "inner.zip", _zip({"table.csv": table_csv(layer, [good(layer)])}),
             "imported", written=1),
        Case(f"{layer}-gzip", layer, "t.csv.gz", gzip.compress(table_csv(layer, [good(layer)])), "imported", written=1),
        Case(f"{layer}-excel-blank-row", layer, "blank.xlsx",
             xlsx_bytes([LAYOUT[layer][0], list(good(layer).values()), [], list(row(layer, "B1", lon="x").values())]),
             "imported", skipped={4: "unparseable"}, written=1),
        Case(f"{layer}-geojson-nan", layer, "nan.geojson",
             _geojson_text(layer, "[NaN, 28.0]"), "imported", skipped={2: "not finite|non-point"}, written=1),
        Case(f"{layer}-geojson-1e400", layer, "big.geojson",
             _geojson_text(layer, "[1e400, 28.0]"), "imported", skipped={2: "not finite|non-point"}, written=1),
        Case(f"{layer}-geojson-empty-coordinates", layer, "empty.geojson",
             _geojson_text(layer, "[]"), "imported", skipped={2: "empty|non-point"}, written=1),
    ]
    if date:
        cases += [
            skip_case(layer, "time-without-date", row(layer, "B1", date="10:30"), "unparseable"),
            skip_case(layer, "two-digit-year", row(layer, "B1", date="240301"), "unparseable"),
            skip_case(layer, "date-now", row(layer, "B1", date="now"), "unparseable"),
            skip_case(layer, "date-today", row(layer, "B1", date="today"), "unparseable"),
            skip_case(layer, "date-year-1", row(layer, "B1", date="0001-01-01"), "out of range"),
            skip_case(layer, "date-year-9999", row(layer, "B1", date="9999-12-31"), "out of range"),
        ]
    assert textcol
    return cases


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _hidden_sheet_book(tmp):
    """A workbook whose first sheet is hidden (junk) and whose second, the active one, holds the rows."""
    import openpyxl

    book = openpyxl.Workbook()
    junk = book.active
    junk.title = "junk"
    junk.append(["id", "occurred_at", "lon", "lat"])
    junk.append(["J1", "2024-03-01 10:00", X, Y])
    junk.append(["J2", "2024-03-01 10:00", X, Y])
    junk.sheet_state = "hidden"
    real = book.create_sheet("rows")
    real.append(["id", "occurred_at", "lon", "lat"])
    real.append(["R1", "2024-03-01 10:00", X, Y])
    book.active = 1
    path = tmp / "hidden.xlsx"
    book.save(path)
    return path


def _geojson_text(layer: str, bad_coordinates: str) -> bytes:
    """Two point features, the second with coordinates written as raw JSON text (NaN is not JSON)."""
    props = {k: v for k, v in good(layer).items() if k not in ("lon", "lat")}
    first = json.dumps({"type": "Feature", "properties": props, "geometry": {"type": "Point", "coordinates": [X, Y]}})
    props2 = {**props, LAYOUT[layer][0][0]: "B1"}
    second = ('{"type": "Feature", "properties": ' + json.dumps(props2) +
              ', "geometry": {"type": "Point", "coordinates": ' + bad_coordinates + "}}")
    return ('{"type": "FeatureCollection", "features": [' + first + ", " + second + "]}").encode()


# ---- whole files: formats, archives, bombs, devices --------------------------------------

def _gzip_bomb(size: int, unit: bytes) -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=9) as gz:
        block = unit * (1024 * 1024 // len(unit))
        for _ in range(size // len(block)):
            gz.write(block)
    return buf.getvalue()


HEAD = table_csv("incidents", [good("incidents")])
SMALL_TEXT = {"SAFEGRID_MAX_TEXT_BYTES": str(4 * 1024 * 1024)}


def _symlink_to(target: str):
    def make(tmp):
        path = tmp / "device.csv"
        path.symlink_to(target)
        return path
    return make


def _folder_named_csv(tmp):
    path = tmp / "folder.csv"
    path.mkdir()
    return path


def _fifo(tmp):
    path = tmp / "pipe.csv"
    os.mkfifo(path)
    return path


FILE_CASES = [
    Case("gzip-bomb-repeated-rows", "incidents", "bomb.csv.gz",
         _gzip_bomb(16 * 1024 * 1024, HEAD.split(b"\n", 1)[1]), "refused", "larger than 4 MiB", env=SMALL_TEXT),
    Case("gzip-bomb-nul-bytes", "incidents", "nul.csv.gz", _gzip_bomb(16 * 1024 * 1024, b"\x00"), "refused",
         "larger than 4 MiB", env=SMALL_TEXT),
    Case("gzip-bomb-blank-lines", "incidents", "blank.csv.gz", _gzip_bomb(16 * 1024 * 1024, b"\n"), "refused",
         "larger than 4 MiB", env=SMALL_TEXT),
    Case("gzip-bomb-inside-tsv-name", "incidents", "bomb.tsv", _gzip_bomb(16 * 1024 * 1024, b"a\tb\n"), "refused",
         "larger than 4 MiB", env=SMALL_TEXT),
    Case("zip-bomb-csv", "incidents", "bomb.zip", _zip({"a.csv": b"\n" * (16 * 1024 * 1024)}), "refused",
         "larger than 4 MiB", env=SMALL_TEXT),
    Case("zip-too-many-files", "incidents", "many.zip", _zip({f"f{i}.txt": b"x" for i in range(80)}), "refused",
         "more than 64"),
    Case("zip-two-tables", "incidents", "two.zip", _zip({"a.csv": HEAD, "b.csv": HEAD}), "refused", "a.csv, b.csv"),
    Case("zip-no-table", "incidents", "none.zip", _zip({"readme.md": b"hello"}), "refused", "tables found: none"),
    Case("zip-unpacked-over-limit", "incidents", "big.zip", _zip({"a.csv": b" " * (9 * 1024 * 1024)}), "refused",
         "archive once unpacked", env={"SAFEGRID_MAX_ARCHIVE_BYTES": str(8 * 1024 * 1024)}),
    Case("zip-path-traversal-names", "incidents", "evil.zip", _zip({"../../evil.csv": HEAD}), "imported", written=1),
    Case("zip-truncated", "incidents", "cut.zip", _zip({"a.csv": HEAD * 50})[:200], "refused", "damaged|zip"),
    Case("xlsx-bomb", "incidents", "bomb.xlsx", xlsx_bytes([["id"]] + [["x" * 200] for _ in range(30_000)]), "refused",
         "larger than", env={"SAFEGRID_MAX_TEXT_BYTES": str(1024 * 1024)}),
    Case("rows-over-limit", "incidents", "rows.csv",
         table_csv("incidents", [row("incidents", f"R{i}") for i in range(20)]), "refused", "SAFEGRID_MAX_ROWS",
         env={"SAFEGRID_MAX_ROWS": "10"}),
    Case("excel-rows-over-limit", "incidents", "rows.xlsx",
         xlsx_bytes([LAYOUT["incidents"][0]] + [list(row("incidents", f"R{i}").values()) for i in range(20)]), "refused",
         "SAFEGRID_MAX_ROWS", env={"SAFEGRID_MAX_ROWS": "10"}),
    Case("columns-over-limit", "incidents", "wide.csv", (",".join(f"c{i}" for i in range(600)) + "\n" +
                                                          ",".join("1" * 600) + "\n").encode(), "refused",
         "SAFEGRID_MAX_COLUMNS"),
    Case("cells-over-limit", "incidents", "cells.csv",
         table_csv("incidents", [row("incidents", f"R{i}") for i in range(30)]), "refused", "SAFEGRID_MAX_CELLS",
         env={"SAFEGRID_MAX_CELLS": "100"}),
    Case("excel-cells-over-limit", "incidents", "cells.xlsx",
         xlsx_bytes([["id", "a", "b", "c"]] + [[f"R{i}", 1, 2, 3] for i in range(10_001)]), "refused",
         "SAFEGRID_MAX_CELLS", env={"SAFEGRID_MAX_CELLS": "1000"}),
    Case("file-over-limit", "incidents", "big.csv", HEAD + b"#" * 2048, "refused", "SAFEGRID_MAX_FILE_BYTES",
         env={"SAFEGRID_MAX_FILE_BYTES": "1024"}),
    Case("dev-zero-symlink", "incidents", "device.csv", None, "refused", "not a regular file",
         make=_symlink_to("/dev/zero")),
    Case("dev-urandom-symlink", "incidents", "device.csv", None, "refused", "not a regular file",
         make=_symlink_to("/dev/urandom")),
    Case("fifo", "incidents", "pipe.csv", None, "refused", "not a regular file", make=_fifo),
    Case("dangling-symlink", "incidents", "device.csv", None, "refused", "no such file",
         make=_symlink_to("/nonexistent/file.csv")),
    Case("folder-named-csv", "incidents", "folder.csv", None, "refused", "exactly one .shp", make=_folder_named_csv),
    Case("only-blank-lines", "incidents", "blank.csv", b"\n\n\n", "refused", "no rows"),
    Case("header-then-blank-lines", "incidents", "hb.csv", HEAD.split(b"\n")[0] + b"\n\n\n", "refused", "no rows"),
    Case("unclosed-quote-says-line", "incidents", "quote.csv", HEAD + b'B1,2024-03-01,1,1,x,"never closed\n', "refused",
         "opened on line 3"),
    Case("utf16", "incidents", "u16.csv", HEAD.decode().encode("utf-16"), "refused", "UTF-16"),
    Case("latin1", "incidents", "l1.csv", HEAD.replace(b"ok", "café".encode("latin-1")), "refused",
         "cannot read the text"),
    Case("png-as-csv", "incidents", "a.csv", b"\x89PNG\r\n\x1a\n" + bytes(200), "refused", "not a text file"),
    Case("json-deep-nesting", "incidents", "deep.geojson", b"[" * 100_000 + b"]" * 100_000, "refused",
         "nested too deeply|not GeoJSON|not valid JSON"),
    Case("geojson-properties-list", "incidents", "props.geojson",
         json.dumps({"type": "FeatureCollection", "features": [
             {"type": "Feature", "properties": [1, 2], "geometry": {"type": "Point", "coordinates": [X, Y]}}]}).encode(),
         "refused", "'properties' must be an object"),
    Case("geojson-feature-not-object", "incidents", "f.geojson",
         b'{"type": "FeatureCollection", "features": [42]}', "refused", "not a GeoJSON feature"),
    Case("geojson-gz", "incidents", "pts.geojson.gz", gzip.compress(_geojson_text("incidents", "[1, 1]")), "imported",
         skipped={2: "far outside"}, written=1),
    Case("excel-coordinates-full-precision", "incidents", "precise.xlsx",
         xlsx_bytes([["id", "occurred_at", "lon", "lat"], ["G1", "2024-03-01 10:00", X0 + 0.001234567891, Y0 + 0.004321987654]]),
         "imported", written=1),
    Case("excel-row-too-wide", "incidents", "wide.xlsx",
         xlsx_bytes([["id", "occurred_at", "lon", "lat"], ["G1", "2024-03-01 10:00", X, Y],
                ["B1", "2024-03-01 10:00", X, Y, "stray"]]), "imported", skipped={3: "beyond the header"}, written=1),
    Case("excel-not-a-workbook-inside", "incidents", "fake.xlsx", _zip({"hello.txt": b"hi"}), "refused",
         "not a readable Excel"),
    # from the red-team pass
    Case("geojson-sparse-property-names", "incidents", "sparse.geojson",
         json.dumps({"type": "FeatureCollection", "features": [
             {"type": "Feature", "properties": {f"k{i}": 1}, "geometry": None} for i in range(600)]}).encode(),
         "refused", "property names, more than 500"),
    Case("lone-cr-rows-counted", "incidents", "cr.csv", b"id,occurred_at,lon,lat\n" + b"a,b,c,d\r" * 50,
         "refused", "SAFEGRID_MAX_ROWS", env={"SAFEGRID_MAX_ROWS": "10"}),
    Case("mac-cr-only-lines", "incidents", "mac.csv",
         table_csv("incidents", [row("incidents", f"M{i}") for i in range(150)], newline="\r"), "imported",
         written=150),
    Case("inch-mark-unquoted", "incidents", "inch.csv",
         table_csv("incidents", [good("incidents")]) + f'I2,2024-03-01 10:00,{X},{Y},theft,stolen 55" TV\n'.encode(),
         "imported", written=2),
    Case("time-with-utc-word", "incidents", "utc.csv",
         table_csv("incidents", [row("incidents", "U1", date="2024-03-01 10:00 UTC"), good("incidents")]),
         "imported", written=2),
    Case("time-with-gmt-plus-word", "incidents", "gmt.csv",
         table_csv("incidents", [good("incidents"), row("incidents", "B1", date="2024-03-01 10:00 GMT+8")]),
         "imported", skipped={3: "unparseable"}, written=1),
    Case("mixed-offsets-in-dates", "cameras", "offsets.csv",
         table_csv("cameras", [good("cameras"), row("cameras", "C2", date="2023-05-01T10:00+08:00"),
                               row("cameras", "C3", date="2023-05-01T10:00-05:00")]), "imported", written=3),
    Case("ledger-found-in-2070", "ledger", "future.csv",
         table_csv("ledger", [good("ledger"), row("ledger", "B1", date="2070-01-01")]), "imported",
         skipped={3: "in the future"}, written=1),
    Case("excel-hidden-first-sheet", "incidents", "hidden.xlsx", None, "imported", written=1,
         make=lambda tmp: _hidden_sheet_book(tmp)),
    Case("source-with-spaces", "incidents", "a.csv", HEAD, "refused", "--source", args=("--source", "caller 13907712468")),
    Case("source-too-long", "incidents", "a.csv", HEAD, "refused", "--source", args=("--source", "s" * 100)),
    Case("tz-a-folder", "incidents", "a.csv", HEAD, "refused", "unknown time zone", args=("--tz", "America")),
    Case("tz-overlong", "incidents", "a.csv", HEAD, "refused", "unknown time zone", args=("--tz", "A" * 5000)),
    Case("unknown-preset-path", "incidents", "a.csv", HEAD, "refused", "unknown preset", args=("--preset", "../../../x")),
    Case("preset-absolute-path", "incidents", "a.csv", HEAD, "refused", "unknown preset",
         args=("--preset", "/etc/passwd")),
]


# ---- polygon layers ------------------------------------------------------------------------

def _polygons(features: list[tuple[dict, object]]) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": props, "geometry": geom if isinstance(geom, dict) or geom is None
         else json.loads(shapely.to_geojson(geom))} for props, geom in features]}, allow_nan=True).encode()


BOX = shapely.box(X0, Y0, X0 + STEP, Y0 + STEP)
BOX2 = shapely.box(X0 + STEP, Y0, X0 + 2 * STEP, Y0 + STEP)


def polygon_cases(layer: str) -> list[Case]:
    args = ("--level", "street") if layer == "areas" else ()
    first = {"code": "Z1", "name": "one"}
    cases = [
        ("null-code", [(first, BOX), ({"code": None, "name": "two"}, BOX2)], {2: "missing code"}),
        ("nan-code", [(first, BOX), ({"code": float("nan"), "name": "two"}, BOX2)], {2: "missing code"}),
        ("code-over-64", [(first, BOX), ({"code": "Z" * 100}, BOX2)], {2: "longer than 64"}),
        ("point-geometry", [(first, BOX), ({"code": "Z2"}, {"type": "Point", "coordinates": [X, Y]})],
         {2: "non-polygon"}),
        ("no-geometry", [(first, BOX), ({"code": "Z2"}, None)], {2: "non-polygon"}),
        ("empty-polygon", [(first, BOX), ({"code": "Z2"}, {"type": "Polygon", "coordinates": []})],
         {2: "non-polygon"}),
        ("nan-vertex", [(first, BOX), ({"code": "Z2"}, {"type": "Polygon", "coordinates": [
            [[X0, Y0], [float("nan"), Y0], [X0, Y0 + STEP], [X0, Y0]]]})], {2: "non-polygon|out of range|finite"}),
        ("out-of-range", [(first, BOX), ({"code": "Z2"}, shapely.box(500, 500, 501, 501))], {2: "out of range"}),
        ("control-characters", [({"code": "Z1", "name": "one\x00\x1b[31m"}, BOX)], {}),
        ("name-over-limit", [(first, BOX), ({"code": "Z2", "name": "n" * 20_001}, BOX2)], {2: "longer than 20,000"}),
    ]
    out = [Case(f"{layer}-{tag}", layer, f"{tag}.geojson", _polygons(feats), "imported", skipped=skips,
                written=None, args=args) for tag, feats, skips in cases]
    out += [
        Case(f"{layer}-csv-refused", layer, "z.csv", b"code,name\nZ1,one\n", "refused", "polygon", args=args),
        Case(f"{layer}-all-bad", layer, "bad.geojson", _polygons([({"code": "Z1"}, None)]), "refused",
             "no (row|area) could be imported", args=args),
        Case(f"{layer}-zip-bomb", layer, "z.zip", _zip({"z.geojson": b" " * (16 * 1024 * 1024)}), "refused",
             "larger than 4 MiB", args=args, env=SMALL_TEXT),
        Case(f"{layer}-zipped-geojson", layer, "z.zip", _zip({"z.geojson": _polygons([(first, BOX)])}), "imported",
             args=args),
    ]
    return out


CASES = [c for layer in POINT_LAYERS for c in point_cases(layer)] + FILE_CASES + \
    polygon_cases("zones") + polygon_cases("areas")


# ---- running them -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def template_db(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile")
    path = tmp / "template.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    from geo.store.schema import init_db

    init_db(engine, "Asia/Shanghai")
    small_city(engine, tmp)
    engine.dispose()
    return path


def _snapshot(url: str) -> dict:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return {t: conn.execute(text(f"SELECT * FROM {t} ORDER BY 1")).all()
                    for t in ("areas", "incidents", "incident_daily", "cameras", "places", "ledger_items",
                              "ledger_events", "patrol_zones")}
    finally:
        engine.dispose()


def run_cli(argv: list[str], capsys) -> tuple[int, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.err + captured.out


def test_corpus_is_large_and_covers_every_layer():
    assert len(CASES) >= 150
    assert {c.layer for c in CASES} == set(TABLES)
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_file(case: Case, template_db, tmp_path, capsys, monkeypatch):
    db = tmp_path / "db.sqlite"
    shutil.copy(template_db, db)
    url = f"sqlite:///{db}"
    for key, value in case.env.items():
        monkeypatch.setenv(key, value)
    if case.make:
        path = case.make(tmp_path)
    else:
        path = tmp_path / case.name
        path.write_bytes(case.content)
    before = _snapshot(url)
    report = tmp_path / "skipped.csv"
    code, err = run_cli(["import", case.layer, str(path), "--db", url, "--report", str(report), *case.args], capsys)
    assert "Traceback" not in err
    if case.outcome == "refused":
        assert code == 2, err
        assert re.search(case.message, err), err
        assert _snapshot(url) == before
        assert not report.exists()
        return
    assert code == 0, err
    with report.open(encoding="utf-8") as fh:
        skipped = {int(next(iter(r.values()))): r["reason"] for r in csv.DictReader(fh)}
    for number, reason in case.skipped.items():
        assert number in skipped, (number, skipped)
        assert re.search(reason, skipped[number]), skipped[number]
    assert len(skipped) == len(case.skipped), skipped
    if case.message:
        assert re.search(case.message, err), err
    if case.written is not None:
        with make_engine(url).connect() as conn:
            count = conn.execute(text(f"SELECT COUNT(*) FROM {TABLES[case.layer]}")).scalar()
        assert count == case.written


def test_excel_coordinates_keep_full_precision(template_db, tmp_path, capsys):
    db = tmp_path / "db.sqlite"
    shutil.copy(template_db, db)
    case = next(c for c in FILE_CASES if c.id == "excel-coordinates-full-precision")
    path = tmp_path / case.name
    path.write_bytes(case.content)
    assert run_cli(["import", "incidents", str(path), "--db", f"sqlite:///{db}"], capsys)[0] == 0
    from geo.store.types import from_db

    with make_engine(f"sqlite:///{db}").connect() as conn:
        point = from_db(conn.execute(text("SELECT geom FROM incidents")).scalar())
    assert abs(point.x - (X0 + 0.001234567891)) < 1e-9 and abs(point.y - (Y0 + 0.004321987654)) < 1e-9


def test_control_characters_are_removed_not_stored(template_db, tmp_path, capsys):
    db = tmp_path / "db.sqlite"
    shutil.copy(template_db, db)
    path = tmp_path / "nul.geojson"
    path.write_bytes(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": "G1", "occurred_at": "2024-03-01", "description": "a\u0000b\u001bc"},
         "geometry": {"type": "Point", "coordinates": [X, Y]}}]}).encode())
    assert run_cli(["import", "incidents", str(path), "--db", f"sqlite:///{db}"], capsys)[0] == 0
    with make_engine(f"sqlite:///{db}").connect() as conn:
        assert conn.execute(text("SELECT description FROM incidents")).scalar() == "abc"


def test_reimporting_is_idempotent_for_words_that_look_like_dates(template_db, tmp_path, capsys):
    """'now' used to be stored as the import time, so every re-import updated the row."""
    db = tmp_path / "db.sqlite"
    shutil.copy(template_db, db)
    path = tmp_path / "now.csv"
    path.write_bytes(table_csv("incidents", [good("incidents"), row("incidents", "B1", date="now")]))
    url = f"sqlite:///{db}"
    code, err = run_cli(["import", "incidents", str(path), "--db", url], capsys)
    assert code == 0 and "skipped line 3: date unparseable: now" in err
    first = _snapshot(url)
    code, err = run_cli(["import", "incidents", str(path), "--db", url], capsys)
    assert code == 0 and "0 new, 0 updated" in err
    assert _snapshot(url)["incidents"] == first["incidents"]


def test_every_limit_is_documented_in_the_readme():
    from geo.ingest.limits import LIMITS
    from tests.conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for lim in LIMITS:
        assert f"`{lim.name}`" in readme, lim.name


@pytest.mark.parametrize("value", ["ten", "-5", "0"])
def test_a_bad_limit_setting_is_a_clear_error(value, template_db, tmp_path, capsys, monkeypatch):
    db = tmp_path / "db.sqlite"
    shutil.copy(template_db, db)
    monkeypatch.setenv("SAFEGRID_MAX_ROWS", value)
    path = tmp_path / "a.csv"
    path.write_bytes(table_csv("incidents", [good("incidents")]))
    code, out = run_cli(["import", "incidents", str(path), "--db", f"sqlite:///{db}"], capsys)
    assert code == 2 and "SAFEGRID_MAX_ROWS" in out and "Traceback" not in out


# ---- the command line around the file -------------------------------------------------------

def _case_db(template_db, tmp_path) -> str:
    db = tmp_path / "db.sqlite"
    shutil.copy(template_db, db)
    return f"sqlite:///{db}"


@pytest.mark.parametrize("where", ["missing-folder/skipped.csv", "a-folder", "skipped.txt"])
def test_a_bad_report_path_is_refused_before_anything_is_written(where, template_db, tmp_path, capsys):
    url = _case_db(template_db, tmp_path)
    (tmp_path / "a-folder").mkdir()
    path = tmp_path / "a.csv"
    path.write_bytes(table_csv("incidents", [good("incidents"), row("incidents", "B1", lon="x")]))
    before = _snapshot(url)
    code, out = run_cli(["import", "incidents", str(path), "--db", url, "--report", str(tmp_path / where)], capsys)
    assert code == 2 and "--report" in out and "Traceback" not in out
    assert _snapshot(url) == before
    assert not (tmp_path / "missing-folder").exists()


def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path, capsys):
    fake = tmp_path / "notes.db"
    fake.write_bytes(b"these are my notes, not a database" * 100)
    path = tmp_path / "a.csv"
    path.write_bytes(table_csv("incidents", [good("incidents")]))
    code, out = run_cli(["import", "incidents", str(path), "--db", f"sqlite:///{fake}"], capsys)
    assert code == 2 and "database" in out and "Traceback" not in out
    assert fake.read_bytes() == b"these are my notes, not a database" * 100


@pytest.mark.parametrize("target", ["new.sqlite", "new-folder/deeper/new.sqlite"])
def test_a_missing_database_is_not_created_to_say_so(target, tmp_path, capsys):
    path = tmp_path / "a.csv"
    path.write_bytes(table_csv("incidents", [good("incidents")]))
    code, out = run_cli(["import", "incidents", str(path), "--db", f"sqlite:///{tmp_path / target}"], capsys)
    assert code == 2 and "python -m geo init" in out
    assert not (tmp_path / target).exists() and not (tmp_path / "new-folder").exists()


def test_a_folder_as_database_is_a_clear_error(tmp_path, capsys):
    code, out = run_cli(["counts", "--level", "grid", "--out", str(tmp_path / "c.csv"), "--db",
                         f"sqlite:///{tmp_path}"], capsys)
    assert code == 2 and "is a folder" in out


def test_ctrl_c_during_an_import_rolls_back_without_a_traceback(template_db, tmp_path):
    """SIGINT while a large file is read or written: exit 130, one line, the database as before."""
    import signal
    import subprocess
    import sys
    import time

    from tests.conftest import ROOT

    path = tmp_path / "big.csv"
    path.write_bytes(table_csv("incidents", [row("incidents", f"R{i}") for i in range(400_000)]))
    # the importer is fast: interrupt sooner each time the import beat the signal (a fresh database each try)
    for attempt, delay in enumerate((5.0, 3.5, 2.5)):  # after the start-up (imports take ~1-2 s)
        folder = tmp_path / f"try{attempt}"
        folder.mkdir()
        url = _case_db(template_db, folder)
        before = _snapshot(url)
        proc = subprocess.Popen([sys.executable, "-m", "geo", "import", "incidents", str(path), "--db", url],
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env={**os.environ, "PYTHONPATH": str(ROOT)})
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
        if proc.returncode == 0:
            continue
        assert proc.returncode == 130, err
        assert "Traceback" not in err and "interrupted" in err
        assert _snapshot(url) == before
        return
    pytest.fail("every import finished before its interrupt: give it a larger file")


def test_an_offset_in_hours_alone_is_honoured(template_db, tmp_path, capsys):
    url = _case_db(template_db, tmp_path)
    path = tmp_path / "plus00.csv"
    path.write_bytes(table_csv("incidents", [row("incidents", "P1", date="2024-03-01T10:00:00+00")]))
    assert run_cli(["import", "incidents", str(path), "--db", url], capsys)[0] == 0
    with make_engine(url).connect() as conn:
        stored = conn.execute(text("SELECT occurred_at FROM incidents")).scalar()
    assert str(stored).startswith("2024-03-01 10:00")


def test_gcj02_polygons_are_shifted_like_points(template_db, tmp_path, capsys):
    url = _case_db(template_db, tmp_path)
    path = tmp_path / "street.geojson"
    path.write_bytes(_polygons([({"code": "S1", "name": "street"}, BOX)]))
    code, out = run_cli(["import", "areas", str(path), "--level", "street", "--crs", "gcj02", "--db", url], capsys)
    assert code == 0, out
    with make_engine(url).connect() as conn:
        from geo.store.types import from_db

        geom = from_db(conn.execute(text("SELECT geom FROM areas WHERE code = 'S1'")).scalar())
    dx = geom.bounds[0] - BOX.bounds[0]
    assert 0.002 < abs(dx) < 0.01  # GCJ-02 is a few hundred metres off WGS 84 here


@pytest.mark.parametrize("size", ["1", "inf", "nan", "1e308", "0"])
def test_a_grid_of_absurd_cell_size_is_refused_before_it_is_built(size, template_db, tmp_path, capsys):
    url = _case_db(template_db, tmp_path)
    before = _snapshot(url)
    code, out = run_cli(["import", "grid", "--cell-size", size, "--db", url], capsys)
    assert code == 2 and "cell" in out and "Traceback" not in out
    assert _snapshot(url) == before


def test_a_grid_within_a_grid_cell_is_refused(template_db, tmp_path, capsys):
    url = _case_db(template_db, tmp_path)
    code, out = run_cli(["import", "grid", "--cell-size", "250", "--within", "C1", "--db", url], capsys)
    assert code == 2 and "is a grid cell" in out


def test_the_report_may_not_overwrite_the_file_imported(template_db, tmp_path, capsys):
    url = _case_db(template_db, tmp_path)
    path = tmp_path / "a.csv"
    path.write_bytes(HEAD)
    code, out = run_cli(["import", "incidents", str(path), "--db", url, "--report", str(path)], capsys)
    assert code == 2 and path.read_bytes() == HEAD


def test_the_audit_log_masks_identifiers_and_controls_in_file_names(template_db, tmp_path, capsys):
    url = _case_db(template_db, tmp_path)
    path = tmp_path / "caller13907712468_\x1b[2J.csv"
    path.write_bytes(HEAD)
    assert run_cli(["import", "incidents", str(path), "--db", url], capsys)[0] == 0
    with make_engine(url).connect() as conn:
        obj = conn.execute(text("SELECT object FROM audit_log WHERE action = 'import'")).scalar()
    assert "13907712468" not in obj and "\x1b" not in obj and "removed" in obj


def test_c1_controls_and_bidi_overrides_are_removed(template_db, tmp_path, capsys):
    url = _case_db(template_db, tmp_path)
    path = tmp_path / "c1.csv"
    path.write_bytes(table_csv("incidents", [row("incidents", "G1", text="a\u0085b\u202ec\u009bd")]))
    assert run_cli(["import", "incidents", str(path), "--db", url], capsys)[0] == 0
    with make_engine(url).connect() as conn:
        assert conn.execute(text("SELECT description FROM incidents")).scalar() == "abcd"


def test_an_excel_id_number_typed_as_a_number_is_masked(template_db, tmp_path, capsys):
    url = _case_db(template_db, tmp_path)
    path = tmp_path / "sci.xlsx"
    path.write_bytes(xlsx_bytes([["id", "occurred_at", "lon", "lat", "description"],
                                 ["G1", "2024-03-01 10:00", X, Y, 1.10105194912310e17]]))
    assert run_cli(["import", "incidents", str(path), "--db", url], capsys)[0] == 0
    with make_engine(url).connect() as conn:
        stored = conn.execute(text("SELECT description FROM incidents")).scalar()
    assert "110105" not in stored and "e+17" not in stored
