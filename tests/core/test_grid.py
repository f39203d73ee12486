import numpy as np
import pytest
import shapely

from geo.core.grid import assign_points, largest_overlap, make_grid, repair_polygons


@pytest.fixture
def square_boundary_m():
    return shapely.box(1000.0, 2000.0, 3000.0, 3500.0)


@pytest.mark.parametrize("shape", ["square", "hex"])
def test_make_grid_tiles_the_boundary_with_stable_codes(square_boundary_m, shape):
    codes, cells = make_grid(square_boundary_m, 250.0, shape)
    assert len(codes) == len(set(codes))
    np.testing.assert_allclose(shapely.area(cells).sum(), square_boundary_m.area, rtol=1e-9)
    assert shapely.union_all(cells).symmetric_difference(square_boundary_m).area < 1e-6
    again, _ = make_grid(square_boundary_m, 250.0, shape)
    assert again == codes
    # A larger boundary keeps the codes of the cells it shares.
    bigger, _ = make_grid(shapely.box(0.0, 0.0, 4000.0, 4000.0), 250.0, shape)
    assert set(codes) <= set(bigger)


def test_make_grid_square_counts(square_boundary_m):
    codes, cells = make_grid(square_boundary_m, 500.0, "square")
    assert len(codes) == 4 * 3 and "S500_2_4" in codes
    assert shapely.area(cells).max() == pytest.approx(250_000.0)


def test_make_grid_refuses_bad_size(square_boundary_m):
    with pytest.raises(ValueError):
        make_grid(square_boundary_m, 0, "square")
    with pytest.raises(ValueError):
        make_grid(square_boundary_m, 100, "triangle")


def test_assign_points_matches_brute_force():
    rng = np.random.default_rng(1)
    polys = np.array([shapely.box(i, j, i + 1, j + 1) for i in range(5) for j in range(5)], dtype=object)
    xs, ys = rng.uniform(-1, 6, 2000), rng.uniform(-1, 6, 2000)
    got = assign_points(xs, ys, polys)
    expected = np.array([next((k for k, p in enumerate(polys) if p.intersects(shapely.Point(x, y))), -1)
                         for x, y in zip(xs, ys)])
    np.testing.assert_array_equal(got, expected)


def test_assign_points_shared_boundary_goes_to_lowest_index_and_nan_to_none():
    polys = np.array([shapely.box(1, 0, 2, 1), shapely.box(0, 0, 1, 1)], dtype=object)
    got = assign_points(np.array([1.0, 0.5, np.nan]), np.array([0.5, 0.5, 0.5]), polys)
    assert got.tolist() == [0, 1, -1]


def test_largest_overlap_picks_the_parent_with_most_area():
    parents = np.array([shapely.box(113.0, 28.0, 113.01, 28.01), shapely.box(113.01, 28.0, 113.02, 28.01)], dtype=object)
    children = np.array([shapely.box(113.002, 28.0, 113.0105, 28.01), shapely.box(113.5, 28.5, 113.6, 28.6)], dtype=object)
    assert largest_overlap(children, parents, "EPSG:32649").tolist() == [0, -1]


def test_repair_polygons_fixes_bow_tie():
    bow = shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])
    fixed, invalid = repair_polygons(np.array([bow, shapely.box(0, 0, 1, 1)], dtype=object))
    assert invalid.tolist() == [True, False]
    assert fixed[0].is_valid and fixed[0].geom_type == "MultiPolygon"
    assert fixed[0].area == pytest.approx(0.5)


def test_bin_points_counts_and_means_per_bin():
    from geo.core.grid import bin_points

    lon = np.array([0.0001, 0.0009, 0.0015, np.nan, 0.0101])
    lat = np.array([0.0001, 0.0002, 0.0003, 0.0, 0.0001])
    mx, my, n = bin_points(lon, lat, 0.001)
    assert n.tolist() == [2, 1, 1]  # largest bin first; the NaN point is left out
    np.testing.assert_allclose([mx[0], my[0]], [0.0005, 0.00015])
    assert n.sum() == 4
