"""Coverage over the store on both backends: measures, targets and gaps, plans, the commands."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from geo.cli import main
from geo.store import audit, camera_plan, coverage
from tests.conftest import BACKENDS, backend_demo
from geo.store.scope import Scope

EVERYTHING = Scope.jurisdiction()

END = dt.date(2026, 6, 30)
START = dt.date(2026, 1, 1)


@pytest.fixture(scope="module", params=BACKENDS)
def city(request, tmp_path_factory):
    engine, url = backend_demo(request, tmp_path_factory, seed=33, scale=0.02, end=END)
    yield engine, url
    engine.dispose()


def test_measures_targets_and_gaps(city):
    engine, _ = city
    coverage.set_target(engine, "planner1", 40.0, scope=EVERYTHING, area_code="AN01", due_on=dt.date(2026, 12, 31))
    coverage.set_target(engine, "planner1", 90.0, scope=EVERYTHING, place_kind="school")
    with pytest.raises(ValueError, match="no area"):
        coverage.set_target(engine, "planner1", 50.0, scope=EVERYTHING, area_code="NOPE")
    with engine.connect() as conn:
        streets = coverage.area_coverage(conn, EVERYTHING, "street", END, START, END)
        kinds = coverage.place_kind_coverage(conn, EVERYTHING, END)
        entries = audit.entries(conn, action="target.set")
    row = streets.set_index("code").loc["AN01"]
    assert row["target_pct"] == 40.0 and row["gap_pct"] == pytest.approx(max(0, 40 - row["area_covered_pct"]))
    assert streets["area_covered_pct"].between(0, 100).all() and streets["online_ratio_pct"].between(0, 100).all()
    assert streets["incident_covered_pct"].between(0, 100).all()
    assert kinds.set_index("kind").loc["school", "target_pct"] == 90.0
    assert set(entries["object"]) == {"AN01", "kind:school"}


def test_switching_planned_cameras_in_never_lowers_coverage(city):
    engine, _ = city
    with engine.connect() as conn:
        now = coverage.area_coverage(conn, EVERYTHING, "community", END, START, END)
        more = coverage.area_coverage(conn, EVERYTHING, "community", END, START, END, planned=True)
        off = coverage.cameras_on(conn, EVERYTHING, END)["source_id"].head(50).tolist()
        fewer = coverage.area_coverage(conn, EVERYTHING, "community", END, START, END, off=off)
    assert (more["area_covered_pct"].to_numpy() >= now["area_covered_pct"].to_numpy() - 1e-9).all()
    assert (fewer["area_covered_pct"].to_numpy() <= now["area_covered_pct"].to_numpy() + 1e-9).all()
    assert fewer["area_covered_pct"].sum() < now["area_covered_pct"].sum()


@pytest.mark.parametrize("demand", ["incidents", "area", "places"])
def test_plan_adds_coverage_greedy_close_to_exact(city, demand):
    engine, _ = city
    with engine.connect() as conn:
        g, gs = camera_plan.plan(conn, EVERYTHING, END, START, END, add=5, area="AN01", demand=demand)
        e, es = camera_plan.plan(conn, EVERYTHING, END, START, END, add=5, area="AN01", demand=demand, use_exact=True)
    assert len(g) == 5 and g["cumulative_pct"].is_monotonic_increasing
    assert gs["covered_after_pct"] > gs["covered_before_pct"]
    assert es["gap"] == pytest.approx(0.0, abs=1e-9)
    assert gs["covered_after_pct"] >= 0.95 * es["covered_after_pct"]


def test_commands_coverage_and_plan_cameras(city, tmp_path):
    _, url = city
    out = tmp_path / "cov.csv"
    assert main(["coverage", "--db", url, "--level", "community", "--from", "2026-01-01", "--to", "2026-06-30",
                 "--out", str(out)]) == 0
    table = pd.read_csv(out)
    assert list(table.columns[:1]) == ["code"] and {"area_covered_pct", "incident_covered_pct", "target_pct",
                                                    "gap_pct"} <= set(table.columns)
    plan = tmp_path / "plan.csv"
    assert main(["plan-cameras", "--db", url, "--add", "3", "--fov", "90", "--area", "AN02", "--out", str(plan)]) == 0
    sites = pd.read_csv(plan)
    assert len(sites) == 3 and sites["heading"].notna().all() and np.isin(sites["heading"] % 45, [0]).all()
    cands = tmp_path / "cands.csv"
    pd.DataFrame({"lon": [112.93, 112.94], "lat": [28.12, 28.13]}).to_csv(cands, index=False)
    assert main(["plan-cameras", "--db", url, "--target", "99", "--candidates", str(cands), "--out",
                 str(tmp_path / "p2.geojson")]) == 0
    with pytest.raises(SystemExit) as refused:  # argparse refuses an unknown demand with status 2
        main(["plan-cameras", "--db", url, "--add", "2", "--demand", "people", "--out", str(plan)])
    assert refused.value.code == 2


def test_commands_write_the_dori_levels_and_plan_at_a_level(city, tmp_path, capsys):
    _, url = city
    out = tmp_path / "cov.csv"
    assert main(["coverage", "--db", url, "--level", "street", "--from", "2026-01-01", "--to", "2026-06-30",
                 "--out", str(out)]) == 0
    table = pd.read_csv(out)
    levels = ["area_covered_pct", "detect_pct", "observe_pct", "recognise_pct", "identify_pct"]
    assert list(table.columns[2:7]) == levels and "target_level" in table.columns
    shares = table[levels].to_numpy()
    assert (np.diff(shares, axis=1) <= 1e-9).all()  # every level lies inside the one before it
    plan = tmp_path / "plan.csv"
    args = ["plan-cameras", "--db", url, "--add", "3", "--fov", "90", "--area", "AN02", "--out", str(plan)]
    capsys.readouterr()
    assert main(args + ["--level", "recognise"]) == 2 and not plan.exists()
    assert "needs a resolution" in capsys.readouterr().err
    assert main(args + ["--level", "recognise", "--resolution", "0"]) == 2 and not plan.exists()
    assert main(args + ["--level", "recognise", "--resolution", "3840", "--demand", "places"]) == 0
    assert "places covered at recognise" in capsys.readouterr().out and len(pd.read_csv(plan)) == 3
    assert main(args + ["--demand", "places"]) == 0  # the default for key places: each kind's required level
    assert "places covered at required" in capsys.readouterr().out
