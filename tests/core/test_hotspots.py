"""Gi*, Local Moran's I and weights cross-checked against PySAL (esda, libpysal)."""

import warnings

import esda
import geopandas as gpd
import libpysal
import numpy as np
import pytest
import shapely

from geo.core.hotspots import (HOT, bh_significant, gi_classes, gi_hot_spots, gi_star, hot_cells, is_hot,
                               local_moran)
from geo.core.weights import distance_band, islands, queen


@pytest.fixture(scope="module")
def columbus():
    df = gpd.read_file(libpysal.examples.get_path("columbus.shp"))
    return df


def _grid(n=12, seed=4):
    cells = [shapely.box(i, j, i + 1, j + 1) for j in range(n) for i in range(n)]
    rng = np.random.default_rng(seed)
    y = rng.poisson(3, n * n).astype(float)
    y[:20] += 15  # a hot corner
    return gpd.GeoDataFrame({"y": y}, geometry=cells), y


def _cases(columbus):
    grid, y = _grid()
    return [("columbus", columbus, columbus["CRIME"].to_numpy()), ("grid", grid, y)]


@pytest.mark.parametrize("case", ["columbus", "grid"])
def test_queen_weights_equal_libpysal(columbus, case):
    name, df, _ = next(c for c in _cases(columbus) if c[0] == case)
    ours = queen(df.geometry.values)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = libpysal.weights.Queen.from_dataframe(df, use_index=False).sparse
    assert abs(ours - theirs).sum() == 0


@pytest.mark.parametrize("case", ["columbus", "grid"])
def test_gi_star_equals_esda(columbus, case):
    _, df, y = next(c for c in _cases(columbus) if c[0] == case)
    w = queen(df.geometry.values)
    z, p = gi_star(y, w)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = esda.G_Local(y, libpysal.weights.WSP(w).to_W(), star=True, transform="B", permutations=0)
    np.testing.assert_allclose(z, ref.Zs, rtol=0, atol=1e-9)
    np.testing.assert_allclose(p, 2 * ref.p_norm, rtol=0, atol=1e-9)


@pytest.mark.parametrize("case", ["columbus", "grid"])
def test_local_moran_equals_esda(columbus, case):
    _, df, y = next(c for c in _cases(columbus) if c[0] == case)
    w = queen(df.geometry.values)
    local_i, quad, p = local_moran(y, w, permutations=999, seed=7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = esda.Moran_Local(y, libpysal.weights.WSP(w).to_W(), transformation="r", permutations=999, seed=7)
    np.testing.assert_allclose(local_i, ref.Is, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(quad, ref.q)
    # pseudo p-values come from different draws: the same areas stand out
    assert ((p < 0.05) == (ref.p_sim < 0.05)).mean() > 0.9
    assert (p >= 1 / 1000).all() and (p <= 0.5 + 1e-9).all()
    again = local_moran(y, w, permutations=999, seed=7)[2]
    np.testing.assert_array_equal(p, again)  # seeded: the same every run


def test_distance_band_and_islands():
    x = np.array([0.0, 100.0, 250.0, 5000.0])
    w = distance_band(x, np.zeros(4), 150.0)
    assert w.toarray().tolist() == [[0, 1, 0, 0], [1, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 0]]
    assert islands(w).tolist() == [False, False, False, True]


def test_islands_are_never_classed_hot_or_cold():
    x = np.array([0.0, 100.0, 200.0, 300.0, 9000.0])
    w = distance_band(x, np.zeros(5), 150.0)
    y = np.array([1.0, 1.0, 1.0, 1.0, 500.0])
    z, p = gi_star(y, w)
    classes = gi_classes(z, p, island=islands(w))
    assert classes[-1] == "ns" and z[-1] > 1.6  # its z is reported, its class is not


def test_hot_cells_is_the_gi_chain_on_queen_weights_and_is_hot_takes_95_and_99():
    grid, y = _grid()
    z, p, classes = hot_cells(y, grid.geometry.values)
    w = queen(grid.geometry.values)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gi = esda.G_Local(y, libpysal.weights.WSP(w).to_W(), star=True, transform="B", permutations=0)
    np.testing.assert_allclose(z, gi.Zs, atol=1e-9)
    assert classes.tolist() == gi_classes(*gi_star(y, w), island=islands(w)).tolist()
    assert (classes != "ns").any()
    np.testing.assert_array_equal(is_hot(classes), np.isin(classes, ["hot_95", "hot_99"]))
    assert set(HOT) == {"hot_95", "hot_99"}
    x = np.array([0.0, 100.0, 200.0, 300.0, 9000.0])
    w = distance_band(x, np.zeros(5), 150.0)
    z, _, classes = gi_hot_spots(np.array([1.0, 1.0, 1.0, 1.0, 500.0]), w, fdr=True)
    assert classes[-1] == "ns" and z[-1] > 1.6  # an island keeps its z, never a class


def test_bh_significant_matches_the_hand_computed_rule():
    p = np.array([0.01, 0.04, 0.03, 0.20, 0.005])
    # sorted: .005 .01 .03 .04 .20 vs k/5 * .05 = .01 .02 .03 .04 .05 -> the first four pass
    assert bh_significant(p, 0.05).tolist() == [True, True, True, False, True]
    assert bh_significant(np.array([0.2, 0.3]), 0.05).tolist() == [False, False]


def test_gi_classes_levels_and_fdr():
    z = np.array([3.0, 2.0, 1.7, -2.7, 0.1])
    p = np.array([0.002, 0.04, 0.09, 0.007, 0.9])
    assert gi_classes(z, p).tolist() == ["hot_99", "hot_95", "hot_90", "cold_99", "ns"]
    fdr = gi_classes(z, p, fdr=True)
    assert fdr[0] == "hot_99" and fdr[-1] == "ns" and fdr[2] in ("hot_90", "ns")


def test_strongest_first_orders_result_tables_for_reading():
    import pandas as pd

    from geo.core.hotspots import strongest_first

    gi = pd.DataFrame({"code": list("abcdef"), "n_incidents": [5, 9, 2, 7, 1, 3],
                       "gi_class": ["ns", "hot_95", "cold_99", "hot_99", "ns", "hot_99"],
                       "gi_z": [0.1, 2.2, -3.0, 2.9, -0.5, 3.4]})
    assert strongest_first(gi, "gistar")["code"].tolist() == ["f", "d", "b", "a", "e", "c"]
    em = pd.DataFrame({"code": list("abcd"), "n_incidents": [4, 8, 6, 1],
                       "emerging_class": ["no_pattern", "new_hot", "persistent_hot", "new_cold"]})
    assert strongest_first(em, "emerging")["code"].tolist() == ["c", "b", "a", "d"]
    yoy = pd.DataFrame({"code": list("abcde"), "n_incidents": [4, 0, 6, 9, 2], "n_last_year": [2, 0, 0, 3, 4],
                        "yoy_pct": [100.0, None, None, 200.0, -50.0]})
    assert strongest_first(yoy, "yoy")["code"].tolist() == ["c", "d", "a", "e", "b"]
    lisa = pd.DataFrame({"code": list("abc"), "n_incidents": [1, 2, 3], "lisa_q": [1, 3, 1],
                         "lisa_p": [0.2, 0.01, 0.01], "shown": ["ns", "3", "1"]})
    assert strongest_first(lisa, "lisa", "shown")["code"].tolist() == ["c", "b", "a"]
