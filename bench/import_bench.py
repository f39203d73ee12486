"""Import benchmark: the full Chicago 2017 file (267,792 rows) with cell assignment to 275 beats.

Every contender runs in its own process (so peak memory is its own); the baseline runs in the
same invocation, so the ratios compare like with like on a busy machine. Two tables:

1. Stages (seconds of read, validate, assign, write; rows/s; ratio to the baseline's rows/s):

   - ``safegrid sqlite``   the importer (``geo.ingest.pipeline.import_file``) into a fresh SQLite file
   - ``safegrid postgis``  the same into a fresh PostGIS database (skipped if none is reachable)
   - ``geopandas sqlite``  the plain pipeline: read_csv | dropna + to_datetime | points_from_xy +
                           sjoin to beats | to_sql (the stages line up with SafeGrid's)

2. Whole process (interpreter start, imports, everything), as subprocesses:
   ``python -m geo import incidents`` into an initialised database with the beats, against a plain
   geopandas script doing the same as the baseline above.

``--million`` adds the hot-spots benchmark's generated million incidents (bench/hotspots_bench.py,
whose own import is timed) into SQLite. ``--smoke`` imports the July file (24,783 rows) instead,
every contender once; the tests run it.

Usage: ``.venv/bin/python bench/import_bench.py [--rows N] [--repeat K] [--smoke] [--million]``
(``SAFEGRID_TEST_PG`` names the PostgreSQL server, as for the tests).
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # runs without PYTHONPATH

DATA = ROOT.parent / "shared" / "data" / "chicago"
CRIMES = DATA / "chicago_crimes_2017.csv.gz"
SMOKE_CRIMES = DATA / "chicago_crimes_2017_07.csv"
BEATS = DATA / "police_beats.geojson"
PG_ADMIN = os.environ.get("SAFEGRID_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
STAGES = ("read", "validate", "assign", "write")
BASELINE = "geopandas sqlite"

# The plain geopandas pipeline, as a script of its own (the whole-process baseline): argv = db, csv, beats.
PLAIN_SCRIPT = """
import sqlite3, sys
import geopandas as gpd, pandas as pd, shapely
frame = pd.read_csv(sys.argv[2])
frame = frame.dropna(subset=["Longitude", "Latitude"])
frame["Date"] = pd.to_datetime(frame["Date"], format="%m/%d/%Y %I:%M:%S %p")
points = gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(frame["Longitude"], frame["Latitude"]), crs=4326)
beats = gpd.read_file(sys.argv[3])[["beat_num", "geometry"]]
joined = gpd.sjoin(points, beats, how="left", predicate="intersects")
joined = joined[~joined.index.duplicated()]
out = pd.DataFrame(joined.drop(columns=["geometry", "index_right"]))
out["geom"] = shapely.to_wkb(joined.geometry.values)
with sqlite3.connect(sys.argv[1]) as conn:
    out.to_sql("incidents", conn, index=False, chunksize=50_000)
"""


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _prepare(url: str):
    from geo.ingest.areas import import_areas
    from geo.store.engine import make_engine
    from geo.store.schema import init_db

    engine = make_engine(url)
    init_db(engine, "America/Chicago")
    import_areas(engine, BEATS, "grid", code_field="beat_num")
    return engine


def run_safegrid(url: str, crimes: Path) -> dict:
    from geo.ingest.pipeline import import_file
    from geo.store.scope import Scope

    engine = _prepare(url)
    start = time.perf_counter()
    report = import_file(engine, crimes, "incidents", scope=Scope.jurisdiction(), preset="chicago")
    seconds = time.perf_counter() - start
    start = time.perf_counter()
    again = import_file(engine, crimes, "incidents", scope=Scope.jurisdiction(), preset="chicago")
    reimport = time.perf_counter() - start
    assert again.written == 0
    return {"rows": report.rows_read, "written": report.written, "seconds": seconds, "reimport": reimport,
            "stages": report.stages, "peak_mib": _peak_mib()}


def run_baseline(url: str, crimes: Path) -> dict:
    import sqlite3

    import geopandas as gpd
    import pandas as pd
    import shapely

    stages, start = {}, time.perf_counter()
    frame = pd.read_csv(crimes)
    stages["read"] = time.perf_counter() - start
    rows = len(frame)
    frame = frame.dropna(subset=["Longitude", "Latitude"])
    frame["Date"] = pd.to_datetime(frame["Date"], format="%m/%d/%Y %I:%M:%S %p")
    stages["validate"] = time.perf_counter() - start - stages["read"]
    points = gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(frame["Longitude"], frame["Latitude"]), crs=4326)
    beats = gpd.read_file(BEATS)[["beat_num", "geometry"]]
    joined = gpd.sjoin(points, beats, how="left", predicate="intersects")
    joined = joined[~joined.index.duplicated()]
    stages["assign"] = time.perf_counter() - start - stages["read"] - stages["validate"]
    out = pd.DataFrame(joined.drop(columns=["geometry", "index_right"]))
    out["geom"] = shapely.to_wkb(joined.geometry.values)
    with sqlite3.connect(url[len("sqlite:///"):]) as conn:
        out.to_sql("incidents", conn, index=False, chunksize=50_000)
    seconds = time.perf_counter() - start
    stages["write"] = seconds - stages["read"] - stages["validate"] - stages["assign"]
    return {"rows": rows, "written": len(out), "seconds": seconds, "reimport": float("nan"), "stages": stages,
            "peak_mib": _peak_mib()}


def run_million(url: str, workdir: Path) -> dict:
    """The hot-spots benchmark's city and million incidents, built and imported by its own code."""
    sys.path.insert(0, str(ROOT / "bench"))
    import hotspots_bench

    _engine, _crs, xy, seconds = hotspots_bench.build(workdir, 1_000_000, hotspots_bench.SIDE_M)
    return {"rows": len(xy), "seconds": seconds, "peak_mib": _peak_mib()}


