"""Camera planning: exact equals spopt's MCLP (CBC), greedy near the optimum, coverage monotone."""

import itertools
import warnings

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse

from geo.core.coverage import covered_fraction, sectors
from geo.core.planning import coverage_matrix, exact, greedy, reduced


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


def _brute_force(a, w, site, k=None, target=None):
    """Best covered weight with at most k options, or fewest options reaching target, by trying
    every set of options with at most one per site."""
    cover = a.toarray() > 0
    by_site = [np.flatnonzero(site == s) for s in np.unique(site)]
    best = 0.0
    for n in range(1, (k if k is not None else len(by_site)) + 1):
        reached = False
        for sites in itertools.combinations(by_site, n):
            for pick in itertools.product(*sites):
                got = w[cover[:, list(pick)].any(axis=1)].sum()
                best = max(best, got)
                reached |= target is not None and got >= target - 1e-9
        if reached:
            return n
    return best if target is None else None


def _directional(seed, n_sites=7, n_dem=60):
    rng = np.random.default_rng(seed)
    a, site, _ = coverage_matrix(rng.uniform(0, 600, n_sites), rng.uniform(0, 600, n_sites), rng.uniform(0, 600, n_dem),
                                 rng.uniform(0, 600, n_dem), 220.0, fov=100.0, headings=(0.0, 90.0, 180.0, 270.0))
    w = rng.integers(0, 5, n_dem).astype(float)  # some demand weighs nothing
    return a, w, site


@pytest.mark.parametrize("seed,k", [(11, 1), (12, 2), (13, 3), (14, 3)], ids=["k1", "k2", "k3", "k3-other"])
def test_exact_equals_brute_force_with_several_headings_per_site(seed, k):
    a, w, site = _directional(seed)
    ours = exact(a, w, site, k=k)
    assert ours.covered == pytest.approx(_brute_force(a, w, site, k=k))
    assert len(set(site[ours.options])) == len(ours.options) <= k  # one camera per site
    assert greedy(a, w, site, k=k).covered <= ours.covered + 1e-9


@pytest.mark.parametrize("seed", [21, 22])
def test_exact_target_mode_equals_brute_force(seed):
    a, w, site = _directional(seed)
    goal = 0.4 * w.sum()
    fewest = _brute_force(a, w, site, target=goal)
    best = exact(a, w, site, target=goal)
    assert len(best.options) == fewest and best.covered >= goal - 1e-9


def test_exact_keeps_an_option_whose_better_rival_shares_a_busy_site():
    # site 0 has {0, 1} and {2, 3, 4}; site 1 only {0}: {0} is a subset of {0, 1} but must stay,
    # since the best pair is {2, 3, 4} with {0} and site 0 cannot hold both of its options
    a = sparse.csc_matrix(np.array([[1, 0, 1], [1, 0, 0], [0, 1, 0], [0, 1, 0], [0, 1, 0]], dtype=float))
    site = np.array([0, 0, 1])
    plan = exact(a, np.ones(5), site, k=2)
    assert plan.covered == 4.0 and sorted(plan.options.tolist()) == [1, 2]


def test_reduced_merges_and_drops_only_what_cannot_matter():
    a = sparse.csr_matrix(np.array([
        [1, 1, 0, 0, 1],  # demand 0 and 1: the same options, merged
        [1, 1, 0, 0, 1],
        [0, 1, 0, 0, 0],
        [0, 0, 0, 0, 0],  # no option covers it
        [1, 0, 0, 1, 0],  # weighs nothing
    ], dtype=float))
    w = np.array([2.0, 3.0, 1.0, 4.0, 0.0])
    site = np.array([0, 1, 2, 3, 4])
    small, w_small, options = reduced(a, w, site)
    # option 0 and 4 are subsets of 1, option 3 covers only weightless demand, option 2 nothing;
    # then every demand left is seen by option 1 alone: one row carrying the whole weight
    assert options.tolist() == [1]
    assert small.toarray().tolist() == [[1.0]] and w_small.tolist() == [6.0]
    assert exact(a, w, site, k=2).covered == 6.0


def test_reduced_keeps_the_first_of_equal_options_and_exact_handles_nothing_to_cover():
    a = sparse.csr_matrix(np.array([[1, 1, 1], [0, 1, 1]], dtype=float))
    small, w_small, options = reduced(a, np.ones(2), np.array([5, 6, 7]))
    assert options.tolist() == [1] and small.shape == (1, 1) and w_small.tolist() == [2.0]
    empty = exact(a, np.zeros(2), np.array([5, 6, 7]), k=2)
    assert empty.options.size == 0 and empty.covered == 0.0
    with pytest.raises(ValueError, match="no solution"):
        exact(a, np.zeros(2), np.array([5, 6, 7]), target=1.0)
    with pytest.raises(ValueError, match="no solution"):
        exact(a, np.ones(2), np.array([5, 6, 7]), target=3.0)
