"""Partition benchmark: N generated incidents (default 10,000,000) in a partitioned PostGIS database.

Builds the demo city (its areas: 1 district, 6 streets, 40 communities, 1,000 grid cells) into a
database of its own, then generates N incidents in SQL (``generate_series``) over the two years
ending on the demo's end date, spread over the grid cells (skewed, so there are hot cells), in
their monthly partitions (``geo.store.partitions.ensure``); recounts the daily rollup; and prints:

1. the build (seconds to generate and to roll up, rows, partitions, database size);
2. the server work of a change of period on the grid page: ``geo.store.measures.area_measures``
   (what ``geo.ui.data.measures`` runs, uncached) for the whole city at district, street and grid
   level, for the last month, the last quarter, the last 12 months, the calendar year before and two
   years that are not whole months (days read from the daily rollup at both ends);
   every call also reads the same period a year earlier (year-on-year). First call and the
   median of three more, as the owner and, when it can be granted, as the app role (row-level
   security in force), and the median as the owner reading the daily rollup only (``monthly=False``:
   how it was before ``incident_monthly``). Target: < 1 s;
3. one month of raw incidents counted per cell and category: the partitioned table beside an
   unpartitioned copy with an index on the date (``--no-flat`` skips making the copy).

Usage: ``.venv/bin/python bench/partition_bench.py [--incidents N] [--smoke] [--keep]``
(``SAFEGRID_TEST_PG`` names the server, as for the tests; the database is dropped afterwards
unless ``--keep``). ``--smoke``: 20,000 incidents; the tests run it. Asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
import uuid
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from geo.ingest.demo import build_demo  # noqa: E402
from geo.store import partitions  # noqa: E402
from geo.store.dialects import dialect_for  # noqa: E402
from geo.store import scope as scoping  # noqa: E402
from geo.store.engine import make_engine  # noqa: E402
from geo.store.measures import area_measures  # noqa: E402
from geo.store.rollup import rebuild_daily  # noqa: E402
from geo.store.schema import deployment_timezone  # noqa: E402
from geo.store.scope import Scope  # noqa: E402

PG_ADMIN = os.environ.get("SAFEGRID_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
APP_ROLE = os.environ.get("SAFEGRID_TEST_PG_APP_ROLE", "safegrid_app")
APP_PASSWORD = os.environ.get("SAFEGRID_TEST_PG_APP_PASSWORD", "safegrid-app-test")
INCIDENTS, SMOKE_INCIDENTS = 10_000_000, 20_000
DEMO_SCALE = 0.02  # the demo's own incidents stay; its areas are what the bench needs
END = dt.date(2026, 6, 30)
SPAN_DAYS = 730
CHUNK = 1_000_000
REPEAT = 3
LEVELS = ("district", "street", "grid")
PERIODS = {
    "last month": (dt.date(2026, 6, 1), END),
    "last quarter": (dt.date(2026, 4, 1), END),
    "last 12 months": (dt.date(2025, 7, 1), END),
    "calendar year 2025": (dt.date(2025, 1, 1), dt.date(2025, 12, 31)),
    "365 days to 06-15": (dt.date(2025, 6, 16), dt.date(2026, 6, 15)),  # the page's "365": 15 + 15 loose days
    "2025-01-02..12-30": (dt.date(2025, 1, 2), dt.date(2025, 12, 30)),  # 30 + 30 loose days, 10 whole months
}
MONTH = (dt.date(2026, 5, 1), dt.date(2026, 5, 31))
RAW_MONTH = ("SELECT cell_code, category, COUNT(*) FROM {table} WHERE occurred_on BETWEEN :s AND :e "
             "GROUP BY cell_code, category")
EVERYTHING = Scope.jurisdiction()

_CELLS = """
CREATE TEMP TABLE bench_cells ON COMMIT DROP AS
SELECT (row_number() OVER (ORDER BY g.code) - 1)::int AS k, g.code AS cell, c.code AS community,
       s.code AS street, d.code AS district, ST_X(ST_PointOnSurface(g.geom)) AS x, ST_Y(ST_PointOnSurface(g.geom)) AS y
FROM areas g JOIN areas c ON c.code = g.parent_code JOIN areas s ON s.code = c.parent_code
JOIN areas d ON d.code = s.parent_code WHERE g.level = 'grid'
"""
_GENERATE = """
INSERT INTO incidents (source, source_id, category, occurred_at, occurred_on, row_hash, geom,
                       cell_code, community_code, street_code, district_code)
