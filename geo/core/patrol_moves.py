"""Patrol zones: the last step of each restart of :func:`geo.core.patrol.propose`.

Boundary cells are moved one at a time to raise the objective (``_Search.gain``), first annealed
(a worse move is taken with probability ``exp(gain / T)``, T falling from ``ANNEAL_START`` to
``ANNEAL_END``), then greedily, with swaps of two cells between neighbouring zones, until
neither helps. Each zone's area, perimeter, workload and size are kept current (:class:`_State`),
so a move is scored in O(neighbours); a move or swap is taken only when the zones it touches
stay connected (:func:`stays_connected`, :func:`zone_connected`).
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from geo.core.patrol import _Search

MAX_ROUNDS = 40  # greedy sweeps after annealing
ANNEAL_SWEEPS = 40  # sweeps over the cells with a falling temperature (objective units)
ANNEAL_START, ANNEAL_END = 5e-4, 5e-6


def improve(search: "_Search", zone: np.ndarray, rng) -> np.ndarray:
    """Annealed single-cell moves, then greedy moves and swaps until neither helps."""
    state = _State(search, zone)
    cand = [int(c) for c in np.flatnonzero(zone >= 0) if int(c) not in search.fixed]
    for i in range(ANNEAL_SWEEPS):
        temp = ANNEAL_START * (ANNEAL_END / ANNEAL_START) ** (i / max(1, ANNEAL_SWEEPS - 1))
        state.moves(rng.permutation(cand).tolist(), temp, rng)
    for _ in range(MAX_ROUNDS):
        changed = state.moves(rng.permutation(cand).tolist(), 0.0, rng)
        changed += state.swaps(rng.permutation(cand).tolist())
        if not changed:
            break
    return state.zone


def _reach(nbrs: list[list[int]], zone: np.ndarray, first: int, z: int, seen: set[int],
           want: set[int] | None = None) -> set[int]:
    """The cells of zone ``z`` reached from ``first`` through neighbours, never through ``seen`` ones
    (grown in place); stops once every cell of ``want`` is reached (removed from it)."""
    seen.add(first)
    queue = deque([first])
    while queue and (want is None or want):
        for nb in nbrs[queue.popleft()]:
            if nb not in seen and zone[nb] == z:
                seen.add(nb)
                queue.append(nb)
                if want is not None:
                    want.discard(nb)
    return seen


def zone_connected(nbrs: list[list[int]], zone: np.ndarray, z: int) -> bool:
    """Whether the cells of zone ``z`` form one connected piece."""
    cells = np.flatnonzero(zone == z)
    return len(cells) <= 1 or len(_reach(nbrs, zone, int(cells[0]), z, set())) == len(cells)


def stays_connected(nbrs: list[list[int]], zone: np.ndarray, c: int, z: int) -> bool:
    """Whether zone ``z`` stays connected without cell ``c`` (its neighbours in ``z`` still reach each other)."""
    targets = [nb for nb in nbrs[c] if zone[nb] == z]
    if len(targets) <= 1:
        return True
    want = set(targets[1:])
    _reach(nbrs, zone, targets[0], z, {c}, want)
    return not want


class _State:
    """A partition being improved, with each zone's area, perimeter, workload and size kept current."""

    def __init__(self, search: "_Search", zone: np.ndarray):
        self.s, self.zone = search, zone
        area, perim, load = search._totals(zone)
        self.area, self.perim, self.load = area.tolist(), perim.tolist(), load.tolist()
        self.count = np.bincount(zone[zone >= 0], minlength=search.k).tolist()
        # neighbours of each cell in another zone: a cell with none is inside its zone, and no move
        # can take it (kept current by _apply, so a sweep passes such cells at once)
        self.pp_now, self.band_now = [0.0] * search.k, [0.0] * search.k
        self._refresh(*range(search.k))
        z = zone.tolist()
        self.foreign = [sum(1 for nb in search.nbrs[c] if z[nb] >= 0 and z[nb] != z[c]) for c in range(len(z))]

    @staticmethod
    def pp(a: float, p: float) -> float:
        return 4 * np.pi * a / (p * p) if p > 0 else 0.0

    def _touch(self, c: int) -> dict[int, float]:
        """Boundary length cell ``c`` shares with each zone around it (its own included)."""
        touch: dict[int, float] = {}
        for nb, length in zip(self.s.nbrs[c], self.s.shared[c]):
            zn = int(self.zone[nb])
            if zn >= 0:
                touch[zn] = touch.get(zn, 0.0) + length
        return touch

    def _gain(self, a: int, da: float, dp: float, dw: float, b: int, db: float, dq: float, dv: float) -> float:
        """Objective gain of zone ``a`` changing area, perimeter and workload by (da, dp, dw) and zone ``b``
        by (db, dq, dv)."""
        pp, band, area, perim, load = self.pp, self.s.band, self.area, self.perim, self.load
        pp_now, band_now = self.pp_now, self.band_now
        shape = (pp(area[a] + da, perim[a] + dp) - pp_now[a]) + (pp(area[b] + db, perim[b] + dq) - pp_now[b])
        bal = (band(load[a] + dw) - band_now[a]) + (band(load[b] + dv) - band_now[b])
        return self.s.gain(shape, bal)

    def shared_with(self, c: int, o: int) -> float:
        """Boundary length cells ``c`` and ``o`` share (0 unless neighbours)."""
        for nb, length in zip(self.s.nbrs[c], self.s.shared[c]):
            if nb == o:
                return length
        return 0.0

    def _refresh(self, *zones: int) -> None:
        """Recompute the Polsby-Popper and balance terms of ``zones`` (after their totals changed)."""
        for z in zones:
            self.pp_now[z] = self.pp(self.area[z], self.perim[z])
            self.band_now[z] = self.s.band(self.load[z])

    def _apply(self, c: int, to: int, dp_from: float, dp_to: float) -> None:
        g, w = self.s.g, self.s.w
        d = int(self.zone[c])
        self.zone[c] = to
        foreign, zone, mine = self.foreign, self.zone, 0
        for nb in self.s.nbrs[c]:
            zn = int(zone[nb])
            if zn >= 0:
                foreign[nb] += (zn != to) - (zn != d)
                mine += zn != to
        foreign[c] = mine
        self.area[d] -= g.area[c]
        self.area[to] += g.area[c]
        self.perim[d] += dp_from
        self.perim[to] += dp_to
        self.load[d] -= w[c]
        self.load[to] += w[c]
        self.count[d] -= 1
        self.count[to] += 1
        self._refresh(d, to)

    def moves(self, cells: list[int], temp: float, rng) -> int:
        """One pass of single-cell moves; a worse move passes with probability exp(gain / temp)."""
        g, w, moved = self.s.g, self.s.w, 0
        for c in cells:
            d = int(self.zone[c])
            if self.count[d] <= 1 or not self.foreign[c]:
                continue
            touch = self._touch(c)
            if len(touch) == 1 and d in touch:
                continue
            ac, pc, wc = g.area[c], g.perimeter[c], w[c]
            dp_from = -pc + 2 * touch.get(d, 0.0)
            best, best_gain = -1, -np.inf
            for to, length in touch.items():
                if to != d:
                    gain = self._gain(d, -ac, dp_from, -wc, to, ac, pc - 2 * length, wc)
                    if gain > best_gain:
                        best, best_gain = to, gain
            if best < 0 or not (best_gain > 1e-12 or (temp > 0 and rng.random() < np.exp(best_gain / temp))):
                continue
            if stays_connected(self.s.nbrs, self.zone, c, d):
                self._apply(c, best, dp_from, pc - 2 * touch[best])
                moved += 1
        return moved

    def swaps(self, cells: list[int]) -> int:
        """One pass of swaps: cell ``c`` of zone d and a nearby cell ``o`` of a neighbouring zone t trade
        places (both zones keep their size and nearly their workload, which single moves cannot)."""
        s, g, w, swapped = self.s, self.s.g, self.s.w, 0
        for c in cells:
            d = int(self.zone[c])
            touch_c = self._touch(c)
            others = {o for nb in s.nbrs[c] for o in [nb, *s.nbrs[nb]]
                      if self.zone[o] >= 0 and self.zone[o] != d and o not in s.fixed}
            best, best_gain = None, 1e-12
            for o in others:
                t = int(self.zone[o])
                if t not in touch_c:
                    continue
                touch_o = self._touch(o)
                if d not in touch_o:
                    continue
                between = self.shared_with(c, o)
                # d loses c and gains o; t loses o and gains c (the c-o edge changes sides)
                dp_d = -g.perimeter[c] + 2 * touch_c.get(d, 0.0) + g.perimeter[o] - 2 * (touch_o[d] - between)
                dp_t = -g.perimeter[o] + 2 * touch_o.get(t, 0.0) + g.perimeter[c] - 2 * (touch_c[t] - between)
                da, dw = g.area[o] - g.area[c], w[o] - w[c]
                gain = self._gain(d, da, dp_d, dw, t, -da, dp_t, -dw)
                if gain > best_gain:
                    best, best_gain = (o, t, dp_d, dp_t), gain
            if best is None:
                continue
            o, t, dp_d, dp_t = best
            self.zone[c], self.zone[o] = t, d
            if not (zone_connected(s.nbrs, self.zone, d) and zone_connected(s.nbrs, self.zone, t)):
                self.zone[c], self.zone[o] = d, t
                continue
            self.zone[c], self.zone[o] = d, t
            self._apply(c, t, 0.0, 0.0)
            self._apply(o, d, 0.0, 0.0)
            self.perim[d] += dp_d
            self.perim[t] += dp_t
            self._refresh(d, t)
            swapped += 1
        return swapped
