"""The ledger page under AppTest: the table matches the database, an item is created through the
form, moved through the workflow, a stale edit is refused with a clear message, and each role sees
only what it may do."""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd
import pytest
from sqlalchemy import text

import streamlit as st

from geo.store import features, ledger
from tests.conftest import TODAY
from tests.pages.common import run_page, submit
from geo.store.scope import Scope

ALL = Scope.jurisdiction()  # the operator's explicit whole-jurisdiction scope


def _button(at, label):
    return next(b for b in at.button if b.label == label)


def _spot(engine):
    with engine.connect() as conn:
        p = features.areas_within(conn, ALL, "grid").geometry.iloc[3].representative_point()
    return round(p.x, 6), round(p.y, 6)


def _past_duplicates(at, form="ledger.form.1"):
    """If the form held the new item as a likely duplicate of items other tests left at the same spot,
    confirm it is distinct (the duplicate step itself: test_ledger_hygiene_page.py)."""
    if any(r.key == f"{form}.dupes.choice" for r in at.radio):
        at.radio(key=f"{form}.dupes.choice").set_value("distinct")
        next(b for b in at.button if b.key == f"{form}.dupes.save").click().run()


def _distinct(engine, **args):
    """Create through the store, judged distinct from whatever likely duplicates lie at the spot."""
    from geo.store import ledger_hygiene

    with engine.connect() as conn:
        seen = ledger_hygiene.likely_duplicates(conn, ALL, kind=args["kind"], category=args.get("category"),
                                                lon=args["lon"], lat=args["lat"], found_on=args["found_on"])
    return ledger.create_item(engine, "clerk", "clerk", scope=ALL, distinct_from=list(seen["id"]), **args)


def test_clerk_creates_an_item_and_moves_it_through_the_workflow(env):
    at = run_page("pages/ledger.py", "en", "clerk")
    assert not at.exception and not at.error
    with env.connect() as conn:
        total = conn.execute(text("SELECT count(*) FROM ledger_items")).scalar()
    assert len(at.dataframe[0].value) == total
    lon, lat = _spot(env)
    unit = at.selectbox(key="ledger.form.1.unit").options[0]  # a known unit, picked from the list
    at.text_input(key="ledger.form.1.title").set_value("Broken street lamp")
    at.selectbox(key="ledger.form.1.unit").set_value(unit)
    at.selectbox(key="ledger.form.1.category").set_value("lighting")
    at.number_input(key="ledger.form.1.lon").set_value(lon)
    at.number_input(key="ledger.form.1.lat").set_value(lat)
    _button(at, "Add item").click().run()
    _past_duplicates(at)
    assert not at.exception and not at.error
    with env.connect() as conn:
        row = conn.execute(text("SELECT id, status, version, source, category, responsible_unit FROM ledger_items "
                                "WHERE title = 'Broken street lamp'")).mappings().one()
    assert row["status"] == "reported" and row["source"] == "app"
    assert (row["category"], row["responsible_unit"]) == ("lighting", unit)
    assert at.session_state["ledger.item"] == row["id"]  # the new item's card is open
    assert any(f"#{row['id']} Broken street lamp" in s.value for s in at.subheader)
    at.selectbox(key=f"ledger.act.{row['id']}.1.action").set_value("assign")
    _button(at, "Apply").click().run()
    assert not at.exception and not at.error
    with env.connect() as conn:
        assert conn.execute(text("SELECT status FROM ledger_items WHERE id = :i"), {"i": row["id"]}).scalar() == \
            "assigned"
        hist = ledger.history(conn, ALL, row["id"])
    assert list(hist["action"]) == ["create", "assign"]


def test_a_stale_action_is_refused_with_a_clear_message_and_loses_nothing(env):
    lon, lat = _spot(env)
    item_id = _distinct(env, kind="hazard", title="Open drain", found_on=TODAY,
                                 lon=lon, lat=lat)
    st.cache_data.clear()  # made outside the page: drop what the page cached
    at = run_page("pages/ledger.py", "en", "clerk")
    at.session_state["ledger.item"] = item_id
    at.run()
    assert any("Open drain" in s.value for s in at.subheader)
    ledger.act(env, "clerk-2", "clerk", item_id, 1, "assign", scope=ALL)  # someone else, meanwhile
    _button(at, "Apply").click().run()  # the page still holds version 1
    assert any("changed by someone else" in e.value for e in at.error)
    assert any("was changed by someone else since you opened it" in w.value for w in at.warning)
    with env.connect() as conn:
        status, version = conn.execute(text("SELECT status, version FROM ledger_items WHERE id = :i"),
                                       {"i": item_id}).one()
        hist = ledger.history(conn, ALL, item_id)
    assert (status, version) == ("assigned", 2) and list(hist["action"]) == ["create", "assign"]


