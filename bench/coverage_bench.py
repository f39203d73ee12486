"""Coverage benchmark (synthetic, metres): covered share per cell and camera planning.

- coverage per cell: 10,000 cameras (random headings, 60-360 degree views, 30-120 m) over
  10,000 square cells of 100 m
- planning: 50 new dome sites (150 m) from 5,000 candidates over 10,000 weighted demand cells,
  lazy greedy and exact (HiGHS); spopt's MCLP with CBC on a smaller instance for comparison

Usage: ``.venv/bin/python bench/coverage_bench.py [--smoke]``. Prints a table; asserts nothing.
Targets: coverage < 3 s, greedy planning < 3 s. ``--smoke`` runs the same steps on a 2 km
square (400 cells, 400 cameras, 500 candidate sites) in a few seconds; the tests run it.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geo.core.coverage import covered_fraction, sectors  # noqa: E402
from geo.core.planning import coverage_matrix, exact, greedy  # noqa: E402

# full size and smoke size: square side (m), cameras, candidate sites, sites to plan, spopt instance
SIZES = {"full": dict(side=10_000.0, cameras=10_000, sites=5_000, k=50, small=800, small_k=20),
         "smoke": dict(side=2_000.0, cameras=400, sites=500, k=10, small=200, small_k=5)}


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="a small instance, to check the bench still runs")
    size = SIZES["smoke" if parser.parse_args(argv).smoke else "full"]
    side, k, n_sites = size["side"], size["k"], size["sites"]
    rng = np.random.default_rng(7)
    rows = []
    corners = np.stack(np.meshgrid(np.arange(0, side, 100), np.arange(0, side, 100)), -1).reshape(-1, 2).T
    cells = shapely.box(*corners, *(corners + 100))
    n = size["cameras"]
    x, y = rng.uniform(0, side, n), rng.uniform(0, side, n)
    fov = np.where(rng.random(n) < 0.3, 360.0, rng.uniform(60, 120, n))
    t_views, views = timed(lambda: sectors(x, y, rng.uniform(0, 360, n), fov, rng.uniform(30, 120, n)))
    rows.append(("camera views (64-segment sectors)", f"{n:,} cameras", t_views, None))
    t_cov, frac = timed(lambda: covered_fraction(cells, views))
    rows.append(("covered share per cell", f"{len(cells):,} cells", t_cov, 3.0))

    demand_xy = shapely.get_coordinates(shapely.centroid(cells))
    weight = rng.poisson(2.0, len(cells)).astype(float)
    cand = rng.uniform(0, side, (n_sites, 2))
    t_a, (a, site, _) = timed(lambda: coverage_matrix(cand[:, 0], cand[:, 1], demand_xy[:, 0], demand_xy[:, 1], 150.0))
    rows.append(("coverage matrix", f"{n_sites:,} x {len(cells):,}", t_a, None))
    t_g, g = timed(lambda: greedy(a, weight, site, k=k))
    rows.append((f"plan {k} sites, lazy greedy", f"{g.covered:,.0f} covered", t_g + t_a, 3.0))
    t_e, e = timed(lambda: exact(a, weight, site, k=k, time_limit=120))
    rows.append((f"plan {k} sites, exact (HiGHS)", f"{e.covered:,.0f} covered, gap {e.gap or 0:.2%}", t_e + t_a, None))
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
    print(f"\nCoverage and planning (synthetic, {side / 1000:.0f} km square)\n")
    head = f"{'step':<36}{'result':>32}{'seconds':>10}{'target':>9}"
    print(head)
    print("-" * len(head))
    for name, result, sec, target in rows:
        print(f"{name:<36}{result:>32}{sec:>10.3f}{(f'< {target:g}' if target else ''):>9}")
    print(f"\nmean covered share of a cell: {frac.mean():.3f}")


if __name__ == "__main__":
    main()
