"""Counts per area per time step (time playback) on both backends, checked against the raw incidents."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text

from geo.core.timeline import step_spans
from geo.store import scope as scoping
from geo.store.engine import make_engine
from geo.store.frames import to_frame
from geo.store.measures import area_measures
from geo.store.playback import step_counts
from geo.store.scope import Scope
from tests.conftest import BACKENDS, app_role_url, backend_demo

EVERYTHING = Scope.jurisdiction()
START, END = dt.date(2025, 11, 20), dt.date(2026, 6, 30)  # cut months at the start, whole ones after
TODAY = dt.date(2026, 7, 1)


@pytest.fixture(scope="module", params=BACKENDS)
def demo(request, tmp_path_factory):
    engine, url = backend_demo(request, tmp_path_factory, seed=7, scale=0.03, end=END)
    engine.url_text = url
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def raw(demo) -> pd.DataFrame:
    with demo.connect() as conn:
        inc = to_frame(conn.execute(text("SELECT occurred_on, category, cell_code, street_code FROM incidents")))
    inc["occurred_on"] = pd.to_datetime(inc["occurred_on"]).dt.date
    return inc


def _expected(inc: pd.DataFrame, col: str, spans, codes) -> np.ndarray:
    out = np.zeros((len(codes), len(spans)), dtype=np.int64)
    where = {c: i for i, c in enumerate(codes)}
    for j, (a, b) in enumerate(spans):
        got = inc[(inc["occurred_on"] >= a) & (inc["occurred_on"] <= b)].groupby(col).size()
        for code, n in got.items():
            if code in where:
                out[where[code], j] = n
    return out


@pytest.mark.parametrize("step", ["day", "week", "month"])
def test_step_counts_match_the_raw_incidents(demo, raw, step):
    start = END - dt.timedelta(days=40) if step == "day" else START
    spans = step_spans(start, END, step)
    with demo.connect() as conn:
        table = step_counts(conn, EVERYTHING, "grid", spans)
    assert len(table) == 1000 and list(table.columns) == list(range(len(spans)))
    want = _expected(raw, "cell_code", spans, list(table.index))
    assert want.sum() > 100  # the period holds incidents to count
    np.testing.assert_array_equal(table.to_numpy(), want)


def test_step_counts_add_up_to_the_period_measure(demo):
    with demo.connect() as conn:
        weekly = step_counts(conn, EVERYTHING, "street", step_spans(START, END, "week"), parent="AN")
        monthly = step_counts(conn, EVERYTHING, "street", step_spans(START, END, "month"), parent="AN")
        period = area_measures(conn, EVERYTHING, "street", START, END, today=TODAY, parent="AN").set_index("code")
    assert len(weekly) == 6
    pd.testing.assert_series_equal(weekly.sum(axis=1), period["n_incidents"].astype(np.int64), check_names=False)
    pd.testing.assert_series_equal(monthly.sum(axis=1), weekly.sum(axis=1))


def test_step_counts_stay_inside_the_scope_and_category(demo, raw):
    spans = step_spans(START, END, "month")
    with demo.connect() as conn:
        street = conn.execute(text("SELECT code FROM areas WHERE level = 'street' ORDER BY code")).scalar()
        inside = step_counts(conn, Scope(street, "street"), "grid", spans, categories=["theft"])
        every = step_counts(conn, EVERYTHING, "grid", spans, categories=["theft"])
        named = step_counts(conn, Scope(street, "street"), "grid", spans, codes=list(every.index[:50]) + ["nowhere"])
    assert len(inside) and all(code.startswith(street) for code in inside.index)
    pd.testing.assert_frame_equal(inside, every.loc[inside.index])
    theft = raw[raw["category"] == "theft"]
    np.testing.assert_array_equal(inside.to_numpy(), _expected(theft, "cell_code", spans, list(inside.index)))
    outside = [c for c in named.index if not c.startswith(street)]
    assert outside and (named.loc[outside].to_numpy() == 0).all()  # another street's cells: nothing shown


def test_step_counts_refuse_a_missing_scope(demo):
    with demo.connect() as conn, pytest.raises(TypeError):
        step_counts(conn, None, "grid", step_spans(START, END, "month"))


@pytest.mark.postgis
@pytest.mark.parametrize("demo", ["postgis"], indirect=True)
def test_step_counts_are_bound_by_row_level_security(demo, raw):
    """As the app role with a street's scope set for the transaction, even a read that asks for every
    row gets that street's counts only (the database enforces the scope too)."""
    app = make_engine(app_role_url(demo.url_text))
    spans = step_spans(START, END, "month")
    try:
        with app.begin() as conn:
            street = conn.execute(text("SELECT code FROM areas WHERE level = 'street' ORDER BY code")).scalar()
            scoping.apply(conn, Scope(street, "street"))
            table = step_counts(conn, EVERYTHING, "street", spans)
    finally:
        app.dispose()
    shown = table[table.sum(axis=1) > 0]
    assert list(shown.index) == [street]
    np.testing.assert_array_equal(shown.to_numpy()[0], _expected(raw, "street_code", spans, [street])[0])
