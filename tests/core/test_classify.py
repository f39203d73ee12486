import mapclassify
import numpy as np
import pytest

from geo.core.classify import (CHANGE_COLORS, CHANGE_KEYS, CLASS_COLORS, DEVIATION_KEYS, EMERGING_COLORS, MISSING,
                                NO_DATA, SEQUENTIAL, SUPPRESSED, SUPPRESSED_FILL, change_classes, classify,
                                density_classes, deviation_classes, legend_rows)
from geo.core.emerging import CATEGORIES

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


# ---- fixed classes of change ------------------------------------------------------------------

def _change_keys(now, before):
    got = change_classes(np.array(now, dtype=float), np.array(before, dtype=float))
    return [got.keys[k] if k >= 0 else None for k in got.klass]


def test_change_classes_use_fixed_meaningful_breaks():
    before = [10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 0, 0, np.nan]
    now = [0, 5, 6, 8, 9, 10, 11, 15, 16, 20, 21, 3, 0, 4]
    assert _change_keys(now, before) == [
        "down_50", "down_50", "down_10", "down_10", "same", "same", "same", "up_10", "up_50", "up_50", "up_100",
        "new", "same", None]


def test_change_classes_never_go_below_minus_100_percent():
    """The old data-driven diverging classes reached far below -100 % ("-228 % – -137 %") on the
    demo's year-on-year view; a change cannot fall below -100 %, and a legend must not say it can."""
    rng = np.random.default_rng(7)
    before = rng.poisson(3, 500).astype(float)
    now = rng.poisson(3, 500).astype(float)
    got = change_classes(now, before)
    assert got.lower == -100.0 and got.bins[0] == -50.0
    assert got.keys == CHANGE_KEYS and got.colors == CHANGE_COLORS  # the same legend on every map
    pct = (now - before) / np.where(before > 0, before, np.nan) * 100
    assert np.nanmin(pct) >= -100
    assert set(got.klass) <= set(range(len(CHANGE_KEYS)))  # nothing missing, every value classed


def test_change_palette_diverges_around_about_the_same():
    same = CHANGE_KEYS.index("same")
    light = [_lightness(c) for c in CHANGE_COLORS[:6]]
    assert light[same] == max(light)  # the neutral middle is the lightest
    assert light[0] < light[1] < light[same] and light[same] > light[3] > light[4] > light[5]
    assert CHANGE_COLORS[CHANGE_KEYS.index("new")] not in CHANGE_COLORS[:6]


# ---- workload against the mean --------------------------------------------------------------

def test_a_balanced_plan_shows_as_balanced():
    """Workloads 246-268 (the demo's proposal): quantile classes spread them over five colours; the
    fixed deviation classes put every zone within 5 % of the mean in the one "balanced" class."""
    workloads = np.array([246, 249, 251, 253, 255, 257, 259, 262, 264, 268], dtype=float)
    assert len(set(classify(workloads).klass)) == 5  # what misled
    got = deviation_classes(workloads)
    assert got.keys == DEVIATION_KEYS
    assert {got.keys[k] for k in got.klass} == {"balanced"}


def test_deviation_classes_break_at_5_and_15_percent():
    got = deviation_classes(np.array([80.0, 90.0, 95.0, 100.0, 105.0, 110.0, 115.1, np.nan]), target=100.0)
    assert [got.keys[k] if k >= 0 else None for k in got.klass] == [
        "under_15", "under_5", "balanced", "balanced", "balanced", "over_5", "over_15", None]


# ---- what a shared screen can show, and greys explained ---------------------------------------

def test_classes_start_at_the_least_count_a_shared_screen_shows():
    """On the wall counts 1 and 2 are never shown (k = 3): no legend class may name them ("1 – 4")."""
    values = np.array([0, 0, 0, 0, 3, 3, 4, 5, 6, 7, 9, 12, 20], dtype=float)
    assert classify(values, "natural_breaks").labels()[1] == "1 – 5"  # what the wall showed
    got = classify(values, "natural_breaks", floor=3)
    labels = got.labels()
    assert labels[0] == "0" and labels[1].startswith("3")
    for label in labels[1:]:
        low = float(label.split(" – ")[0].replace(",", ""))
        assert low >= 3


def test_suppressed_values_get_a_class_of_their_own_and_the_legend_says_so():
    values = np.array([0, 4, 5, 9, 1, 2, np.nan], dtype=float)
    hidden = np.array([False, False, False, False, True, True, False])
    got = classify(values, suppressed=hidden, floor=3)
    assert list(got.klass[4:6]) == [SUPPRESSED, SUPPRESSED] and got.klass[6] == MISSING
    assert got.color_of()[4] == SUPPRESSED_FILL and got.color_of()[6] == NO_DATA
    assert got.bins.max() == 9  # hidden values never shape the classes
    rows, colors = legend_rows(got, got.labels(), no_data="no data", suppressed="hidden: fewer than 3")
    assert rows[-2:] == ["hidden: fewer than 3", "no data"] and colors[-2:] == [SUPPRESSED_FILL, NO_DATA]
    with pytest.raises(ValueError, match="must say so"):
        legend_rows(got, got.labels(), no_data="no data")  # a grey left unexplained


def test_legend_rows_add_no_data_only_when_the_map_has_some():
    full = classify(np.array([1.0, 2.0, 3.0]))
    assert legend_rows(full, full.labels(), no_data="no data")[0] == full.labels()
    gaps = classify(np.array([1.0, np.nan, 3.0]))
    assert legend_rows(gaps, gaps.labels(), no_data="no data")[0][-1] == "no data"


def test_classify_refuses_negative_values():
    with pytest.raises(ValueError, match="change_classes"):
        classify(np.array([-5.0, 1.0, 2.0]))


def test_density_classes_leave_the_faintest_pixels_clear():
    surface = np.zeros((10, 10))
    surface[2:5, 2:5] = np.arange(9).reshape(3, 3) + 1.0
    surface[0, 0] = 0.1  # below 2 % of the highest (9)
    got = density_classes(surface)
    assert got.lower == pytest.approx(0.18)
    assert got.klass.reshape(10, 10)[0, 0] == MISSING and got.klass.reshape(10, 10)[2, 2] >= 0
    assert got.labels("{:.2f}")[0].startswith("0.18")


# ---- class colours -----------------------------------------------------------------------------

def _lab(color: str) -> np.ndarray:
    rgb = np.array([int(color[i:i + 2], 16) / 255 for i in (1, 3, 5)])
    rgb = np.where(rgb > 0.04045, ((rgb + 0.055) / 1.055) ** 2.4, rgb / 12.92)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ rgb
    f = np.cbrt(xyz / np.array([0.95047, 1.0, 1.08883]))
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def _lightness(color: str) -> float:
    return float(_lab(color)[0])


def test_emerging_categories_have_clearly_different_colours():
    """The "new" and "sporadic" hot spots were #fee090 and #fdd0a2, under 20 CIELAB units apart: alike
    on a map. Now no two categories lie closer than 25."""
    assert set(EMERGING_COLORS) == set(CATEGORIES)
    assert np.linalg.norm(_lab("#fee090") - _lab("#fdd0a2")) < 20  # the old pair
    names = sorted(EMERGING_COLORS)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            gap = np.linalg.norm(_lab(EMERGING_COLORS[a]) - _lab(EMERGING_COLORS[b]))
            assert gap >= 25, (a, b, gap)
    assert all(CLASS_COLORS[c] == EMERGING_COLORS[c] for c in CATEGORIES)
