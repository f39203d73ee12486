"""Readers and importers on good input of every supported kind."""

from __future__ import annotations

import gzip
import zipfile

import geopandas as gpd
import numpy as np
import openpyxl
import pytest
import shapely
from sqlalchemy import text

from geo.core.crs import wgs84_to_gcj02, gcj02_to_bd09
from geo.ingest.areas import generate_grid, import_areas
from geo.store.scope import Scope
from geo.ingest.export import export_layer, read_layer
from geo.ingest.pipeline import import_file
from geo.ingest.readers import read_table
from geo.ingest.textfiles import decode_text
from tests.helpers import CELLS, cell_box, centre, district_file, small_city

EVERYTHING = Scope.jurisdiction()

X, Y = centre("C2")
ROWS = [("A1", "2024-03-01 10:00", X, Y, "盗窃", "电动车被盗")]


def _csv_text() -> str:
    return "编号,发生时间,经度,纬度,类别,描述\n" + "".join(",".join(map(str, r)) + "\n" for r in ROWS)


@pytest.fixture
def city_db(make_db, tmp_path):
    engine = make_db("sqlite")
    small_city(engine, tmp_path)
    return engine


def _cells(engine):
    with engine.connect() as conn:
        return conn.execute(text("SELECT source_id, cell_code, category FROM incidents")).all()


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_encodings_with_chinese_aliases(city_db, tmp_path, encoding):
    path = tmp_path / "a.csv"
    path.write_bytes(_csv_text().encode(encoding))
    report = import_file(city_db, path, "incidents", scope=EVERYTHING)
    assert report.inserted == 1
    assert _cells(city_db) == [("A1", "C2", "盗窃")]


def test_decode_text_reports_encoding():
    assert decode_text("类别".encode("gbk"), "x")[1] == "gb18030"
    assert decode_text("\ufeffabc".encode("utf-8"), "x") == ("abc", "utf-8")


def test_gzip_csv_and_xlsx(city_db, tmp_path):
    gz = tmp_path / "a.csv.gz"
    gz.write_bytes(gzip.compress(_csv_text().encode()))
    assert import_file(city_db, gz, "incidents", scope=EVERYTHING).inserted == 1
    wb = openpyxl.Workbook()
    wb.active.append(["id", "occurred_at", "lon", "lat", "category"])
    wb.active.append(["B1", "2024-03-02 09:00", X, Y, "fraud"])
    import datetime as dt
    wb.active.append(["B2", dt.datetime(2024, 3, 2, 10, 0), X, Y, "fraud"])  # a real Excel date cell
    xlsx = tmp_path / "a.xlsx"
    wb.save(xlsx)
    report = import_file(city_db, xlsx, "incidents", scope=EVERYTHING)
    assert (report.inserted, report.skipped) == (2, [])
    with city_db.connect() as conn:
        times = conn.execute(text("SELECT occurred_at FROM incidents WHERE source_id = 'B2'")).scalar()
    assert str(times).startswith("2024-03-02 02:00")  # 10:00 in Shanghai is 02:00 UTC


@pytest.mark.parametrize("crs,convert", [
    ("gcj02", lambda x, y: wgs84_to_gcj02(x, y)),
    ("bd09", lambda x, y: gcj02_to_bd09(*wgs84_to_gcj02(x, y))),
    ("EPSG:32649", lambda x, y: (lambda s: (s.x.to_numpy(), s.y.to_numpy()))(
        gpd.GeoSeries(shapely.points(x, y), crs=4326).to_crs(32649))),
], ids=["gcj02", "bd09", "utm"])
def test_source_crs_is_converted_to_wgs84(city_db, tmp_path, crs, convert):
    x, y = convert(np.array([X]), np.array([Y]))
    path = tmp_path / "a.csv"
    path.write_text(f"id,occurred_at,x,y\nA1,2024-03-01 10:00,{float(x[0])!r},{float(y[0])!r}\n", encoding="utf-8")
    import_file(city_db, path, "incidents", scope=EVERYTHING, crs=crs)
    stored = read_layer(city_db, "incidents", scope=EVERYTHING).geometry.iloc[0]
    assert stored.distance(shapely.Point(X, Y)) < 1e-6


def test_geojson_crs_member_is_honoured(city_db, tmp_path):
    p = gpd.GeoSeries(shapely.points([X], [Y]), crs=4326).to_crs(3857).iloc[0]
    path = tmp_path / "a.geojson"
    path.write_text('{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::3857"}},'
                    f'"features":[{{"type":"Feature","properties":{{"id":"A1","occurred_at":"2024-03-01"}},'
                    f'"geometry":{{"type":"Point","coordinates":[{p.x},{p.y}]}}}}]}}', encoding="utf-8")
    import_file(city_db, path, "incidents", scope=EVERYTHING)
    assert _cells(city_db)[0][1] == "C2"


