"""Import benchmark: the full Chicago 2017 file (267,792 rows) with cell assignment.

Runs each contender in its own process (so peak memory is its own) and prints a table:

- ``safegrid sqlite``   python -m geo's importer into a fresh SQLite file
- ``safegrid postgis``  the same into a fresh PostGIS database (skipped if none is reachable)
- ``geopandas sqlite``  the plain baseline: read_csv, points_from_xy, sjoin to beats, to_sql

Usage: ``.venv/bin/python bench/import_bench.py [--rows N] [--repeat K] [--smoke]``
(``SAFEGRID_TEST_PG`` names the PostgreSQL server, as for the tests). ``--smoke`` imports the
July file (24,783 rows) instead, every contender once; the tests run it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from geo.store.scope import Scope  # noqa: E402

EVERYTHING = Scope.jurisdiction()

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "chicago"
CRIMES = DATA / "chicago_crimes_2017.csv.gz"
SMOKE_CRIMES = DATA / "chicago_crimes_2017_07.csv"
BEATS = DATA / "police_beats.geojson"
PG_ADMIN = os.environ.get("SAFEGRID_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run_safegrid(url: str, crimes: Path) -> dict:
    sys.path.insert(0, str(ROOT))
    from geo.ingest.areas import import_areas
    from geo.ingest.pipeline import import_file
    from geo.store.engine import make_engine
    from geo.store.schema import init_db

    engine = make_engine(url)
    init_db(engine, "America/Chicago")
    import_areas(engine, BEATS, "grid", code_field="beat_num")
    start = time.perf_counter()
    report = import_file(engine, crimes, "incidents", scope=EVERYTHING, preset="chicago")
    seconds = time.perf_counter() - start
    start = time.perf_counter()
    again = import_file(engine, crimes, "incidents", scope=EVERYTHING, preset="chicago")
    reimport = time.perf_counter() - start
    assert again.written == 0
    return {"rows": report.rows_read, "written": report.written, "seconds": seconds, "reimport": reimport,
            "peak_mib": _peak_mib()}


def run_baseline(url: str, crimes: Path) -> dict:
    import geopandas as gpd
    import pandas as pd
    import shapely
    import sqlite3

    start = time.perf_counter()
    frame = pd.read_csv(crimes)
    frame = frame.dropna(subset=["Longitude", "Latitude"])
    frame["Date"] = pd.to_datetime(frame["Date"], format="%m/%d/%Y %I:%M:%S %p")
    points = gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(frame["Longitude"], frame["Latitude"]), crs=4326)
    beats = gpd.read_file(BEATS)[["beat_num", "geometry"]]
    joined = gpd.sjoin(points, beats, how="left", predicate="intersects")
    joined = joined[~joined.index.duplicated()]
    out = pd.DataFrame(joined.drop(columns=["geometry", "index_right"]))
    out["geom"] = shapely.to_wkb(joined.geometry.values)
    with sqlite3.connect(url[len("sqlite:///"):]) as conn:
        out.to_sql("incidents", conn, index=False, chunksize=50_000)
    seconds = time.perf_counter() - start
    return {"rows": len(pd.read_csv(crimes, usecols=["ID"])), "written": len(out), "seconds": seconds,
            "reimport": float("nan"), "peak_mib": _peak_mib()}


def _child(kind: str, url: str, crimes: str) -> None:
    result = (run_baseline if kind == "geopandas" else run_safegrid)(url, Path(crimes))
    print("RESULT " + json.dumps(result))


def _pg_database() -> str | None:
    sys.path.insert(0, str(ROOT))
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from geo.store.engine import make_engine

    name = f"safegrid_bench_{uuid.uuid4().hex[:8]}"
    try:
        admin = make_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(admin.url).set(database=name).render_as_string(hide_password=False)
        with make_engine(url).begin() as conn:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
        return url
    except Exception as exc:  # no server: the row is reported as skipped
        print(f"(postgis skipped: {str(exc).splitlines()[0]})", file=sys.stderr)
        return None


def _drop_pg(url: str) -> None:
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from geo.store.engine import make_engine

    admin = make_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, help="only the first N rows (a quick look)")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--smoke", action="store_true", help="the July file, to check the bench still runs")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(*args.child)
        return
    with tempfile.TemporaryDirectory() as tmp:
        crimes = SMOKE_CRIMES if args.smoke else CRIMES
        if args.rows:
            import pandas as pd

            crimes = Path(tmp) / "crimes.csv.gz"
            pd.read_csv(SMOKE_CRIMES if args.smoke else CRIMES, nrows=args.rows, dtype=str).to_csv(crimes, index=False)
        rows = []
        for rep in range(args.repeat):
            for kind in ("safegrid sqlite", "safegrid postgis", "geopandas sqlite"):
                if kind.endswith("postgis"):
                    url = _pg_database()
                    if url is None:
                        continue
                else:
                    url = f"sqlite:///{tmp}/{kind.replace(' ', '_')}_{rep}.db"
                proc = subprocess.run([sys.executable, __file__, "--child", kind.split()[0], url, str(crimes)],
                                      capture_output=True, text=True, cwd=ROOT)
                if kind.endswith("postgis"):
                    _drop_pg(url)
                line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")), None)
                if line is None:
                    print(proc.stdout[-2000:], proc.stderr[-2000:], file=sys.stderr)
                    raise SystemExit(f"{kind} failed")
                rows.append((kind, json.loads(line[7:])))
    print(f"\nImport of {rows[0][1]['rows']:,} rows ({crimes.name}) with cell assignment to 275 beats\n")
    print(f"{'contender':<18} {'written':>9} {'seconds':>8} {'rows/s':>9} {'re-import s':>11} {'peak MiB':>9}")
    print("-" * 70)
    for kind, r in rows:
        print(f"{kind:<18} {r['written']:>9,} {r['seconds']:>8.2f} {r['rows'] / r['seconds']:>9,.0f} "
              f"{r['reimport']:>11.2f} {r['peak_mib']:>9,.0f}")
    print("\nrows/s counts every row read (rows without coordinates are reported, not written).")


if __name__ == "__main__":
    main()
