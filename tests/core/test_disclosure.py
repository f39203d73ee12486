"""Disclosure control: random trees of counts, checked by an onlooker who solves for what is hidden.

The onlooker knows every shown count and that each total is the sum of its parts (and that counts
are never negative). For every hidden count from 1 to k-1 a linear programme maximises it under
those facts: if the maximum is below k, the screen gave away that it is small (a value found
exactly is the special case maximum = true value).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from geo.core.disclosure import SUPPRESSED, derived, protect, publish_wall


def onlooker_max(values: dict, parent: dict, hidden: set, target: str) -> float:
    """The largest value ``target`` can have given what is shown (a linear programme)."""
    unknown = sorted(hidden)
    col = {n: i for i, n in enumerate(unknown)}
    children: dict = {}
    for node, up in parent.items():
        if up is not None:
            children.setdefault(up, []).append(node)
    rows, rhs = [], []
    for p, kids in children.items():
        row, const = np.zeros(len(unknown)), 0.0
        for node, sign in [(p, 1.0)] + [(c, -1.0) for c in kids]:
            if node in col:
                row[col[node]] += sign
            else:
                const -= sign * values[node]
        if row.any():
            rows.append(row)
            rhs.append(const)
    goal = np.zeros(len(unknown))
    goal[col[target]] = -1.0
    res = linprog(goal, A_eq=np.array(rows) if rows else None, b_eq=np.array(rhs) if rows else None,
                  bounds=[(0, None)] * len(unknown), method="highs")
    if res.status == 3:  # unbounded: nothing pins it
        return float("inf")
    assert res.status == 0, res.message
    return -res.fun


@st.composite
def trees(draw):
    """county > streets > communities > cells, small counts likely, plus an unpublished remainder."""
    values, parent = {}, {}
    small = st.integers(0, 14) | st.integers(0, 3)
    total = 0
    for s in range(draw(st.integers(1, 4))):
        street = f"S{s}"
        parent[street] = "county"
        s_total = 0
        for c in range(draw(st.integers(1, 3))):
            comm = f"{street}C{c}"
            parent[comm] = street
            c_total = 0
            for g in range(draw(st.integers(1, 4))):
                cell = f"{comm}G{g}"
                parent[cell] = comm
                values[cell] = draw(small)
                c_total += values[cell]
            values[comm] = c_total
            s_total += c_total
        values[street] = s_total
        total += s_total
    rest = draw(st.integers(0, 3))
    values["rest"], parent["rest"] = rest, "county"
    values["county"], parent["county"] = total + rest, None
    return values, parent


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tree=trees(), k=st.sampled_from([2, 3, 10]))
def test_protect_leaves_no_small_count_readable_or_derivable(tree, k):
    values, parent = tree
    hidden = protect(values, parent, k, unpublished={"rest"}) | {"rest"}
    for node, v in values.items():
        if node not in hidden:
            assert not 1 <= v < k, f"{node}={v} is shown"
    for node, v in values.items():
        if node in hidden and node != "rest" and 1 <= v < k:
            assert onlooker_max(values, parent, hidden, node) >= k, f"{node}={v} is known to be small"


@settings(max_examples=60, deadline=None)
@given(tree=trees(), k=st.sampled_from([3, 10]))
def test_protect_hides_nothing_when_nothing_is_small(tree, k):
    values, parent = tree
    leaves = [n for n in values if n not in set(parent.values())]
    big = {n: (0 if values[n] == 0 else values[n] + k) for n in leaves}  # every leaf 0 or at least k
    def depth(n):
        return 0 if parent[n] is None else 1 + depth(parent[n])

    for node in sorted(set(parent.values()) - {None}, key=depth, reverse=True):  # the lowest totals first
        big[node] = sum(big[c] for c, up in parent.items() if up == node)
    assert protect(big, parent, k, unpublished={"rest"}) == set()


def test_a_bar_hidden_alone_is_given_back_by_the_total():
    """549 on the tile, 540 on the shown bars: a single hidden bar of 9 would be read off (k=10)."""
    values = {"all": 549, "a": 9, "b": 300, "c": 240}
    parent = {"a": "all", "b": "all", "c": "all"}
    hidden = protect(values, parent, k=10)
    assert "a" in hidden and len(hidden - {"a"}) >= 1
    assert not derived(values, parent, hidden) & {"a"}
    assert onlooker_max(values, parent, hidden, "a") >= 10


def _raw(**over) -> dict:
    cells = pd.DataFrame({"code": ["A1", "A2", "B1", "B2"], "name": ["a1", "a2", "b1", "b2"], "name_en": None,
                          "parent_code": ["A", "A", "B", "B"], "n": [1, 20, 7, 30]})
    raw = {
        "counts": {1: {"n": 4, "n_last_year": 1, "yoy_pct": 300.0}, 7: {"n": 60, "n_last_year": 50, "yoy_pct": 20.0},
                   28: {"n": 549, "n_last_year": 500, "yoy_pct": 9.8}},
        "open_ledger": 2, "overdue_ledger": 1, "cell_counts": cells,
        "hot_cells": cells.assign(gi_z=[3.0, 2.5, 2.2, 2.0]),
        "area_counts": pd.DataFrame({"code": ["A", "B", "C"], "name": ["甲", "乙", "丙"], "name_en": None,
                                     "n": [9, 300, 240], "n_last_year": [200, 150, 150]}),
        "area_level": "street",
        "latest": pd.DataFrame({"local_time": ["06-30 14:37", "06-30 13:02"], "category": ["fight", "theft"],
                                "cell_code": ["A1", "B2"], "street_code": ["A", "B"], "street_name": ["甲", "乙"],
                                "street_name_en": [None, None]}),
    }
    raw.update(over)
    return raw


def test_publish_wall_hides_small_counts_their_complements_and_percentages():
    out = publish_wall(_raw(), k=10)
    assert out["counts"][1]["n"] == SUPPRESSED and out["counts"][1]["yoy_pct"] is None  # 4 today
    assert out["counts"][7]["n"] == 60 and out["counts"][7]["yoy_pct"] == 20.0
    assert out["open_ledger"] == SUPPRESSED and out["overdue_ledger"] == SUPPRESSED
    bars = out["area_counts"].set_index("code")["n"]
    assert bars["A"] == SUPPRESSED and (bars == SUPPRESSED).sum() >= 2  # 549 - shown bars gives nothing
    cells = out["cell_counts"].set_index("code")["n"]
    assert cells["A1"] == SUPPRESSED and (cells == SUPPRESSED).sum() >= 2
    assert set(out["hot_cells"]["code"]) <= set(cells[cells != SUPPRESSED].index)
    latest = out["latest"]
    assert list(latest.columns) == ["category", "area_code", "area_name", "area_name_en", "hour"]
    assert set(latest["area_code"]) <= set(bars[bars != SUPPRESSED].index)  # no event in a hidden area
    assert all(h.endswith(":00") for h in latest["hour"])  # to the hour, never the minute


def test_a_percentage_on_a_small_base_is_not_shown():
    raw = _raw(counts={1: {"n": 5, "n_last_year": 1, "yoy_pct": 400.0}, 7: {"n": 60, "n_last_year": 50,
                                                                              "yoy_pct": 20.0},
                       28: {"n": 549, "n_last_year": 500, "yoy_pct": 9.8}})
    out = publish_wall(raw, k=3)
    assert out["counts"][1]["n"] == 5 and out["counts"][1]["yoy_pct"] is None  # +400 % would give away 1


@pytest.mark.parametrize("k", [3, 10])
def test_publish_wall_output_holds_no_small_number(k):
    out = publish_wall(_raw(), k=k)
    numbers = [c["n"] for c in out["counts"].values()] + [out["open_ledger"], out["overdue_ledger"]]
    numbers += out["cell_counts"]["n"].tolist() + out["area_counts"]["n"].tolist()
    numbers += out["area_counts"]["n_last_year"].tolist() + out["hot_cells"]["n"].tolist()
    assert not [v for v in numbers if 1 <= v < k]
