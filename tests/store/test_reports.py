"""Area reports and campaigns on both backends: every figure against an independent count, the
files read back (Excel cells, PDF text), campaign actuals from the database and by hand."""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd
import pytest
from pypdf import PdfReader
from sqlalchemy import text

from geo.cli import main
from geo.core.campaigns import CampaignRefused
from geo.report.area_report import LABELS, report_pdf, report_xlsx
from geo.store import campaigns, features
from geo.store.areas import CODE_COLUMNS
from geo.store.reports import report_data
from geo.store.schema import deployment_timezone
from tests.conftest import BACKENDS, TODAY, backend_demo
from geo.store.scope import Scope

ALL = Scope.jurisdiction()  # the operator's explicit whole-jurisdiction scope

START, END = TODAY - dt.timedelta(days=89), TODAY - dt.timedelta(days=1)


@pytest.fixture(scope="module", params=BACKENDS)
def city(request, tmp_path_factory):
    engine, url = backend_demo(request, tmp_path_factory, seed=46, scale=0.03, end=TODAY)
    yield engine, url
    engine.dispose()


@pytest.fixture(scope="module")
def street(city):
    engine, _ = city
    with engine.connect() as conn:
        code = conn.execute(text("SELECT code FROM areas WHERE level = 'street' ORDER BY code")).scalar()
        return code, report_data(conn, ALL, code, START, END, TODAY)


def test_incident_figures_match_an_independent_count(city, street):
    engine, _ = city
    code, data = street
    with engine.connect() as conn:
        tz = deployment_timezone(conn)
        inside = Scope(code, "street")
        pts = features.incident_points(conn, inside, START, END, tz)
        d28 = features.incident_points(conn, inside, END - dt.timedelta(days=27), END, tz)
    assert data["counts"]["period"] == len(pts) > 0
    assert data["counts"]["d28"] == len(d28)
    top = pts["category"].value_counts()
    cats = data["categories"].set_index("category")["n"]
    assert cats.iloc[0] == top.iloc[0] and (cats == top.reindex(cats.index)).all()
    assert data["cells"]["n"].sum() == len(pts)  # every incident of the street sits in one of its cells
    assert set(data["hot"]["code"]) <= set(data["cells"]["code"])
    assert set(data["hot"]["class"]) <= {"hot_95", "hot_99"}


def test_ledger_figures_match_the_table(city, street):
    engine, _ = city
    code, data = street
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT status, deadline FROM ledger_items WHERE street_code = :c"), {"c": code}).all()
    open_ = [r for r in rows if r[0] in ("reported", "assigned", "rectifying")]
    overdue = [r for r in open_ if r[1] is not None and pd.Timestamp(r[1]).date() < TODAY]
    assert data["ledger"]["open"] == len(open_) and data["ledger"]["overdue"] == len(overdue)
    closed = sum(r[0] in ("rectified", "verified") for r in rows)
    assert data["ledger"]["rectification_rate"] == pytest.approx(closed / sum(r[0] != "cancelled" for r in rows))


def test_the_demo_campaign_is_in_the_report_with_database_and_hand_actuals(city, street):
    engine, _ = city
    _, data = street
    inds = data["indicators"].set_index("key")
    assert len(inds) == 7 and inds.loc["booths", "actual"] == 4 and "演示" in inds.loc["booths", "source"]
    with engine.connect() as conn:
        cid = campaigns.campaigns(conn, ALL)["id"].iloc[0]
        camp = campaigns.detail(conn, ALL, int(cid), TODAY)[0]
        # counted where the indicator is measured: the campaign's own area, at its own level
        level = conn.execute(text("SELECT level FROM areas WHERE code = :c"), {"c": camp["area_code"]}).scalar()
        column = CODE_COLUMNS[level]
        added = conn.execute(text(f"SELECT count(*) FROM cameras WHERE installed_on BETWEEN :s AND :e AND {column} = :a"),
                             {"s": camp["starts_on"], "e": min(camp["ends_on"], TODAY), "a": camp["area_code"]}).scalar()
    assert added > 0
    assert inds.loc["cameras_added", "actual"] == added and inds.loc["cameras_added", "source"] == "database"
    assert inds.loc["cameras_added", "met"] == (added >= inds.loc["cameras_added", "target_value"])


