"""Patrol-zone proposals: balance, compactness and time against spopt's regionalisation heuristics.

Instances (same building blocks, same workloads for every method):

- demo city: its ~1,000 grid cells, workload = last year's incidents, K = 12
- Chicago: the 275 police beats as building blocks, workload = 2017 incidents, K = 22 (the
  number of police districts, whose own workload balance is printed as a check)
- a 2,000-cell synthetic grid (time only)

For each: max/min workload ratio, coefficient of variation, mean Polsby-Popper, whether every
zone is contiguous, seconds. spopt: RegionKMeansHeuristic, and MaxPHeuristic with a workload
floor of 90 % of the mean (it chooses its own number of regions). Usage:
``.venv/bin/python bench/zones_bench.py [--smoke]``. Asserts nothing. Targets (ours): contiguous,
max/min <= 1.10, mean Polsby-Popper >= 0.45, 2,000 cells under 30 s. ``--smoke``: a 5 % demo
city, Chicago's July file and a 225-cell grid, every method; the tests run it.
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

from geo.core.patrol import balance, cell_graph, is_contiguous, polsby_popper, propose  # noqa: E402
from geo.core.weights import queen  # noqa: E402

CHICAGO = ROOT.parent / "shared" / "data" / "chicago"
# demo scale, demo K, Chicago crimes file, synthetic grid side (cells), synthetic K
# and MaxP's construction rounds (its annealing dominates the bench's time)
# and whether the demo instance is one street's cells only (spopt takes minutes on all 1,000)
SIZES = {"full": dict(scale=1.0, demo_k=12, crimes="chicago_crimes_2017.csv.gz", side=45, synth_k=20, maxp=30,
                      one_street=False, chicago_k=22),
         "smoke": dict(scale=0.05, demo_k=4, crimes="chicago_crimes_2017_07.csv", side=15, synth_k=5, maxp=1,
                       one_street=True, chicago_k=22)}


def score(name: str, blocks: gpd.GeoDataFrame, zone: np.ndarray, seconds: float, adj) -> dict:
    crs = blocks.estimate_utm_crs()
    shapes = blocks.to_crs(crs).geometry.values
    k = int(zone.max()) + 1
    polys = [shapely.union_all(shapes[zone == z]) for z in range(k)]
    load = np.bincount(zone, weights=blocks["workload"].to_numpy(), minlength=k)
    ratio, cv = balance(load)
    pp = polsby_popper(np.array([p.area for p in polys]), np.array([p.length for p in polys]))
    return {"method": name, "zones": k, "max/min": ratio, "cv": cv, "mean PP": pp.mean(),
            "contiguous": all(is_contiguous(np.flatnonzero(zone == z), adj) for z in range(k)), "seconds": seconds}


def run_all(blocks: gpd.GeoDataFrame, k: int, label: str, maxp_rounds: int) -> list[dict]:
    adj = queen(blocks.geometry.values)
    m = blocks.to_crs(blocks.estimate_utm_crs())
    rows = []
    t = time.perf_counter()
    ours = propose(k, blocks["workload"].to_numpy(dtype=float), cell_graph(m.geometry.values, adj))
    rows.append(score("SafeGrid propose", blocks, ours, time.perf_counter() - t, adj))
    try:
        import libpysal
        from spopt.region import MaxPHeuristic, RegionKMeansHeuristic

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            w = libpysal.weights.WSP(adj).to_W(silence_warnings=True)
            data = blocks[["workload"]].to_numpy(dtype=float)
            t = time.perf_counter()
            km = RegionKMeansHeuristic(data, k, w)
            km.solve()
            rows.append(score("spopt RegionKMeans", blocks, np.asarray(km.labels_), time.perf_counter() - t, adj))
            frame = blocks.assign(attr=blocks["workload"], one=1.0)
            t = time.perf_counter()
            floor = 0.9 * blocks["workload"].sum() / k
            mp = MaxPHeuristic(frame, w, ["attr"], "workload", floor, top_n=2, max_iterations_construction=maxp_rounds)
            mp.solve()
            labels = np.asarray(mp.labels_) - 1
            labels[labels < 0] = 0
            rows.append(score("spopt MaxP (floor 0.9 mean)", blocks, labels, time.perf_counter() - t, adj))
    except ImportError:
        pass
    for r in rows:
        r["instance"] = label
    return rows


def demo_blocks(tmp: Path, scale: float, one_street: bool) -> gpd.GeoDataFrame:
    from geo.ingest.demo import build_demo
    from geo.store.engine import make_engine
    from sqlalchemy import text

    from geo.store.patrol import cell_workload
    from geo.store.scope import Scope

    engine = make_engine(f"sqlite:///{tmp / 'demo.sqlite'}")
    build_demo(engine, seed=20261123, scale=scale, end=dt.date(2026, 6, 30))
    with engine.connect() as conn:
        cells = cell_workload(conn, Scope.jurisdiction(), dt.date(2025, 7, 1), dt.date(2026, 6, 30))
        if one_street:
            street = conn.execute(text("SELECT min(code) FROM areas WHERE level = 'street'")).scalar()
            cells = cells[cells["code"].str.startswith(street)].reset_index(drop=True)  # demo codes nest
        return cells


def chicago_blocks(name: str) -> tuple[gpd.GeoDataFrame, float]:
    beats = gpd.read_file(CHICAGO / "police_beats.geojson").to_crs(4326)
    crimes = pd.read_csv(CHICAGO / name, usecols=["Beat", "District"])
    counts = crimes.groupby("Beat").size()
    beats["workload"] = beats["beat_num"].astype(int).map(counts).fillna(0).astype(float)
    districts = crimes.groupby("District").size().sort_values(ascending=False).head(22)  # the 22 districts (a few
    # stray codes in the file hold a handful of rows)
    return beats[["beat_num", "workload", "geometry"]].reset_index(drop=True), float(districts.max() / districts.min())


def synthetic(n_side: int = 45) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(3)
    cells = [shapely.box(112.9 + i * 0.001, 28.1 + j * 0.001, 112.9 + (i + 1) * 0.001, 28.1 + (j + 1) * 0.001)
             for j in range(n_side) for i in range(n_side)]
    return gpd.GeoDataFrame({"workload": rng.gamma(1.0, 3.0, n_side * n_side)}, geometry=cells, crs=4326)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="small instances, to check the bench still runs")
    size = SIZES["smoke" if parser.parse_args(argv).smoke else "full"]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        blocks = demo_blocks(Path(tmp), size["scale"], size["one_street"])
        label = f"demo {'street' if size['one_street'] else 'city'} ({len(blocks):,} cells), K={size['demo_k']}"
        rows += run_all(blocks, size["demo_k"], label, size["maxp"])
    beats, district_ratio = chicago_blocks(size["crimes"])
    rows += run_all(beats, size["chicago_k"], f"Chicago beats, K={size['chicago_k']}", size["maxp"])
    big = synthetic(size["side"])
    adj = queen(big.geometry.values)
    m = big.to_crs(big.estimate_utm_crs())
    t = time.perf_counter()
    zone = propose(size["synth_k"], big["workload"].to_numpy(), cell_graph(m.geometry.values, adj))
    rows.append({**score("SafeGrid propose", big, zone, time.perf_counter() - t, adj),
                 "instance": f"synthetic {len(big):,} cells, K={size['synth_k']}"})
    table = pd.DataFrame(rows)[["instance", "method", "zones", "max/min", "cv", "mean PP", "contiguous", "seconds"]]
    print("\nPatrol-zone proposals (targets for SafeGrid: contiguous, max/min <= 1.10, mean PP >= 0.45)\n")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print(f"\nChicago's 22 police districts themselves: workload max/min {district_ratio:.2f}")


if __name__ == "__main__":
    main()
