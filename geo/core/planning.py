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

PRESOLVE = False  # HiGHS presolve: after reduced() it finds little and costs time
HEADINGS = (0.0, 45.0, 90.0, 135.0, 180.0, 225.0, 270.0, 315.0)


@dataclass
class Plan:
    options: np.ndarray  # chosen option indices, in the order picked (greedy) or by gain (exact)
    gains: np.ndarray  # marginal covered weight of each
    covered: float  # covered weight in all
    gap: float | None = None  # relative optimality gap (exact only)


def coverage_matrix(cand_x: np.ndarray, cand_y: np.ndarray, dem_x: np.ndarray, dem_y: np.ndarray, radius: float,
                    fov: float = 360.0, headings: tuple[float, ...] = HEADINGS, north: np.ndarray | None = None,
                    sees=None) -> tuple[sparse.csc_matrix, np.ndarray, np.ndarray]:
    """(A, site, heading): A[i, j] = 1 when option j covers demand point i (metres).

    A dome gives one option per site; a narrower camera one per site and heading. Headings are true
    bearings: ``north`` is, per site, the grid bearing of true north (``geo.core.crs.true_north``;
    0 when None). ``sees(sites, points)``, when given, says which (site, demand point) pairs have a
    clear line of sight (``geo.core.visibility.clear_lines``); the others are not covered.
    """
    cand = np.column_stack([cand_x, cand_y])
    dem = np.column_stack([dem_x, dem_y])
    near = cKDTree(cand).query_ball_tree(cKDTree(dem), radius) if len(cand) and len(dem) else [[] for _ in cand]
    dome = fov >= 360
    heads = (None,) if dome else headings
    rows, cols, site, heading = [], [], [], []
    for s, found in enumerate(near):
        found = np.asarray(found, dtype=int)
        if sees is not None and len(found):
            found = found[sees(np.full(len(found), s), found)]
        if not dome and len(found):
            grid = np.degrees(np.arctan2(dem[found, 0] - cand[s, 0], dem[found, 1] - cand[s, 1]))
            bearing = (grid - (0.0 if north is None else north[s])) % 360
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
    ``progress`` hears of two steps: ``solve`` (HiGHS says nothing until it is done) and ``order``.

    The programme is first shrunk without changing its optimum (:func:`reduced`), then solved
    with HiGHS's own presolve off (it finds nothing more to remove and only costs time)."""
    if (k is None) == (target is None):
        raise ValueError("give exactly one of k (sites to add) or target (weight to cover)")
    a = sparse.csr_matrix(a)
    w = np.asarray(weights, dtype=float)
    site = np.asarray(site)
    small, w_small, options = reduced(a, w, site)
    n_dem, n_opt = small.shape
    tell(progress, 0.0, "solve")
    if n_opt == 0 or (target is not None and target <= 0):
        if target is not None and target > 0:
            raise ValueError("the planning problem has no solution: no option covers any weight")
        chosen, gap = np.array([], dtype=int), 0.0
    else:
        x, gap = _solve(small, w_small, site[options], k, target, time_limit)
        chosen = np.sort(options[x])
    tell(progress, 0.9, "order")
    covered = np.asarray(a[:, chosen].sum(axis=1)).ravel() > 0
    # order by marginal gain, greedily among the chosen, for a readable list
    plan = greedy(a.tocsc()[:, chosen], w, site[chosen], k=len(chosen)) if len(chosen) else Plan(chosen, np.array([]), 0)
    order = chosen[plan.options] if len(chosen) else chosen
    rest = np.setdiff1d(chosen, order)
    gains = np.concatenate([plan.gains, np.zeros(len(rest))])
    tell(progress, 1.0, "order")
    return Plan(np.concatenate([order, rest]), gains, float(w[covered].sum()), None if gap is None else float(gap))


