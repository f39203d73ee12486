"""Coverage per DORI level over the store: levels nest, places count at their kind's level, targets
at a level, and plans by level (both backends)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from geo.core import dori
from geo.store import camera_plan, coverage
from geo.store.scope import Scope
from tests.conftest import BACKENDS, backend_demo

EVERYTHING = Scope.jurisdiction()
END = dt.date(2026, 6, 30)
START = dt.date(2026, 1, 1)
LEVEL_COLUMNS = [f"{lv}_pct" for lv in dori.LEVELS]


@pytest.fixture(scope="module", params=BACKENDS)
def city(request, tmp_path_factory):
    engine, url = backend_demo(request, tmp_path_factory, seed=34, scale=0.02, end=END)
    yield engine, url
    engine.dispose()


def test_levels_nest_under_the_range(city):
    engine, _ = city
    with engine.connect() as conn:
        table = coverage.area_coverage(conn, EVERYTHING, "community", END, START, END)
        kinds = coverage.place_kind_coverage(conn, EVERYTHING, END)
    shares = table[["area_covered_pct", *LEVEL_COLUMNS]].to_numpy()
    assert (np.diff(shares, axis=1) <= 1e-9).all()  # range >= detect >= observe >= recognise >= identify
    assert shares[:, 1].sum() > shares[:, 4].sum()  # the levels differ somewhere
    k = kinds.set_index("kind")
    assert k.loc["school", "required_level"] == dori.REQUIRED_LEVEL["school"]
    # a kind's covered share is its share at its required level
    for kind, row in k.iterrows():
        assert row["covered_pct"] == pytest.approx(row[f"{row['required_level']}_pct"], abs=0.01), kind


def test_a_kind_target_with_a_level_changes_what_its_places_need(city):
    engine, _ = city
    with engine.connect() as conn:
        before = coverage.place_kind_coverage(conn, EVERYTHING, END).set_index("kind").loc["park"]
    coverage.set_target(engine, "planner1", 80.0, scope=EVERYTHING, place_kind="park", level="identify")
    with pytest.raises(ValueError, match="unknown DORI level"):
        coverage.set_target(engine, "planner1", 80.0, scope=EVERYTHING, place_kind="park", level="glimpse")
    with engine.connect() as conn:
        after = coverage.place_kind_coverage(conn, EVERYTHING, END).set_index("kind").loc["park"]
    assert before["required_level"] == "detect" and after["required_level"] == "identify"
    assert after["covered_pct"] == pytest.approx(after["identify_pct"], abs=0.01)
    assert after["gap_pct"] == pytest.approx(max(0.0, 80.0 - after["covered_pct"]), abs=0.01)


def test_an_area_target_at_a_level_counts_that_levels_share(city):
    engine, _ = city
    coverage.set_target(engine, "planner1", 50.0, scope=EVERYTHING, area_code="AN02", level="recognise")
    with engine.connect() as conn:
        row = coverage.area_coverage(conn, EVERYTHING, "street", END, START, END).set_index("code").loc["AN02"]
    assert row["target_level"] == "recognise"
    assert row["gap_pct"] == pytest.approx(max(0.0, 50.0 - row["recognise_pct"]), abs=0.01)


def test_plans_by_level(city):
    engine, _ = city
    with engine.connect() as conn:
        with pytest.raises(ValueError, match="needs a resolution"):
            camera_plan.plan(conn, EVERYTHING, END, START, END, add=3, area="AN01", level="identify")
        detect, ds = camera_plan.plan(conn, EVERYTHING, END, START, END, add=3, area="AN01", radius=60.0,
                                      resolution_h=1920, fov=90.0)
        faces, fs = camera_plan.plan(conn, EVERYTHING, END, START, END, add=3, area="AN01", radius=60.0,
                                     resolution_h=1920, fov=90.0, level="recognise")
        places, ps = camera_plan.plan(conn, EVERYTHING, END, START, END, add=3, area="AN01", demand="places",
                                      level="required", resolution_h=3840, fov=60.0, radius=80.0)
    assert fs["level"] == "recognise" and ds["level"] == "detect"
    # at 7.7 m a 1920-pixel 90-degree camera recognises far less than it detects (38 m)
    assert fs["covered_after_pct"] - fs["covered_before_pct"] < ds["covered_after_pct"] - ds["covered_before_pct"]
    assert ps["covered_after_pct"] >= ps["covered_before_pct"] and len(places) <= 3
