"""Reports for a drawn shape on both backends: figures against independent counts (a whole street
against its area report, a shape cutting through cells against the incidents' points), the shape cut
to the account's scope, refusals, the small-shape rules and the files."""

from __future__ import annotations

import datetime as dt
import io

import numpy as np
import pandas as pd
import pytest
import shapely
from pypdf import PdfReader
from shapely.geometry import box
from sqlalchemy import text

from geo.core.privacy import SUPPRESSED
from geo.core.shapes import ShapeRefused, circle
from geo.report.area_report import report_pdf, report_xlsx
from geo.store import features, scope as scoping
from geo.store.engine import make_engine
from geo.store.reports import report_data
from geo.store.schema import deployment_timezone
from geo.store.scope import Scope
from geo.store.shape_report import shape_report_data
from tests.conftest import BACKENDS, TODAY, app_role_url, backend_demo

ALL = Scope.jurisdiction()
START, END = TODAY - dt.timedelta(days=89), TODAY - dt.timedelta(days=1)


@pytest.fixture(scope="module", params=BACKENDS)
def city(request, tmp_path_factory):
    engine, url = backend_demo(request, tmp_path_factory, seed=46, scale=0.03, end=TODAY)
    yield engine, url, request.param
    engine.dispose()


def _outline(conn, code):
    return features.area_shape(conn, ALL, code).geometry.iloc[0]


def _points_in(conn, scope, shape, start=START, end=END, categories=None):
    pts = features.incident_points(conn, scope, start, end, deployment_timezone(conn), categories=categories)
    return pts[shapely.covers(shape, shapely.points(pts["lon"].to_numpy(float), pts["lat"].to_numpy(float)))]


def test_a_street_drawn_as_a_shape_gives_its_area_report_figures(city):
    engine, _, _ = city
    with engine.connect() as conn:
        street = _outline(conn, "AN02")
        area = report_data(conn, ALL, "AN02", START, END, TODAY)
        shape = shape_report_data(conn, ALL, street, START, END, TODAY)
    assert shape["counts"] == area["counts"] and shape["counts"]["period"] > 0
    assert shape["ledger"] == area["ledger"]
    pd.testing.assert_frame_equal(shape["categories"].reset_index(drop=True), area["categories"].reset_index(drop=True))
    assert not shape["shape"]["clipped"] and not shape["shape"]["small"]
    assert len(shape["indicators"]) == len(area["indicators"]) > 0  # the demo campaign concerns the street


def test_a_shape_cutting_through_cells_counts_each_incident_inside_it(city):
    engine, _, _ = city
    with engine.connect() as conn:
        minx, miny, maxx, maxy = _outline(conn, "AN03").bounds
        cut = box(minx + 0.00137, miny + 0.00291, (minx + maxx) / 2 + 0.00123, (miny + maxy) / 2 + 0.00071)
        data = shape_report_data(conn, ALL, cut, START, END, TODAY)
        inside = _points_in(conn, ALL, cut)
        d28 = _points_in(conn, ALL, cut, END - dt.timedelta(days=27), END)
        cats = data["categories"].set_index("category")["n"]
        top = inside["category"].value_counts()
        one = str(top.index[0])
        only = shape_report_data(conn, ALL, cut, START, END, TODAY, categories=[one])
        items = features.open_ledger(conn, ALL, TODAY)
    assert data["counts"]["period"] == len(inside) > 0 and data["counts"]["d28"] == len(d28)
    assert (cats == top.reindex(cats.index)).all()
    assert int(data["cells"]["n"].sum()) == len(inside)
    # cells are cut to the shape: none sticks out of it
    assert shapely.covers(cut.buffer(1e-9), np.asarray(data["cells"].geometry.values, dtype=object)).all()
    assert only["counts"]["period"] == int(top.iloc[0]) and list(only["categories"]["category"]) == [one]
    open_inside = shapely.covers(cut, np.asarray(items.geometry.values, dtype=object)).sum()
    assert data["ledger"]["open"] == open_inside


