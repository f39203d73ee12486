"""Building footprints (``python -m geo import buildings``) and the cameras' ``resolution_h`` field,
on both backends: formats, idempotent re-runs, the stamp and generation, bad rows, hostile files."""

from __future__ import annotations

import json
import re

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from shapely import affinity
from sqlalchemy import text

from geo.cli import main
from geo.ingest.buildings import MAX_FOOTPRINT_M2, import_buildings
from geo.ingest.errors import ImportRefused
from geo.store import audit, generation, views
from tests.helpers import X0, Y0, incidents_csv, small_city
from tests.ingest.test_hostile_files import SMALL_TEXT, _gzip_bomb, _zip

DEG_PER_M = 1 / 111_320.0


def footprint(dx_m: float, dy_m: float, w_m: float = 20.0, h_m: float = 10.0, angle: float = 25.0):
    """A rotated rectangle of ``w_m`` by ``h_m`` metres, ``dx_m``/``dy_m`` metres from the fixtures' corner."""
    x, y = X0 + 0.005 + dx_m * DEG_PER_M, Y0 + 0.005 + dy_m * DEG_PER_M
    return affinity.rotate(shapely.box(x, y, x + w_m * DEG_PER_M, y + h_m * DEG_PER_M), angle)


THREE = [({"building_id": "B1"}, footprint(0, 0)), ({"building_id": "B2"}, footprint(60, 0)),
         ({"building_id": "B3"}, shapely.MultiPolygon([footprint(0, 60), footprint(40, 60)]))]


def _frame(feats) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame([p for p, _ in feats], geometry=[g for _, g in feats], crs="EPSG:4326")


def write_geojson(tmp_path, feats, name="b.geojson"):
    path = tmp_path / name
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": p, "geometry": g if isinstance(g, dict) or g is None
         else json.loads(shapely.to_geojson(g))} for p, g in feats]}, allow_nan=True), encoding="utf-8")
    return path


def write_zipped_shapefile(tmp_path, feats):
    folder = tmp_path / "shp"
    folder.mkdir()
    _frame(feats).to_file(folder / "b.shp")
    return _write(tmp_path / "b.zip", _zip({f.name: f.read_bytes() for f in folder.iterdir()}))


def write_geopackage(tmp_path, feats):
    path = tmp_path / "b.gpkg"
    _frame(feats).to_file(path, driver="GPKG", layer="buildings")
    return path


def _write(path, data: bytes):
    path.write_bytes(data)
    return path


WRITERS = {"geojson": write_geojson, "shapefile-zip": write_zipped_shapefile, "geopackage": write_geopackage}


def _stored(engine) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(text(
            "SELECT source, source_id, row_hash, lon_min, lat_min, lon_max, lat_max FROM buildings ORDER BY source_id"
        )).mappings().all())


def _state(engine) -> tuple:
    with engine.connect() as conn:
        return (len(_stored(engine)), generation.stamp(conn, "buildings"), generation.current(conn)["buildings"])


@pytest.mark.parametrize("fmt", list(WRITERS), ids=list(WRITERS))
def test_import_buildings_stores_multipolygons_with_their_boxes(fmt, db, tmp_path):
    report = import_buildings(db, WRITERS[fmt](tmp_path, THREE), source="survey")
    assert (report.inserted, report.updated, report.skipped) == (3, 0, [])
    stored = _stored(db)
    assert stored["source_id"].tolist() == ["B1", "B2", "B3"] and set(stored["source"]) == {"survey"}
    with db.connect() as conn:
        shapes = views.buildings(conn, (X0, Y0, X0 + 0.02, Y0 + 0.02))
        assert re.fullmatch(r"[0-9a-f]{32}", generation.stamp(conn, "buildings"))
        assert generation.current(conn)["buildings"] == 1
    assert set(shapes.geom_type) == {"MultiPolygon"}
    for (_, geom), row in zip(THREE, stored.itertuples()):
        assert (row.lon_min, row.lat_min, row.lon_max, row.lat_max) == pytest.approx(geom.bounds, abs=1e-9)
    by_id = dict(zip(shapes["source_id"], shapes.geometry))
    assert by_id["B3"].normalize().equals_exact(THREE[2][1].normalize(), 1e-9)  # (a shapefile turns rings)
    assert by_id["B1"].area == pytest.approx(THREE[0][1].area)
    # a box that misses every footprint reads none of them
    with db.connect() as conn:
        assert views.buildings(conn, (X0 + 1, Y0 + 1, X0 + 1.1, Y0 + 1.1)).empty