def _solve(a: sparse.csr_matrix, w: np.ndarray, site: np.ndarray, k: int | None, target: float | None,
           time_limit: float) -> tuple[np.ndarray, float | None]:
    """HiGHS on the programme of ``a``: which options are chosen (a mask) and the optimality gap."""
    n_dem, n_opt = a.shape
    # variables: x (options) then y (demand)
    constraints = [LinearConstraint(sparse.hstack([-a, sparse.identity(n_dem)]), -np.inf, 0)]  # y - A x <= 0
    sites, of_site, per_site = np.unique(site, return_inverse=True, return_counts=True)
    shared = per_site[of_site] > 1  # a site with one option needs no row: x <= 1 already
    if shared.any():
        rows = np.unique(of_site[shared], return_inverse=True)[1]
        one = sparse.csr_matrix((np.ones(shared.sum()), (rows, np.flatnonzero(shared))), shape=(rows.max() + 1, n_opt))
        constraints.append(LinearConstraint(sparse.hstack([one, sparse.csr_matrix((one.shape[0], n_dem))]), 0, 1))
    if k is not None:
        c = np.concatenate([np.zeros(n_opt), -w])
        constraints.append(LinearConstraint(np.concatenate([np.ones(n_opt), np.zeros(n_dem)])[None, :], 0, k))
    else:
        c = np.concatenate([np.ones(n_opt), np.zeros(n_dem)])
        constraints.append(LinearConstraint(np.concatenate([np.zeros(n_opt), w])[None, :], target, np.inf))
    integrality = np.concatenate([np.ones(n_opt), np.zeros(n_dem)])
    result = milp(c, constraints=constraints, integrality=integrality, bounds=Bounds(0, 1),
                  options={"time_limit": time_limit, "mip_rel_gap": 0.0, "presolve": PRESOLVE})
    if result.x is None:
        raise ValueError(f"the planning problem has no solution: {result.message}")
    gap = getattr(result, "mip_gap", None)
    return np.round(result.x[:n_opt]).astype(bool), gap


def reduced(a: sparse.csr_matrix, weights: np.ndarray, site: np.ndarray) -> tuple[sparse.csr_matrix, np.ndarray,
                                                                                   np.ndarray]:
    """A smaller programme with the same optimum: ``(A', w', options)``, ``options`` being the
    original indices of the columns of ``A'``.

    - demand with no positive weight, or that no option covers, is dropped (it adds nothing);
    - demand points covered by the same options become one point carrying their summed weight;
    - an option covering nothing, or a subset of what another option covers, is dropped when
      that other option can always take its place: it stands on the same site, or alone on its
      site (of two equal options the first is kept). Any plan using the dropped option does at
      least as well with the other one instead, within the same number of sites.
    """
    a = sparse.csr_matrix(a, dtype=float)
    w = np.asarray(weights, dtype=float)
    site = np.asarray(site)
    of_site = np.unique(site, return_inverse=True)[1].ravel()
    options = np.arange(a.shape[1])
    a, w = a[w > 0], w[w > 0]
    while True:
        seen = a.getnnz(axis=1) > 0
        a, w = _merged_rows(a[seen], w[seen])
        here = of_site[options]
        alone = np.bincount(here)[here] == 1  # among the options still in the programme
        keep = _undominated(a.tocsc(), here, alone)
        if keep.all():
            break
        a, options = a[:, keep], options[keep]
    a.data[:] = 1.0
    return a, w, options


def _merged_rows(a: sparse.csr_matrix, w: np.ndarray) -> tuple[sparse.csr_matrix, np.ndarray]:
    """Rows with the same pattern of options as one row with the summed weight."""
    a.sort_indices()
    keys = [a.indices[a.indptr[i]:a.indptr[i + 1]].tobytes() for i in range(a.shape[0])]
    _, first, inverse = np.unique(np.array(keys, dtype=object), return_index=True, return_inverse=True)
    if len(first) == a.shape[0]:
        return a, w
    return a[first], np.bincount(inverse.ravel(), weights=w, minlength=len(first))


def _undominated(a: sparse.csc_matrix, of_site: np.ndarray, alone: np.ndarray) -> np.ndarray:
    """Mask of the options :func:`reduced` keeps (columns of ``a``, with their sites)."""
    size = a.getnnz(axis=0)
    common = (a.T @ a).tocoo()  # common[i, j]: demand points options i and j both cover
    i, j, both = common.row, common.col, np.rint(common.data)
    replaceable = (of_site[i] == of_site[j]) | alone[j]
    subset = (i != j) & (both == size[i]) & ((size[i] < size[j]) | (j < i)) & replaceable
    keep = size > 0
    keep[i[subset]] = False
    return keep
