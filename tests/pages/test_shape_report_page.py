"""The report for any shape on the grid and hotspot pages (AppTest, real sign-in, the demo city): a
polygon and a point with a radius give PDF and Excel files whose figures are the store's count of the
incidents inside the shape, cut to the account's area; a shape outside it and hostile GeoJSON are
refused in words and write nothing; making and taking a file are audited."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest
import shapely
import streamlit as st
from shapely.geometry import box
from sqlalchemy import text

from geo.core.shapes import circle
from geo.store import features
from geo.store.engine import make_engine
from geo.store.schema import deployment_timezone
from geo.store.scope import Scope
from tests.conftest import ROOT
from tests.pages.common import run_page

ALL = Scope.jurisdiction()


@pytest.fixture
def env(monkeypatch, demo_url):
    monkeypatch.setenv("DATABASE_URL", demo_url)
    monkeypatch.chdir(ROOT)
    st.cache_data.clear()
    engine = make_engine(demo_url)
    yield engine
    engine.dispose()


def _audit(engine, user: str, action: str) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            "SELECT object, detail FROM audit_log WHERE action = :a AND username = :u ORDER BY id"),
            {"a": action, "u": user})]


def _street(engine, user: str) -> str:
    with engine.connect() as conn:
        return conn.execute(text("SELECT scope_code FROM users WHERE username = :u"), {"u": user}).scalar()


def _outline(engine, code: str):
    with engine.connect() as conn:
        return features.area_shape(conn, ALL, code).geometry.iloc[0]


def _inside(engine, shape, start, end) -> int:
    with engine.connect() as conn:
        pts = features.incident_points(conn, ALL, start, end, deployment_timezone(conn))
    return int(shapely.covers(shape, shapely.points(pts["lon"].to_numpy(float), pts["lat"].to_numpy(float))).sum())


def _summary(xlsx: bytes) -> dict[str, str]:
    frame = pd.read_excel(io.BytesIO(xlsx), sheet_name=0, dtype=str)
    return dict(zip(frame.iloc[:, 0].fillna(""), frame.iloc[:, 1]))


def _open_section(page: str, user: str, lang: str = "en"):
    at = run_page(page, lang, user)
    assert not at.exception, at.exception
    prefix = "grid" if "grid" in page else "hot"
    at.toggle(key=f"shape.{prefix}.open").set_value(True).run()
    assert not at.exception, at.exception
    return at, prefix


def test_a_polygon_on_the_grid_page_gives_the_report_of_what_lies_inside(env):
    street = _street(env, "leader.street1")
    mine = _outline(env, street)
    c = mine.representative_point()
    cut = box(c.x - 0.0093, c.y - 0.0071, c.x + 0.0087, c.y + 0.0066)  # cuts through cells
    assert mine.contains(cut)
    before = len(_audit(env, "leader", "download"))
    at, p = _open_section("pages/grid_map.py", "leader")
    at.text_area(key=f"shape.{p}.geojson").set_value(json.dumps(shapely.geometry.mapping(cut))).run()
    at.button(key=f"shape.{p}.make").click().run()
    assert not at.exception and not at.error, (at.exception, [e.value for e in at.error])
    wanted, pdf, xlsx, facts = at.session_state[f"shape.{p}.files"]
    assert pdf.startswith(b"%PDF") and xlsx[:2] == b"PK" and not facts["clipped"]
    summary = _summary(xlsx)
    start, end = (pd.Timestamp(d).date() for d in summary["Period"].split(" - "))
    assert int(summary["Incidents in the period"].replace(",", "")) == _inside(env, cut, start, end) > 0
    assert summary["Area"].startswith("drawn polygon (5 vertices)")
    made = _audit(env, "leader", "report")[-1]
    assert made[0] == f"shape:{wanted[0]}" and "POLYGON" in made[1] and f"{start}..{end}" in made[1]
    assert _audit(env, "leader", "download")[before:] == []  # drawn, not yet taken
    at.download_button(key=f"shape.{p}.pdf").click().run()
    taken = _audit(env, "leader", "download")[before:]
    assert len(taken) == 1 and taken[0][0].startswith("report:shape:shape_report_") and taken[0][0].endswith(".pdf")


def test_a_point_and_radius_on_the_hotspot_page_is_cut_to_the_street(env):
    street = _street(env, "leader.street1")
    mine = _outline(env, street)
    with env.connect() as conn:
        streets = features.areas_within(conn, ALL, "street")
    others = shapely.union_all(streets[streets["code"] != street].geometry.values)
    seam = shapely.intersection(mine.boundary, others.boundary)
    edge = shapely.get_coordinates(seam.interpolate(0.5, normalized=True))[0]  # the disc straddles two streets
    at, p = _open_section("pages/hotspots.py", "leader.street1")
    at.radio(key=f"shape.{p}.mode").set_value("circle").run()
    at.number_input(key=f"shape.{p}.lon").set_value(float(edge[0]))
    at.number_input(key=f"shape.{p}.lat").set_value(float(edge[1]))
    at.number_input(key=f"shape.{p}.radius").set_value(1500.0).run()
    at.button(key=f"shape.{p}.make").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    wanted, pdf, xlsx, facts = at.session_state[f"shape.{p}.files"]
    assert facts["clipped"]
    assert any("only the part inside it is counted" in i.value for i in at.info)
    summary = _summary(xlsx)
    start, end = (pd.Timestamp(d).date() for d in summary["Period"].split(" - "))
    disc = circle(edge[0], edge[1], 1500)
    expected = _inside(env, shapely.intersection(disc, mine), start, end)
    assert int(summary["Incidents in the period"].replace(",", "")) == expected
    assert expected < _inside(env, disc, start, end)  # the other streets' incidents were left out
    assert at.download_button(key=f"shape.{p}.pdf") and at.download_button(key=f"shape.{p}.xlsx")


@pytest.mark.parametrize("geojson, reason", [
    ("{not json", "not readable GeoJSON"),
    ('{"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}', "not valid"),
    ('{"type": "Polygon", "coordinates": [[[10, 10], [10.1, 10], [10.1, 10.1], [10, 10]]]}', "outside your area"),
    ('{"type": "Point", "coordinates": [121, 31]}', "needs a polygon"),
])
def test_hostile_or_outside_shapes_are_refused_in_words_and_write_nothing(env, geojson, reason):
    before = _audit(env, "leader.street1", "report")
    at, p = _open_section("pages/grid_map.py", "leader.street1")
    at.text_area(key=f"shape.{p}.geojson").set_value(geojson).run()
    at.button(key=f"shape.{p}.make").click().run()
    assert not at.exception
    assert len(at.error) == 1 and reason in at.error[0].value and at.error[0].value.startswith("No report:")
    assert f"shape.{p}.files" not in at.session_state
    assert _audit(env, "leader.street1", "report") == before


def test_a_shape_in_another_street_is_refused_for_a_street_leader(env):
    with env.connect() as conn:
        other = conn.execute(text("SELECT code FROM areas WHERE level = 'street' AND code <> :s ORDER BY code"),
                             {"s": _street(env, "leader.street1")}).scalar()
    inner = _outline(env, other).buffer(-0.004)
    at, p = _open_section("pages/hotspots.py", "leader.street1")
    at.text_area(key=f"shape.{p}.geojson").set_value(json.dumps(shapely.geometry.mapping(inner))).run()
    at.button(key=f"shape.{p}.make").click().run()
    assert not at.exception and "outside your area" in at.error[0].value


def test_the_section_speaks_chinese_and_makes_a_chinese_report(env):
    street = _street(env, "leader.street1")
    centre = _outline(env, street).representative_point()
    at, p = _open_section("pages/grid_map.py", "leader", lang="zh")
    assert at.toggle(key=f"shape.{p}.open").label.startswith("按任意形状出报告")
    at.radio(key=f"shape.{p}.mode").set_value("circle").run()
    at.number_input(key=f"shape.{p}.lon").set_value(float(centre.x))
    at.number_input(key=f"shape.{p}.lat").set_value(float(centre.y)).run()
    at.button(key=f"shape.{p}.make").click().run()
    assert not at.exception and not at.error
    _, _, xlsx, _ = at.session_state[f"shape.{p}.files"]
    values = set(pd.read_excel(io.BytesIO(xlsx), sheet_name=0, dtype=str).iloc[:, 1].dropna())
    assert any("半径 500 米" in v for v in values), values
    label = at.download_button(key=f"shape.{p}.pdf").label
    assert any("\u4e00" <= ch <= "\u9fff" for ch in label), label


def test_a_refusal_is_worded_in_chinese(env):
    at, p = _open_section("pages/grid_map.py", "leader.street1", lang="zh")
    at.text_area(key=f"shape.{p}.geojson").set_value('{"type": "Polygon", "coordinates": [[[10, 10], [10.1, 10], '
                                                     '[10.1, 10.1], [10, 10]]]}').run()
    at.button(key=f"shape.{p}.make").click().run()
    assert not at.exception and at.error[0].value == "无法生成报告：形状完全在您的权限范围之外：请在您负责的区域内画"
