"""Every benchmark in bench/ runs in its smoke size here, so a benchmark that breaks fails the suite.

The smoke runs check that each bench still runs to its table (no timings are asserted; the
benches themselves are never timed tests). A new bench must take ``--smoke`` and be listed here.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tests.requires import browser_missing, unavailable

BENCH = ROOT / "bench"
# bench -> (what its table must show, system part it needs or None)
SMOKE = {
    "coverage_bench.py": (("covered share per cell", "baseline: geopandas overlay", "lazy greedy", "exact (HiGHS)",
                           "baseline: whole programme", "spopt MCLP", "occlusion: shadows, 2 threads", "same shadows",
                           "occlusion: all, 2 threads", "per-camera loop", "store views, cached"), None),
    "forecast_bench.py": (("baseline", "kde", "near_repeat", "PAI vs baseline"), None),
    "hotspots_bench.py": (("change of period", "Gi* (SafeGrid)", "esda.G_Local", "emerging hot spots"), None),
    "longwork_bench.py": (("zone proposal", "whole LP each round", "same zones: True", "patrol sheets PDF",
                           "geopandas plot", "area report PDF"), None),
    "load_bench.py": (("sessions complete: 2 of 2 (browser 1, protocol 1), 0 with errors", "per session"), "browser"),
    "limits_bench.py": (("gzip bomb 64 MiB", "zip bomb 64 MiB", "/dev/zero as .csv", "baseline MiB"), None),
    "import_bench.py": (("safegrid sqlite", "safegrid postgis", "geopandas sqlite"), "postgis"),
    "partition_bench.py": (("Change of period on the grid page", "last month", "calendar year 2025", "grid",
                            "partitioned (one month's partition)", "unpartitioned (one table, date index)"), "postgis"),
    "playback_bench.py": (("playback, no pause", "playback, default pace", "naive: a rerun per step", "steps/s"),
                          "browser"),
    "page_bench.py": (("demo city", "grid 600 m", "drill", "measure", "naive draw", "naive change", "ratio"),
                      "browser"),
    "zones_bench.py": (("SafeGrid propose", "spopt RegionKMeans", "spopt MaxP", "Chicago beats"), None),
}
HANG_S = 600  # a guard against a hang, not a timing: smoke sizes take well under a minute
BROWSER_ROUND = {"load_bench.py", "playback_bench.py"}  # runs with the browser tests (-m browser): it drives Chromium pages at once


def _smoke_params():
    return [pytest.param(name, marks=pytest.mark.browser) if name in BROWSER_ROUND else name for name in sorted(SMOKE)]


def test_every_bench_has_a_smoke_run():
    assert sorted(p.name for p in BENCH.glob("*_bench.py")) == sorted(SMOKE)


def _postgis_reachable() -> str | None:
    from sqlalchemy import text

    from geo.store.engine import make_engine
    from tests.conftest import PG_ADMIN_URL

    engine = make_engine(PG_ADMIN_URL)
    try:
        with engine.connect() as conn:
            if not conn.execute(text("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'")).scalar():
                return "the server has no PostGIS extension"
    except Exception as exc:
        return str(exc).splitlines()[0]
    finally:
        engine.dispose()
    return None


@pytest.mark.parametrize("name", _smoke_params())
def test_bench_smoke_run_prints_its_table(name, shared_data):
    expected, needs = SMOKE[name]
    if needs == "browser" and (why := browser_missing()):
        unavailable("browser", why)
    if needs == "postgis" and (why := _postgis_reachable()):
        unavailable("postgis", why)
    proc = subprocess.run([sys.executable, str(BENCH / name), "--smoke"], cwd=ROOT, capture_output=True, text=True,
                          timeout=HANG_S, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr[-3000:]
    for text in expected:
        assert text in proc.stdout, f"{name} --smoke printed no {text!r}:\n{proc.stdout[-3000:]}"
