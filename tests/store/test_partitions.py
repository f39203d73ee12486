"""Partitioned incidents (PostgreSQL), partitions made ahead, retention (both backends where it applies)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from geo.cli.entry import main
from geo.ingest.pipeline import import_file
from geo.store import partitions, retention
from geo.store import scope as scoping
from geo.store.engine import make_engine
from geo.store.measures import area_measures
from geo.store.partitions import DAILY, INCIDENTS, Layout
from geo.store.retention import RetentionError, cutoff, maintain, retain_months
from geo.store.schema import alembic_config
from geo.store.scope import Scope
from tests.conftest import TODAY, app_role_url
from tests.helpers import centre, incidents_csv, small_city

EVERYTHING = Scope.jurisdiction()
# (id, local time, cell, category): two years and a bit, several rows a month, one cell outside
ROWS = [(i, f"{2024 + m // 12}-{m % 12 + 1:02d}-{1 + 7 * (i % 4):02d} {8 + i % 12:02d}:15", ("C1", "C2", "C4")[i % 3],
         ("theft", "fight")[i % 2]) for i, m in enumerate(k % 29 for k in range(1, 88))]


def _incidents(tmp_path, rows=ROWS, name="incidents.csv"):
    lines = []
    for i, when, cell, category in rows:
        x, y = centre(cell) if cell else (113.5, 28.5)
        lines.append((i, when, x, y, category, ""))
    return incidents_csv(tmp_path, lines, name=name)


def _city(engine, tmp_path):
    small_city(engine, tmp_path)
    import_file(engine, _incidents(tmp_path), "incidents", scope=EVERYTHING)


def _snapshot(engine, measures: bool = True) -> dict:
    """Every row of both tables (geometry as text) and, with ``measures``, the grid page's measures for a
    few periods (the measures read today's schema, ledger columns too: not at an old revision)."""
    with engine.connect() as conn:
        scoping.apply(conn, EVERYTHING)
        out = {
            "incidents": conn.execute(text(
                "SELECT id, source, source_id, category, occurred_at, occurred_on, row_hash, ST_AsText(geom), "
                "cell_code, community_code, street_code, district_code FROM incidents ORDER BY id")).all(),
            "daily": conn.execute(text("SELECT * FROM incident_daily ORDER BY day, category, cell_code")).all(),
        }
        for level in ("district", "grid") if measures else ():
            for start, end in ((dt.date(2025, 3, 1), dt.date(2025, 3, 31)), (dt.date(2025, 1, 1), dt.date(2025, 12, 31))):
                # daily rollup only: at revision 0006 there is no incident_monthly (test_monthly.py covers it)
                table = area_measures(conn, EVERYTHING, level, start, end, today=TODAY, monthly=False)
                out[(level, start, end)] = table.astype(object).where(table.notna(), None).to_dict("records")
    return out


def _kind(engine, table: str) -> str:
    with engine.connect() as conn:
        return conn.execute(text("SELECT relkind FROM pg_class WHERE oid = to_regclass(:t)"), {"t": table}).scalar()


def _recount_matches(conn) -> bool:
    """The rollup is exactly the incidents counted per day, category and cell."""
    counted = conn.execute(text("SELECT occurred_on, category, COALESCE(cell_code, ''), COUNT(*) FROM incidents "
                                "GROUP BY 1, 2, 3 ORDER BY 1, 2, 3")).all()
    rolled = conn.execute(text("SELECT day, category, cell_code, SUM(n) FROM incident_daily GROUP BY 1, 2, 3 "
                               "ORDER BY 1, 2, 3")).all()
    return [tuple(map(str, r)) for r in counted] == [tuple(map(str, r)) for r in rolled]


@pytest.mark.parametrize("day, months, first_kept", [
    (dt.date(2026, 7, 15), 24, dt.date(2024, 7, 1)),
    (dt.date(2026, 1, 1), 24, dt.date(2024, 1, 1)),
    (dt.date(2026, 12, 31), 25, dt.date(2024, 11, 1)),
    (dt.date(2026, 3, 9), 36, dt.date(2023, 3, 1)),
], ids=["mid-month", "new-year", "year-end", "three-years"])
def test_cutoff_is_the_first_of_the_month_n_months_back(day, months, first_kept):
    assert cutoff(day, months) == first_kept


@pytest.mark.parametrize("layout, day, span, name", [
    (INCIDENTS, dt.date(2026, 12, 31), (dt.date(2026, 12, 1), dt.date(2027, 1, 1)), "incidents_p2026_12"),
    (INCIDENTS, dt.date(2024, 2, 29), (dt.date(2024, 2, 1), dt.date(2024, 3, 1)), "incidents_p2024_02"),
    (DAILY, dt.date(2026, 7, 1), (dt.date(2026, 1, 1), dt.date(2027, 1, 1)), "incident_daily_p2026"),
], ids=["december", "leap-february", "year"])
def test_layout_span_and_name(layout: Layout, day, span, name):
    assert layout.span(day) == span
    assert layout.name(span[0]) == name


@pytest.mark.parametrize("value, expected", [("", None), ("  ", None), ("24", 24), (" 60 ", 60), (36, 36)])
def test_retain_months_reads_the_setting(value, expected):
    assert retain_months(value) == expected


@pytest.mark.parametrize("value", ["12", 23, "0", "-5", "two years", "24.5"])
def test_retain_months_refuses_below_the_floor_or_not_a_number(value):
    with pytest.raises(RetentionError):
        retain_months(value)


def test_months_ahead_crosses_the_year():
    assert partitions.months_ahead(dt.date(2026, 11, 20), 3) == [
        dt.date(2026, 11, 1), dt.date(2026, 12, 1), dt.date(2027, 1, 1), dt.date(2027, 2, 1)]


@pytest.mark.postgis
def test_upgrade_converts_a_database_with_data_and_downgrade_puts_it_back(make_db, tmp_path):
    from alembic import command

    db = make_db("postgis")
    _city(db, tmp_path)
    partitioned = _snapshot(db)
    with db.begin() as conn:
        command.downgrade(alembic_config(conn), "0006")
    assert (_kind(db, "incidents"), _kind(db, "incident_daily")) == ("r", "r")
    assert _snapshot(db, measures=False) == {k: partitioned[k] for k in ("incidents", "daily")}
    with db.connect() as conn:
        unique = conn.execute(text("SELECT indexdef FROM pg_indexes WHERE indexname = 'uq_incidents_source'")).scalar()
    assert unique.endswith("(source, source_id)")
    app = make_engine(app_role_url(db.url.render_as_string(hide_password=False)))  # granted on plain tables
    with db.begin() as conn:
        command.upgrade(alembic_config(conn), "head")
    try:
        assert (_kind(db, "incidents"), _kind(db, "incident_daily")) == ("p", "p")
        assert _snapshot(db) == partitioned
        with db.connect() as conn:
            months = conn.execute(text("SELECT DISTINCT date_trunc('month', occurred_on)::date FROM incidents")).scalars()
            made = {p.start for p in partitions.partitions(conn, INCIDENTS)}
            assert set(months) <= made and len(made) == 29 + 1  # the months with rows, and DEFAULT
            assert conn.execute(text("SELECT COUNT(*) FROM incidents_default")).scalar() == 0
            total = conn.execute(text("SELECT COUNT(*) FROM incidents")).scalar()
        # the app role kept its grants and row-level security binds it: all with '*', D1's with D1, none unset
        with app.begin() as conn:
            assert conn.execute(text("SELECT COUNT(*) FROM incidents")).scalar() == 0
            scoping.apply(conn, EVERYTHING)
            assert conn.execute(text("SELECT COUNT(*) FROM incidents")).scalar() == total
        with app.begin() as conn:
            scoping.apply(conn, Scope.of(conn, "C1"))
            assert 0 < conn.execute(text("SELECT COUNT(*) FROM incidents")).scalar() < total
            assert conn.execute(text("SELECT COUNT(*) FROM incidents WHERE cell_code <> 'C1'")).scalar() == 0
        with app.begin() as conn, pytest.raises(Exception, match="permission denied"):
            conn.execute(text("SELECT COUNT(*) FROM incidents_p2025_03"))  # no way round the policy
        with app.begin() as conn:  # 0008 gave incident_monthly incident_daily's grants, and the same policy
            scoping.apply(conn, Scope.of(conn, "C1"))
            in_c1 = conn.execute(text("SELECT SUM(n) FROM incident_monthly")).scalar()
            assert in_c1 == conn.execute(text("SELECT COUNT(*) FROM incidents")).scalar() > 0
            assert conn.execute(text("SELECT COUNT(*) FROM incident_monthly WHERE cell_code <> 'C1'")).scalar() == 0
    finally:
        app.dispose()


@pytest.mark.postgis
def test_import_into_a_new_month_makes_its_partitions(make_db, tmp_path):
    db = make_db("postgis")
    _city(db, tmp_path)
    report = import_file(db, _incidents(tmp_path, [(900, "2019-03-05 10:00", "C1", "theft"),
                                                  (901, "2019-03-06 10:00", "C2", "theft")], "new.csv"),
                         "incidents", scope=EVERYTHING)
    assert report.inserted == 2
    with db.connect() as conn:
        names = {p.name for layout in (INCIDENTS, DAILY) for p in partitions.partitions(conn, layout)}
        assert {"incidents_p2019_03", "incident_daily_p2019"} <= names
        assert conn.execute(text("SELECT COUNT(*) FROM incidents_p2019_03")).scalar() == 2
        assert conn.execute(text("SELECT COUNT(*) FROM incidents_default")).scalar() == 0
        assert conn.execute(text("SELECT SUM(n) FROM incident_daily_p2019")).scalar() == 2


def test_reimport_is_idempotent_and_a_changed_date_moves_the_row(db, tmp_path):
    _city(db, tmp_path)
    again = import_file(db, _incidents(tmp_path), "incidents", scope=EVERYTHING)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, len(ROWS))
    with db.connect() as conn:
        before = conn.execute(text("SELECT id, occurred_on FROM incidents WHERE source_id = '5'")).one()
    moved = [(5, "2019-11-20 09:00", "C4", "fraud")]  # another month, another year
    report = import_file(db, _incidents(tmp_path, moved, "moved.csv"), "incidents", scope=EVERYTHING)
    assert (report.inserted, report.updated) == (0, 1)
    with db.connect() as conn:
        rows = conn.execute(text("SELECT id, occurred_on, category FROM incidents WHERE source_id = '5'")).all()
        assert [(r[0], str(r[1]), r[2]) for r in rows] == [(before[0], "2019-11-20", "fraud")]  # one row, same id
        assert conn.execute(text("SELECT COUNT(*) FROM incidents")).scalar() == len(ROWS)
        assert _recount_matches(conn)
    assert str(before[1]) != "2019-11-20"