def test_import_buildings_again_writes_nothing_and_keeps_the_stamp(db, tmp_path):
    path = write_geojson(tmp_path, THREE + [({}, footprint(120, 0))])  # one keyed by its shape
    import_buildings(db, path)
    before = _state(db)
    again = import_buildings(db, path)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 4)
    assert _state(db) == before
    moved = [THREE[0], ({"building_id": "B2"}, footprint(61, 0))] + THREE[2:] + [({}, footprint(120, 0))]
    changed = import_buildings(db, write_geojson(tmp_path, moved, "moved.geojson"))
    assert (changed.inserted, changed.updated, changed.unchanged) == (0, 1, 3)
    count, stamp, gen = _state(db)
    assert count == 4 and stamp != before[1] and gen == before[2] + 1


BAD_ROWS = [
    ({"id": "OK"}, footprint(0, 0), None),
    ({"id": "P"}, {"type": "Point", "coordinates": [X0, Y0]}, "not_a_polygon"),
    ({"id": "L"}, shapely.LineString([(X0, Y0), (X0 + 1e-4, Y0)]), "not_a_polygon"),
    ({"id": "NULL"}, None, "not_a_polygon"),
    ({"id": "EMPTY"}, {"type": "Polygon", "coordinates": []}, "not_a_polygon"),
    ({"id": "NAN"}, {"type": "Polygon", "coordinates": [[[X0, Y0], [float("nan"), Y0], [X0, Y0 + 1e-4], [X0, Y0]]]},
     "not_a_polygon|polygon_not_finite"),
    ({"id": "INF"}, {"type": "Polygon", "coordinates": [[[X0, Y0], [float("inf"), Y0], [X0, Y0 + 1e-4], [X0, Y0]]]},
     "not_a_polygon|polygon_not_finite"),
    ({"id": "FAR"}, shapely.box(200, 10, 200.0001, 10.0001), "polygon_out_of_range"),
    ({"id": "HUGE"}, shapely.box(X0, Y0, X0 + 0.02, Y0 + 0.02), "footprint_too_big"),
    ({"id": "SLIVER"}, shapely.box(X0, Y0, X0 + 0.03, Y0 + 1e-6), "footprint_too_big"),
    ({"id": "FLAT"}, shapely.Polygon([(X0, Y0), (X0 + 1e-4, Y0), (X0 + 2e-4, Y0)]), "footprint_lost"),
    ({"id": "OK"}, footprint(60, 0), "duplicate_id"),
    ({}, footprint(0, 60), None),
    ({}, footprint(0, 60), "duplicate_footprint"),
    ({"id": "BOWTIE"}, shapely.Polygon([(X0, Y0), (X0 + 2e-4, Y0 + 2e-4), (X0 + 2e-4, Y0), (X0, Y0 + 2e-4)]), None),
]


def test_import_buildings_reports_each_bad_row_with_its_reason(db, tmp_path):
    path = write_geojson(tmp_path, [(p, g) for p, g, _ in BAD_ROWS])
    report = import_buildings(db, path)
    reasons = {row: why.code for row, why in report.skipped}
    expected = {i: code for i, (_, _, code) in enumerate(BAD_ROWS, start=1) if code}
    assert set(reasons) == set(expected)
    for row, code in expected.items():
        assert re.fullmatch(code, reasons[row]), (row, reasons[row])
    assert report.inserted == 3 and any(n.code == "note_repaired" and n.params["n"] == 1 for n in report.notes)
    assert {"OK", "BOWTIE"} <= set(_stored(db)["source_id"])
    huge = next(why for row, why in report.skipped if why.code == "footprint_too_big")
    assert float(huge.params["area_m2"].replace(",", "")) > MAX_FOOTPRINT_M2 and "m²" in str(huge)


def test_import_buildings_reads_osm_ids_and_projected_files(db, tmp_path):
    feats = [({"osm_id": "77", "osm_way_id": None, "building": "yes"}, footprint(0, 0)),
             ({"osm_id": None, "osm_way_id": "77", "building": "house"}, footprint(60, 0))]
    projected = _frame(feats).to_crs("EPSG:32649")  # UTM 49N: the file says its CRS, the reader uses it
    path = tmp_path / "osm.gpkg"
    projected.to_file(path, driver="GPKG")
    report = import_buildings(db, path, source="osm")
    assert report.inserted == 2 and not report.skipped
    stored = _stored(db)
    assert stored["source_id"].tolist() == ["relation/77", "way/77"]
    assert stored.iloc[0][["lon_min", "lat_min"]].tolist() == pytest.approx(feats[0][1].bounds[:2], abs=1e-7)


def test_import_buildings_refuses_points_and_a_file_of_bad_rows(db, tmp_path):
    csv = incidents_csv(tmp_path, [("1", "2024-01-01", X0, Y0, "x", "y")])
    with pytest.raises(ImportRefused, match="buildings need polygons"):
        import_buildings(db, csv)
    with pytest.raises(ImportRefused, match="no building could be imported"):
        import_buildings(db, write_geojson(tmp_path, [({"id": "P"}, {"type": "Point", "coordinates": [X0, Y0]})]))
    with pytest.raises(ImportRefused, match="--source"):
        import_buildings(db, write_geojson(tmp_path, THREE, "ok.geojson"), source="two words")
    assert _state(db) == (0, None, 0)


