"""Patrol zones core: compactness and balance by hand, contiguity of every proposal."""

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.core.patrol import balance, cell_graph, is_contiguous, polsby_popper, propose
from geo.core.weights import queen


def _grid(n):
    cells = np.array([shapely.box(i, j, i + 1, j + 1) for j in range(n) for i in range(n)], dtype=object)
    adj = queen(cells)
    graph = cell_graph(cells, adj)
    return cells, adj, graph.x, graph.y, graph


def test_polsby_popper_and_balance_by_hand():
    # a unit square: 4 pi * 1 / 16 = pi / 4; a 1 x 4 strip: 4 pi * 4 / 100
    np.testing.assert_allclose(polsby_popper([1.0, 4.0], [4.0, 10.0]), [np.pi / 4, 16 * np.pi / 100])
    ratio, cv = balance(np.array([10.0, 12.0, 8.0]))
    assert ratio == pytest.approx(1.5) and cv == pytest.approx(np.std([10, 12, 8]) / 10)


def test_is_contiguous():
    _, adj, _, _, _ = _grid(3)
    assert is_contiguous(np.array([0, 1, 2]), adj)
    assert not is_contiguous(np.array([0, 2]), adj)  # the middle cell is missing
    assert is_contiguous(np.array([0, 4]), adj)  # corners touch: queen contiguity


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10_000), st.integers(3, 9))
def test_every_proposed_zone_is_contiguous_and_every_cell_is_used(seed, k):
    cells, adj, x, y, graph = _grid(14)
    rng = np.random.default_rng(seed)
    load = rng.gamma(1.0, 1.0, len(cells)) * (1 + 3 * np.exp(-((x - 4) ** 2 + (y - 9) ** 2) / 20))
    zone = propose(k, load, graph, restarts=2)
    assert set(zone) == set(range(k))
    for z in range(k):
        assert is_contiguous(np.flatnonzero(zone == z), adj)


def test_proposal_balances_workload_and_stays_compact():
    cells, adj, x, y, graph = _grid(45)
    rng = np.random.default_rng(0)
    load = rng.gamma(1.0, 1.0, len(cells)) * (1 + 3 * np.exp(-((x - 10) ** 2 + (y - 20) ** 2) / 50))
    zone = propose(12, load, graph)
    ratio, _ = balance(np.bincount(zone, weights=load))
    polys = [shapely.union_all(cells[zone == z]) for z in range(12)]
    pp = polsby_popper(np.array([p.area for p in polys]), np.array([p.length for p in polys]))
    assert ratio <= 1.10 and pp.mean() >= 0.45


def test_fixed_cores_stay_in_their_zone():
    cells, adj, x, y, graph = _grid(12)
    load = np.ones(len(cells))
    fixed = {0: 0, 1: 0, 143: 1}
    zone = propose(4, load, graph, fixed=fixed)
    assert zone[0] == zone[1] == 0 and zone[143] == 1


def test_cell_graph_measures_shared_boundaries_by_hand():
    # three unit squares in a row and a fourth touching the last one only at a corner
    cells = np.array([shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1), shapely.box(2, 0, 3, 1),
                      shapely.box(3, 1, 4, 2)], dtype=object)
    g = cell_graph(cells, queen(cells), snap_m=0.01)
    assert g.shared[0, 1] == pytest.approx(1.0, abs=0.03) and g.shared[1, 2] == pytest.approx(1.0, abs=0.03)
    assert g.shared[0, 2] == 0 and g.shared[2, 3] == pytest.approx(0.0, abs=0.03)  # a corner shares no length
    np.testing.assert_allclose(g.area, 1.0)
    np.testing.assert_allclose(g.perimeter, 4.0)


def test_zone_perimeters_kept_by_the_search_match_the_union_of_cells():
    from geo.core.patrol import _Search

    cells, adj, x, y, graph = _grid(10)
    load = np.random.default_rng(5).gamma(1.0, 1.0, len(cells))
    zone = propose(5, load, graph)
    area, perim, kept_load = _Search(5, load, graph, {}, np.ones(len(cells), bool))._totals(zone)
    unions = [shapely.union_all(cells[zone == z]) for z in range(5)]
    np.testing.assert_allclose(area, [u.area for u in unions])
    np.testing.assert_allclose(perim, [u.length for u in unions], rtol=0.02)
    np.testing.assert_allclose(kept_load, np.bincount(zone, weights=load))


def test_islands_get_no_zone_and_bad_fixed_cells_are_refused():
    cells, adj, x, y, graph = _grid(6)
    island = shapely.box(20, 20, 21, 21)
    cells2 = np.append(cells, np.array([island], dtype=object))
    g2 = cell_graph(cells2, queen(cells2))
    zone = propose(3, np.ones(len(cells2)), g2)
    assert zone[-1] == -1 and set(zone[:-1]) == {0, 1, 2}
    with pytest.raises(ValueError, match="not connected"):
        propose(3, np.ones(len(cells2)), g2, fixed={len(cells2) - 1: 0})
    with pytest.raises(ValueError, match="outside"):
        propose(3, np.ones(len(cells)), graph, fixed={0: 7})
    with pytest.raises(ValueError, match="cannot make"):
        propose(40, np.ones(len(cells)), graph)
