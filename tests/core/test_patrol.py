"""Patrol zones core: compactness and balance by hand, contiguity of every proposal."""

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.core.patrol import balance, is_contiguous, polsby_popper, propose
from geo.core.weights import queen


def _grid(n):
    cells = np.array([shapely.box(i, j, i + 1, j + 1) for j in range(n) for i in range(n)], dtype=object)
    x = shapely.get_x(shapely.centroid(cells))
    y = shapely.get_y(shapely.centroid(cells))
    return cells, queen(cells), x, y


def test_polsby_popper_and_balance_by_hand():
    # a unit square: 4 pi * 1 / 16 = pi / 4; a 1 x 4 strip: 4 pi * 4 / 100
    np.testing.assert_allclose(polsby_popper([1.0, 4.0], [4.0, 10.0]), [np.pi / 4, 16 * np.pi / 100])
    ratio, cv = balance(np.array([10.0, 12.0, 8.0]))
    assert ratio == pytest.approx(1.5) and cv == pytest.approx(np.std([10, 12, 8]) / 10)


def test_is_contiguous():
    _, adj, _, _ = _grid(3)
    assert is_contiguous(np.array([0, 1, 2]), adj)
    assert not is_contiguous(np.array([0, 2]), adj)  # the middle cell is missing
    assert is_contiguous(np.array([0, 4]), adj)  # corners touch: queen contiguity


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10_000), st.integers(3, 9))
def test_every_proposed_zone_is_contiguous_and_every_cell_is_used(seed, k):
    cells, adj, x, y = _grid(14)
    rng = np.random.default_rng(seed)
    load = rng.gamma(1.0, 1.0, len(cells)) * (1 + 3 * np.exp(-((x - 4) ** 2 + (y - 9) ** 2) / 20))
    zone = propose(k, load, adj, x, y)
    assert set(zone) == set(range(k))
    for z in range(k):
        assert is_contiguous(np.flatnonzero(zone == z), adj)


def test_proposal_balances_workload_and_stays_compact():
    cells, adj, x, y = _grid(45)
    rng = np.random.default_rng(0)
    load = rng.gamma(1.0, 1.0, len(cells)) * (1 + 3 * np.exp(-((x - 10) ** 2 + (y - 20) ** 2) / 50))
    zone = propose(12, load, adj, x, y)
    ratio, _ = balance(np.bincount(zone, weights=load))
    polys = [shapely.union_all(cells[zone == z]) for z in range(12)]
    pp = polsby_popper(np.array([p.area for p in polys]), np.array([p.length for p in polys]))
    assert ratio <= 1.10 and pp.mean() >= 0.45


def test_fixed_cores_stay_in_their_zone():
    cells, adj, x, y = _grid(12)
    load = np.ones(len(cells))
    fixed = {0: 0, 1: 0, 143: 1}
    zone = propose(4, load, adj, x, y, fixed=fixed)
    assert zone[0] == zone[1] == 0 and zone[143] == 1
