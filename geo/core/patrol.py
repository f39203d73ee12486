"""Patrol zones: scorecards and balanced, compact, contiguous redistricting from grid cells.

Compactness is Polsby-Popper, ``4 pi A / P^2`` (1 for a disc). Balance is the max/min ratio
and the coefficient of variation of the zones' workloads.

Redistricting (:func:`propose`) builds ``k`` zones from cells with workloads and a
contiguity graph:

1. seeds: the heaviest cell, then repeatedly the cell farthest (in metres) from every seed
   so far, weighted by workload (fixed cores are seeds of their own zones);
2. growth: the zone with the least workload takes the unassigned neighbouring cell nearest
   its seed, until every reachable cell is taken (zones stay contiguous by construction);
3. improvement: a boundary cell moves to a neighbouring zone when the donor stays contiguous
   and the move lowers ``BALANCE_WEIGHT * sum(max(0, |load - mean| / mean - BALANCE_TOLERANCE)^2)
   - COMPACTNESS * (cell edges shared within zones)``: balance beyond a small tolerance first,
   then shorter boundaries (which is what Polsby-Popper rewards); fixed cells never move.
"""

from __future__ import annotations

import heapq

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components

COMPACTNESS = 1.0  # objective per cell edge shared with the cell's zone
BALANCE_WEIGHT = 4000.0  # objective per squared share of the mean beyond the tolerance
BALANCE_TOLERANCE = 0.03  # workloads within 3 % of the mean cost nothing
MAX_ROUNDS = 60


def polsby_popper(area: np.ndarray, perimeter: np.ndarray) -> np.ndarray:
    area, perimeter = np.asarray(area, dtype=float), np.asarray(perimeter, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(perimeter > 0, 4 * np.pi * area / perimeter ** 2, 0.0)


def balance(workload: np.ndarray) -> tuple[float, float]:
    """(max/min ratio, coefficient of variation) of zone workloads (inf when a zone has none)."""
    w = np.asarray(workload, dtype=float)
    if len(w) == 0:
        return float("nan"), float("nan")
    ratio = float(w.max() / w.min()) if w.min() > 0 else float("inf")
    return ratio, float(w.std() / w.mean()) if w.mean() > 0 else float("nan")


def is_contiguous(cells: np.ndarray, adjacency: sparse.csr_matrix) -> bool:
    """Whether the cells (indices) form one connected piece of the adjacency graph."""
    cells = np.asarray(cells)
    if len(cells) <= 1:
        return True
    sub = adjacency[cells][:, cells]
    return connected_components(sub, directed=False)[0] == 1


def _seeds(k: int, workload: np.ndarray, x: np.ndarray, y: np.ndarray, fixed: dict[int, int]) -> list[int]:
    seeds = [next(iter(c for c, z in fixed.items() if z == zone)) for zone in sorted(set(fixed.values()))]
    if not seeds:
        seeds = [int(np.argmax(workload))]
    weight = np.sqrt(workload + workload.mean() + 1e-9)
    while len(seeds) < k:
        d = np.min(np.hypot(x[:, None] - x[seeds][None, :], y[:, None] - y[seeds][None, :]), axis=1)
        seeds.append(int(np.argmax(d * weight)))
    return seeds


def propose(k: int, workload: np.ndarray, adjacency: sparse.csr_matrix, x: np.ndarray, y: np.ndarray,
            fixed: dict[int, int] | None = None, rounds: int = MAX_ROUNDS) -> np.ndarray:
    """Zone index (0..k-1) per cell; -1 for cells no zone could reach. ``fixed`` maps cell -> zone."""
    n = len(workload)
    w = np.asarray(workload, dtype=float)
    adj = sparse.csr_matrix(adjacency)
    fixed = dict(fixed or {})
    seeds = _seeds(k, w, x, y, fixed)
    zone = np.full(n, -1, dtype=np.int64)
    load = np.zeros(k)
    for z, s in enumerate(seeds):
        zone[s] = z
        load[z] += w[s]
    for c, z in fixed.items():
        if zone[c] == -1:
            zone[c] = z
            load[z] += w[c]
    sx, sy = x[seeds], y[seeds]
    frontier = [[] for _ in range(k)]

    def push(z: int, c: int) -> None:
        for nb in adj.indices[adj.indptr[c]:adj.indptr[c + 1]]:
            if zone[nb] == -1:
                heapq.heappush(frontier[z], (float(np.hypot(x[nb] - sx[z], y[nb] - sy[z])), int(nb)))

    for c in np.flatnonzero(zone >= 0):
        push(int(zone[c]), int(c))
    active = set(range(k))
    while active:
        z = min(active, key=lambda q: load[q])
        while frontier[z] and zone[frontier[z][0][1]] != -1:
            heapq.heappop(frontier[z])
        if not frontier[z]:
            active.discard(z)
            continue
        _, c = heapq.heappop(frontier[z])
        zone[c] = z
        load[z] += w[c]
        push(z, c)
    return _improve(zone, w, adj, x, y, k, set(fixed), rounds)


def _improve(zone, w, adj, x, y, k, frozen: set, rounds: int) -> np.ndarray:
    """Move boundary cells while the objective falls (module docstring, step 3)."""
    mean = w.sum() / k if w.sum() > 0 else 1.0
    load = np.bincount(zone[zone >= 0], weights=w[zone >= 0], minlength=k)
    count = np.bincount(zone[zone >= 0], minlength=k).astype(float)

    def band(v: float) -> float:  # balance cost: only deviations beyond the tolerance count
        return max(0.0, abs(v - mean) / mean - BALANCE_TOLERANCE) ** 2

    for _ in range(rounds):
        moved = 0
        for c in np.argsort(-w):
            donor = zone[c]
            if donor < 0 or c in frozen or count[donor] <= 1:
                continue
            nbs = adj.indices[adj.indptr[c]:adj.indptr[c + 1]]
            zones_nb = zone[nbs]
            same = int((zones_nb == donor).sum())
            best, best_gain = None, 0.0
            for to in set(zones_nb[(zones_nb >= 0) & (zones_nb != donor)].tolist()):
                balance_gain = (band(load[donor]) + band(load[to]) - band(load[donor] - w[c])
                                - band(load[to] + w[c])) * BALANCE_WEIGHT
                shape_gain = COMPACTNESS * (int((zones_nb == to).sum()) - same)  # shared edges gained
                gain = balance_gain + shape_gain
                if gain > best_gain + 1e-12:
                    best, best_gain = to, gain
            if best is None:
                continue
            rest = np.flatnonzero(zone == donor)
            if not is_contiguous(rest[rest != c], adj):
                continue
            zone[c] = best
            load[donor] -= w[c]
            load[best] += w[c]
            count[donor] -= 1
            count[best] += 1
            moved += 1
        if not moved:
            break
    return zone
