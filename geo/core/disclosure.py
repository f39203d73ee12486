"""Disclosure control for shared screens: what may be shown so that no small count can be read or derived.

A shared screen (the wall) shows counts in tables that add up: a total tile above the cells of
the map, a total above the bars of a chart. Hiding a count from 1 to k-1 (primary suppression) is
not enough when the total and the other parts are on screen: the total minus the shown parts
gives it back. :func:`protect` takes every published table as one tree (a parent is the sum of
its children, and a child that is never shown, such as the incidents outside every cell, is part
of the tree as an unpublished node) and returns the nodes to hide, so that

* no published count from 1 to k-1 is shown;
* no hidden count from 1 to k-1 can be shown to be below k from what is on screen: not exactly
  (a total minus its shown parts), and not as a bound either (a total minus the least its other
  hidden parts can hold), given that counts are never negative (:func:`bounds`).

:func:`publish_wall` applies it to everything the wall shows (see its docstring for the choices).

Examples
--------
>>> sorted(protect({"all": 12, "a": 2, "b": 6, "c": 4}, {"a": "all", "b": "all", "c": "all"}, k=3))
['a', 'c']
"""

from __future__ import annotations

from typing import Iterable, Mapping

import pandas as pd

from geo.core.privacy import SUPPRESSED

__all__ = ["protect", "bounds", "derived", "publish_wall", "SUPPRESSED"]


def _groups(parent: Mapping[str, str | None]) -> dict[str, list[str]]:
    children: dict[str, list[str]] = {}
    for node, up in parent.items():
        if up is not None:
            children.setdefault(up, []).append(node)
    return children


def bounds(values: Mapping[str, int], parent: Mapping[str, str | None], hidden: set[str]
           ) -> dict[str, tuple[float, float]]:
    """What an onlooker can tell of every node: ``(lowest, highest)`` value consistent with the shown
    counts, the sums along the tree and counts never being negative (interval propagation)."""
    children = _groups(parent)
    lo = {n: (0.0 if n in hidden else float(v)) for n, v in values.items()}
    hi = {n: (float("inf") if n in hidden else float(v)) for n, v in values.items()}
    for _ in range(2 * len(values) + 2):
        changed = False
        for p, kids in children.items():
            slo, shi = sum(lo[c] for c in kids), sum(hi[c] for c in kids)
            new = (max(lo[p], slo), min(hi[p], shi))
            if new != (lo[p], hi[p]):
                lo[p], hi[p], changed = new[0], new[1], True
            for c in kids:
                new = (max(lo[c], lo[p] - (shi - hi[c])), min(hi[c], hi[p] - (slo - lo[c])))
                if new != (lo[c], hi[c]):
                    lo[c], hi[c], changed = new[0], new[1], True
        if not changed:
            break
    return {n: (lo[n], hi[n]) for n in values}


def derived(values: Mapping[str, int], parent: Mapping[str, str | None], hidden: set[str]) -> set[str]:
    """The hidden nodes an onlooker works out exactly from what is shown."""
    return {n for n, (a, b) in bounds(values, parent, hidden).items() if n in hidden and a == b}


def protect(values: Mapping[str, int], parent: Mapping[str, str | None], k: int,
            unpublished: Iterable[str] = ()) -> set[str]:
    """The published nodes to hide (primary and complementary suppression), see the module docstring.

    ``values``: every node's count; ``parent``: each node's parent (None at a root), each parent being
    the sum of its children; ``unpublished``: nodes never shown (they stay hidden and count as hidden
    parts of their group). After it, no hidden count from 1 to k-1 can be shown to be below k.
    """
    unpublished = set(unpublished)
    suppressed = {n for n, v in values.items() if n not in unpublished and 1 <= v < k}
    children = _groups(parent)

    def inside(node: str, hidden: set[str]) -> list[str]:
        """Shown nodes below ``node``: they bound it from below."""
        out, todo = [], list(children.get(node, []))
        while todo:
            c = todo.pop()
            if c in hidden:
                todo += children.get(c, [])
            else:
                out.append(c)
        return out

    def to_hide(node: str, hidden: set[str]) -> str:
        """A shown node whose hiding loosens what is known of ``node``."""
        for _ in range(len(values) + 1):
            up = parent.get(node)
            if up is None:  # a root: what pins it comes from below
                below = inside(node, hidden)
                if below:
                    return max(below, key=lambda c: (values[c], c))
                raise AssertionError(f"cannot protect {node}")  # pragma: no cover
            siblings = [c for c in children[up] if c != node and c not in hidden]
            positive = [c for c in siblings if values[c] > 0]
            if positive:
                return min(positive, key=lambda c: (values[c], c))
            under = [d for c in children[up] if c != node and c in hidden for d in inside(c, hidden)]
            under = [d for d in under if values[d] > 0]
            if under:
                return max(under, key=lambda c: (values[c], c))
            if up not in hidden:
                return up
            node = up
        raise AssertionError(f"cannot protect {node}")  # pragma: no cover

    for _ in range(len(values) + 1):
        hidden = suppressed | unpublished
        known = bounds(values, parent, hidden)
        exposed = [n for n in sorted(suppressed) if 1 <= values[n] < k and known[n][1] < k]
        if not exposed:
            return suppressed
        suppressed.add(to_hide(exposed[0], hidden))
    raise AssertionError("disclosure control did not settle")  # pragma: no cover


# ---- the wall -------------------------------------------------------------------------------

