"""Area scope: a scoped account never sees a row outside its area, through queries, maps and
exports, on both backends (a property test over random scopes), and PostgreSQL's row-level
security holds the same line for a non-superuser role, per transaction."""

from __future__ import annotations

import datetime as dt
import uuid

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from geo.core.grid import LEVELS
from geo.ingest.export import export_layer
from geo.store import features, scope as scoping
from geo.store.areas import descendants
from geo.store.frames import to_frame
from geo.store.kpis import wall_snapshot
from geo.store.measures import area_measures
from geo.store.scope import Scope
from tests.conftest import BACKENDS, backend_demo

END = dt.date(2026, 6, 30)


@pytest.fixture(scope="module", params=BACKENDS)
def city(request, tmp_path_factory):
    engine, _ = backend_demo(request, tmp_path_factory, seed=9, scale=0.02, end=END)
    with engine.connect() as conn:
        areas = to_frame(conn.execute(text("SELECT code, level FROM areas WHERE level <> 'grid' ORDER BY code")))
    yield engine, areas["code"].tolist()
    engine.dispose()


def _inside(conn, scope: str) -> set[str]:
    return {scope} | {c for lv in LEVELS for c in descendants(conn, scope, lv)}


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_scoped_account_sees_nothing_outside_its_area(city, tmp_path, data):
    engine, codes = city
    scope = data.draw(st.sampled_from(codes))
    with engine.connect() as conn:
        resolved = Scope.of(conn, scope)
        scoping.apply(conn, resolved)
        inside = _inside(conn, scope)
        column = resolved.column
        cells = area_measures(conn, resolved, "grid", END - dt.timedelta(days=90), END, today=END)
        points = features.incident_points(conn, resolved, END - dt.timedelta(days=90), END, "Asia/Shanghai")
        cams, places = features.cameras(conn, resolved), features.places(conn, resolved)
        ledger = features.open_ledger(conn, resolved, END)
        snap = wall_snapshot(conn, resolved, END)
        everything = to_frame(conn.execute(text("SELECT occurred_on, cell_code, community_code, street_code, "
                                                "district_code FROM incidents")))
    assert set(cells["code"]) <= inside
    for frame in (points, cams, places, ledger):
        assert frame["cell_code"].dropna().isin(inside).all()
    days = pd.to_datetime(everything["occurred_on"]).dt.date
    in_period = (days >= END - dt.timedelta(days=90)) & (days <= END)
    assert len(points) == int(((everything[column] == scope) & in_period).sum())
    assert set(snap["cell_counts"]["code"]) <= inside and snap["latest"]["cell_code"].dropna().isin(inside).all()
    out = tmp_path / f"ledger-{uuid.uuid4().hex[:6]}.csv"
    export_layer(engine, "ledger", out, scope=resolved)
    exported = pd.read_csv(out, dtype=str)
    assert exported["cell_code"].dropna().isin(inside).all()
    assert (exported[column] == scope).all()