def test_leader_reads_and_verifies_but_does_not_add(env):
    lon, lat = _spot(env)
    item_id = _distinct(env, kind="dispute", title="Noise dispute",
                                 found_on=TODAY, lon=lon, lat=lat)
    v = ledger.act(env, "clerk", "clerk", item_id, 1, "assign", scope=ALL)
    v = ledger.act(env, "clerk", "clerk", item_id, v, "start", scope=ALL)
    ledger.act(env, "clerk", "clerk", item_id, v, "rectify", note="mediated", recheck_on=TODAY, scope=ALL)
    st.cache_data.clear()
    at = run_page("pages/ledger.py", "en", "leader")
    assert not at.exception
    assert any("can read the ledger but not change it" in i.value for i in at.info)
    at.session_state["ledger.item"] = item_id
    at.run()
    assert at.selectbox(key=f"ledger.act.{item_id}.4.action").options == ["Verify (re-check)", "Reopen"]
    _button(at, "Apply").click().run()
    assert not at.exception and not at.error
    with env.connect() as conn:
        assert conn.execute(text("SELECT status FROM ledger_items WHERE id = :i"), {"i": item_id}).scalar() == \
            "verified"
    assert any("Done: Verify (re-check)." in s.value for s in at.success)


def test_campaigns_page_shows_indicators_and_makes_the_report(env):
    st.cache_data.clear()
    at = run_page("pages/campaigns.py", "en", "leader")
    assert not at.exception and not at.error
    table = at.dataframe[0].value
    assert len(table) == 7 and set(table["Met"]) <= {"✓ met", "✗ not met", "…"}
    assert "Satisfaction %" in set(table["Indicator"])
    at.selectbox(key="report.area").set_value(at.selectbox(key="report.area").options[0])
    at.button(key="report.make").click().run()
    assert not at.exception and not at.error
    code, pdf, xlsx = at.session_state["report.files"]
    assert pdf.startswith(b"%PDF") and xlsx[:2] == b"PK"
    with env.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit_log WHERE action = 'report' AND username = 'leader'")
                            ).scalar() >= 1


def test_campaign_editing_is_for_leaders_not_planners(env):
    st.cache_data.clear()
    planner = run_page("pages/campaigns.py", "en", "planner")
    assert not planner.exception and not any(e.label == "New campaign" for e in planner.expander)
    leader = run_page("pages/campaigns.py", "en", "leader")
    assert any(e.label == "New campaign" for e in leader.expander)
    leader.text_input(key="campaign.new.name").set_value("Winter fire safety")
    leader.number_input(key="campaign.new.t.clearance_pct").set_value(95.0)
    next(b for b in leader.button if b.label == "Create").click().run()
    assert not leader.exception and not leader.error
    with env.connect() as conn:
        cid, = conn.execute(text("SELECT id FROM campaigns WHERE name = 'Winter fire safety'")).one()
        assert conn.execute(text("SELECT count(*) FROM campaign_phases WHERE campaign_id = :c"), {"c": cid}).scalar() == 4
        assert conn.execute(text("SELECT key, target_value FROM indicators WHERE campaign_id = :c"), {"c": cid}
                            ).all() == [("clearance_pct", 95.0)]


def test_the_export_holds_exactly_the_filtered_rows_with_formulas_defused(env):
    from geo.report import safefiles
    from geo.ui.ledger import export_frame

    lon, lat = _spot(env)
    item_id = _distinct(env, kind="hazard", title="=HYPERLINK(\"x\")", found_on=TODAY, lon=lon, lat=lat,
                        responsible_unit="export unit")
    with env.connect() as conn:
        rows = ledger.items(conn, ALL, TODAY, units=["export unit"])
    out = export_frame(rows)
    written = pd.read_csv(io.BytesIO(safefiles.csv_bytes(out)), encoding="utf-8-sig")
    assert list(out["id"]) == [item_id] and written["title"].iloc[0].startswith("'=")
    assert out[["lon", "lat"]].iloc[0].tolist() == pytest.approx([lon, lat], abs=1e-6)


