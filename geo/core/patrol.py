"""Patrol zones: scorecards and balanced, compact, contiguous redistricting from grid cells.

Compactness is Polsby-Popper, ``4 pi A / P^2`` (1 for a disc). Balance is the max/min ratio
and the coefficient of variation of the zones' workloads.

Redistricting (:func:`propose`) builds ``k`` zones from cells (a :class:`CellGraph`: queen
neighbours, centroids, areas, perimeters and the boundary length each pair of cells shares,
all in metres). Each of several restarts:

1. places ``k`` centres (k-means++ on the workload; a fixed core's cells centre its zone);
2. solves Hess' districting model: send cells to centres at least ``workload * distance^2``
   with every zone's workload within half the tolerance of the mean (a transportation LP,
   HiGHS), move each centre to its zone's workload centroid, repeat; a cell goes where most
   of it was sent. The LP is solved by column generation (each cell's nearest centres first,
   then any left-out column the duals price below zero), which gives the whole LP's optimum;
3. repairs contiguity: a zone keeps its heaviest connected piece, stray pieces go to a
   neighbouring zone;
4. moves boundary cells one at a time to raise
   ``mean(Polsby-Popper) - BALANCE_WEIGHT * sum(max(0, |load - mean| / mean - BALANCE_TOLERANCE)^2)``,
   first annealed (a worse move is taken with probability ``exp(gain / T)``, T falling), then
   greedily until no move helps; a move is taken only when the donor zone stays connected.
   Zone perimeters are kept exact from the shared boundary lengths, so a move is scored in
   O(neighbours); cells with no neighbour in another zone are passed over at once. This step
   lives in :mod:`geo.core.patrol_moves`.

The restart with the best objective wins (one within ``MAX_RATIO`` over any beyond it). Cells outside the graph's largest connected piece
(islands) get -1: no contiguous zone can hold them with the rest. Fixed cells never move.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from scipy import sparse
from scipy.optimize import linprog
from scipy.sparse.csgraph import connected_components

from geo.core.patrol_moves import improve, stays_connected
from geo.core.progress import Progress, tell

BALANCE_WEIGHT = 50.0  # objective per squared share of the mean beyond the tolerance
BALANCE_TOLERANCE = 0.043  # workloads within 4.3 % of the mean cost nothing (max/min <= 1.09)
MAX_RATIO = 1.10  # a restart over this max/min workload ratio loses to any restart within it
RESTARTS_CELLS = 10_000  # restarts: this many cells' worth, 3 to 40 (small instances afford more)
HESS_ROUNDS = 8  # transportation-LP and centre-update rounds
SNAP_M = 1.0  # boundaries closer than this count as shared (real boundary files rarely match exactly)


@dataclass(frozen=True)
class CellGraph:
    adjacency: sparse.csr_matrix  # queen neighbours (binary)
    x: np.ndarray  # centroid, metres
    y: np.ndarray
    area: np.ndarray  # square metres
    perimeter: np.ndarray  # metres
    shared: sparse.csr_matrix  # boundary length shared by each pair of neighbours, metres


def cell_graph(polygons_m: np.ndarray, adjacency: sparse.csr_matrix | None = None,
               snap_m: float = SNAP_M) -> CellGraph:
    """The graph :func:`propose` works on, from cell polygons in a metric CRS (``snap_m``: how close two
    boundaries must run to count as shared)."""
    polygons_m = np.asarray(polygons_m, dtype=object)
    n = len(polygons_m)
    if n:  # never more than 1 % of a typical cell's side
        snap_m = min(snap_m, 0.01 * float(np.sqrt(np.median(shapely.area(polygons_m)))))
    if adjacency is None:
        tree = shapely.STRtree(polygons_m)
        i, j = tree.query(polygons_m, predicate="dwithin", distance=snap_m)
        keep = i != j
        adjacency = sparse.csr_matrix((np.ones(int(keep.sum())), (i[keep], j[keep])), shape=(n, n))
        adjacency.data[:] = 1.0
    adjacency = sparse.csr_matrix(adjacency)
    upper = sparse.triu(adjacency, k=1).tocoo()
    rings = shapely.boundary(polygons_m)
    halo = shapely.buffer(rings, snap_m, quad_segs=2)
    # the part of one ring within snap of the other, less the 2 * snap its two ends run on past the
    # shared stretch (so a corner contact shares nothing and a shared side exactly its length)
    length = np.maximum(0.0, shapely.length(shapely.intersection(rings[upper.row], halo[upper.col])) - 2 * snap_m)
    shared = sparse.coo_matrix((length, (upper.row, upper.col)), shape=(n, n))
    centre = shapely.centroid(polygons_m)
    return CellGraph(adjacency, shapely.get_x(centre), shapely.get_y(centre), shapely.area(polygons_m),
                     shapely.length(polygons_m), sparse.csr_matrix(shared + shared.T))


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


def propose(k: int, workload: np.ndarray, graph: CellGraph, fixed: dict[int, int] | None = None, *,
            restarts: int | None = None, seed: int = 0, progress: Progress | None = None) -> np.ndarray:
    """Zone index (0..k-1) per cell, -1 for islands (module docstring). ``fixed`` maps cell -> zone.
    ``progress(fraction, "search")`` is called as the restarts go (``geo.core.progress``)."""
    w = np.asarray(workload, dtype=float)
    n = len(w)
    fixed = {int(c): int(z) for c, z in (fixed or {}).items()}
    if k < 1 or k > n:
        raise ValueError(f"cannot make {k} zones from {n} cells")
    if any(z < 0 or z >= k for z in fixed.values()):
        raise ValueError("a fixed cell names a zone outside 0..k-1")
    _, piece = connected_components(graph.adjacency, directed=False)
    main = piece == np.bincount(piece).argmax()
    if not all(main[c] for c in fixed):
        raise ValueError("a fixed cell is not connected to the rest of the cells")
    if int(main.sum()) < k:
        raise ValueError(f"cannot make {k} zones from {int(main.sum())} connected cells")
    search = _Search(k, w, graph, fixed, main)
    rng = np.random.default_rng(seed)
    best, best_score = None, -np.inf
    if restarts is None:
        restarts = int(np.clip(RESTARTS_CELLS // max(1, n), 3, 40))
    restarts = max(1, restarts)
    tell(progress, 0.0, "search")
    for r in range(restarts):
        zone = search.run(rng, lambda part, r=r: tell(progress, (r + part) / restarts, "search"))
        load = np.bincount(zone[zone >= 0], weights=w[zone >= 0], minlength=k)
        score = search.objective(zone) - (1.0 if balance(load)[0] > MAX_RATIO else 0.0)
        if score > best_score:
            best, best_score = zone, score
    return best


class _Search:
    def __init__(self, k: int, w: np.ndarray, g: CellGraph, fixed: dict[int, int], main: np.ndarray):
        self.k, self.w, self.g, self.fixed, self.main = k, w, g, fixed, main
        adj, sh = g.adjacency, g.shared
        self.nbrs = [adj.indices[adj.indptr[c]:adj.indptr[c + 1]].tolist() for c in range(len(w))]
        self.shared = []
        for c in range(len(w)):
            row = dict(zip(sh.indices[sh.indptr[c]:sh.indptr[c + 1]].tolist(),
                           sh.data[sh.indptr[c]:sh.indptr[c + 1]].tolist()))
            self.shared.append([row.get(nb, 0.0) for nb in self.nbrs[c]])
        self.mean = max(w[main].sum() / k, 1e-12)

    # -- objective -------------------------------------------------------------------------
    def band(self, load: float) -> float:
        return max(0.0, abs(load - self.mean) / self.mean - BALANCE_TOLERANCE) ** 2

    def objective(self, zone: np.ndarray) -> float:
        area, perim, load = self._totals(zone)
        return float(polsby_popper(area, perim).mean() - BALANCE_WEIGHT * sum(self.band(v) for v in load))

    def gain(self, shape: float, bal: float) -> float:
        """The objective's change when the zones' Polsby-Popper scores change by ``shape`` in all and
        their balance terms by ``bal``."""
        return shape / self.k - BALANCE_WEIGHT * bal

    def _totals(self, zone: np.ndarray):
        k, g = self.k, self.g
        inside = zone >= 0
        area = np.bincount(zone[inside], weights=g.area[inside], minlength=k)
        load = np.bincount(zone[inside], weights=self.w[inside], minlength=k)
        perim = np.bincount(zone[inside], weights=g.perimeter[inside], minlength=k)
        coo = sparse.triu(g.shared, k=1).tocoo()
        same = (zone[coo.row] == zone[coo.col]) & (zone[coo.row] >= 0)
        perim -= 2 * np.bincount(zone[coo.row[same]], weights=coo.data[same], minlength=k)
        return area, np.maximum(perim, 1e-9), load

    # -- one restart -------------------------------------------------------------------------
    def run(self, rng: np.random.Generator, done=lambda part: None) -> np.ndarray:
        """One restart; ``done(part)`` is told how much of it is done (the LP about half)."""
        zone = self._assign(rng)
        done(0.5)
        zone = self._repair(zone)
        zone = improve(self, zone, rng)
        done(1.0)
        return zone

    def _centres(self, rng) -> tuple[np.ndarray, np.ndarray]:
        k, g, w = self.k, self.g, self.w
        cx, cy = np.zeros(k), np.zeros(k)
        done = sorted(set(self.fixed.values()))
        for z in done:
            cells = [c for c, zz in self.fixed.items() if zz == z]
            cx[z], cy[z] = g.x[cells].mean(), g.y[cells].mean()
        pool = np.flatnonzero(self.main)
        mass = w[pool] + w[pool].mean() * 0.25 + 1e-12
        free = [z for z in range(k) if z not in done]
        for i, z in enumerate(free):  # k-means++: far from the centres so far, weighted by workload
            if not done and i == 0:
                c = rng.choice(pool, p=mass / mass.sum())
            else:
                d2 = np.min((g.x[pool, None] - cx[None, done]) ** 2 + (g.y[pool, None] - cy[None, done]) ** 2, axis=1)
                p = d2 * mass
                c = rng.choice(pool, p=p / p.sum()) if p.sum() > 0 else rng.choice(pool)
            cx[z], cy[z] = g.x[c], g.y[c]
            done.append(z)
        return cx, cy

    def _assign(self, rng) -> np.ndarray:
        """Hess' districting model: cells to centres at least cost ``workload * distance^2`` with every
        zone's workload equal to the mean (a transportation LP, HiGHS), centres moved to their zone's
        workload centroid, a few rounds; each cell then goes where most of it was sent."""
        k, g, w = self.k, self.g, self.w
        pool = np.flatnonzero(self.main)
        n = len(pool)
        cx, cy = self._centres(rng)
        px, py = g.x[pool], g.y[pool]
        pw = w[pool]
        mass = pw + max(pw.mean(), 1e-9) * 0.1  # empty cells still prefer the nearest centre
        pinned = np.zeros((n, k), dtype=bool)  # fixed cells: every column kept, bounds pin them
        upper = np.ones((n, k))
        lower = np.zeros((n, k))
        for c, z in self.fixed.items():
            i = int(np.searchsorted(pool, c))
            pinned[i] = True
            upper[i] = 0.0
            upper[i, z] = lower[i, z] = 1.0
        zone_pool = np.zeros(n, dtype=np.int64)
        fixed_zones = set(self.fixed.values())
        target = np.full(k, pw.sum() / k)
        b_ub = np.concatenate([target * (1 + BALANCE_TOLERANCE / 2), -target * (1 - BALANCE_TOLERANCE / 2)])
        for _ in range(HESS_ROUNDS):
            cost = mass[:, None] * ((px[:, None] - cx[None, :]) ** 2 + (py[:, None] - cy[None, :]) ** 2)
            cost /= cost.max() or 1.0
            share = _transport(cost, pw, b_ub, lower, upper, pinned)
            new = share.argmax(axis=1)
            moved = False
            for z in range(k):
                m = new == z
                if m.any() and z not in fixed_zones:
                    nx, ny = np.average(px[m], weights=mass[m]), np.average(py[m], weights=mass[m])
                    moved |= bool(np.hypot(nx - cx[z], ny - cy[z]) > 1.0)
                    cx[z], cy[z] = nx, ny
            zone_pool = new
            if not moved:
                break
        zone = np.full(len(w), -1, dtype=np.int64)
        zone[pool] = zone_pool
        return zone

    def _repair(self, zone: np.ndarray) -> np.ndarray:
        """Each zone keeps its heaviest connected piece (the one with its fixed cells); the rest
        is handed cell by cell to neighbouring zones, lightest first."""
        k, w, adj = self.k, self.w, self.g.adjacency
        for z in range(k):
            cells = np.flatnonzero(zone == z)
            if len(cells) <= 1:
                continue
            m, piece = connected_components(adj[cells][:, cells], directed=False)
            if m == 1:
                continue
            keep_piece = np.argmax(np.bincount(piece, weights=w[cells] + 1e-9))
            for c, p in zip(cells, piece):
                if self.fixed.get(int(c)) == z:
                    keep_piece = p
                    break
            zone[cells[piece != keep_piece]] = -2
        for z in range(k):  # a zone left empty takes an unassigned or a spare cell
            if not (zone == z).any():
                free = np.flatnonzero(zone == -2)
                zone[free[0] if len(free) else self._spare_cell(zone)] = z
        load = np.bincount(zone[zone >= 0], weights=w[zone >= 0], minlength=k)
        while (zone == -2).any():
            progress = False
            for c in np.flatnonzero(zone == -2):
                near = [zone[nb] for nb in self.nbrs[c] if zone[nb] >= 0]
                if near:
                    z = min(near, key=lambda q: load[q])
                    zone[c] = z
                    load[z] += w[c]
                    progress = True
            if not progress:
                break
        return zone

    def _spare_cell(self, zone: np.ndarray) -> int:
        biggest = np.bincount(zone[zone >= 0], minlength=self.k).argmax()
        for c in np.flatnonzero(zone == biggest):
            if c not in self.fixed and stays_connected(self.nbrs, zone, int(c), int(biggest)):
                return int(c)
        raise ValueError("cannot find a cell for an empty zone")


NEAREST_COLUMNS = 3  # the transportation LP starts from each cell's nearest centres (column generation)
PRICE_TOLERANCE = 1e-9  # a left-out column whose reduced cost is below minus this joins the LP


def _transport(cost: np.ndarray, pw: np.ndarray, b_ub: np.ndarray, lower: np.ndarray, upper: np.ndarray,
               pinned: np.ndarray) -> np.ndarray:
    """The share of each cell (row) sent to each centre (column) at least total ``cost``: every cell
    sent once, each centre's workload ``pw @ share`` within ``b_ub`` (upper bounds, then minus lower
    bounds), as one LP solved by HiGHS.

    Most cells are sent to one of their nearest centres, so the LP is solved over those columns
    only, and every column left out is then priced with the duals: one whose reduced cost is
    negative could lower the cost, so it joins and the LP is solved again. When none can, the
    restricted optimum is the optimum of the whole LP (the same solution, at a fraction of the
    size)."""
    n, k = cost.shape
    keep = pinned.copy()
    near = np.argsort(cost, axis=1, kind="stable")[:, :min(NEAREST_COLUMNS, k)]
    keep[np.arange(n)[:, None], near] = True
    while True:
        rows, cols = np.nonzero(keep)
        m = len(rows)
        one_cell = sparse.csr_matrix((np.ones(m), (rows, np.arange(m))), shape=(n, m))
        load = sparse.csr_matrix((pw[rows], (cols, np.arange(m))), shape=(k, m))
        res = linprog(cost[rows, cols], A_ub=sparse.vstack([load, -load]), b_ub=b_ub, A_eq=one_cell,
                      b_eq=np.ones(n), bounds=np.column_stack([lower[rows, cols], upper[rows, cols]]), method="highs")
        if res.status != 0:
            if keep.all():
                raise ValueError(f"the zone assignment has no solution: {res.message}")
            keep[:] = True  # infeasible over the nearest centres alone: the whole LP decides
            continue
        y_cell, y_load = res.eqlin.marginals, res.ineqlin.marginals
        reduced = cost - y_cell[:, None] - pw[:, None] * (y_load[None, :k] - y_load[None, k:])
        enter = ~keep & (reduced < -PRICE_TOLERANCE)
        if not enter.any():
            share = np.zeros((n, k))
            share[rows, cols] = res.x
            return share
        keep |= enter
