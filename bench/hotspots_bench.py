"""Hot-spot benchmark: 1,000,000 clustered incidents on ~10,000 cells (synthetic).

Builds an SQLite database through the real importers (a 10 km square district, 100 m square
grid cells, a million incidents clustered around 40 centres over 2025) and prints a table:

- change of period   area measures of every cell for a new period (server time, uncached)
- Gi*                SafeGrid's gi_star on the cells' counts, and esda.G_Local (same run)
- weights            queen contiguity of the 10,000 cells (computed once per area set)
- KDE                1M points on a 500 x 500 grid
- emerging           Gi* on every week (cells x 52 weeks) plus Mann-Kendall and classes

Usage: ``.venv/bin/python bench/hotspots_bench.py [--incidents N] [--smoke]``. Asserts nothing;
targets: period < 1 s, Gi* < 0.3 s, KDE < 2 s, emerging < 10 s. ``--smoke``: 20,000 incidents on a
2 km square (400 cells), every step, in seconds; the tests run it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geo.core.density import kde  # noqa: E402
from geo.core.emerging import emerging  # noqa: E402
from geo.core.hotspots import gi_star  # noqa: E402
from geo.core.weights import queen  # noqa: E402
from geo.ingest.areas import generate_grid, import_areas  # noqa: E402
from geo.ingest.pipeline import import_file  # noqa: E402
from geo.store import analysis  # noqa: E402
from geo.store.engine import make_engine  # noqa: E402
from geo.store.measures import area_measures  # noqa: E402
from geo.store.scope import Scope  # noqa: E402

EVERYTHING = Scope.jurisdiction()  # the benchmark reads the whole synthetic city
from geo.store.schema import init_db  # noqa: E402

LON, LAT = 112.93, 28.12
SIDE_M = 10_000  # metres; the smoke run uses SMOKE_SIDE_M and SMOKE_INCIDENTS
SMOKE_SIDE_M, SMOKE_INCIDENTS = 2_000, 20_000


def build(workdir: Path, n: int, side: float) -> tuple:
    engine = make_engine(f"sqlite:///{workdir / 'bench.sqlite'}")
    init_db(engine, "Asia/Shanghai")
    crs = "EPSG:32649"
    centre = gpd.GeoSeries([shapely.Point(LON, LAT)], crs=4326).to_crs(crs).iloc[0]
    square = shapely.box(centre.x - side / 2, centre.y - side / 2, centre.x + side / 2, centre.y + side / 2)
    district = gpd.GeoDataFrame({"code": ["D1"], "name": ["bench"]}, geometry=[square], crs=crs).to_crs(4326)
    district.to_file(workdir / "district.geojson", driver="GeoJSON")
    import_areas(engine, workdir / "district.geojson", "district", code_field="code")
    generate_grid(engine, 100.0, "square")
    rng = np.random.default_rng(1)
    centres = rng.uniform(-side / 2.5, side / 2.5, (40, 2))
    which = rng.integers(0, 40, n)
    clustered = rng.random(n) < 0.7
    xy = np.where(clustered[:, None], centres[which] + rng.normal(0, 300, (n, 2)),
                  rng.uniform(-side / 2, side / 2, (n, 2)))
    pts = gpd.GeoSeries(shapely.points(centre.x + xy[:, 0], centre.y + xy[:, 1]), crs=crs).to_crs(4326)
    start = pd.Timestamp("2025-01-01")
    when = start + pd.to_timedelta(rng.uniform(0, 365 * 86400, n), unit="s")
    frame = pd.DataFrame({"source_id": np.arange(n).astype(str), "occurred_at": when.strftime("%Y-%m-%d %H:%M:%S"),
                          "x": pts.x.round(6), "y": pts.y.round(6),
                          "category": rng.choice(["theft", "fraud", "fight", "traffic"], n)})
    frame.to_csv(workdir / "incidents.csv", index=False)
    t = time.perf_counter()
    import_file(engine, workdir / "incidents.csv", "incidents", scope=EVERYTHING)
    return engine, crs, xy, time.perf_counter() - t


def timed(fn, repeat: int = 3) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--incidents", type=int, default=1_000_000)
    parser.add_argument("--smoke", action="store_true", help="a small instance, to check the bench still runs")
    args = parser.parse_args(argv)
    side = SMOKE_SIDE_M if args.smoke else SIDE_M
    if args.smoke:
        args.incidents = SMOKE_INCIDENTS
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        engine, crs, xy, import_s = build(Path(tmp), args.incidents, side)
        with engine.connect() as conn:
            areas = analysis._areas(conn, EVERYTHING, "grid")
            periods = [(dt.date(2025, m, 1), dt.date(2025, m, 28)) for m in range(1, 13)]
            times = []
            for a, b in periods:  # every one a new period: nothing cached
                t = time.perf_counter()
                table = area_measures(conn, EVERYTHING, "grid", a, b, today=dt.date(2026, 1, 1))
                times.append(time.perf_counter() - t)
            rows.append(("change of period (area measures)", f"{len(table):,} cells", np.median(times), 1.0))
            w_s, w = timed(lambda: queen(areas.geometry.values), 1)
            rows.append(("queen weights (once per area set)", f"{w.nnz:,} links", w_s, None))
            counts = analysis.run(conn, EVERYTHING, "grid", "count", dt.date(2025, 1, 1), dt.date(2025, 12, 31))
            y = counts["n_incidents"].to_numpy(dtype=float)
            gi_s, _ = timed(lambda: gi_star(y, w))
            rows.append(("Gi* (SafeGrid)", f"{len(y):,} cells", gi_s, 0.3))
            try:
                import esda
                import libpysal

                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    wobj = libpysal.weights.WSP(w).to_W(silence_warnings=True)
                    es_s, _ = timed(lambda: esda.G_Local(y, wobj, star=True, transform="B", permutations=0))
                rows.append(("Gi* (esda.G_Local, same input)", f"{len(y):,} cells", es_s, None))
            except ImportError:
                rows.append(("Gi* (esda not installed)", "", float("nan"), None))
            k_s, _ = timed(lambda: kde(xy[:, 0], xy[:, 1], 250.0, side / 500,
                                       bounds=(-side / 2, -side / 2, side / 2, side / 2)))
            rows.append(("KDE, quartic, 250 m bandwidth", f"{len(xy):,} pts, 500x500", k_s, 2.0))
            cube, steps = analysis.cell_cube(conn, EVERYTHING, "grid", dt.date(2024, 12, 30), dt.date(2025, 12, 28), "week", None,
                                             counts["code"].tolist())
            e_s, (cats, _) = timed(lambda: emerging(cube, w), 1)
            rows.append(("emerging hot spots", f"{cube.shape[0]:,} cells x {cube.shape[1]} weeks", e_s, 10.0))
    print(f"\nHot spots on {args.incidents:,} synthetic incidents (import took {import_s:.1f} s)\n")
    head = f"{'step':<36}{'size':>26}{'seconds':>10}{'target':>9}"
    print(head)
    print("-" * len(head))
    for name, size, sec, target in rows:
        print(f"{name:<36}{size:>26}{sec:>10.3f}{(f'< {target:g}' if target else ''):>9}")
    found = pd.Series(cats).value_counts()
    print("\nemerging categories: " + ", ".join(f"{k} {v}" for k, v in found.items()))


if __name__ == "__main__":
    main()
