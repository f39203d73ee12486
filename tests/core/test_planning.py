"""Camera planning: exact equals spopt's MCLP (CBC), greedy near the optimum, coverage monotone."""

import warnings

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.core.coverage import covered_fraction, sectors
from geo.core.planning import coverage_matrix, exact, greedy


def _instance(seed, n_dem=300, n_cand=60, radius=250.0):
    rng = np.random.default_rng(seed)
    dx, dy = rng.uniform(0, 2000, n_dem), rng.uniform(0, 2000, n_dem)
    w = rng.integers(1, 10, n_dem).astype(float)
    cx, cy = rng.uniform(0, 2000, n_cand), rng.uniform(0, 2000, n_cand)
    a, site, _ = coverage_matrix(cx, cy, dx, dy, radius)
    return a, w, site


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_exact_equals_spopt_mclp_and_greedy_is_near(seed):
    pulp = pytest.importorskip("pulp")
    from spopt.locate import MCLP

    a, w, site = _instance(seed)
    k = 6
    ours = exact(a, w, site, k=k)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = MCLP.from_cost_matrix(np.where(a.toarray() > 0, 0.0, 1.0), w, service_radius=0.5, p_facilities=k)
        model.solve(pulp.PULP_CBC_CMD(msg=False))
    chosen = [j for j, var in enumerate(model.fac_vars) if var.value() and var.value() > 0.5]
    spopt_weight = w[np.asarray(a[:, chosen].sum(axis=1)).ravel() > 0].sum()
    assert ours.covered == pytest.approx(spopt_weight)
    assert ours.gap == pytest.approx(0.0, abs=1e-9) and len(ours.options) == k
    assert greedy(a, w, site, k=k).covered >= 0.95 * ours.covered


def test_target_mode_reaches_the_target_with_fewest_sites():
    a, w, site = _instance(4)
    goal = 0.5 * w.sum()
    best = exact(a, w, site, target=goal)
    assert best.covered >= goal
    fewer = exact(a, w, site, k=len(best.options) - 1)
    assert fewer.covered < goal  # one site less cannot reach it
    assert len(greedy(a, w, site, target=goal).options) >= len(best.options)


def test_directional_options_cover_only_their_wedge_and_one_per_site():
    a, site, heading = coverage_matrix(np.array([0.0]), np.array([0.0]), np.array([0.0, 100.0, 0.0]),
                                       np.array([100.0, 0.0, -100.0]), 150.0, fov=60.0)
    assert len(site) == 8 and set(site) == {0}
    north = np.flatnonzero(heading == 0.0)[0]
    east = np.flatnonzero(heading == 90.0)[0]
    assert a[:, north].toarray().ravel().tolist() == [1, 0, 0]
    assert a[:, east].toarray().ravel().tolist() == [0, 1, 0]
    plan = greedy(a, np.ones(3), site, k=3)
    assert len(plan.options) == 1  # one camera per site


def test_covered_fraction_equals_an_independent_shapely_computation():
    rng = np.random.default_rng(8)
    cells = np.array([shapely.box(i * 100, j * 100, i * 100 + 100, j * 100 + 100) for i in range(10) for j in range(10)])
    x, y = rng.uniform(0, 1000, 25), rng.uniform(0, 1000, 25)
    views = sectors(x, y, np.full(25, np.nan), np.full(25, 360.0), np.full(25, 80.0))
    ours = covered_fraction(cells, views)
    discs = shapely.union_all([shapely.Point(a, b).buffer(80.0, quad_segs=16) for a, b in zip(x, y)])
    theirs = np.array([shapely.intersection(c, discs).area / c.area for c in cells])
    np.testing.assert_allclose(ours, theirs, atol=1e-3)
    wedge = sectors(np.array([500.0]), np.array([500.0]), np.array([30.0]), np.array([70.0]), np.array([200.0]))[0]
    assert wedge.area == pytest.approx(np.pi * 200 ** 2 * 70 / 360, rel=1e-3)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 1000), st.floats(0, 1000), st.floats(0, 359), st.floats(10, 360)),
                min_size=1, max_size=12), st.tuples(st.floats(0, 1000), st.floats(0, 1000), st.floats(0, 359),
                                                    st.floats(10, 360)))
def test_adding_a_camera_never_lowers_coverage(cams, new):
    cells = np.array([shapely.box(i * 250, j * 250, i * 250 + 250, j * 250 + 250) for i in range(4) for j in range(4)])
    arr = np.array(cams)
    before = covered_fraction(cells, sectors(arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3], np.full(len(arr), 120.0)))
    arr2 = np.vstack([arr, new])
    after = covered_fraction(cells, sectors(arr2[:, 0], arr2[:, 1], arr2[:, 2], arr2[:, 3], np.full(len(arr2), 120.0)))
    assert (after >= before - 1e-9).all()
