"""Coverage benchmark (synthetic, metres): covered share per cell and camera planning.

- coverage per cell: 10,000 cameras (random headings, 60-360 degree views, 30-120 m) over
  10,000 square cells of 100 m; beside SafeGrid, in the same run, what a user would write:
  geopandas ``overlay`` of the cells with the views then ``dissolve`` per cell, and one
  ``union_all`` of the views touching each cell (SafeGrid's own way before issue 19)
- planning: 50 new dome sites (150 m) from 5,000 candidates over 10,000 weighted demand cells,
  lazy greedy and exact (HiGHS); beside them the plain integer programme handed to HiGHS as it
  stands, and spopt's MCLP with CBC on a smaller instance
- occlusion (``bench/occlusion_steps.py``): exact visibility polygons of 10,000 cameras among 50,000
  buildings (a synthetic town), each step timed, with the four DORI bands; then through the store's
  per-camera cache (cold, warm, one what-if camera, buildings changed); beside them a per-camera loop
  of convex-hull shadows, what a user would write, timed on a few hundred cameras and scaled up.
  Target: all of it within 30 s.

Usage: ``.venv/bin/python bench/coverage_bench.py [--smoke] [--repeat N]``. Prints a table
(best of ``N`` runs of each timed step); asserts nothing. Targets: coverage < 1 s, greedy
planning < 3 s, exact planning < 3 s. ``--smoke`` runs the same steps on a 2 km square (400
cells, 400 cameras, 500 candidate sites) in a few seconds; the tests run it.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout: geo and bench

from geo.core.coverage import covered_fraction, sectors  # noqa: E402
from geo.core.planning import coverage_matrix, exact, greedy  # noqa: E402

# full size and smoke size: square side (m), cameras, candidate sites, sites to plan, spopt instance
SIZES = {"full": dict(side=10_000.0, cameras=10_000, sites=5_000, k=50, small=800, small_k=20),
         "smoke": dict(side=2_000.0, cameras=400, sites=500, k=10, small=200, small_k=5)}


REPEAT = 1


def timed(fn):
    """(best seconds of REPEAT runs, the result)."""
    best = float("inf")
    for _ in range(REPEAT):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def overlay_fraction(cells: np.ndarray, views: np.ndarray) -> np.ndarray:
    """Baseline: geopandas overlay of the cells with the views, dissolved per cell."""
    grid = gpd.GeoDataFrame({"cell": np.arange(len(cells))}, geometry=cells)
    pieces = gpd.overlay(grid, gpd.GeoDataFrame(geometry=views), how="intersection", keep_geom_type=True)
    seen = pieces.dissolve("cell")
    return seen.area.reindex(grid["cell"], fill_value=0.0).to_numpy() / grid.area.to_numpy()


def union_per_cell(cells: np.ndarray, views: np.ndarray) -> np.ndarray:
    """Baseline: the views touching each cell (STRtree), their union_all, its intersection with the cell."""
    out = np.zeros(len(cells))
    cell_idx, view_idx = shapely.STRtree(views).query(cells, predicate="intersects")
    order = np.argsort(cell_idx, kind="stable")
    cell_idx, view_idx = cell_idx[order], view_idx[order]
    for group in np.split(np.arange(len(cell_idx)), np.flatnonzero(np.diff(cell_idx)) + 1):
        if len(group):
            i = cell_idx[group[0]]
            out[i] = shapely.intersection(shapely.union_all(views[view_idx[group]]), cells[i]).area / cells[i].area
    return out


def plain_exact(a: sparse.csc_matrix, w: np.ndarray, k: int, time_limit: float) -> float:
    """Baseline: the maximal covering programme given to HiGHS whole (dome sites: one option each),
    default options; returns the covered weight."""
    n_dem, n_opt = a.shape
    cover = LinearConstraint(sparse.hstack([-sparse.csr_matrix(a), sparse.identity(n_dem)]), -np.inf, 0)
    count = LinearConstraint(np.concatenate([np.ones(n_opt), np.zeros(n_dem)])[None, :], 0, k)
    result = milp(np.concatenate([np.zeros(n_opt), -w]), constraints=[cover, count],
                  integrality=np.concatenate([np.ones(n_opt), np.zeros(n_dem)]), bounds=Bounds(0, 1),
                  options={"time_limit": time_limit, "mip_rel_gap": 0.0})
    chosen = np.flatnonzero(np.round(result.x[:n_opt]))
    return float(w[np.asarray(a[:, chosen].sum(axis=1)).ravel() > 0].sum())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="a small instance, to check the bench still runs")
    parser.add_argument("--repeat", type=int, default=1, help="time each step this many times and keep the best")
    args = parser.parse_args(argv)
    global REPEAT
    REPEAT = max(1, args.repeat)
    size = SIZES["smoke" if args.smoke else "full"]
    side, k, n_sites = size["side"], size["k"], size["sites"]
    rng = np.random.default_rng(7)
    rows = []
    corners = np.stack(np.meshgrid(np.arange(0, side, 100), np.arange(0, side, 100)), -1).reshape(-1, 2).T
    cells = shapely.box(*corners, *(corners + 100))
    n = size["cameras"]
    x, y = rng.uniform(0, side, n), rng.uniform(0, side, n)
    fov = np.where(rng.random(n) < 0.3, 360.0, rng.uniform(60, 120, n))
    heading, reach = rng.uniform(0, 360, n), rng.uniform(30, 120, n)  # drawn once: --repeat keeps the instance
    t_views, views = timed(lambda: sectors(x, y, heading, fov, reach))
    rows.append(("camera views (64-segment sectors)", f"{n:,} cameras", t_views, None))
    t_cov, frac = timed(lambda: covered_fraction(cells, views))
    rows.append(("covered share per cell", f"{len(cells):,} cells", t_cov, 1.0))
    t_two, two = timed(lambda: covered_fraction(cells, views, threads=2))
    rows.append(("  same, threads=2", f"max diff {np.abs(two - frac).max():.1e}", t_two, None))
    for name, base in (("  baseline: geopandas overlay", overlay_fraction),
                       ("  baseline: union_all per cell", union_per_cell)):
        t_b, theirs = timed(lambda: base(cells, views))
        rows.append((name, f"{t_b / t_cov:.1f}x SafeGrid, diff {np.abs(theirs - frac).max():.0e}", t_b, None))

    demand_xy = shapely.get_coordinates(shapely.centroid(cells))
    weight = rng.poisson(2.0, len(cells)).astype(float)
    cand = rng.uniform(0, side, (n_sites, 2))
    t_a, (a, site, _) = timed(lambda: coverage_matrix(cand[:, 0], cand[:, 1], demand_xy[:, 0], demand_xy[:, 1], 150.0))
    rows.append(("coverage matrix", f"{n_sites:,} x {len(cells):,}", t_a, None))
    t_g, g = timed(lambda: greedy(a, weight, site, k=k))
    rows.append((f"plan {k} sites, lazy greedy", f"{g.covered:,.0f} covered", t_g + t_a, 3.0))
    t_e, e = timed(lambda: exact(a, weight, site, k=k, time_limit=120))
    rows.append((f"plan {k} sites, exact (HiGHS)", f"{e.covered:,.0f} covered, gap {e.gap or 0:.2%}", t_e + t_a, 3.0))
    t_p, p_cov = timed(lambda: plain_exact(a, weight, k, time_limit=120))
    rows.append(("  baseline: whole programme, HiGHS", f"{p_cov:,.0f} covered, {t_p / (t_e + t_a):.1f}x SafeGrid",
                 t_p + t_a, None))
    rows.append(("greedy / exact", f"{g.covered / e.covered:.4f}", float("nan"), None))
    try:
        import pulp
        from spopt.locate import MCLP

        small, small_k = slice(0, size["small"]), size["small_k"]
        a_small = a[:, small]
        t_o, o = timed(lambda: exact(a_small, weight, site[small], k=small_k))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cost = np.where(a_small.toarray() > 0, 0.0, 1.0)
            model = MCLP.from_cost_matrix(cost, weight, service_radius=0.5, p_facilities=small_k)
            t_s, _ = timed(lambda: model.solve(pulp.PULP_CBC_CMD(msg=False)))
        picked = [j for j, v in enumerate(model.fac_vars) if v.value() and v.value() > 0.5]
        s_cov = weight[np.asarray(a_small[:, picked].sum(axis=1)).ravel() > 0].sum()
        rows.append((f"exact {small_k} of {size['small']} (HiGHS)", f"{o.covered:,.0f} covered", t_o, None))
        rows.append((f"spopt MCLP {small_k} of {size['small']} (CBC)", f"{s_cov:,.0f} covered", t_s, None))
    except ImportError:
        rows.append(("spopt not installed", "", float("nan"), None))
    from bench.occlusion_steps import rows as occlusion_rows

    rows.extend(occlusion_rows(args.smoke, np.random.default_rng(8)))
    print(f"\nCoverage and planning (synthetic, {side / 1000:.0f} km square)\n")
    head = f"{'step':<40}{'result':>44}{'seconds':>10}{'target':>9}"
    print(head)
    print("-" * len(head))
    for name, result, sec, target in rows:
        print(f"{name:<40}{result:>44}{sec:>10.3f}{(f'< {target:g}' if target else ''):>9}")
    print(f"\nmean covered share of a cell: {frac.mean():.3f}")


if __name__ == "__main__":
    main()
