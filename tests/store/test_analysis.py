"""Hot-spot analysis of stored incidents on both backends, and the command line."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sqlalchemy import text

from geo.cli import main
from geo.core.hotspots import gi_star
from geo.core.trends import SMALL_COUNT
from geo.store import analysis
from geo.store.frames import to_frame
from tests.conftest import BACKENDS, backend_demo
from geo.store.scope import Scope

EVERYTHING = Scope.jurisdiction()

START, END = dt.date(2025, 7, 1), dt.date(2026, 6, 30)


@pytest.fixture(scope="module", params=BACKENDS)
def city(request, tmp_path_factory):
    engine, url = backend_demo(request, tmp_path_factory, seed=21, scale=0.03, end=END)
    yield engine, url
    engine.dispose()


def test_gistar_run_equals_the_core_on_the_stored_counts(city):
    engine, _ = city
    with engine.connect() as conn:
        table = analysis.run(conn, EVERYTHING, "grid", "gistar", START, END)
        raw = to_frame(conn.execute(text("SELECT cell_code, occurred_on FROM incidents")))
        areas = analysis._areas(conn, EVERYTHING, "grid")
    days = pd.to_datetime(raw["occurred_on"]).dt.date
    counts = raw[(days >= START) & (days <= END)].groupby("cell_code").size()
    y = table["code"].map(counts).fillna(0).to_numpy(dtype=float)
    np.testing.assert_array_equal(table["n_incidents"].to_numpy(), y)
    z, _ = gi_star(y, analysis.weights_for(areas, "queen"))
    np.testing.assert_allclose(table["gi_z"], z.round(6), atol=1e-6)
    assert set(table["gi_class"]) <= {"ns", "hot_90", "hot_95", "hot_99", "cold_90", "cold_95", "cold_99"}
    assert (table["gi_class"] != "ns").any()


def test_cube_adds_up_to_the_period_counts(city):
    engine, _ = city
    with engine.connect() as conn:
        table = analysis.run(conn, EVERYTHING, "grid", "count", START, END)
        cube, steps = analysis.cell_cube(conn, EVERYTHING, "grid", START, END, "month", None, table["code"].tolist())
    assert cube.shape == (1000, 12) and steps[0] == dt.date(2025, 7, 1)
    np.testing.assert_array_equal(cube.sum(axis=1), table["n_incidents"].to_numpy())


def test_kde_and_emerging_and_lisa_runs(city):
    engine, _ = city
    with engine.connect() as conn:
        dens = analysis.run(conn, EVERYTHING, "community", "kde", START, END, analysis.Options(bandwidth_m=400))
        emerging = analysis.run(conn, EVERYTHING, "grid", "emerging", START, END, analysis.Options(step="month"))
        lisa = analysis.run(conn, EVERYTHING, "grid", "lisa", START, END)
    assert (dens["kde_mean"] >= 0).all()
    busiest = dens.loc[dens["n_incidents"].idxmax(), "kde_mean"]
    assert busiest > dens["kde_mean"].median()
    assert (emerging["emerging_class"] != "no_pattern").any()
    assert set(lisa["lisa_q"]) <= {1, 2, 3, 4} and lisa["lisa_p"].between(0.001, 0.5 + 1e-9).all()


@pytest.mark.parametrize("method,earlier", [("yoy", (dt.date(2025, 1, 1), dt.date(2025, 6, 30))),
                                            ("pop", (dt.date(2025, 7, 4), dt.date(2025, 12, 31)))])
def test_change_methods_test_each_area_against_the_earlier_period(city, method, earlier):
    """Year on year and period on period are analyses like the others (they were computed in the page)."""
    engine, _ = city
    start, end = dt.date(2026, 1, 1), dt.date(2026, 6, 30)
    with engine.connect() as conn:
        table = analysis.run(conn, EVERYTHING, "community", method, start, end)
        now = analysis.run(conn, EVERYTHING, "community", "count", start, end)
        before = analysis.run(conn, EVERYTHING, "community", "count", *earlier)
    assert method in analysis.METHODS and len(table) == 40
    np.testing.assert_array_equal(table["n_incidents"], now["n_incidents"])
    np.testing.assert_array_equal(table["n_last_year"], table["code"].map(before.set_index("code")["n_incidents"]))
    assert table["n_last_year"].sum() > 0
    for row in table.itertuples():
        n0, n1 = row.n_last_year, row.n_incidents
        assert pd.isna(row.yoy_pct) if n0 == 0 else row.yoy_pct == round((n1 - n0) / n0 * 100, 1)
        total = n0 + n1
        p = 1.0 if total == 0 else stats.binomtest(int(n1), int(total), 0.5).pvalue
        assert row.yoy_p == pytest.approx(round(p, 6), abs=1e-9) and row.small == (total < SMALL_COUNT)


def test_kde_is_computed_once_for_the_table_and_the_map(city, monkeypatch):
    """The page asked for the table, then built the same density surface again for its map."""
    from geo.core import density

    calls = []

    def counting(*args, **kwargs):
        calls.append(args)
        return density.kde(*args, **kwargs)

    monkeypatch.setattr(analysis, "kde", counting)
    engine, _ = city
    with engine.connect() as conn:
        result = analysis.analyse(conn, EVERYTHING, "community", "kde", START, END, analysis.Options(bandwidth_m=400))
        areas = analysis._areas(conn, EVERYTHING, "community")
    assert len(calls) == 1
    assert result.surface is not None and result.crs.startswith("EPSG:326")
    means = analysis.mean_per_area(result.surface, areas.to_crs(result.crs).geometry.values).round(3)
    np.testing.assert_array_equal(result.table["kde_mean"].to_numpy(), means)


@pytest.mark.parametrize("method,columns", [("gistar", ["gi_z", "gi_p", "gi_class"]), ("kde", ["kde_mean"]),
                                            ("lisa", ["lisa_i", "lisa_q", "lisa_p"]), ("emerging", ["emerging_class"]),
                                            ("count", ["n_incidents", "per_1000", "per_km2"]),
                                            ("yoy", ["n_incidents", "n_last_year", "yoy_pct", "yoy_p", "small"]),
                                            ("pop", ["n_incidents", "n_last_year", "yoy_pct", "yoy_p", "small"])])
def test_command_line_hotspots_writes_code_and_the_method_columns(city, tmp_path, method, columns, capsys):
    _, url = city
    out = tmp_path / f"{method}.csv"
    assert main(["hotspots", "--db", url, "--level", "community", "--method", method, "--from", "2026-01-01",
                 "--to", "2026-06-30", "--out", str(out)]) == 0
    frame = pd.read_csv(out)
    assert frame.columns[0] == "code" and set(columns) <= set(frame.columns) and len(frame) == 40
    assert main(["hotspots", "--db", url, "--level", "community", "--method", method, "--neighbours", "rook",
                 "--out", str(tmp_path / "x.csv")]) == (2 if method in ("gistar", "lisa", "emerging") else 0)


@pytest.mark.parametrize("method", ["yoy", "pop"])
def test_command_line_change_methods_write_what_the_store_computes(city, tmp_path, method):
    """``hotspots --method yoy|pop`` writes the store's Poisson change test, row for row: the command
    line offers what the hot-spot page shows, computed in one place."""
    engine, url = city
    out = tmp_path / f"{method}.csv"
    assert main(["hotspots", "--db", url, "--level", "community", "--method", method, "--from", "2026-01-01",
                 "--to", "2026-06-30", "--out", str(out)]) == 0
    written = pd.read_csv(out).set_index("code").sort_index()
    with engine.connect() as conn:
        table = analysis.run(conn, EVERYTHING, "community", method, dt.date(2026, 1, 1), dt.date(2026, 6, 30),
                             analysis.Options())
    table = table.set_index("code").sort_index()
    assert written.index.tolist() == table.index.tolist() and written["n_last_year"].sum() > 0
    for column in ("n_incidents", "n_last_year", "yoy_pct", "yoy_p"):
        np.testing.assert_allclose(written[column].to_numpy(dtype=float), table[column].to_numpy(dtype=float),
                                   equal_nan=True)
    assert written["small"].tolist() == table["small"].tolist()


def test_backtest_reports_every_method_and_share(city):
    engine, _ = city
    with engine.connect() as conn:
        table = analysis.backtest(conn, EVERYTHING, "grid", dt.date(2025, 7, 7), dt.date(2026, 4, 6), dt.date(2026, 6, 28))
    assert set(table["method"]) == {"baseline", "kde", "near_repeat"}
    assert sorted(set(table["share"])) == [0.01, 0.05, 0.10]
    assert table["hit_rate"].between(0, 1).all() and (table["pai"] >= 0).all()
    assert (table["steps"] == 12).all()