@pytest.mark.postgis
def test_rows_the_app_role_writes_wait_in_default_and_move_out_on_maintain(make_db, tmp_path):
    db = make_db("postgis")
    _city(db, tmp_path)
    app = make_engine(app_role_url(db.url.render_as_string(hide_password=False)))
    try:
        with app.begin() as conn:
            scoping.apply(conn, EVERYTHING)
            assert partitions.ensure(conn, [dt.date(2018, 6, 1)]) == {}  # not the owner: makes none
            conn.execute(text("INSERT INTO incidents (source, source_id, category, occurred_at, occurred_on, row_hash, "
                              "cell_code, community_code, street_code, district_code) VALUES ('app', '1', 'theft', "
                              "'2018-06-01 02:00+00', '2018-06-01', 0, 'C1', 'D1', 'D1', 'D1')"))
            conn.execute(text("INSERT INTO incident_daily VALUES ('2018-06-01', 'theft', 'C1', 'D1', 'D1', 'D1', 1)"))
    finally:
        app.dispose()
    with db.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM incidents_default")).scalar() == 1
        assert conn.execute(text("SELECT COUNT(*) FROM incident_daily_default")).scalar() == 1
    with db.begin() as conn:
        done = maintain(conn, TODAY, ahead=2)
    assert done.made["incidents_p2018_06"] == 1 and done.made["incident_daily_p2018"] == 1
    with db.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM incidents_default")).scalar() == 0
        assert conn.execute(text("SELECT COUNT(*) FROM incidents_p2018_06")).scalar() == 1
        assert _recount_matches(conn)