HOSTILE = {
    "nul-bytes": ("b.geojson", b'{"type": "FeatureCollection", "features": [\x00\x00]}', "NUL|not valid JSON|text"),
    "wrong-encoding": ("b.geojson", '{"type": "FeatureCollection", "name": "\u5efa\u7b51"}'.encode("utf-16"),
                       "UTF-16|encoding|UTF-8"),
    "zip-bomb": ("b.zip", _zip({"b.geojson": b" " * (16 * 1024 * 1024)}), "larger than 4 MiB"),
    "gzip-bomb": ("b.geojson.gz", _gzip_bomb(16 * 1024 * 1024, b" "), "larger than 4 MiB|unsupported|gzip"),
    "truncated-json": ("b.geojson", b'{"type": "FeatureCollection", "features": [{"type": "Fea', "not valid JSON"),
    "not-a-gpkg": ("b.gpkg", b"PK\x03\x04 certainly not sqlite", "GeoPackage|spatial"),
}


@pytest.mark.parametrize("case", list(HOSTILE) + ["dev-zero"], ids=list(HOSTILE) + ["dev-zero"])
def test_hostile_building_files_are_refused_and_write_nothing(case, make_db, backend, tmp_path, capsys, monkeypatch):
    db = make_db(backend)
    url = db.url.render_as_string(hide_password=False)
    assert main(["import", "buildings", str(write_geojson(tmp_path, THREE, "first.geojson")), "--db", url]) == 0
    before = _state(db)
    for key, value in SMALL_TEXT.items():
        monkeypatch.setenv(key, value)
    if case == "dev-zero":
        path, message = tmp_path / "zero.geojson", "not a regular file"
        path.symlink_to("/dev/zero")
    else:
        name, data, message = HOSTILE[case]
        path = _write(tmp_path / name, data)
    capsys.readouterr()
    assert main(["import", "buildings", str(path), "--db", url]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and re.search(message, err), err
    assert _state(db) == before
    with db.connect() as conn:
        outcomes = audit.entries(conn, action="import")["outcome"].tolist()
    assert outcomes[0] == "failed" and outcomes[1:] == ["ok"]


def test_cli_import_buildings_is_audited_once_in_its_transaction(make_db, tmp_path, capsys):
    db = make_db("sqlite")
    url = db.url.render_as_string(hide_password=False)
    path = write_geojson(tmp_path, THREE)
    assert main(["import", "buildings", str(path), "--db", url, "--map", "source_id=building_id",
                 "--source", "survey"]) == 0
    assert "3 new" in capsys.readouterr().out
    with db.connect() as conn:
        entries = audit.entries(conn, action="import")
    assert entries["object"].tolist() == ["buildings:b.geojson"]
    assert entries["detail"].iloc[0].startswith("read=3 new=3")


# ---- cameras: the horizontal resolution ----------------------------------------------------------

RESOLUTIONS = [("1920", 1920, None), ("1920x1080", 1920, None), ("2560*1440", 2560, None),
               ("3840×2160", 3840, None), ("1280 X 720", 1280, None), ("2048px", 2048, None), ("", None, None),
               ("4MP", None, "resolution_not_width"), ("400万像素", None, "resolution_not_width"),
               ("1080p", None, "resolution_not_width"), ("100", None, "number_out_of_range"),
               ("25000x100", None, "number_out_of_range"), ("1920.5", None, "not_whole"),
               ("wide", None, "not_a_number")]


@pytest.mark.parametrize("column", ["resolution_h", "分辨率", "水平分辨率"])
def test_camera_resolution_h_takes_the_width_and_refuses_megapixels(column, db, tmp_path):
    from geo.ingest.pipeline import import_file
    from geo.store.scope import Scope

    small_city(db, tmp_path)
    lines = [f"id,lon,lat,{column}"] + [f"K{i},{X0 + 0.005},{Y0 + 0.005},{raw}"
                                        for i, (raw, _, _) in enumerate(RESOLUTIONS)]
    path = tmp_path / "cameras.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = import_file(db, path, "cameras", scope=Scope.jurisdiction())
    skipped = {row: why.code for row, why in report.skipped}
    assert skipped == {i + 2: code for i, (_, _, code) in enumerate(RESOLUTIONS) if code}
    with db.connect() as conn:
        stored = dict(conn.execute(text("SELECT source_id, resolution_h FROM cameras")).all())
    assert stored == {f"K{i}": value for i, (_, value, code) in enumerate(RESOLUTIONS) if not code}
    again = import_file(db, path, "cameras", scope=Scope.jurisdiction())
    assert again.written == 0
