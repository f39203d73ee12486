"""The store suite: every test runs on SQLite and on PostGIS (a skip of PostGIS fails CI)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import shapely
from sqlalchemy import inspect, select, text
from sqlalchemy.orm import Session

from geo.ingest import pipeline
from geo.ingest.errors import ImportRefused
from geo.ingest.pipeline import Importer, import_file
from geo.store.models import Area, Base, Camera, Incident, LedgerEvent, LedgerItem
from geo.store.queries import counts_by_area
from geo.store.schema import deployment_timezone, init_db
from tests.helpers import centre, incidents_csv, small_city
from geo.store.scope import Scope

EVERYTHING = Scope.jurisdiction()


def _count(engine, table: str) -> int:
    with engine.connect() as conn:
        return conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar()


def test_init_db_creates_every_table(db):
    names = set(inspect(db).get_table_names())
    assert {t.name for t in Base.metadata.sorted_tables} <= names
    assert init_db(db) == "Asia/Shanghai"  # a second run changes nothing


def test_init_db_refuses_to_switch_timezone(db):
    with pytest.raises(ValueError, match="cannot be switched"):
        init_db(db, "America/Chicago")


@pytest.mark.postgis
def test_geometry_column_is_postgis_with_gist_index_on_postgresql(make_db):
    db = make_db("postgis")
    with db.connect() as conn:
        coltype = conn.execute(text("SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                                    "WHERE attrelid = 'incidents'::regclass AND attname = 'geom'")).scalar()
        indexes = conn.execute(text("SELECT indexdef FROM pg_indexes WHERE tablename = 'incidents'")).scalars().all()
    assert coltype == "geometry(Point,4326)"
    assert any("USING gist" in ix for ix in indexes)


def test_sqlite_connection_settings(make_db):
    engine = make_db("sqlite")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


@pytest.mark.parametrize("geom", [shapely.Point(113.1, 28.2),
                                  shapely.MultiPolygon([shapely.box(113, 28, 113.01, 28.01)])],
                         ids=["point", "multipolygon"])
def test_geometry_round_trips_through_orm(db, geom):
    with Session(db) as session:
        if geom.geom_type == "Point":
            session.add(Camera(source="t", source_id="1", geom=geom, row_hash=0, fov=360, range_m=30,
                               status="online"))
        else:
            session.add(Area(code="A", level="district", geom=geom))
        session.commit()
        got = session.scalars(select(Camera.geom if geom.geom_type == "Point" else Area.geom)).one()
    assert got.equals_exact(geom, 1e-12)


def test_import_assigns_cells_and_rolls_up_daily(db, tmp_path):
    small_city(db, tmp_path)
    x1, y1 = centre("C1")
    x4, y4 = centre("C4")
    path = incidents_csv(tmp_path, [
        (1, "2024-03-01 10:00", x1, y1, "theft", ""),
        (2, "2024-03-01 23:30", x1, y1, "theft", ""),  # still 1 March local (UTC+8)
        (3, "2024-03-02 00:30", x4, y4, "fight", ""),
        (4, "2024-03-02 01:00", 113.5, 28.5, "fight", ""),  # outside every cell, kept
    ])
    report = import_file(db, path, "incidents", scope=EVERYTHING)
    assert (report.inserted, report.outside, report.skipped) == (4, 1, [])
    with db.connect() as conn:
        rows = conn.execute(text("SELECT source_id, cell_code, district_code, occurred_on FROM incidents "
                                 "ORDER BY source_id")).all()
        daily = conn.execute(text("SELECT day, cell_code, category, n FROM incident_daily "
                                  "ORDER BY day, cell_code")).all()
    assert [(r[0], r[1], r[2]) for r in rows] == [("1", "C1", "D1"), ("2", "C1", "D1"), ("3", "C4", "D1"),
                                                  ("4", None, None)]
    assert str(rows[1][3]) == "2024-03-01"
    assert [(str(d), c, k, n) for d, c, k, n in daily] == [
        ("2024-03-01", "C1", "theft", 2), ("2024-03-02", "", "fight", 1), ("2024-03-02", "C4", "fight", 1)]


def test_reimport_changes_nothing_and_updates_change_rollup(db, tmp_path):
    small_city(db, tmp_path)
    x1, y1 = centre("C1")
    x2, y2 = centre("C2")
    first = incidents_csv(tmp_path, [(1, "2024-03-01 10:00", x1, y1, "theft", ""),
                                     (2, "2024-03-01 11:00", x1, y1, "theft", "")])
    import_file(db, first, "incidents", scope=EVERYTHING)
    again = import_file(db, first, "incidents", scope=EVERYTHING)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)
    moved = incidents_csv(tmp_path, [(2, "2024-03-05 11:00", x2, y2, "fraud", "")], name="moved.csv")
    report = import_file(db, moved, "incidents", scope=EVERYTHING)
    assert (report.inserted, report.updated) == (0, 1)
    with db.connect() as conn:
        table, _ = counts_by_area(conn, EVERYTHING, "grid", dt.date(2024, 3, 1), dt.date(2024, 3, 31))
        daily = conn.execute(text("SELECT day, cell_code, category, n FROM incident_daily ORDER BY day")).all()
    assert dict(zip(table["code"], table["n_incidents"])) == {"C1": 1, "C2": 1, "C3": 0, "C4": 0}
    assert [(str(d), c, k, n) for d, c, k, n in daily] == [("2024-03-01", "C1", "theft", 1),
                                                           ("2024-03-05", "C2", "fraud", 1)]


def test_failed_import_leaves_nothing_behind(db, tmp_path, monkeypatch):
    small_city(db, tmp_path)
    x1, y1 = centre("C1")
    path = incidents_csv(tmp_path, [(1, "2024-03-01 10:00", x1, y1, "theft", "")])

    def broken_rollup(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(pipeline, "rebuild_daily", broken_rollup)
    monkeypatch.setattr(pipeline, "add_to_daily", broken_rollup)
    with pytest.raises(RuntimeError, match="disk full"):
        import_file(db, path, "incidents", scope=EVERYTHING)
    assert _count(db, "incidents") == 0
    assert _count(db, "incident_daily") == 0


def test_importing_cells_later_reassigns_incidents(db, tmp_path):
    from geo.ingest.areas import import_areas
    from tests.helpers import cells_file, district_file

    import_areas(db, district_file(tmp_path), "district")
    x3, y3 = centre("C3")
    import_file(db, incidents_csv(tmp_path, [(1, "2024-03-01 10:00", x3, y3, "theft", "")]), "incidents", scope=EVERYTHING)
    report = import_areas(db, cells_file(tmp_path), "grid")
    assert any("re-assigned" in n for n in report.notes)
    with db.connect() as conn:
        assert conn.execute(text("SELECT cell_code FROM incidents")).scalar() == "C3"
        assert conn.execute(text("SELECT parent_code FROM areas WHERE code = 'C3'")).scalar() == "D1"
        assert conn.execute(text("SELECT SUM(n) FROM incident_daily WHERE cell_code = 'C3'")).scalar() == 1


def test_ledger_import_records_history_as_workflow_steps_and_bumps_version(db, tmp_path):
    small_city(db, tmp_path)
    x1, y1 = centre("C1")
    head = ["source_id", "kind", "found_on", "x", "y", "title", "deadline", "status"]
    first = incidents_csv(tmp_path, [("L1", "隐患", "2024-03-01", x1, y1, "消防通道堵塞", "2024-03-15", "已上报")],
                          name="l1.csv", header=head)
    clerk = Importer("clerk.a", "clerk")
    import_file(db, first, "ledger", scope=EVERYTHING, by=clerk)
    later = incidents_csv(tmp_path, [("L1", "隐患", "2024-03-01", x1, y1, "消防通道堵塞", "2024-03-15", "整改中")],
                          name="l2.csv", header=head)
    import_file(db, later, "ledger", scope=EVERYTHING, by=clerk)
    with Session(db) as session:
        item = session.scalars(select(LedgerItem)).one()
        events = session.scalars(select(LedgerEvent).order_by(LedgerEvent.id)).all()
    assert (item.kind, item.status, item.version, item.cell_code) == ("hazard", "rectifying", 2, "C1")
    assert [(e.actor, e.action, e.from_status, e.to_status) for e in events] == [
        ("clerk.a", "import", None, "reported"), ("clerk.a", "assign", "reported", "assigned"),
        ("clerk.a", "start", "assigned", "rectifying")]  # the steps a clerk takes on the card


def test_refused_file_writes_nothing(db, tmp_path):
    small_city(db, tmp_path)
    path = incidents_csv(tmp_path, [(1, "2024-03-01", 113.0, 28.0)], header=["id", "occurred_at", "lon", "lat"])
    path.write_text("id,when,where\n1,2024-03-01,here\n", encoding="utf-8")
    with pytest.raises(ImportRefused, match="required column"):
        import_file(db, path, "incidents", scope=EVERYTHING)
    assert _count(db, "incidents") == 0


def test_deployment_timezone_is_stored(make_db, backend):
    engine = make_db(backend, tz="America/Chicago")
    with engine.connect() as conn:
        assert deployment_timezone(conn) == "America/Chicago"


def test_orm_reads_utc_instants(db, tmp_path):
    small_city(db, tmp_path)
    x1, y1 = centre("C1")
    import_file(db, incidents_csv(tmp_path, [(1, "2024-03-01 08:00", x1, y1, "theft", "")]), "incidents", scope=EVERYTHING)
    with Session(db) as session:
        inc = session.scalars(select(Incident)).one()
    got = pd.Timestamp(inc.occurred_at)
    got = got.tz_localize("UTC") if got.tzinfo is None else got.tz_convert("UTC")
    assert got == pd.Timestamp("2024-03-01 00:00", tz="UTC")
    assert inc.geom.equals_exact(shapely.Point(x1, y1), 1e-9)