def _child(kind: str, url: str, crimes: str) -> None:
    if kind == "million":
        result = run_million(url, Path(crimes))
    else:
        result = (run_baseline if kind == "geopandas" else run_safegrid)(url, Path(crimes))
    print("RESULT " + json.dumps(result))


def _pg_database() -> str | None:
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


def _run(args: list[str], what: str) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True, text=True, cwd=ROOT)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")), None)
    if line is None:
        print(proc.stdout[-2000:], proc.stderr[-2000:], file=sys.stderr)
        raise SystemExit(f"{what} failed")
    return json.loads(line[7:])


def _timed_process(command: list[str], what: str) -> float:
    start = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    seconds = time.perf_counter() - start
    if proc.returncode:
        print(proc.stdout[-2000:], proc.stderr[-2000:], file=sys.stderr)
        raise SystemExit(f"{what} failed")
    return seconds


def whole_process(tmp: str, crimes: Path, rep: int) -> list[tuple[str, float]]:
    """``python -m geo import incidents`` against the plain script, each a process of its own."""
    db = Path(tmp) / f"cli_{rep}.db"
    _prepare(f"sqlite:///{db}").dispose()  # init and the beats: not timed
    cli = _timed_process([sys.executable, "-m", "geo", "import", "incidents", str(crimes), "--db",
                          f"sqlite:///{db}", "--preset", "chicago"], "python -m geo import")
    script = Path(tmp) / "plain_import.py"
    script.write_text(PLAIN_SCRIPT)
    plain = _timed_process([sys.executable, str(script), str(Path(tmp) / f"plain_{rep}.db"), str(crimes), str(BEATS)],
                           "plain geopandas script")
    return [("python -m geo import", cli), ("plain geopandas script", plain)]


def _print_stages(rows: list[tuple[str, dict]], crimes: Path) -> None:
    print(f"\nImport of {rows[0][1]['rows']:,} rows ({crimes.name}) with cell assignment to 275 beats\n")
    head = (f"{'contender':<18} {'written':>9} " + " ".join(f"{s:>8}" for s in STAGES) +
            f" {'seconds':>8} {'rows/s':>9} {'x base':>7} {'re-import':>9} {'peak MiB':>8}")
    print(head)
    print("-" * len(head))
    base = [r["rows"] / r["seconds"] for kind, r in rows if kind == BASELINE]
    for kind, r in rows:
        rate = r["rows"] / r["seconds"]
        ratio = f"{rate / base[0]:.2f}" if base else "-"
        print(f"{kind:<18} {r['written']:>9,} " + " ".join(f"{r['stages'].get(s, float('nan')):>8.2f}" for s in STAGES) +
              f" {r['seconds']:>8.2f} {rate:>9,.0f} {ratio:>7} {r['reimport']:>9.2f} {r['peak_mib']:>8,.0f}")
    print("\nrows/s counts every row read (rows without coordinates are reported, not written); "
          "'x base' is rows/s over the baseline's in this run.")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, help="only the first N rows (a quick look)")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--smoke", action="store_true", help="the July file, to check the bench still runs")
    parser.add_argument("--million", action="store_true", help="also the 1M generated incidents into SQLite")
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
        rows, whole, million = [], [], []
        for rep in range(args.repeat):
            for kind in ("safegrid sqlite", "safegrid postgis", BASELINE):
                url = _pg_database() if kind.endswith("postgis") else f"sqlite:///{tmp}/{kind.replace(' ', '_')}_{rep}.db"
                if url is None:
                    continue
                try:
                    rows.append((kind, _run([kind.split()[0], url, str(crimes)], kind)))
                finally:
                    if kind.endswith("postgis"):
                        _drop_pg(url)
            whole.append(whole_process(tmp, crimes, rep))
            if args.million:
                work = Path(tmp) / f"million_{rep}"
                work.mkdir()
                million.append(_run(["million", "sqlite://", str(work)], "1M import")["seconds"])
    _print_stages(rows, crimes)
    print(f"\nWhole process ({crimes.name}, SQLite, interpreter start to exit)\n")
    print(f"{'process':<24} {'seconds':>8} {'x base':>7}")
    print("-" * 41)
    for run in whole:
        for name, seconds in run:
            print(f"{name:<24} {seconds:>8.2f} {run[1][1] / seconds:>7.2f}")
    for seconds in million:
        print(f"\n1,000,000 generated incidents (hotspots_bench.py's file) into SQLite: {seconds:.2f} s (target <= 15 s)")


if __name__ == "__main__":
    main()