def test_a_street_account_gets_only_its_street_part_of_a_shape_over_two_streets(city):
    engine, _, _ = city
    with engine.connect() as conn:
        one, two = _outline(conn, "AN01"), _outline(conn, "AN02")
        assert one.touches(two) or one.intersects(two)
        seam = shapely.intersection(one.buffer(0.01), two.buffer(0.01))
        wide = seam.envelope
        street = Scope("AN01", "street")
        mine = shape_report_data(conn, street, wide, START, END, TODAY)
        every = shape_report_data(conn, ALL, wide, START, END, TODAY)
        expected = _points_in(conn, street, shapely.intersection(wide, one))
        street_cells = set(features.areas_within(conn, street, "grid")["code"])
        with pytest.raises(ShapeRefused, match="outside your area"):
            shape_report_data(conn, street, shapely.intersection(two, wide).buffer(-0.003), START, END, TODAY)
    assert mine["shape"]["clipped"] and mine["counts"]["period"] == len(expected) > 0
    assert every["counts"]["period"] > mine["counts"]["period"]  # the other street's part was cut off
    assert shapely.covers(one.buffer(1e-9), mine["outline"].geometry.iloc[0])
    assert set(mine["cells"]["code"]) <= street_cells


def test_a_shape_smaller_than_a_cell_never_shows_a_count_from_1_to_k_minus_1(city):
    engine, _, _ = city
    k = 3
    with engine.connect() as conn:
        pts = features.incident_points(conn, ALL, START, END, deployment_timezone(conn))
        lone = None
        for lon, lat in zip(pts["lon"], pts["lat"]):  # a disc around one incident holding one or two
            disc = circle(lon, lat, 40)
            if 1 <= len(_points_in(conn, ALL, disc)) < k:
                lone = disc
                break
        assert lone is not None
        raw = len(_points_in(conn, ALL, lone))
        data = shape_report_data(conn, ALL, lone, START, END, TODAY, k=k)
    assert data["shape"]["small"] and 1 <= raw < k
    assert data["counts"]["period"] == SUPPRESSED and data["counts"]["yoy_pct"] is None
    for key in ("period", "period_last_year", "d28", "prev28", "d28_last_year"):
        assert not 1 <= data["counts"][key] < k
    shown = data["categories"][["n", "last_year"]].to_numpy().ravel()
    assert not ((shown >= 1) & (shown < k)).any()
    assert data["hot"].empty and data["hot_share"] is None
    pdf = report_pdf(data, {"title": "Shape report"})
    text_ = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "<3" in text_ and "Shape report" in text_


def test_hostile_and_empty_periods_are_refused(city):
    engine, _, _ = city
    with engine.connect() as conn:
        far = box(10.0, 10.0, 10.1, 10.1)
        with pytest.raises(ShapeRefused, match="outside your area"):
            shape_report_data(conn, ALL, far, START, END, TODAY)
        with pytest.raises(ValueError, match="before it starts"):
            shape_report_data(conn, ALL, _outline(conn, "AN01"), END, START, TODAY)
        with pytest.raises(TypeError):
            shape_report_data(conn, None, _outline(conn, "AN01"), START, END, TODAY)


def test_the_files_hold_the_shape_report(city):
    engine, _, _ = city
    with engine.connect() as conn:
        centre = _outline(conn, "AN04").representative_point()
        data = shape_report_data(conn, ALL, circle(centre.x, centre.y, 800), START, END, TODAY,
                                 name="800 m around a point")
    labels = {"title": "Shape report", "note": "Cut to your area"}
    pdf = report_pdf(data, labels)
    text_ = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Shape report: 800 m around a point" in text_ and "Cut to your area" in text_
    assert f"{data['counts']['period']:,}" in text_
    summary = pd.read_excel(io.BytesIO(report_xlsx(data, labels)), sheet_name="Summary")
    assert "800 m around a point" in set(summary.iloc[:, 1].astype(str))
    assert str(data["counts"]["period"]) in set(summary.iloc[:, 1].astype(str))


@pytest.mark.parametrize("city", [BACKENDS[1]], indirect=True)  # row-level security is PostgreSQL's
def test_row_level_security_gives_the_app_role_the_same_report(city):
    engine, url, _ = city
    with engine.connect() as conn:
        wide = _outline(conn, "AN05").buffer(0.01)
        street = Scope("AN05", "street")
        owner = shape_report_data(conn, street, wide, START, END, TODAY)
    app = make_engine(app_role_url(url))
    try:
        with app.begin() as conn:
            assert conn.execute(text("SELECT row_security_active('incidents')")).scalar()
            scoping.apply(conn, street)
            seen = shape_report_data(conn, street, wide, START, END, TODAY)
    finally:
        app.dispose()
    assert seen["counts"] == owner["counts"] and seen["ledger"] == owner["ledger"] and owner["counts"]["period"] > 0