def test_shapefile_zip_folder_and_geopackage_areas(make_db, tmp_path):
    gdf = gpd.GeoDataFrame({"cell": list(CELLS), "nm": [f"cell {c}" for c in CELLS], "pop": [10, 20, 30, 40]},
                           geometry=[cell_box(c) for c in CELLS], crs=4326)
    folder = tmp_path / "shp"
    folder.mkdir()
    gdf.to_crs(32649).to_file(folder / "cells.shp")  # a .prj in UTM: must be honoured
    archive = tmp_path / "cells.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for f in folder.iterdir():
            zf.write(f, f.name)
    gpkg = tmp_path / "cells.gpkg"
    gdf.to_file(gpkg, driver="GPKG")
    for source in (folder, archive, gpkg):
        engine = make_db("sqlite")
        import_areas(engine, district_file(tmp_path), "district")
        report = import_areas(engine, source, "grid", code_field="cell", name_field="nm", maps=["population=pop"])
        assert report.inserted == 4, source
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT code, name, parent_code, population FROM areas WHERE level='grid' "
                                     "ORDER BY code")).all()
        assert rows[0] == ("C1", "cell C1", "D1", 10)
        got = read_layer(engine, "areas", scope=EVERYTHING).set_index("code").geometry["C3"]
        assert got.symmetric_difference(cell_box("C3")).area < 1e-10


def test_invalid_polygon_repaired_and_duplicate_codes_merged(make_db, tmp_path):
    engine = make_db("sqlite")
    bow = {"type": "Polygon", "coordinates": [[[113, 28], [113.01, 28.01], [113.01, 28], [113, 28.01], [113, 28]]]}
    part = {"type": "Polygon", "coordinates": [[[113.02, 28], [113.03, 28], [113.03, 28.01], [113.02, 28]]]}
    path = tmp_path / "a.geojson"
    import json
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": "BOW"}, "geometry": bow},
        {"type": "Feature", "properties": {"code": "TWO"}, "geometry": part},
        {"type": "Feature", "properties": {"code": "TWO"}, "geometry": {
            "type": "Polygon", "coordinates": [[[113.04, 28], [113.05, 28], [113.05, 28.01], [113.04, 28]]]}}]}))
    report = import_areas(engine, path, "district")
    assert any("repaired" in n and "BOW" in n for n in report.notes)
    assert any("merged" in n for n in report.notes)
    areas = read_layer(engine, "areas", scope=EVERYTHING).set_index("code")
    assert areas.geometry["BOW"].is_valid and areas.geometry["TWO"].geom_type == "MultiPolygon"
    assert len(areas.geometry["TWO"].geoms) == 2
    again = import_areas(engine, path, "district")
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)


@pytest.mark.parametrize("shape", ["square", "hex"])
def test_generate_grid_is_clipped_stable_and_idempotent(make_db, tmp_path, shape):
    engine = make_db("sqlite")
    import_areas(engine, district_file(tmp_path), "district")
    first = generate_grid(engine, 300, shape)
    with engine.connect() as conn:
        codes = conn.execute(text("SELECT code FROM areas WHERE level='grid' ORDER BY code")).scalars().all()
        parents = set(conn.execute(text("SELECT parent_code FROM areas WHERE level='grid'")).scalars())
    assert first.inserted == len(codes) > 20 and parents == {"D1"}
    cells = read_layer(engine, "areas", scope=EVERYTHING)
    union = shapely.union_all(cells[cells["level"] == "grid"].geometry.values)
    district = cells.set_index("code").geometry["D1"]
    assert union.symmetric_difference(district).area / district.area < 1e-4  # edges re-projected
    again = generate_grid(engine, 300, shape)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, len(codes))
    finer = generate_grid(engine, 150, shape)
    with engine.connect() as conn:
        n = conn.execute(text("SELECT COUNT(*) FROM areas WHERE level='grid'")).scalar()
    assert n == finer.inserted and any("replaced" in note for note in finer.notes)


@pytest.mark.parametrize("suffix", [".csv", ".geojson", ".xlsx", ".gpkg"])
def test_export_every_format(city_db, tmp_path, suffix):
    path = tmp_path / "a.csv"
    path.write_bytes(_csv_text().encode())
    import_file(city_db, path, "incidents", scope=EVERYTHING)
    out = tmp_path / f"out{suffix}"
    assert export_layer(city_db, "incidents", out, scope=EVERYTHING) == 1
    if suffix in (".geojson", ".gpkg"):
        back = gpd.read_file(out)
        assert back.geometry.iloc[0].distance(shapely.Point(X, Y)) < 1e-9
        assert str(back["occurred_at"].iloc[0]).replace("T", " ").startswith("2024-03-01 02:00:00")
    elif suffix == ".csv":
        assert "2024-03-01T02:00:00Z" in out.read_text(encoding="utf-8-sig")
    assert read_table(out).frame.shape[0] == 1 if suffix != ".gpkg" else True
