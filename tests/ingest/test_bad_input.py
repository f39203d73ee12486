"""A corpus of bad input files: each is checked for its message and for the database after it.

Whole-file cases must be refused with a clear message and write nothing. Row cases hold
one good row and one bad one: the bad row is reported (row number and reason) and only
the good row is written.
"""

from __future__ import annotations

import gzip
import io
import json
import re

import openpyxl
import pytest
from sqlalchemy import text

from geo.ingest.areas import import_areas
from geo.ingest.errors import ImportRefused
from geo.ingest.pipeline import Importer, import_file
from tests.helpers import centre, small_city
from geo.store.scope import Scope

EVERYTHING = Scope.jurisdiction()
CLERK = Importer("clerk", "clerk")  # who imports (ledger files need one)

X, Y = centre("C1")
HEAD = "id,occurred_at,lon,lat,category,description\n"
GOOD = f"G1,2024-03-01 10:00,{X},{Y},theft,ok\n"
POINT_TABLES = {"incidents": "incidents", "cameras": "cameras", "ledger": "ledger_items", "places": "places",
                "zones": "patrol_zones"}


def csv_bytes(*rows: str, head: str = HEAD) -> bytes:
    return (head + "".join(rows)).encode("utf-8")


def xlsx_bytes(rows: list[list]) -> bytes:
    wb = openpyxl.Workbook()
    for row in rows:
        wb.active.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def geojson_bytes(features) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": features}).encode()


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64)
GZ_TRUNCATED = gzip.compress(csv_bytes(GOOD * 200))[:120]
XLSX_GOOD = xlsx_bytes([["id", "occurred_at", "lon", "lat"], ["G1", "2024-03-01 10:00", X, Y]])