@pytest.mark.parametrize("city", [pytest.param("postgis", marks=pytest.mark.postgis)], indirect=True)
def test_row_level_security_limits_the_app_role_per_transaction(city):
    engine, codes = city
    role = f"safegrid_app_{uuid.uuid4().hex[:6]}"
    street = next(c for c in codes if len(c) == 4)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE ROLE "{role}" NOLOGIN'))
        conn.execute(text(f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{role}"'))
        total = conn.execute(text("SELECT COUNT(*) FROM incidents")).scalar()
        in_street = conn.execute(text("SELECT COUNT(*) FROM incidents WHERE street_code = :s"), {"s": street}).scalar()
    try:
        with engine.connect() as conn:
            with conn.begin():
                conn.execute(text(f'SET LOCAL ROLE "{role}"'))
                scoping.apply(conn, scoping.Scope.of(conn, street))
                assert conn.execute(text("SELECT COUNT(*) FROM incidents")).scalar() == in_street < total
                other = conn.execute(text("SELECT COUNT(*) FROM ledger_items WHERE street_code <> :s"),
                                     {"s": street}).scalar()
                assert other == 0  # rows of other streets do not exist for this transaction
                with pytest.raises(Exception, match="row-level security"):
                    with conn.begin_nested():
                        conn.execute(text("UPDATE ledger_items SET street_code = 'ELSEWHERE' WHERE street_code = :s"),
                                     {"s": street})
            # the next transaction on the same pooled connection starts without the scope: fail-closed,
            # the app role sees no row at all until a scope is set
            with conn.begin():
                assert conn.execute(text("SELECT coalesce(current_setting('safegrid.scope', true), '')")).scalar() == ""
                conn.execute(text(f'SET LOCAL ROLE "{role}"'))
                assert conn.execute(text("SELECT COUNT(*) FROM incidents")).scalar() == 0
                assert conn.execute(text("SELECT COUNT(*) FROM ledger_items")).scalar() == 0
            # the whole jurisdiction is an explicit value
            with conn.begin():
                conn.execute(text(f'SET LOCAL ROLE "{role}"'))
                scoping.apply(conn, scoping.Scope.jurisdiction())
                assert conn.execute(text("SELECT COUNT(*) FROM incidents")).scalar() == total
                with pytest.raises(TypeError):
                    scoping.apply(conn, street)  # a bare code is not a scope
                with pytest.raises(Exception, match="append-only"):
                    with conn.begin_nested():
                        conn.execute(text("DELETE FROM audit_log"))
    finally:
        with engine.begin() as conn:
            conn.execute(text(f'REVOKE ALL ON ALL TABLES IN SCHEMA public FROM "{role}"'))
            conn.execute(text(f'DROP ROLE "{role}"'))


@pytest.mark.parametrize("code,why", [("NOPE", "no area has the code"), ("AN01; DROP", "not an area code"),
                                      ("", "not an area code")], ids=["unknown", "malformed", "empty"])
def test_an_unknown_or_malformed_scope_is_an_error_never_no_filter(city, code, why):
    engine, _ = city
    with engine.connect() as conn:
        with pytest.raises(scoping.ScopeError, match=why):
            scoping.Scope.of(conn, code)
        with pytest.raises(scoping.ScopeError):
            scoping.Scope.for_account(conn, code)


def test_jurisdiction_is_explicit_and_every_scoped_read_requires_a_scope(city):
    """The ledger, campaign and report reads have no default scope: called without one they fail."""
    import inspect

    from geo.store import campaigns, ledger, reports

    for fn in (ledger.items, ledger.history, ledger.events, ledger.oversight, ledger.recurrence,
               campaigns.campaigns, campaigns.detail, campaigns.active, reports.report_data):
        param = inspect.signature(fn).parameters["scope"]
        assert param.default is inspect.Parameter.empty, fn.__name__
    for fn in (ledger.create_item, ledger.edit_item, ledger.act, campaigns.create_campaign,
               campaigns.update_campaign, campaigns.set_actual):
        param = inspect.signature(fn).parameters["scope"]
        assert param.default is inspect.Parameter.empty and param.kind is inspect.Parameter.KEYWORD_ONLY, fn.__name__
    engine, _ = city
    with engine.connect() as conn:
        with pytest.raises(TypeError):
            ledger.items(conn, dt.date(2026, 6, 30))  # no scope: refused


def test_an_account_cannot_be_scoped_to_a_single_grid_cell(city):
    from geo.store import accounts

    engine, _ = city
    with engine.connect() as conn:
        cell = conn.execute(text("SELECT code FROM areas WHERE level = 'grid' ORDER BY code")).scalar()
        community = conn.execute(text("SELECT code FROM areas WHERE level = 'community' ORDER BY code")).scalar()
    name = f"cell.{uuid.uuid4().hex[:6]}"
    with pytest.raises(accounts.AccountError, match="not a grid"):
        accounts.add(engine, "root", name, "A-long-secret-2026", "leader", cell)
    assert accounts.add(engine, "root", name, "A-long-secret-2026", "leader", community).scope_code == community


# (``views`` is not here: it reads only buildings, which are not scoped, for cameras its caller read in scope)
SCOPED_MODULES = ("features", "measures", "queries", "kpis", "coverage", "camera_plan", "analysis", "patrol", "ledger",
                  "campaigns", "reports", "ledger_hygiene")


@pytest.mark.parametrize("module", SCOPED_MODULES)
def test_every_store_read_and_write_requires_a_scope(module):
    """A new public function of these modules that reads or writes through a connection or an engine
    has no way to be called without a scope: the parameter is there and has no default."""
    import importlib
    import inspect

    mod = importlib.import_module(f"geo.store.{module}")
    checked = 0
    for name, fn in inspect.getmembers(mod, inspect.isfunction):
        if fn.__module__ != mod.__name__ or name.startswith("_"):
            continue
        params = inspect.signature(fn).parameters
        if next(iter(params), None) not in ("conn", "engine"):
            continue
        assert "scope" in params and params["scope"].default is inspect.Parameter.empty, f"{module}.{name}"
        checked += 1
    assert checked, module


def test_a_focus_narrows_and_never_widens(city):
    from geo.store import filters
    from geo.store.models import Incident

    engine, codes = city
    street = next(c for c in codes if len(c) == 4)
    other = next(c for c in codes if len(c) == 4 and c != street)
    with engine.connect() as conn:
        scope = Scope.of(conn, street)
        inner = next(c for c in descendants(conn, street, "community"))
        assert scope.narrow(conn, None) == scope and scope.narrow(conn, inner) == Scope.of(conn, inner)
        with pytest.raises(scoping.ScopeError, match="outside your area"):
            scope.narrow(conn, other)
        assert Scope.jurisdiction().narrow(conn, other) == Scope.of(conn, other)
        with pytest.raises(TypeError):
            filters.rows(Incident.__table__, None)
        with pytest.raises(TypeError):
            filters.rows(Incident.__table__, street)