def test_oversight_tab_league_table_and_recurrence_on_request(env):
    st.cache_data.clear()
    at = run_page("pages/ledger.py", "en", "leader")
    assert not at.exception
    league = next(d.value for d in at.dataframe if "Rectification rate %" in d.value.columns)
    with env.connect() as conn:
        units = conn.execute(text("SELECT count(DISTINCT COALESCE(responsible_unit, '—')) FROM ledger_items "
                                  "WHERE status <> 'cancelled'")).scalar()  # items without a unit form one row
    assert len(league) == units and list(league["Rank"]) == list(range(1, units + 1))
    assert league["Rectification rate %"].is_monotonic_decreasing
    before = len(at.dataframe)
    at.toggle(key="ledger.recurrence.on").set_value(True).run()
    assert not at.exception and len(at.dataframe) == before + 1
    recurrence = at.dataframe[-1].value
    assert list(recurrence.columns) == ["No.", "Title", "Status", "Closed on", "Incidents in the 90 days before found",
                                        "Incidents in the 90 days after"]
    assert len(recurrence) > 0


def test_leader_changes_a_campaign_target_on_the_page(env):
    st.cache_data.clear()
    at = run_page("pages/campaigns.py", "en", "leader")
    cid = at.session_state["campaign.pick"]
    at.number_input(key=f"campaign.edit.t.{cid}.clearance_pct").set_value(97.5)
    next(b for b in at.button if b.label == "Save changes").click().run()
    assert not at.exception and not at.error
    with env.connect() as conn:
        assert conn.execute(text("SELECT target_value FROM indicators WHERE campaign_id = :c AND key = 'clearance_pct'"),
                            {"c": cid}).scalar() == 97.5
        assert conn.execute(text("SELECT count(*) FROM campaign_phases WHERE campaign_id = :c"), {"c": cid}).scalar() == 4


def _open(at, item_id):
    at.session_state["ledger.item"] = item_id  # as a click on its row or point does
    return at.run()


def test_after_an_action_the_card_stays_on_the_changed_item_outside_the_filter_with_an_empty_form(env):
    lon, lat = _spot(env)
    item_id = _distinct(env, kind="hazard", title="Blocked fire lane", category="fire",
                                 found_on=TODAY - dt.timedelta(days=20), deadline=TODAY - dt.timedelta(days=2),
                                 lon=lon, lat=lat)
    v = ledger.act(env, "clerk", "clerk", item_id, 1, "assign", scope=ALL)
    v = ledger.act(env, "clerk", "clerk", item_id, v, "start", scope=ALL)
    st.cache_data.clear()
    at = run_page("pages/ledger.py", "en", "clerk")
    at.checkbox(key="ledger.f.overdue").check().run()  # overdue only: the item is listed
    assert item_id in set(at.dataframe[0].value["No."])
    _open(at, item_id)
    form = f"ledger.act.{item_id}.{v}"
    assert any(f"Act on #{item_id} Blocked fire lane" in m.value for m in at.markdown)
    at.selectbox(key=f"{form}.action").set_value("rectify")
    at.text_input(key=f"{form}.note").set_value("lane cleared, sign put up")
    submit(at, "Apply")
    assert not at.exception and not at.error
    with env.connect() as conn:
        assert conn.execute(text("SELECT status FROM ledger_items WHERE id = :i"), {"i": item_id}).scalar() == \
            "rectified"
    assert item_id not in set(at.dataframe[0].value["No."])  # no longer overdue: not listed
    assert at.session_state["ledger.item"] == item_id  # ... and still the card's item
    assert [s.value for s in at.subheader if s.value.startswith("#")] == [f"#{item_id} Blocked fire lane"]
    assert any("Not in the current filter" in c.value for c in at.caption)
    assert any(f"#{item_id} Blocked fire lane — Done: Mark rectified." in s.value for s in at.success)
    fresh = f"ledger.act.{item_id}.{v + 1}"  # the next action's form: empty, for this item
    assert at.text_input(key=f"{fresh}.note").value == ""
    assert f"{form}.note" not in [w.key for w in at.text_input]
    other = int(at.dataframe[0].value["No."].iloc[0])
    _open(at, other)  # another item: its own card and a form of its own
    assert [s.value for s in at.subheader if s.value.startswith("#")][0].startswith(f"#{other} ")
    assert not any(w.key.startswith(f"ledger.act.{item_id}.") for w in at.text_input)


