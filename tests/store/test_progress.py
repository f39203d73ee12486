"""The store's long work tells its progress: the zone proposal and camera plans on the demo city."""

from __future__ import annotations

import datetime as dt

import pytest

from geo.store import camera_plan, patrol
from geo.store.engine import make_engine
from geo.store.scope import Scope
from tests.conftest import DEMO_END
from tests.core.test_progress import Heard

START = DEMO_END - dt.timedelta(days=89)


@pytest.fixture(scope="module")
def demo(demo_url):
    engine = make_engine(demo_url)
    yield engine
    engine.dispose()


def test_zone_proposal_tells_its_steps_in_order(demo):
    heard = Heard()
    with demo.connect() as conn:
        zones, changes = patrol.propose_zones(conn, Scope.jurisdiction(), 4, START, DEMO_END, progress=heard)
    heard.check({"read", "graph", "search", "shapes"})
    steps = [s for _, s in heard]
    assert steps[0] == "read" and steps[-1] == "shapes"
    assert steps.index("graph") < steps.index("search") < steps.index("shapes")
    assert len(zones) == 4 and changes["new_zone"].notna().any()


@pytest.mark.parametrize("use_exact", [False, True])
def test_camera_plan_tells_its_steps_in_order(demo, use_exact):
    heard = Heard()
    with demo.connect() as conn:
        table, summary = camera_plan.plan(conn, Scope.jurisdiction(), DEMO_END, START, DEMO_END, add=3, area="AN02",
                                       use_exact=use_exact, progress=heard)
    solver = {"solve", "order"} if use_exact else {"pick"}
    heard.check({"demand", "candidates", "matrix"} | solver)
    steps = [s for _, s in heard]
    assert steps[:3] == ["demand", "candidates", "matrix"] and set(steps[3:]) <= solver
    assert len(table) == 3