def wall_tree(raw: dict) -> tuple[dict[str, int], dict[str, str | None], set[str]]:
    """The wall's counts as one tree for :func:`protect`: ``(values, parent, unpublished)``."""
    n = {days: c["n"] for days, c in raw["counts"].items()}
    ly = {days: c["n_last_year"] for days, c in raw["counts"].items()}
    values: dict[str, int] = {}
    parent: dict[str, str | None] = {}
    unpublished: set[str] = set()

    def node(name: str, value: int, up: str | None, shown: bool = True) -> None:
        values[name], parent[name] = int(value), up
        if not shown:
            unpublished.add(name)

    for days in n:
        node(f"n{days}", n[days], None)
        node(f"ly{days}", ly[days], None)  # published through the percentage, when that is shown
    cells = raw["cell_counts"]
    for code, v in zip(cells["code"], cells["n"]):
        node(f"cell:{code}", v, "n7")
    node("cell:-", n[7] - int(cells["n"].sum()), "n7", shown=False)
    areas = raw["area_counts"]
    for code, now, before in zip(areas["code"], areas["n"], areas["n_last_year"]):
        node(f"area:{code}", now, "n28")
        node(f"area_ly:{code}", before, "ly28")
    node("area:-", n[28] - int(areas["n"].sum()), "n28", shown=False)
    node("area_ly:-", ly[28] - int(areas["n_last_year"].sum()), "ly28", shown=False)
    node("open", raw["open_ledger"], None)
    node("overdue", raw["overdue_ledger"], None)
    return values, parent, unpublished


def publish_wall(raw: dict, k: int) -> dict:
    """What the wall may show of a raw snapshot (``geo.store.kpis.wall_snapshot``); counts hidden by
    disclosure control become ``SUPPRESSED`` (shown as "<k"), percentages become None.

    Trees protected together: the 7-day tile above the map's cells (and the incidents outside every
    cell); the 28-day tile above the chart's areas; last year's 28-day total above last year's bars,
    published only through the 28-day year-on-year percentage. A year-on-year percentage is shown
    only when this year's count and last year's count are both shown (it gives last year's count
    away). The open and overdue ledger tiles get primary suppression. The hot-cell list keeps the
    cells whose map count is shown. The latest-incidents list is generalised: the place becomes the
    chart's area (street, or community for an account limited to one area) and the time its hour,
    and an event is listed only when that area's 28-day count is shown.
    """
    out = dict(raw)
    n = {days: c["n"] for days, c in raw["counts"].items()}
    ly = {days: c["n_last_year"] for days, c in raw["counts"].items()}
    values, parent, unpublished = wall_tree(raw)
    cells, areas = raw["cell_counts"], raw["area_counts"]
    hidden = protect(values, parent, k, unpublished)
    yoy_shown = {days: f"n{days}" not in hidden and f"ly{days}" not in hidden and ly[days] > 0 for days in n}
    if not yoy_shown[28] and any(f"area_ly:{c}" not in hidden for c in areas["code"]):
        # without the percentage last year's total is not on screen: protect the bars on their own
        values.pop("ly28")
        parent.pop("ly28")
        parent.update({f"area_ly:{c}": None for c in areas["code"]})
        parent["area_ly:-"] = None
        hidden = protect(values, parent, k, unpublished)
        yoy_shown[28] = False

    def shown(name: str, value: int) -> int:
        return SUPPRESSED if name in hidden else int(value)

    out["counts"] = {days: {"n": shown(f"n{days}", n[days]),
                            "n_last_year": ly[days] if yoy_shown[days] else SUPPRESSED,
                            "yoy_pct": raw["counts"][days]["yoy_pct"] if yoy_shown[days] else None,
                            "early": bool(raw["counts"][days].get("early", False))}  # from the clock alone
                     for days in n}
    out["open_ledger"] = shown("open", raw["open_ledger"])
    out["overdue_ledger"] = shown("overdue", raw["overdue_ledger"])
    cells = cells.copy()
    cells["n"] = [shown(f"cell:{c}", v) for c, v in zip(cells["code"], cells["n"])]
    out["cell_counts"] = cells
    visible = set(cells.loc[cells["n"] != SUPPRESSED, "code"])
    hot = raw["hot_cells"]
    out["hot_cells"] = hot[hot["code"].isin(visible) & (hot["n"] >= k)].reset_index(drop=True)
    areas = areas.copy()
    areas["n"] = [shown(f"area:{c}", v) for c, v in zip(areas["code"], areas["n"])]
    areas["n_last_year"] = [shown(f"area_ly:{c}", v) for c, v in zip(areas["code"], areas["n_last_year"])]
    out["area_counts"] = areas
    out["latest"] = _generalised(raw["latest"], set(areas.loc[areas["n"] != SUPPRESSED, "code"]),
                                 raw["area_level"])
    out["k"] = k
    return out


def _generalised(latest: pd.DataFrame, shown_areas: set[str], level: str) -> pd.DataFrame:
    """The latest events as category, area and hour; only in areas whose count is shown."""
    col = f"{level}_code"
    keep = latest[latest[col].isin(shown_areas)] if col in latest else latest.iloc[0:0]
    hours = pd.to_datetime(keep["local_time"], format="%m-%d %H:%M", errors="coerce")
    return pd.DataFrame({"category": keep["category"].to_numpy(), "area_code": keep[col].to_numpy(),
                         "area_name": keep[f"{level}_name"].to_numpy() if f"{level}_name" in keep else None,
                         "area_name_en": keep[f"{level}_name_en"].to_numpy() if f"{level}_name_en" in keep else None,
                         "hour": hours.dt.strftime("%m-%d %H:00").to_numpy()})
