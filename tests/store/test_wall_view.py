"""The wall as published on the demo city, for k = 3 and k = 10: no shown count from 1 to k-1, no hidden
small count that an onlooker can bound below k from the rest, and the JSON the command line writes is
that same view."""

from __future__ import annotations

import json

import pytest

from geo.cli import main
from geo.core.disclosure import SUPPRESSED, publish_wall, wall_tree
from geo.core import clock
from geo.store.engine import make_engine
from geo.store.kpis import wall_snapshot, wall_view
from geo.store.scope import Scope
from tests.core.test_disclosure import onlooker_max

K = [3, 10]


@pytest.fixture(scope="module")
def engine(demo_url):
    eng = make_engine(demo_url)
    yield eng
    eng.dispose()


@pytest.mark.parametrize("k", K)
@pytest.mark.parametrize("scope_code", [None, "AN01"], ids=["county", "street"])
def test_nothing_small_is_shown_or_derivable(engine, k, scope_code):
    now = clock.now_utc()
    with engine.connect() as conn:
        scope = Scope.of(conn, scope_code) if scope_code else Scope.jurisdiction()
        day = clock.today("Asia/Shanghai")
        raw = wall_snapshot(conn, scope, day, now=now, hot_cells=10)
        shown = wall_view(conn, scope, now, k=k, hot_cells=10)
    assert publish_wall(raw, k)["cell_counts"]["n"].tolist() == shown["cell_counts"]["n"].tolist()
    values, parent, unpublished = wall_tree(raw)
    hidden = set(unpublished)
    hidden |= {f"n{d}" for d, c in shown["counts"].items() if c["n"] == SUPPRESSED}
    hidden |= {f"ly{d}" for d, c in shown["counts"].items() if c["yoy_pct"] is None}
    hidden |= {f"cell:{c}" for c, v in zip(shown["cell_counts"]["code"], shown["cell_counts"]["n"]) if v == SUPPRESSED}
    hidden |= {f"area:{c}" for c, v in zip(shown["area_counts"]["code"], shown["area_counts"]["n"]) if v == SUPPRESSED}
    hidden |= {f"area_ly:{c}" for c, v in zip(shown["area_counts"]["code"], shown["area_counts"]["n_last_year"])
               if v == SUPPRESSED}
    hidden |= {name for name in ("open", "overdue") if shown[f"{name}_ledger"] == SUPPRESSED}
    for node, v in values.items():
        if node not in hidden:
            assert not 1 <= v < k, f"{node}={v} is on the wall"
    small = [n for n in hidden - unpublished if 1 <= values[n] < k]
    assert small, "the demo wall should have small counts to hide"
    for node in small:
        assert onlooker_max(values, parent, hidden, node) >= k, f"{node}={values[node]} can be bounded below {k}"
    bars = shown["area_counts"]
    assert set(shown["latest"]["area_code"]) <= set(bars.loc[bars["n"] != SUPPRESSED, "code"])


@pytest.mark.parametrize("k", K)
def test_wall_snapshot_command_writes_what_the_wall_shows(demo_url, tmp_path, monkeypatch, k):
    monkeypatch.setenv("SAFEGRID_PUBLIC_K", str(k))
    out = tmp_path / "wall.json"
    assert main(["wall-snapshot", "--db", demo_url, "--out", str(out)]) == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    numbers = [t["value"] for t in doc["tiles"][:5]] + [c["value"] for c in doc["map"]]
    numbers += [b[key] for b in doc["chart"]["bars"] for key in ("last_28_days", "year_before")]
    numbers += [c["value"] for c in doc["hot_cells"]]
    assert not [v for v in numbers if isinstance(v, int) and 1 <= v < k]
    assert f"<{k}" in numbers and doc["k"] == k and doc["tiles"][0]["label"]["zh"]
    engine = make_engine(demo_url)
    with engine.connect() as conn:
        view = wall_view(conn, Scope.jurisdiction(), clock.now_utc(), k=k, hot_cells=10)
    engine.dispose()
    assert [c["code"] for c in doc["map"]] == view["cell_counts"]["code"].tolist()
    assert all(set(row) == {"hour", "category", "area"} and row["hour"].endswith(":00") for row in doc["latest"])