@pytest.mark.postgis
def test_maintain_makes_months_ahead_and_a_second_run_changes_nothing(make_db, tmp_path):
    db = make_db("postgis")
    _city(db, tmp_path)
    with db.begin() as conn:
        first = maintain(conn, TODAY, ahead=3)
    assert set(first.made) == {"incidents_p2026_07", "incidents_p2026_08", "incidents_p2026_09",
                               "incidents_p2026_10"}  # the rows end in 2026-05; incident_daily_p2026 exists
    with db.begin() as conn:
        second = maintain(conn, TODAY, ahead=3)
    assert (second.made, second.dropped) == ({}, [])
    assert second.summary() == "partitions up to date; retention: everything kept"


def test_retention_drops_old_months_keeps_the_rollup_consistent_and_audits(db, tmp_path, monkeypatch):
    _city(db, tmp_path)
    url = db.url.render_as_string(hide_password=False)
    monkeypatch.setenv(retention.RETAIN_ENV, "24")
    assert main(["maintain", "--db", url]) == 0
    cut = cutoff(TODAY, 24)
    with db.connect() as conn:
        kept = conn.execute(text("SELECT MIN(occurred_on), COUNT(*) FROM incidents")).one()
        assert str(kept[0]) >= cut.isoformat() and kept[1] < len(ROWS)
        assert str(conn.execute(text("SELECT MIN(day) FROM incident_daily")).scalar()) >= cut.isoformat()
        assert _recount_matches(conn)
        if partitions.is_partitioned(conn, "incidents"):
            left = partitions.partitions(conn, INCIDENTS) + partitions.partitions(conn, DAILY)
            assert all(p.is_default or p.end > cut for p in left)
        detail = conn.execute(text("SELECT detail FROM audit_log WHERE action = 'maintain'")).scalar()
    assert f"before {cut.isoformat()}" in detail and f"deleted {len(ROWS) - kept[1]} incidents" in detail
    assert main(["maintain", "--db", url]) == 0  # again: nothing more to drop
    with db.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM incidents")).scalar() == kept[1]