SELECT 'bench', 'b' || r.g, (CAST(:cats AS text[]))[1 + r.ci], r.t, CAST(r.t AT TIME ZONE :tz AS date), r.g,
       ST_SetSRID(ST_MakePoint(c.x + r.dx, c.y + r.dy), 4326), c.cell, c.community, c.street, c.district
FROM (SELECT g, floor(:ncells * power(random(), 1.6))::int AS k, floor(random() * :ncats)::int AS ci,
             CAST(:last AS timestamptz) - random() * interval '{span} days' AS t,
             (random() - 0.5) * 0.0005 AS dx, (random() - 0.5) * 0.0005 AS dy
      FROM generate_series(CAST(:lo AS bigint), CAST(:hi AS bigint)) g) r
JOIN bench_cells c ON c.k = r.k
"""


def create_database() -> str:
    admin = make_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    name = f"safegrid_partbench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    engine.dispose()
    return url


def drop_database(url: str) -> None:
    admin = make_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def build(engine, n: int) -> dict:
    """The demo's areas, ``n`` generated incidents in their partitions, the rollup; seconds and sizes."""
    started = time.perf_counter()
    build_demo(engine, seed=20261123, scale=DEMO_SCALE, end=END)
    demo_s = time.perf_counter() - started
    started = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL work_mem = '256MB'"))  # the build only; the timed reads use the server's
        tz = deployment_timezone(conn)
        cats = sorted(conn.execute(text("SELECT DISTINCT category FROM incidents")).scalars())
        conn.execute(text(_CELLS))
        ncells = conn.execute(text("SELECT COUNT(*) FROM bench_cells")).scalar()
        days = [END - dt.timedelta(days=d) for d in range(SPAN_DAYS + 1)]
        partitions.ensure(conn, days)
        last = dt.datetime.combine(END, dt.time(23, 59), tzinfo=ZoneInfo(tz)).isoformat()
        sql = text(_GENERATE.format(span=SPAN_DAYS))
        with dialect_for(conn).bulk_load(conn, "incidents", n):  # as the importer: indexes made once, after
            for lo in range(1, n + 1, CHUNK):
                hi = min(lo + CHUNK - 1, n)
                conn.execute(sql, {"cats": cats, "tz": tz, "ncells": ncells, "ncats": len(cats), "last": last,
                                   "lo": lo, "hi": hi})
                _say(f"generated {hi:,} of {n:,} incidents ({time.perf_counter() - started:.0f} s)")
    generate_s = time.perf_counter() - started
    started = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL work_mem = '256MB'"))
        rebuild_daily(conn)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE incidents"))
        conn.execute(text("VACUUM ANALYZE incident_daily"))
        conn.execute(text("VACUUM ANALYZE incident_monthly"))
    rollup_s = time.perf_counter() - started
    with engine.connect() as conn:
        return {
            "demo (areas) s": demo_s, "generate s": generate_s, "rollup + analyse s": rollup_s,
            "incidents": conn.execute(text("SELECT COUNT(*) FROM incidents")).scalar(),
            "rollup rows": conn.execute(text("SELECT COUNT(*) FROM incident_daily")).scalar(),
            "monthly rollup rows": conn.execute(text("SELECT COUNT(*) FROM incident_monthly")).scalar(),
            "incident partitions": len(partitions.partitions(conn, partitions.INCIDENTS)),
            "database MB": conn.execute(text("SELECT pg_database_size(current_database())")).scalar() / 2**20,
        }


def _timed(fn) -> tuple[float, float]:
    """(first call, median of REPEAT more) in seconds."""
    times = []
    for _ in range(REPEAT + 1):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return times[0], statistics.median(times[1:])


def _measure(engine, level: str, start: dt.date, end: dt.date, monthly: bool = True) -> None:
    with engine.begin() as conn:
        scoping.apply(conn, EVERYTHING)
        area_measures(conn, EVERYTHING, level, start, end, today=END + dt.timedelta(days=1), monthly=monthly)


