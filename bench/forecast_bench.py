"""Forecast backtest on real data: Chicago 2017 on a generated 250 m square grid.

Imports the police beats (their union is the city boundary), generates 250 m square cells
inside it, imports the 2017 incidents with the ``chicago`` preset, then predicts each week of
July-December from everything before it (history from January) and prints the mean hit rate
and Predictive Accuracy Index at 1 %, 5 % and 10 % of the city's area for:

- baseline     last week's counts per cell (the method to beat)
- kde          quartic kernel density of all earlier incidents (300 m), mean per cell
- near_repeat  long-run background plus recent incidents decaying in time and spreading to neighbours

Usage: ``.venv/bin/python bench/forecast_bench.py [--smoke]`` (about a minute). Asserts nothing.
``--smoke``: July 2017 only (24,783 rows) on 500 m cells, two weeks predicted; the tests run it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geo.ingest.areas import generate_grid, import_areas  # noqa: E402
from geo.ingest.pipeline import import_file  # noqa: E402
from geo.store import analysis  # noqa: E402
from geo.store.engine import make_engine  # noqa: E402
from geo.store.schema import init_db  # noqa: E402
from geo.store.scope import Scope  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "chicago"


# file, cell size (m), history from, first week predicted, last day predicted
SIZES = {"full": ("chicago_crimes_2017.csv.gz", 250.0, dt.date(2017, 1, 2), dt.date(2017, 7, 3), dt.date(2017, 12, 31)),
         "smoke": ("chicago_crimes_2017_07.csv", 500.0, dt.date(2017, 7, 3), dt.date(2017, 7, 17), dt.date(2017, 7, 30))}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="July only, to check the bench still runs")
    name, cell_m, history, first, last = SIZES["smoke" if parser.parse_args(argv).smoke else "full"]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'chicago.sqlite'}")
        init_db(engine, "America/Chicago")
        import_areas(engine, DATA / "police_beats.geojson", "district", code_field="beat_num")
        grid = generate_grid(engine, cell_m, "square")
        report = import_file(engine, DATA / name, "incidents", scope=Scope.jurisdiction(), preset="chicago")
        with engine.connect() as conn:
            table = analysis.backtest(conn, Scope.jurisdiction(), "grid", history, first, last)
    print(f"\nChicago {name}, {grid.inserted:,} cells of {cell_m:.0f} m, {report.written:,} incidents; "
          f"weekly forecasts {first} to {last} ({int(table['steps'].iloc[0])} weeks), history from {history}\n")
    head = f"{'method':<14}{'area':>7}{'hit rate':>10}{'PAI':>8}{'PAI vs baseline':>17}"
    print(head)
    print("-" * len(head))
    base = table[table["method"] == "baseline"].set_index("share")["pai"]
    for _, r in table.iterrows():
        print(f"{r['method']:<14}{r['share']:>6.0%}{r['hit_rate']:>10.3f}{r['pai']:>8.2f}"
              f"{r['pai'] / base[r['share']]:>16.2f}x")
    print(f"\n({time.perf_counter() - started:.0f} s in all)")


if __name__ == "__main__":
    main()