def test_retention_below_the_floor_is_refused_and_writes_nothing(db, tmp_path, capsys, monkeypatch):
    _city(db, tmp_path)
    url = db.url.render_as_string(hide_password=False)
    assert main(["maintain", "--db", url, "--retain-months", "12"]) == 2
    assert "never below 24 months" in capsys.readouterr().err
    monkeypatch.setenv(retention.RETAIN_ENV, "6")
    assert main(["maintain", "--db", url]) == 2
    with db.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM incidents")).scalar() == len(ROWS)
        assert conn.execute(text("SELECT COUNT(*) FROM audit_log WHERE action = 'maintain'")).scalar() == 0
    with db.begin() as conn, pytest.raises(RetentionError):
        maintain(conn, TODAY, retain=23)


@pytest.mark.postgis
def test_a_bulk_load_rebuilds_the_indexes_on_every_partition(make_db, tmp_path):
    from geo.store.dialects import BULK_ROWS, dialect_for

    db = make_db("postgis")
    _city(db, tmp_path)
    with db.begin() as conn:
        conn.execute(text("DELETE FROM incidents WHERE occurred_on >= '2025-01-01'"))
        with dialect_for(conn).bulk_load(conn, "incidents", BULK_ROWS):  # drops the secondary indexes, then remakes
            assert conn.execute(text("SELECT COUNT(*) FROM pg_indexes WHERE tablename = 'incidents'")).scalar() == 1
    with db.connect() as conn:
        invalid = conn.execute(text("SELECT COUNT(*) FROM pg_index WHERE NOT indisvalid")).scalar()
        per_partition = conn.execute(text(
            "SELECT COUNT(*) FROM pg_indexes WHERE tablename = 'incidents_p2024_03'")).scalar()
    assert (invalid, per_partition) == (0, 5)  # the key and the four secondary indexes
