"""Spatial weights as sparse matrices: which areas are neighbours.

Binary ``scipy.sparse.csr_matrix`` with no self-links: queen contiguity (any shared
boundary point) from polygons, or a distance band in metres from points (centroids).
"""

from __future__ import annotations

import numpy as np
import shapely
from scipy import sparse
from scipy.spatial import cKDTree


def queen(polygons: np.ndarray) -> sparse.csr_matrix:
    """Binary queen contiguity: areas that share at least one boundary point."""
    polygons = np.asarray(polygons, dtype=object)
    n = len(polygons)
    tree = shapely.STRtree(polygons)
    left, right = tree.query(polygons, predicate="intersects")
    keep = left != right
    return _binary(left[keep], right[keep], n)


def distance_band(x_m: np.ndarray, y_m: np.ndarray, threshold_m: float) -> sparse.csr_matrix:
    """Binary weights: points (in metres) no further apart than ``threshold_m``."""
    pairs = cKDTree(np.column_stack([x_m, y_m])).query_pairs(threshold_m, output_type="ndarray")
    i, j = (pairs[:, 0], pairs[:, 1]) if len(pairs) else (np.array([], int), np.array([], int))
    return _binary(np.concatenate([i, j]), np.concatenate([j, i]), len(x_m))


def _binary(i: np.ndarray, j: np.ndarray, n: int) -> sparse.csr_matrix:
    w = sparse.csr_matrix((np.ones(len(i)), (i, j)), shape=(n, n))
    w.data[:] = 1.0  # duplicates summed by the constructor become 1 again
    w.eliminate_zeros()
    return w


def islands(w: sparse.csr_matrix) -> np.ndarray:
    """Areas without a neighbour."""
    return np.asarray(w.getnnz(axis=1)) == 0


def row_standardise(w: sparse.csr_matrix) -> sparse.csr_matrix:
    """Each row sums to 1 (islands stay all zero)."""
    sums = np.asarray(w.sum(axis=1)).ravel()
    scale = np.divide(1.0, sums, out=np.zeros_like(sums), where=sums > 0)
    return sparse.diags(scale) @ w