# id, file name, bytes, layer, options, expected message (regex)
REFUSED = [
    ("png-named-csv", "a.csv", PNG, "incidents", {}, "not a text file"),
    ("utf16", "a.csv", "\ufeffid,occurred_at\n".encode("utf-16"), "incidents", {}, "UTF-16"),
    ("latin1", "a.csv", "id,occurred_at,lon,lat,description\n1,2024-01-01,1,1,café crème\n".encode("latin-1"),
     "incidents", {}, "cannot read the text"),
    ("empty", "a.csv", b"", "incidents", {}, "empty"),
    ("header-only", "a.csv", csv_bytes(), "incidents", {}, "no rows"),
    ("no-x-column", "a.csv", csv_bytes("1,2024-03-01,28.0,theft,x\n", head="id,occurred_at,lat,category,d\n"),
     "incidents", {}, "required column.*x"),
    ("no-time-column", "a.csv", f"id,lon,lat\n1,{X},{Y}\n".encode(), "incidents", {}, "required column.*occurred_at"),
    ("map-missing-column", "a.csv", csv_bytes(GOOD), "incidents", {"maps": ["x=LONGITUDE"]}, "not in the file"),
    ("map-bad-syntax", "a.csv", csv_bytes(GOOD), "incidents", {"maps": ["x:lon"]}, "FIELD=COLUMN"),
    ("map-unknown-field", "a.csv", csv_bytes(GOOD), "incidents", {"maps": ["colour=lon"]}, "not a field"),
    ("unknown-preset", "a.csv", csv_bytes(GOOD), "incidents", {"preset": "atlantis"}, "unknown preset"),
    ("bad-crs", "a.csv", csv_bytes(GOOD), "incidents", {"crs": "wgs"}, "unknown coordinate system"),
    ("bad-epsg", "a.csv", csv_bytes(GOOD), "incidents", {"crs": "999999"}, "unknown EPSG"),
    ("bad-timezone", "a.csv", csv_bytes(GOOD), "incidents", {"tz": "Mars/Olympus"}, "unknown time zone"),
    ("truncated-gzip", "a.csv.gz", GZ_TRUNCATED, "incidents", {}, "damaged or truncated"),
    ("not-gzip", "a.csv.gz", csv_bytes(GOOD), "incidents", {}, "not gzip"),
    ("xlsx-is-csv", "a.xlsx", csv_bytes(GOOD), "incidents", {}, "not an Excel"),
    ("xlsx-truncated", "a.xlsx", XLSX_GOOD[: len(XLSX_GOOD) // 2], "incidents", {}, "not a readable Excel"),
    ("old-xls", "a.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "incidents", {}, r"\.xls"),
    ("geojson-truncated", "a.geojson", geojson_bytes([{"type": "Feature", "properties": {"id": 1},
                                                        "geometry": {"type": "Point", "coordinates": [X, Y]}}])[:-20],
     "incidents", {}, "not valid JSON"),
    ("json-not-geojson", "a.geojson", b'{"rows": [1, 2, 3]}', "incidents", {}, "not GeoJSON"),
    ("geojson-no-features", "a.geojson", geojson_bytes([]), "incidents", {}, "no features"),
    ("unsupported-type", "a.docx", b"PK\x03\x04" + bytes(40), "incidents", {}, "unsupported file type"),
    ("unterminated-quote", "a.csv", csv_bytes(GOOD, f'G2,2024-03-01,{X},{Y},theft,"never closed\n'), "incidents", {},
     "malformed CSV"),
    ("duplicate-columns", "a.csv", csv_bytes(f"1,2024-03-01,{X},{Y},{X}\n", head="id,occurred_at,lon,lat,lon\n"),
     "incidents", {}, "duplicate column"),
    ("all-rows-bad", "a.csv", csv_bytes("1,2024-03-01,,,theft,x\n", "2,2024-03-01,,,theft,x\n"), "incidents", {},
     "no row could be imported.*missing coordinates"),
    ("gpkg-not-sqlite", "a.gpkg", b"not a geopackage at all" * 4, "incidents", {}, "not a GeoPackage"),
    ("zip-not-zip", "a.zip", b"plain text, not a zip" * 4, "incidents", {}, "not a zip"),
    ("zones-without-polygons", "z.csv", b"code,name\nZ1,zone one\n", "zones", {}, "polygon geometry"),
    ("ledger-no-kind", "l.csv", f"source_id,found_on,x,y\nL1,2024-03-01,{X},{Y}\n".encode(), "ledger", {},
     "required column.*kind"),
]

# id, file name, bytes, layer, options, (skipped row, reason regex)
ROW_SKIPS = [
    ("too-many-fields", csv_bytes(GOOD, f"G2,2024-03-01,{X},{Y},theft,a,b,c\n"), "incidents",
     (3, "8 fields where the header has 6")),
    ("missing-coordinates", csv_bytes(GOOD, "B1,2024-03-01 10:00,,,theft,x\n"), "incidents", (3, "missing coordinates")),
    ("unparseable-coordinates", csv_bytes(GOOD, "B1,2024-03-01 10:00,abc,28.0,theft,x\n"), "incidents",
     (3, "coordinates unparseable")),
    ("out-of-range", csv_bytes(GOOD, "B1,2024-03-01 10:00,200.5,95.1,theft,x\n"), "incidents", (3, "out of range")),
    ("lat-over-90-swapped", csv_bytes(GOOD, "B1,2024-03-01 10:00,28.0,113.0,theft,x\n"), "incidents",
     (3, "swapped")),
    ("null-island", csv_bytes(GOOD, "B1,2024-03-01 10:00,0,0,theft,x\n"), "incidents", (3, r"\(0, 0\)")),
    ("far-away", csv_bytes(GOOD, "B1,2024-03-01 10:00,2.35,48.85,theft,x\n"), "incidents", (3, "far outside")),
    ("date-unparseable", csv_bytes(GOOD, f"B1,31/31/2024 99:00,{X},{Y},theft,x\n"), "incidents",
     (3, "date unparseable")),
    ("date-missing", csv_bytes(GOOD, f"B1,,{X},{Y},theft,x\n"), "incidents", (3, "missing occurred_at")),
    ("date-in-future", csv_bytes(GOOD, f"B1,2099-01-01 00:00,{X},{Y},theft,x\n"), "incidents", (3, "out of range")),
    ("date-too-old", csv_bytes(GOOD, f"B1,1850-01-01 00:00,{X},{Y},theft,x\n"), "incidents", (3, "out of range")),
    ("duplicate-id", csv_bytes(GOOD, f"G1,2024-03-02 10:00,{X},{Y},theft,x\n"), "incidents",
     (3, r"duplicate source_id \(first on row 2\)")),
    ("missing-id", csv_bytes(GOOD, f",2024-03-02 10:00,{X},{Y},theft,x\n"), "incidents", (3, "missing source_id")),
    ("camera-unknown-status", f"id,x,y,status\nG1,{X},{Y},online\nB1,{X},{Y},broken\n".encode(), "cameras",
     (3, "unknown status 'broken'")),
    ("camera-heading-range", f"id,x,y,heading\nG1,{X},{Y},90\nB1,{X},{Y},400\n".encode(), "cameras",
     (3, r"heading out of range")),
    ("camera-fov-text", f"id,x,y,fov\nG1,{X},{Y},90\nB1,{X},{Y},wide\n".encode(), "cameras", (3, "fov is not a number")),
    ("ledger-deadline-before", (f"source_id,kind,found_on,deadline,x,y\nG1,hazard,2024-03-01,2024-03-09,{X},{Y}\n"
                                f"B1,hazard,2024-03-10,2024-03-01,{X},{Y}\n").encode(), "ledger",
     (3, "deadline before found date")),
    ("ledger-unknown-kind", (f"source_id,kind,found_on,x,y\nG1,dispute,2024-03-01,{X},{Y}\n"
                             f"B1,earthquake,2024-03-01,{X},{Y}\n").encode(), "ledger", (3, "unknown kind")),
    ("ledger-bad-date", (f"source_id,kind,found_on,x,y\nG1,dispute,2024-03-01,{X},{Y}\n"
                         f"B1,dispute,sometime,{X},{Y}\n").encode(), "ledger", (3, "date unparseable")),
    ("place-unknown-kind", f"id,kind,x,y\nG1,school,{X},{Y}\nB1,castle,{X},{Y}\n".encode(), "places",
     (3, "unknown kind 'castle'")),
    ("place-required-pct", f"id,kind,x,y,required_pct\nG1,school,{X},{Y},100\nB1,bank,{X},{Y},140\n".encode(), "places",
     (3, "required_pct out of range")),
    ("excel-bad-date", xlsx_bytes([["id", "occurred_at", "lon", "lat"], ["G1", "2024-03-01 10:00", X, Y],
                                   ["B1", "yesterday-ish", X, Y]]), "incidents", (3, "date unparseable")),
    ("geojson-bad-geometry", geojson_bytes([
        {"type": "Feature", "properties": {"id": "G1", "occurred_at": "2024-03-01"},
         "geometry": {"type": "Point", "coordinates": [X, Y]}},
        {"type": "Feature", "properties": {"id": "B1", "occurred_at": "2024-03-01"},
         "geometry": {"type": "Point", "coordinates": ["x"]}}]), "incidents", (2, "non-point geometry")),
    ("geojson-polygon-for-point", geojson_bytes([
        {"type": "Feature", "properties": {"id": "G1", "occurred_at": "2024-03-01"},
         "geometry": {"type": "Point", "coordinates": [X, Y]}},
        {"type": "Feature", "properties": {"id": "B1", "occurred_at": "2024-03-01"},
         "geometry": {"type": "Polygon", "coordinates": [[[X, Y], [X + 0.001, Y], [X, Y + 0.001], [X, Y]]]}}]),
     "incidents", (2, "non-point geometry")),
]
ROW_SUFFIX = {"excel-bad-date": ".xlsx", "geojson-bad-geometry": ".geojson", "geojson-polygon-for-point": ".geojson"}


@pytest.fixture
def city_db(make_db, tmp_path):
    engine = make_db("sqlite")
    small_city(engine, tmp_path)
    return engine


def _rows(engine, table: str) -> list:
    with engine.connect() as conn:
        return conn.execute(text(f"SELECT * FROM {table}")).all()


def _snapshot(engine) -> dict:
    return {t: _rows(engine, t) for t in ("areas", "incidents", "incident_daily", "cameras", "places",
                                          "ledger_items", "ledger_events", "patrol_zones")}


@pytest.mark.parametrize("case", REFUSED, ids=[c[0] for c in REFUSED])
def test_refused_file_has_message_and_writes_nothing(city_db, tmp_path, case):
    _id, name, content, layer, options, message = case
    path = tmp_path / name
    path.write_bytes(content)
    before = _snapshot(city_db)
    with pytest.raises(ImportRefused, match=message):
        import_file(city_db, path, layer, scope=EVERYTHING, by=CLERK, **options)
    assert _snapshot(city_db) == before


@pytest.mark.parametrize("case", ROW_SKIPS, ids=[c[0] for c in ROW_SKIPS])
def test_bad_row_is_reported_and_only_good_rows_written(city_db, tmp_path, case):
    case_id, content, layer, (row, reason) = case
    path = tmp_path / f"{case_id}{ROW_SUFFIX.get(case_id, '.csv')}"
    path.write_bytes(content)
    report = import_file(city_db, path, layer, scope=EVERYTHING, by=CLERK)
    assert len(report.skipped) == 1, report.skipped
    got_row, got_reason = report.skipped[0]
    assert got_row == row
    assert re.search(reason, got_reason), got_reason
    with city_db.connect() as conn:
        ids = conn.execute(text(f"SELECT source_id FROM {POINT_TABLES[layer]}")).scalars().all()
    assert ids == ["G1"]


def test_bad_input_corpus_is_large_enough():
    assert len(REFUSED) + len(ROW_SKIPS) + 4 >= 40  # + the four content cases below


def test_areas_from_csv_refused(city_db, tmp_path):
    path = tmp_path / "areas.csv"
    path.write_text("code,name\nX,x\n", encoding="utf-8")
    before = _snapshot(city_db)
    with pytest.raises(ImportRefused, match="need polygons"):
        import_areas(city_db, path, "community")
    assert _snapshot(city_db) == before


def test_areas_with_only_points_refused(city_db, tmp_path):
    path = tmp_path / "areas.geojson"
    path.write_bytes(geojson_bytes([{"type": "Feature", "properties": {"code": "P"},
                                     "geometry": {"type": "Point", "coordinates": [X, Y]}}]))
    before = _snapshot(city_db)
    with pytest.raises(ImportRefused, match="no area could be imported.*non-polygon"):
        import_areas(city_db, path, "community")
    assert _snapshot(city_db) == before


def test_html_in_text_is_stored_as_text_and_noted(city_db, tmp_path):
    path = tmp_path / "html.csv"
    path.write_bytes(csv_bytes(f"G1,2024-03-01 10:00,{X},{Y},theft,<script>alert(1)</script> <b>bold</b>\n"))
    report = import_file(city_db, path, "incidents", scope=EVERYTHING)
    assert any("HTML markup" in n for n in report.notes)
    with city_db.connect() as conn:
        assert conn.execute(text("SELECT description FROM incidents")).scalar() == \
            "<script>alert(1)</script> <b>bold</b>"


def test_personal_identifiers_are_masked_and_counted(city_db, tmp_path):
    path = tmp_path / "pii.csv"
    path.write_bytes(csv_bytes(f"G1,2024-03-01 10:00,{X},{Y},dispute,报警人13812345678 身份证110105199003071234\n"))
    report = import_file(city_db, path, "incidents", scope=EVERYTHING)
    assert (report.masked, report.masked_rows) == (2, 1)
    assert "2 personal identifiers masked" in report.summary()
    with city_db.connect() as conn:
        stored = conn.execute(text("SELECT description FROM incidents")).scalar()
    assert "13812345678" not in stored and "110105199003071234" not in stored


def test_formula_injection_is_defused_on_export(city_db, tmp_path):
    from geo.ingest.export import export_layer

    path = tmp_path / "formula.csv"
    path.write_bytes(csv_bytes(f'G1,2024-03-01 10:00,{X},{Y},"=HYPERLINK(""http://x"",""y"")",+cmd|calc\n'))
    import_file(city_db, path, "incidents", scope=EVERYTHING)
    out = tmp_path / "out.xlsx"
    export_layer(city_db, "incidents", out, scope=EVERYTHING)
    sheet = openpyxl.load_workbook(out).active
    header = [c.value for c in sheet[1]]
    row = {h: c for h, c in zip(header, sheet[2])}
    assert row["category"].data_type == "s" and row["category"].value.startswith("'=HYPERLINK")
    assert row["description"].value == "'+cmd|calc"
    csv_out = tmp_path / "out.csv"
    export_layer(city_db, "incidents", csv_out, scope=EVERYTHING)
    assert "'=HYPERLINK" in csv_out.read_text(encoding="utf-8-sig")
