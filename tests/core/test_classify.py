import mapclassify
import numpy as np
import pytest

from geo.core.classify import DIVERGING, NO_DATA, SEQUENTIAL, classify, diverging

VALUES = np.array([0, 1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, np.nan])


def test_classify_quantiles_match_mapclassify():
    got = classify(VALUES, "quantiles")
    ok = VALUES[np.isfinite(VALUES)]
    want = mapclassify.Quantiles(ok, k=5)
    np.testing.assert_allclose(got.bins, want.bins)
    np.testing.assert_array_equal(got.klass[:-1], want.yb)
    assert got.klass[-1] == -1 and got.color_of()[-1] == NO_DATA


@pytest.mark.filterwarnings("ignore:Numba not installed")
def test_classify_natural_breaks_match_fisher_jenks_on_small_data():
    ok = VALUES[np.isfinite(VALUES)]
    got = classify(ok, "natural_breaks")
    np.testing.assert_allclose(got.bins, mapclassify.FisherJenks(ok, k=5).bins)
    np.testing.assert_array_equal(got.klass, mapclassify.FisherJenks(ok, k=5).yb)


def test_classify_natural_breaks_on_large_data_is_deterministic_and_covers_the_maximum():
    rng = np.random.default_rng(3)
    values = rng.gamma(2.0, 10.0, 5000)
    a, b = classify(values, "natural_breaks"), classify(values, "natural_breaks")
    np.testing.assert_array_equal(a.bins, b.bins)
    assert a.bins[-1] == values.max() and len(a.bins) == 5
    assert np.all(np.diff(a.bins) > 0)
    # every value lies at or below its class's upper bound and above the previous one
    lows = np.concatenate([[-np.inf], a.bins[:-1]])
    assert np.all(values <= a.bins[a.klass]) and np.all(values > lows[a.klass])


@pytest.mark.parametrize("values,n", [([4, 4, 4], 1), ([1, 2], 2), ([np.nan, np.nan], 0)],
                         ids=["one-value", "two-values", "all-missing"])
def test_classify_uses_fewer_classes_when_data_has_fewer_values(values, n):
    got = classify(np.array(values, dtype=float))
    assert len(got.bins) == n and len(got.colors) == n
    assert len(got.labels()) == n


def test_classify_keeps_the_darkest_colour_for_the_top_class():
    got = classify(np.array([1.0, 2.0, 3.0]))
    assert got.colors[-1] == SEQUENTIAL[-1] and got.colors[0] == SEQUENTIAL[0]


def test_diverging_is_symmetric_around_zero():
    got = diverging(np.array([-40.0, -5.0, 0.0, 5.0, 40.0, 100.0]))
    assert got.colors == DIVERGING
    assert got.klass[2] == 2  # no change sits in the middle (neutral) class
    assert got.klass[0] < 2 < got.klass[4]
    np.testing.assert_allclose(got.bins[1], -got.bins[2])


def test_classify_refuses_an_unknown_method():
    with pytest.raises(ValueError, match="unknown classification"):
        classify(VALUES, "equal")


def test_classify_gives_zero_its_own_class_when_most_areas_are_quiet():
    values = np.array([0.0] * 60 + list(range(1, 41)))
    got = classify(values)
    assert got.bins[0] == 0 and (got.klass[:60] == 0).all() and (got.klass[60:] > 0).all()
    positive = values[values > 0]
    np.testing.assert_allclose(got.bins[1:], mapclassify.Quantiles(positive, k=4).bins)
    assert got.labels() == ["0", "1 – 10", "11 – 20", "21 – 30", "31 – 40"]


@pytest.mark.parametrize("values,labels", [
    ([0, 1, 2, 3, 4, 5, 8, 13, 21], ["0 – 1", "2 – 3", "4", "5 – 10", "11 – 21"]),
    ([0.5, 1.25, 2.5, 3.1], ["0.5 – 1.1", "1.1 – 1.9", "1.9 – 2.6", "2.6 – 3.1"]),
], ids=["counts", "rates"])
def test_classify_labels_never_overlap_for_counts(values, labels):
    got = classify(np.array(values, dtype=float))
    assert got.labels("{:,.0f}" if got.integer else "{:.1f}") == labels
    # every count falls in the class its label names
    for v, k in zip(values, got.klass):
        text = got.labels()[k] if got.integer else None
        if text:
            lo, _, hi = text.partition(" – ")
            assert float(lo) <= v <= float(hi or lo)
