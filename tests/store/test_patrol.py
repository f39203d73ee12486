"""Patrol zones over the store on both backends: scorecards, proposals, plans, the commands."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from sqlalchemy import text

from geo.cli import main
from geo.store import features, patrol
from geo.store.frames import to_frame
from tests.conftest import BACKENDS, backend_demo
from geo.store.scope import Scope

EVERYTHING = Scope.jurisdiction()

END = dt.date(2026, 6, 30)
START = dt.date(2026, 1, 1)


@pytest.fixture(scope="module", params=BACKENDS)
def city(request, tmp_path_factory):
    engine, url = backend_demo(request, tmp_path_factory, seed=44, scale=0.03, end=END)
    yield engine, url
    engine.dispose()


def test_scorecard_by_hand_on_two_squares(city):
    engine, _ = city
    with engine.connect() as conn:
        inc = features.incident_points(conn, EVERYTHING, START, END, "Asia/Shanghai")
        cx, cy = inc["lon"].median(), inc["lat"].median()
        d = 0.01
        zones = gpd.GeoDataFrame({"code": ["W", "E"], "team": ["a", "b"], "staff": [2, 4]},
                                 geometry=[shapely.box(cx - d, cy - d, cx, cy + d), shapely.box(cx, cy - d, cx + d, cy + d)],
                                 crs=4326)
        table, summary = patrol.zone_scores(conn, EVERYTHING, zones, START, END, severity={"fight": 3.0})
    west = inc[(inc["lon"] >= cx - d) & (inc["lon"] < cx) & (inc["lat"].between(cy - d, cy + d))]
    by_hand = (west["category"] == "fight").sum() * 3 + (west["category"] != "fight").sum()
    row = table.set_index("code")
    assert row.loc["W", "workload"] == pytest.approx(by_hand, abs=2)  # points exactly on the shared edge go west
    assert row.loc["W", "workload_per_staff"] == pytest.approx(row.loc["W", "workload"] / 2, abs=0.01)
    assert row["share"].sum() == pytest.approx(1.0)
    metric = zones.to_crs(zones.estimate_utm_crs()).geometry.iloc[0]  # independently, in metres
    assert row.loc["W", "polsby_popper"] == pytest.approx(4 * np.pi * metric.area / metric.length ** 2, abs=2e-3)
    assert row["contiguous"].all()
    w = row["workload"].to_numpy()
    assert summary["max_min"] == pytest.approx(w.max() / w.min(), rel=1e-3)


def test_proposal_is_contiguous_balanced_and_covers_every_cell(city):
    engine, _ = city
    with engine.connect() as conn:
        proposal, changes = patrol.propose_zones(conn, EVERYTHING, 12, START, END, fixed=["PZ03"])
        cells = to_frame(conn.execute(text("SELECT code FROM areas WHERE level = 'grid'")))["code"]
    assert len(proposal) == 12 and proposal["contiguous"].all()
    assert proposal.loc[0, "code"] == "PZ03"
    listed = sorted(c for cs in proposal["cells"] for c in cs.split(",") if c)
    assert listed == sorted(cells)  # every cell in exactly one zone
    w = proposal["workload"].to_numpy()
    assert w.max() / w.min() <= 1.10
    assert set(changes.columns) == {"cell", "old_zone", "new_zone"}


def test_patrol_plan_visits_per_zone_and_shift(city):
    engine, _ = city
    with engine.connect() as conn:
        zones = features.zones(conn, EVERYTHING)
        plan = patrol.patrol_plan(conn, EVERYTHING, zones, START, END, {"day": (8, 19), "night": (20, 7)}, visits_per_shift=8)
    assert set(plan["shift"]) <= {"day", "night"} and set(plan["zone"]) <= set(zones["code"])
    per = plan.groupby(["zone", "shift"])["visits"].sum()
    assert (per <= 8 + 3).all() and (plan["visits"] >= 1).all() and (plan["minutes"] == "10-15").all()


def test_zones_commands(city, tmp_path):
    _, url = city
    out = tmp_path / "score.csv"
    assert main(["zones", "score", "--db", url, "--from", "2026-01-01", "--to", "2026-06-30", "--out", str(out)]) == 0
    table = pd.read_csv(out)
    assert list(table.columns[:7]) == ["code", "workload", "share", "area_km2", "polsby_popper", "hot_cells",
                                       "contiguous"]
    geo = tmp_path / "zones.geojson"
    assert main(["zones", "propose", "--db", url, "--k", "6", "--out", str(geo)]) == 0
    proposal = gpd.read_file(geo)
    assert len(proposal) == 6 and {"code", "workload", "cells"} <= set(proposal.columns)
    assert main(["zones", "propose", "--db", url, "--k", "6", "--fixed", "NOPE", "--out", str(geo)]) == 2
    assert main(["zones", "score", "--db", url, "--severity", "fight", "--out", str(out)]) == 2


def test_patrol_sheets_pdf_and_excel_hold_every_zone_shift_and_visit(city, tmp_path):
    from pypdf import PdfReader

    _, url = city
    pdf, xlsx = tmp_path / "sheets.pdf", tmp_path / "plan.xlsx"
    assert main(["zones", "plan", "--db", url, "--from", "2026-01-01", "--to", "2026-06-30", "--out", str(pdf)]) == 0
    assert main(["zones", "plan", "--db", url, "--from", "2026-01-01", "--to", "2026-06-30", "--out", str(xlsx)]) == 0
    assert main(["zones", "plan", "--db", url, "--out", str(tmp_path / "plan.docx")]) == 2
    engine, _ = city
    with engine.connect() as conn:
        zones = features.zones(conn, EVERYTHING)
        plan = patrol.patrol_plan(conn, EVERYTHING, zones, START, END, patrol.SHIFTS)
    pages = [p.extract_text().replace("\x00", "") for p in PdfReader(pdf).pages]
    assert len(pages) == len(zones) * len(patrol.SHIFTS)  # one page per zone and shift, in order
    for i, (code, shift) in enumerate((c, s) for c in zones["code"] for s in patrol.SHIFTS):
        assert f"Zone {code} - Shift: {shift}" in pages[i]
        mine = plan[(plan["zone"] == code) & (plan["shift"] == shift)]
        for cell in mine["cell"]:
            assert cell in pages[i]
        assert f"Short visits this shift\n{int(mine['visits'].sum())}" in pages[i]
    book = pd.read_excel(xlsx, sheet_name=None)
    assert sum(len(frame) for frame in book.values()) == len(plan)
    assert sum(int(frame["visits"].sum()) for frame in book.values()) == int(plan["visits"].sum())


def _inside_square(conn, half_deg=0.003):
    from geo.store import features as f

    cx, cy = f.areas_within(conn, EVERYTHING, "district").geometry.iloc[0].representative_point().coords[0]
    return shapely.box(cx - half_deg, cy - half_deg, cx + half_deg, cy + half_deg)


@pytest.mark.parametrize("case", ["no-code", "line", "bowtie", "outside", "overlap"])
def test_a_sketched_zone_is_refused_for_each_invalid_case(city, case):
    engine, _ = city
    with engine.connect() as conn:
        square = _inside_square(conn)
        zones = features.zones(conn, EVERYTHING)
        before = len(zones)
        n_audit = conn.execute(text("SELECT COUNT(*) FROM audit_log")).scalar()
    x0, y0, x1, y1 = square.bounds
    geometry = {"no-code": square, "line": shapely.LineString([(x0, y0), (x1, y1)]),
                "bowtie": shapely.Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1)]),
                "outside": shapely.box(x0 + 5, y0, x1 + 5, y1),
                "overlap": zones.geometry.iloc[0]}[case]
    code = "" if case == "no-code" else "NEW1"
    message = {"no-code": "code", "line": "polygon", "bowtie": "not valid", "outside": "outside the district",
               "overlap": "overlaps other zones"}[case]
    with pytest.raises(patrol.ZoneRefused, match=message):
        patrol.save_zone(engine, "planner1", code, geometry, scope=EVERYTHING)
    with engine.connect() as conn:
        assert len(features.zones(conn, EVERYTHING)) == before
        assert conn.execute(text("SELECT COUNT(*) FROM audit_log")).scalar() == n_audit


def test_a_valid_sketch_replaces_its_zone_and_is_audited(city):
    engine, _ = city
    with engine.connect() as conn:
        zones = features.zones(conn, EVERYTHING)
    code = zones["code"].iloc[0]
    smaller = zones.geometry.iloc[0].buffer(-0.002)  # well inside its own zone: overlaps nothing else
    patrol.save_zone(engine, "planner1", code, smaller, scope=EVERYTHING, team="night team", shift="night", staff=6)
    with engine.connect() as conn:
        again = features.zones(conn, EVERYTHING).set_index("code")
        entries = conn.execute(text("SELECT action, object FROM audit_log WHERE action LIKE 'zone.%'")).all()
    assert again.loc[code, "team"] == "night team" and again.loc[code, "staff"] == 6
    assert again.loc[code, "geometry"].area == pytest.approx(smaller.area, rel=1e-6)
    assert ("zone.update", code) in [tuple(e) for e in entries]
