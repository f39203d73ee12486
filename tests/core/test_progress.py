"""Progress callbacks of long work: called as the work goes, never backwards, ending at 1.0, and the
result the same with or without one."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from geo.core.patrol import cell_graph, propose
from geo.core.planning import coverage_matrix, exact, greedy
from geo.core.progress import span, tell
from geo.core.weights import queen


class Heard(list):
    """A progress callback that keeps what it hears."""

    def __call__(self, fraction: float, step: str) -> None:
        self.append((fraction, step))

    def check(self, steps: set[str]) -> None:
        fractions = [f for f, _ in self]
        assert len(self) >= 2 and fractions[-1] == 1.0
        assert all(0.0 <= f <= 1.0 for f in fractions)
        assert all(b >= a for a, b in zip(fractions, fractions[1:])), fractions
        assert {s for _, s in self} <= steps, {s for _, s in self}


def test_tell_clips_and_span_maps_a_part_onto_its_range():
    heard = Heard()
    tell(heard, 1.7, "x")
    tell(heard, -1, "x")
    tell(None, 0.5, "x")  # no callback: nothing to do
    part = span(heard, 0.2, 0.6)
    part(0.0, "a")
    part(0.5, "a")
    part(2.0, "a")
    assert heard == [(1.0, "x"), (0.0, "x"), (0.2, "a"), (pytest.approx(0.4), "a"), (0.6, "a")]
    assert span(None, 0, 1) is None


def _grid(side: int):
    cells = np.array([shapely.box(i * 100.0, j * 100.0, (i + 1) * 100.0, (j + 1) * 100.0)
                      for j in range(side) for i in range(side)], dtype=object)
    return cells, cell_graph(cells, queen(cells))


def test_zone_proposal_reports_each_restart_and_gives_the_same_zones():
    cells, graph = _grid(8)
    w = np.random.default_rng(1).gamma(1.0, 2.0, len(cells))
    heard = Heard()
    with_progress = propose(4, w, graph, restarts=3, progress=heard)
    heard.check({"search"})
    assert len(heard) >= 7  # a start, then twice per restart
    assert (with_progress == propose(4, w, graph, restarts=3)).all()


def _plan_instance():
    rng = np.random.default_rng(5)
    cand = rng.uniform(0, 1000, (40, 2))
    dem = rng.uniform(0, 1000, (300, 2))
    a, site, _ = coverage_matrix(cand[:, 0], cand[:, 1], dem[:, 0], dem[:, 1], 150.0)
    return a, np.ones(300), site


@pytest.mark.parametrize("how", ["k", "target"])
def test_greedy_camera_plan_reports_each_pick(how):
    a, w, site = _plan_instance()
    heard = Heard()
    args = {"k": 6} if how == "k" else {"target": 60.0}
    plan = greedy(a, w, site, progress=heard, **args)
    heard.check({"pick"})
    assert len(heard) == len(plan.options) + 1
    assert (plan.options == greedy(a, w, site, **args).options).all()


def test_exact_camera_plan_names_its_steps():
    a, w, site = _plan_instance()
    heard = Heard()
    plan = exact(a, w, site, k=4, progress=heard)
    heard.check({"solve", "order"})
    assert [s for _, s in heard][0] == "solve" and len(plan.options) == 4
