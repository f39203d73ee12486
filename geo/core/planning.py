"""Where new cameras help most: a maximal covering location problem.

Demand points carry weights (incidents, area or key places) and candidate options are sites
(with a heading when the camera is not a dome). An option covers the demand points within its
range and field of view. Demand already seen by existing cameras is given weight 0 by the
caller. Two solvers:

- :func:`greedy`: lazy greedy (marginal gains kept in a max-heap and only re-evaluated when they
  reach the top); at most one option per site. For any size; the classic (1 - 1/e) guarantee.
- :func:`exact`: the integer programme, solved by scipy's HiGHS (``scipy.optimize.milp``):
  maximise ``sum w_i y_i`` subject to ``y_i <= sum_j a_ij x_j``, ``sum x_j = K`` (or, for a target,
  minimise ``sum x_j`` subject to ``sum w_i y_i >= target``), one option per site, ``x`` binary,
  ``0 <= y <= 1``. Reports HiGHS's optimality gap.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.spatial import cKDTree

from geo.core.progress import Progress, tell

HEADINGS = (0.0, 45.0, 90.0, 135.0, 180.0, 225.0, 270.0, 315.0)


@dataclass
class Plan:
    options: np.ndarray  # chosen option indices, in the order picked (greedy) or by gain (exact)
    gains: np.ndarray  # marginal covered weight of each
    covered: float  # covered weight in all
    gap: float | None = None  # relative optimality gap (exact only)


def coverage_matrix(cand_x: np.ndarray, cand_y: np.ndarray, dem_x: np.ndarray, dem_y: np.ndarray, radius: float,
                    fov: float = 360.0, headings: tuple[float, ...] = HEADINGS) -> tuple[sparse.csc_matrix, np.ndarray,
                                                                                         np.ndarray]:
    """(A, site, heading): A[i, j] = 1 when option j covers demand point i (metres).

    A dome gives one option per site; a narrower camera one per site and heading.
    """
    cand = np.column_stack([cand_x, cand_y])
    dem = np.column_stack([dem_x, dem_y])
    near = cKDTree(cand).query_ball_tree(cKDTree(dem), radius) if len(cand) and len(dem) else [[] for _ in cand]
    dome = fov >= 360
    heads = (None,) if dome else headings
    rows, cols, site, heading = [], [], [], []
    for s, found in enumerate(near):
        found = np.asarray(found, dtype=int)
        if not dome and len(found):
            bearing = np.degrees(np.arctan2(dem[found, 0] - cand[s, 0], dem[found, 1] - cand[s, 1])) % 360
        for h in heads:
            j = len(site)
            site.append(s)
            heading.append(np.nan if h is None else h)
            if not len(found):
                continue
            if dome:
                keep = found
            else:
                off = np.abs((bearing - h + 180) % 360 - 180)
                keep = found[off <= fov / 2]
            rows.extend(keep.tolist())
            cols.extend([j] * len(keep))
    a = sparse.csc_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(dem), len(site)))
    a.data[:] = 1.0
    return a, np.asarray(site), np.asarray(heading, dtype=float)


def greedy(a: sparse.csc_matrix, weights: np.ndarray, site: np.ndarray, k: int | None = None,
           target: float | None = None, progress: Progress | None = None) -> Plan:
    """Pick options one at a time by marginal covered weight, until ``k`` or ``target`` weight;
    ``progress(fraction, "pick")`` hears of each pick (the share of ``k`` or of ``target`` reached)."""
    if (k is None) == (target is None):
        raise ValueError("give exactly one of k (sites to add) or target (weight to cover)")
    a = a.tocsc()
    w = np.asarray(weights, dtype=float)
    covered = np.zeros(a.shape[0], dtype=bool)
    gain_of = lambda j: float(w[a.indices[a.indptr[j]:a.indptr[j + 1]]][~covered[a.indices[a.indptr[j]:a.indptr[j + 1]]]].sum())  # noqa: E731
    heap = [(-gain_of(j), j) for j in range(a.shape[1])]
    heapq.heapify(heap)
    used_sites: set[int] = set()
    chosen, gains, total = [], [], 0.0
    while heap and (k is None or len(chosen) < k) and (target is None or total < target - 1e-9):
        neg, j = heapq.heappop(heap)
        if site[j] in used_sites:
            continue
        fresh = gain_of(j)
        if heap and fresh < -heap[0][0] - 1e-12:  # stale: put it back with its true gain
            heapq.heappush(heap, (-fresh, j))
            continue
        if fresh <= 0:
            break
        rows = a.indices[a.indptr[j]:a.indptr[j + 1]]
        covered[rows] = True
        chosen.append(j)
        gains.append(fresh)
        total += fresh
        used_sites.add(int(site[j]))
        tell(progress, len(chosen) / k if k else total / target if target else 1.0, "pick")
    tell(progress, 1.0, "pick")
    return Plan(np.asarray(chosen, dtype=int), np.asarray(gains), total)


def exact(a: sparse.csc_matrix, weights: np.ndarray, site: np.ndarray, k: int | None = None,
          target: float | None = None, time_limit: float = 60.0, progress: Progress | None = None) -> Plan:
    """The integer programme (module docstring) by HiGHS; gains are reported per chosen option.
    ``progress`` hears of two steps: ``solve`` (HiGHS says nothing until it is done) and ``order``."""
    if (k is None) == (target is None):
        raise ValueError("give exactly one of k (sites to add) or target (weight to cover)")
    a = sparse.csr_matrix(a)
    n_dem, n_opt = a.shape
    w = np.asarray(weights, dtype=float)
    # variables: x (options) then y (demand)
    cover = sparse.hstack([-a, sparse.identity(n_dem)])  # y - A x <= 0
    sites = np.unique(site)
    one = sparse.csr_matrix((np.ones(n_opt), (np.searchsorted(sites, site), np.arange(n_opt))),
                            shape=(len(sites), n_opt))
    constraints = [LinearConstraint(cover, -np.inf, 0),
                   LinearConstraint(sparse.hstack([one, sparse.csr_matrix((len(sites), n_dem))]), 0, 1)]
    if k is not None:
        c = np.concatenate([np.zeros(n_opt), -w])
        constraints.append(LinearConstraint(np.concatenate([np.ones(n_opt), np.zeros(n_dem)])[None, :], 0, k))
    else:
        c = np.concatenate([np.ones(n_opt), np.zeros(n_dem)])
        constraints.append(LinearConstraint(np.concatenate([np.zeros(n_opt), w])[None, :], target, np.inf))
    integrality = np.concatenate([np.ones(n_opt), np.zeros(n_dem)])
    tell(progress, 0.0, "solve")
    result = milp(c, constraints=constraints, integrality=integrality, bounds=Bounds(0, 1),
                  options={"time_limit": time_limit, "mip_rel_gap": 0.0})
    if result.x is None:
        raise ValueError(f"the planning problem has no solution: {result.message}")
    tell(progress, 0.9, "order")
    x = np.round(result.x[:n_opt]).astype(bool)
    chosen = np.flatnonzero(x)
    covered = np.asarray(a[:, chosen].sum(axis=1)).ravel() > 0
    # order by marginal gain, greedily among the chosen, for a readable list
    plan = greedy(a.tocsc()[:, chosen], w, site[chosen], k=len(chosen)) if len(chosen) else Plan(chosen, np.array([]), 0)
    order = chosen[plan.options] if len(chosen) else chosen
    rest = np.setdiff1d(chosen, order)
    gains = np.concatenate([plan.gains, np.zeros(len(rest))])
    gap = getattr(result, "mip_gap", None)
    tell(progress, 1.0, "order")
    return Plan(np.concatenate([order, rest]), gains, float(w[covered].sum()), None if gap is None else float(gap))
