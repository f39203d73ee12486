"""Ledger hygiene on the page (AppTest): the create form holds a likely duplicate and shows its
candidates, the clerk links it or confirms it distinct; a correction of the category or unit needs
a reason and lands in the history; escalated items are listed for the street's oversight."""

from __future__ import annotations

import datetime as dt

import streamlit as st
from sqlalchemy import text

from geo.store import features, ledger, ledger_hygiene
from geo.store.scope import Scope
from tests.conftest import TODAY
from tests.pages.common import run_page, submit

ALL = Scope.jurisdiction()


def _spot(engine, i):
    with engine.connect() as conn:
        p = features.areas_within(conn, ALL, "grid").geometry.iloc[i].representative_point()
    return round(p.x, 6), round(p.y, 6)


def _original(engine, lon, lat, title, **kw):
    with engine.connect() as conn:
        seen = ledger_hygiene.likely_duplicates(conn, ALL, kind="hazard", category="gas", lon=lon, lat=lat,
                                                found_on=kw.get("found_on", TODAY))
    args = dict(kind="hazard", category="gas", title=title, found_on=TODAY, lon=lon, lat=lat,
                responsible_unit="gas office")
    args.update(kw)
    return ledger.create_item(engine, "clerk", "clerk", scope=ALL, distinct_from=list(seen["id"]), **args)


def _fill(at, title, lon, lat, form="ledger.form.1"):
    at.text_input(key=f"{form}.title").set_value(title)
    at.selectbox(key=f"{form}.category").set_value("gas")
    at.number_input(key=f"{form}.lon").set_value(lon)
    at.number_input(key=f"{form}.lat").set_value(lat + 0.0001)  # about 11 m north of the original


def _count(engine, title):
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM ledger_items WHERE title = :t"), {"t": title}).scalar()


def test_the_form_shows_the_candidates_and_links_the_new_item_to_the_chosen_original(env):
    lon, lat = _spot(env, 11)
    original = _original(env, lon, lat, "Gas smell at the market")
    st.cache_data.clear()
    at = run_page("pages/ledger.py", "en", "clerk")
    _fill(at, "Gas smell reported again", lon, lat)
    submit(at, "Add item")
    assert not at.exception
    assert _count(env, "Gas smell reported again") == 0  # held, not saved
    assert any("looks like 1 open items already in the ledger" in w.value for w in at.warning)
    table = next(d.value for d in at.dataframe if "Distance (m)" in d.value.columns)
    assert list(table["No."]) == [original] and 5 < table["Distance (m)"].iloc[0] < 20
    choice = at.radio(key="ledger.form.1.dupes.choice")
    assert choice.value is None and set(choice.options) == {f"a duplicate of #{original} Gas smell at the market (link it)",
                                                             "a different item (keep both)"}
    submit(at, "Save the new item")  # nothing chosen: asked to choose, nothing saved
    assert any("Choose first" in e.value for e in at.error) and _count(env, "Gas smell reported again") == 0
    at.radio(key="ledger.form.1.dupes.choice").set_value(original)
    submit(at, "Save the new item")
    assert not at.exception and not at.error, [e.value for e in at.error]
    with env.connect() as conn:
        new_id, linked = conn.execute(text("SELECT id, duplicate_of FROM ledger_items WHERE title = :t"),
                                      {"t": "Gas smell reported again"}).one()
        actions = list(ledger.history(conn, ALL, new_id)["action"])
    assert linked == original and actions == ["create", "link"]
    assert at.session_state["ledger.item"] == new_id  # its card is open and says what it duplicates
    assert any(f"duplicate of #{original}" in i.value for i in at.info)
    assert any(b.label == f"Open #{original} in the items" for b in at.button)
    history = next(d.value for d in at.dataframe if "Action" in d.value.columns)
    assert "Linked as duplicate" in set(history["Action"])


def test_the_clerk_can_confirm_a_different_item_and_both_are_kept(env):
    lon, lat = _spot(env, 13)
    original = _original(env, lon, lat, "Leaking gas meter")
    st.cache_data.clear()
    at = run_page("pages/ledger.py", "zh", "clerk")
    _fill(at, "另一处燃气表漏气", lon, lat)
    submit(at, "新增")
    at.radio(key="ledger.form.1.dupes.choice").set_value("distinct")
    submit(at, "保存新事项")
    assert not at.exception and not at.error
    with env.connect() as conn:
        new_id, linked = conn.execute(text("SELECT id, duplicate_of FROM ledger_items WHERE title = :t"),
                                      {"t": "另一处燃气表漏气"}).one()
        hist = ledger.history(conn, ALL, new_id)
    assert linked is None and list(hist["action"]) == ["create", "distinct"]
    assert f"#{original}" in hist["note"].iloc[-1]


def test_a_correction_needs_a_reason_and_shows_in_the_history(env):
    lon, lat = _spot(env, 17)
    item_id = _original(env, lon, lat, "Smell of gas by the school")
    st.cache_data.clear()
    at = run_page("pages/ledger.py", "en", "leader")
    at.session_state["ledger.item"] = item_id
    at.run()
    form = f"ledger.correct.{item_id}.1"
    at.selectbox(key=f"{form}.category").set_value("fire")
    submit(at, "Correct")
    assert any("a correction needs a reason" in e.value for e in at.error)
    with env.connect() as conn:
        assert conn.execute(text("SELECT category FROM ledger_items WHERE id = :i"), {"i": item_id}).scalar() == "gas"
    at.selectbox(key=f"{form}.category").set_value("fire")
    at.text_input(key=f"{form}.reason").set_value("a burning smell, not gas")
    submit(at, "Correct")
    assert not at.exception and not at.error
    with env.connect() as conn:
        assert conn.execute(text("SELECT category FROM ledger_items WHERE id = :i"), {"i": item_id}).scalar() == "fire"
    history = next(d.value for d in at.dataframe if "Action" in d.value.columns)
    last = history.iloc[-1]
    assert last["Action"] == "Corrected" and "gas -> fire" in last["Note"] and "burning smell" in last["Note"]


def test_the_edit_form_keeps_a_set_category_and_unit_for_a_correction(env):
    lon, lat = _spot(env, 19)
    item_id = _original(env, lon, lat, "Gas valve exposed")
    st.cache_data.clear()
    at = run_page("pages/ledger.py", "en", "clerk")
    at.session_state["ledger.item"] = item_id
    at.run()
    assert at.selectbox(key=f"ledger.edit.{item_id}.1.category").disabled
    assert at.selectbox(key=f"ledger.edit.{item_id}.1.unit").disabled


def test_escalated_items_are_listed_for_the_streets_oversight(env):
    lon, lat = _spot(env, 23)
    item_id = _original(env, lon, lat, "Gas pipe rusted through", found_on=TODAY - dt.timedelta(days=40),
                        deadline=TODAY - dt.timedelta(days=20))
    st.cache_data.clear()
    at = run_page("pages/ledger.py", "en", "leader")
    assert not at.exception
    assert any("Escalated to the street's oversight (overdue 14 days or more)" in m.value for m in at.markdown)
    table = next(d.value for d in at.dataframe if "Escalated on" in d.value.columns)
    row = table[table["No."] == item_id].iloc[0]
    assert str(row["Escalated on"])[:10] == str(TODAY - dt.timedelta(days=6)) and row["Days overdue"] == 20