def test_campaign_refusals_write_nothing(city):
    engine, _ = city
    with engine.connect() as conn:
        before = conn.execute(text("SELECT count(*) FROM campaigns")).scalar()
        ind = conn.execute(text("SELECT id FROM indicators WHERE key = 'clearance_pct'")).scalar()
        hand = conn.execute(text("SELECT id FROM indicators WHERE key = 'satisfaction_pct'")).scalar()
    with pytest.raises(CampaignRefused, match="no area"):
        campaigns.create_campaign(engine, "leader", "x", TODAY, TODAY, area_code="NOPE", scope=ALL)
    with pytest.raises(CampaignRefused, match="outside the campaign"):
        campaigns.create_campaign(engine, "leader", "x", TODAY, TODAY, phases=[("p", TODAY, TODAY + dt.timedelta(1))], scope=ALL)
    with pytest.raises(CampaignRefused, match="measured from the database"):
        campaigns.set_actual(engine, "leader", ind, 50, "guess", scope=ALL)
    with pytest.raises(CampaignRefused, match="where the figure comes from"):
        campaigns.set_actual(engine, "leader", hand, 96, " ", scope=ALL)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM campaigns")).scalar() == before
    campaigns.set_actual(engine, "leader", hand, 96, "survey of November", scope=ALL)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT actual_value, actual_source FROM indicators WHERE id = :i"),
                            {"i": hand}).one() == (96.0, "survey of November")


def test_report_files_hold_the_figures(street):
    code, data = street
    pdf = "\n".join(p.extract_text().replace("\x00", "") for p in PdfReader(io.BytesIO(report_pdf(data))).pages)
    assert f"({code})" in pdf and f"{data['counts']['period']:,}" in pdf
    assert "Top categories" in pdf and data["categories"]["category"].iloc[0] in pdf
    for cell in data["hot"]["code"].head(5):
        assert cell in pdf
    book = pd.read_excel(io.BytesIO(report_xlsx(data)), sheet_name=None)  # in words: English by default
    summary = _summary(book[LABELS["sheet.summary"]])
    assert summary[LABELS["incidents"]] == data["counts"]["period"] and summary[LABELS["d28"]] == data["counts"]["d28"]
    assert len(book[LABELS["sheet.open_ledger"]]) == data["ledger"]["open"]
    assert list(book[LABELS["sheet.categories"]][LABELS["col.n"]]) == list(data["categories"]["n"])


def _summary(sheet: pd.DataFrame) -> dict:
    """The summary sheet's whole-number figures by their label ("1,234" read as 1234)."""
    figures = dict(zip(sheet[LABELS["col.figure"]], sheet[LABELS["col.value"]].astype(str)))
    return {k: int(v.replace(",", "")) for k, v in figures.items() if v.replace(",", "").isdigit()}


def test_report_command(city, street, tmp_path):
    _, url = city
    code, data = street
    out = tmp_path / "r.xlsx"
    assert main(["report", "--db", url, "--area", code, "--from", str(START), "--to", str(END), "--out", str(out)]) == 0
    summary = _summary(pd.read_excel(out, sheet_name=LABELS["sheet.summary"]))
    assert summary[LABELS["incidents"]] == data["counts"]["period"]
    assert main(["report", "--db", url, "--area", code, "--out", str(tmp_path / "r.pdf")]) == 0
    assert (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF")
    assert main(["report", "--db", url, "--area", "NOPE", "--out", str(tmp_path / "x.pdf")]) == 2
    assert main(["report", "--db", url, "--area", code, "--out", str(tmp_path / "x.doc")]) == 2
    assert not (tmp_path / "x.pdf").exists()


def test_a_campaign_is_edited_in_one_checked_audited_step(city):
    engine, _ = city
    cid = campaigns.create_campaign(engine, "leader", "edit me", TODAY, TODAY + dt.timedelta(days=59),
                                    phases=[("one", TODAY, TODAY + dt.timedelta(days=29))],
                                    targets=[("clearance_pct", 80)], scope=ALL)
    with pytest.raises(CampaignRefused, match="overlaps"):
        campaigns.update_campaign(engine, "leader", cid, phases=[("a", TODAY, TODAY + dt.timedelta(days=10)),
                                                                 ("b", TODAY + dt.timedelta(days=10),
                                                                  TODAY + dt.timedelta(days=20))], scope=ALL)
    campaigns.update_campaign(engine, "leader", cid,
                              phases=[("a", TODAY, TODAY + dt.timedelta(days=9)),
                                      ("b", TODAY + dt.timedelta(days=10), TODAY + dt.timedelta(days=59))],
                              targets=[("clearance_pct", 92), ("cameras_added", 5)], scope=ALL)
    with engine.connect() as conn:
        _, phases, inds = campaigns.detail(conn, ALL, cid, TODAY)
        log = conn.execute(text("SELECT count(*) FROM audit_log WHERE action = 'campaign.update' AND object = :c"),
                           {"c": str(cid)}).scalar()
    assert list(phases["name"]) == ["a", "b"] and bool(phases["current"].iloc[0])
    assert dict(zip(inds["key"], inds["target_value"])) == {"clearance_pct": 92.0, "cameras_added": 5.0}
    assert log == 1  # the refused edit left nothing, not even an audit entry