def test_create_clears_the_form_says_what_it_made_and_refuses_the_same_item_again(env):
    from geo.core.clock import zone_label
    from geo.store.schema import deployment_timezone

    lon, lat = _spot(env)
    at = run_page("pages/ledger.py", "zh", "clerk")

    def fill(form):
        at.text_input(key=f"{form}.title").set_value("消防通道堵塞（重复测试）")
        at.selectbox(key=f"{form}.category").set_value("fire")
        at.number_input(key=f"{form}.lon").set_value(lon)
        at.number_input(key=f"{form}.lat").set_value(lat)

    category = at.selectbox(key="ledger.form.1.category")
    assert category.value is None and "消防" in category.options and "fire" not in category.options
    fill("ledger.form.1")
    submit(at, "新增")
    assert not at.exception and not at.error
    with env.connect() as conn:
        made = conn.execute(text("SELECT id FROM ledger_items WHERE title = '消防通道堵塞（重复测试）'")).scalars().all()
    assert len(made) == 1
    assert any(f"已新增 #{made[0]} 消防通道堵塞（重复测试）" in s.value for s in at.success)
    assert any(b.label == f"在台账中打开 #{made[0]}" for b in at.button)
    assert at.text_input(key="ledger.form.2.title").value == ""  # a fresh, empty form
    assert at.selectbox(key="ledger.form.2.category").value is None
    assert at.number_input(key="ledger.form.2.lon").value is None
    fill("ledger.form.2")  # the very same item again, e.g. sent a second time
    submit(at, "新增")
    assert any("未重复新增" in e.value and f"#{made[0]}" in e.value for e in at.error)
    with env.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM ledger_items WHERE title = '消防通道堵塞（重复测试）'")
                            ).scalar() == 1
        tz = deployment_timezone(conn)
    # the new item's card: its history's time column names the zone its times are in
    history = next(d.value for d in at.dataframe if any(c.startswith("时间") for c in d.value.columns))
    assert list(history.columns)[0] == f"时间（{zone_label(tz)}）"


def test_a_new_unit_only_through_its_own_switch_and_never_a_spelling_of_a_known_one(env):
    lon, lat = _spot(env)
    at = run_page("pages/ledger.py", "en", "clerk")
    known = at.selectbox(key="ledger.form.1.unit").options
    assert known and at.selectbox(key="ledger.form.1.unit").value is None
    at.toggle(key="ledger.form.1.unit.new").set_value(True).run()
    at.text_input(key="ledger.form.1.title").set_value("Cracked kerb")
    at.text_input(key="ledger.form.1.unit.name").set_value(f" {known[0]}\u3000")  # a known unit, spaced out
    at.number_input(key="ledger.form.1.lon").set_value(lon)
    at.number_input(key="ledger.form.1.lat").set_value(lat)
    submit(at, "Add item")
    assert any(f"“{known[0]}” is already in the list" in e.value for e in at.error)
    at.text_input(key="ledger.form.1.unit.name").set_value("Kerb repair team")
    submit(at, "Add item")
    _past_duplicates(at)
    assert not at.error
    with env.connect() as conn:
        assert conn.execute(text("SELECT responsible_unit FROM ledger_items WHERE title = 'Cracked kerb'")
                            ).scalar() == "Kerb repair team"
    assert "Kerb repair team" in at.selectbox(key="ledger.form.2.unit").options  # known from now on


def test_cancel_is_never_preselected(env):
    lon, lat = _spot(env)
    item_id = _distinct(env, kind="dispute", title="Parking quarrel", found_on=TODAY,
                                 lon=lon, lat=lat)
    st.cache_data.clear()
    at = _open(run_page("pages/ledger.py", "en", "leader"), item_id)
    action = at.selectbox(key=f"ledger.act.{item_id}.1.action")
    assert action.options == ["Cancel"] and action.value is None  # the leader's only action: chosen, not given
    submit(at, "Apply")
    assert [e.value for e in at.error] == ["Choose the action first."]
    with env.connect() as conn:
        assert conn.execute(text("SELECT status FROM ledger_items WHERE id = :i"), {"i": item_id}).scalar() == \
            "reported"