def app_engine(url: str):
    """The database as the app role (bound by row-level security), or None when it cannot be granted."""
    from geo.store.roles import grant_app

    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            if conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": APP_ROLE}).first() is None:
                raise RuntimeError(f"no role {APP_ROLE}")
            grant_app(conn, APP_ROLE)
        app = make_engine(make_url(url).set(username=APP_ROLE, password=APP_PASSWORD)
                          .render_as_string(hide_password=False))
        with app.connect() as conn:
            conn.execute(text("SELECT 1"))
        return app
    except Exception as exc:
        _say(f"(app role skipped: {str(exc).splitlines()[0]})")
        return None
    finally:
        engine.dispose()


def period_table(engine, app) -> list[tuple]:
    rows = []
    for level in LEVELS:
        for label, (start, end) in PERIODS.items():
            first, median = _timed(lambda: _measure(engine, level, start, end))
            as_app = _timed(lambda: _measure(app, level, start, end))[1] if app is not None else None
            daily_only = _timed(lambda: _measure(engine, level, start, end, monthly=False))[1]
            rows.append((level, label, (end - start).days + 1, first, median, as_app, daily_only))
    return rows


def raw_month(engine, flat: bool) -> list[tuple]:
    span = {"s": MONTH[0], "e": MONTH[1]}
    rows = []
    with engine.connect() as conn:
        query = text(RAW_MONTH.format(table="incidents"))
        rows.append(("partitioned (one month's partition)",) + _timed(lambda: conn.execute(query, span).all()))
    if flat:
        started = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE bench_flat AS SELECT * FROM incidents"))
            conn.execute(text("CREATE INDEX ix_bench_flat_occurred_on ON bench_flat (occurred_on)"))
            conn.execute(text("CREATE INDEX ix_bench_flat_cell_day ON bench_flat (cell_code, occurred_on)"))
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE bench_flat"))
        _say(f"unpartitioned copy made in {time.perf_counter() - started:.0f} s")
        with engine.connect() as conn:
            query = text(RAW_MONTH.format(table="bench_flat"))
            rows.append(("unpartitioned (one table, date index)",) + _timed(lambda: conn.execute(query, span).all()))
    return rows


def report(n: int, built: dict, periods: list[tuple], raw: list[tuple]) -> None:
    print(f"\nPartitioned PostGIS: {n:,} generated incidents over {SPAN_DAYS} days to {END}, 1,000 grid cells\n")
    for key, value in built.items():
        print(f"  {key:<22} {value:>14,.1f}" if isinstance(value, float) else f"  {key:<22} {value:>14,}")
    print("\nChange of period on the grid page (area_measures, whole city; each reads its year-before too)\n")
    print(f"  {'level':<9} {'period':<20} {'days':>5} {'first s':>8} {'median s':>9} {'app role s':>11} "
          f"{'daily only s':>13}")
    for level, label, days, first, median, app, daily_only in periods:
        app_s = f"{app:>11.3f}" if app is not None else f"{'-':>11}"
        print(f"  {level:<9} {label:<20} {days:>5} {first:>8.3f} {median:>9.3f} {app_s} {daily_only:>13.3f}")
    worst = max(max(r[4], r[5] or 0) for r in periods)
    print(f"\n  slowest median {worst:.3f} s (target < 1 s)")
    print(f"\nOne month ({MONTH[0]} to {MONTH[1]}) of raw incidents per cell and category\n")
    print(f"  {'table':<40} {'first s':>8} {'median s':>9}")
    for label, first, median in raw:
        print(f"  {label:<40} {first:>8.3f} {median:>9.3f}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=INCIDENTS)
    parser.add_argument("--smoke", action="store_true", help=f"{SMOKE_INCIDENTS:,} incidents, to check the bench runs")
    parser.add_argument("--keep", action="store_true", help="keep the database (its URL is printed)")
    parser.add_argument("--no-flat", action="store_true", help="skip the unpartitioned copy")
    args = parser.parse_args(argv)
    n = SMOKE_INCIDENTS if args.smoke else args.incidents
    url = create_database()
    engine = app = None
    try:
        engine = make_engine(url)
        built = build(engine, n)
        app = app_engine(url)
        periods = period_table(engine, app)
        raw = raw_month(engine, not args.no_flat)
        report(n, built, periods, raw)
    finally:
        for made in (engine, app):
            if made is not None:
                made.dispose()
        if args.keep:
            _say(f"kept: {make_url(url).render_as_string(hide_password=True)}")
        else:
            drop_database(url)


if __name__ == "__main__":
    main()
