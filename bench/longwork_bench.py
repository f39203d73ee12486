"""The long work of the patrol page on the demo city: the zone proposal and the patrol-sheets PDF.

Rows (seconds, and what each made):

- zone proposal, SafeGrid (``geo.store.patrol.propose_zones``, K=12 over the last 28 days, the
  page's default period): as shipped, the transportation LP solved by column generation;
- the same with the whole LP every round (the method before column generation; the zones must be
  the same, which the table says);
- patrol sheets PDF (``geo.report.sheets.patrol_sheets``, every zone and shift) as shipped, and the
  same with its maps drawn the plain way (pyplot figures, ``GeoDataFrame.plot``,
  ``estimate_utm_crs`` per map: how the maps were drawn before);
- the area report PDF for the district (``geo.report.area_report.report_pdf``).

What a user would try instead for the zones, spopt's regionalisation, is compared in
bench/zones_bench.py (on one street: spopt takes minutes on the demo's 1,000 cells).

Usage: ``.venv/bin/python bench/longwork_bench.py [--smoke]``. Asserts nothing; the target is a
proposal under 20 s on the full demo. ``--smoke``: a 5 % demo city, K=4, the first three zones'
sheets; the tests run it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SIZES = {"full": dict(scale=1.0, k=12, zones=None), "smoke": dict(scale=0.05, k=4, zones=3)}
END = dt.date(2026, 6, 30)
START = END - dt.timedelta(days=27)


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def plain_render(layers, *, title="", size_in=(7.0, 6.0), dpi=130) -> bytes:
    """Maps the plain way (as before): pyplot, geopandas' plot, a UTM zone estimated per map."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    from geo.report.fonts import matplotlib_families

    shown = [lay for lay in layers if lay.frame is not None and not lay.frame.empty]
    with plt.rc_context({"font.family": matplotlib_families(), "axes.unicode_minus": False}):
        fig, ax = plt.subplots(figsize=size_in, dpi=dpi)
        crs = shown[0].frame.estimate_utm_crs() if shown else None
        handles = []
        for lay in shown:
            gdf = lay.frame.to_crs(crs)
            colors = gdf[lay.color].tolist() if isinstance(lay.color, str) and lay.color in gdf else lay.color
            if lay.kind == "fill":
                gdf.plot(ax=ax, color=colors, edgecolor=lay.edge, linewidth=lay.width)
            elif lay.kind == "outline":
                gdf.boundary.plot(ax=ax, color=lay.edge, linewidth=lay.width)
            else:
                gdf.plot(ax=ax, color=colors, markersize=lay.size, edgecolor="#222222", linewidth=0.3, zorder=5)
            if lay.label_column:
                for pt, text in zip(gdf.geometry.representative_point(), gdf[lay.label_column]):
                    ax.annotate(str(text), (pt.x, pt.y), ha="center", va="center", fontsize=6, zorder=6)
            handles += [Patch(facecolor=c, label=t) for t, c in lay.legend.items()]
        ax.set_axis_off()
        ax.set_aspect("equal")
        if handles:
            ax.legend(handles=handles, loc="lower left", fontsize=7)
        fig.tight_layout()
        out = io.BytesIO()
        fig.savefig(out, format="png")
        plt.close(fig)
        return out.getvalue()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="a small demo city, to check the bench still runs")
    size = SIZES["smoke" if parser.parse_args(argv).smoke else "full"]

    from geo.core import patrol as core
    from geo.core.patrol import balance
    from geo.ingest.demo import build_demo
    from geo.report import area_report, sheets
    from geo.store import features, patrol
    from geo.store.engine import make_engine
    from geo.store.reports import report_data
    from geo.store.scope import Scope

    rows = []
    scope = Scope.jurisdiction()
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'demo.sqlite'}")
        build_demo(engine, seed=20261123, scale=size["scale"], end=END)
        k = size["k"]
        with engine.connect() as conn:
            n_cells = len(features.areas_within(conn, scope, "grid"))
            label = f"zone proposal, demo city ({n_cells:,} cells), K={k}"
            (zones, changes), t_new = timed(lambda: patrol.propose_zones(conn, scope, k, START, END))
            rows.append({"task": label, "method": "SafeGrid (column generation)", "seconds": t_new,
                         "result": f"max/min {balance(zones['workload'].to_numpy())[0]:.3f}"})
            kept = core.NEAREST_COLUMNS
            core.NEAREST_COLUMNS = k  # every column from the start: the whole LP each round
            try:
                (whole, whole_changes), t_old = timed(lambda: patrol.propose_zones(conn, scope, k, START, END))
            finally:
                core.NEAREST_COLUMNS = kept
            same = bool((whole_changes["new_zone"].fillna("") == changes["new_zone"].fillna("")).all())
            rows.append({"task": label, "method": "whole LP each round (the LP as before)", "seconds": t_old,
                         "result": f"max/min {balance(whole['workload'].to_numpy())[0]:.3f}, same zones: {same}"})
            current = features.zones(conn, scope)
            if size["zones"]:
                current = current.head(size["zones"])
            plan = patrol.patrol_plan(conn, scope, current, START, END, patrol.SHIFTS)
            grid = features.areas_within(conn, scope, "grid")
            district = conn.exec_driver_sql("SELECT code FROM areas WHERE level = 'district' LIMIT 1").scalar()
            figures = report_data(conn, scope, district, START, END, END)
        label = f"patrol sheets PDF, {len(current)} zones x {len(patrol.SHIFTS)} shifts"
        make = lambda: sheets.patrol_sheets(plan, current, grid, patrol.SHIFTS, f"{START} - {END}")  # noqa: E731
        body, t_pdf = timed(make)
        rows.append({"task": label, "method": "SafeGrid (path collections)", "seconds": t_pdf,
                     "result": f"{len(body) / 1e3:,.0f} kB"})
        shipped = sheets.render
        sheets.render = plain_render
        try:
            body, t_plain = timed(make)
        finally:
            sheets.render = shipped
        rows.append({"task": label, "method": "geopandas plot + pyplot maps (before)", "seconds": t_plain,
                     "result": f"{len(body) / 1e3:,.0f} kB"})
        body, t_rep = timed(lambda: area_report.report_pdf(figures))
        rows.append({"task": f"area report PDF, district {district}", "method": "SafeGrid", "seconds": t_rep,
                     "result": f"{len(body) / 1e3:,.0f} kB"})
        engine.dispose()
    table = pd.DataFrame(rows)[["task", "method", "seconds", "result"]]
    print("\nLong work on the patrol page (target: the zone proposal under 20 s on the full demo)\n")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.2f}"))


if __name__ == "__main__":
    main()
