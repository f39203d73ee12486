"""Alerts over the store on both backends: subscriptions inside the scope only, the run raising each
condition once and clearing what ended, the inbox (scoped), acknowledge and snooze (audited), and
row-level security on PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import select, text

from geo.core import alerts as rules
from geo.core import clock
from geo.store import accounts, alerts, alerts_run, analysis, audit, coverage, filters
from geo.store.alerts import AlertRefused
from geo.store.engine import make_engine
from geo.store.scope import Scope
from tests.conftest import BACKENDS, TODAY, app_role_url, backend_demo

ALL = Scope.jurisdiction()
PASSWORD = "Correct-horse-42x"


@pytest.fixture(scope="module", params=BACKENDS)
def city(request, tmp_path_factory):
    engine, url = backend_demo(request, tmp_path_factory, seed=45, scale=0.03, end=TODAY)
    for name, role, scope in (("lead.an01", "leader", "AN01"), ("clerk.an02", "clerk", "AN02"),
                              ("plan.an", "planner", "AN"), ("clerk.an01", "clerk", "AN01")):
        accounts.add(engine, "admin", name, PASSWORD, role, scope)
    yield engine, request.param
    engine.dispose()


def _scope(engine, code):
    with engine.connect() as conn:
        return Scope.of(conn, code)


def _alerts(engine, where="1=1", **params) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(text(f"SELECT * FROM alerts WHERE {where}"), params).mappings().all())


@pytest.mark.parametrize("user,role,scope,area,rule,why", [
    ("lead.an01", "leader", "AN01", "AN02", "band", "outside"),
    ("lead.an01", "leader", "AN01", "AN", "band", "outside"),
    ("plan.an", "planner", "AN", "AN01", "ledger", "may not"),
    ("lead.an01", "leader", "AN01", "NOPE", "band", "no area"),
    ("lead.an01", "leader", "AN01", "AN01", "nonsense", "may not"),
    ("lead.an01", "leader", "AN01", "AN01", "band", "webhook"),
], ids=["other-street", "the-district", "planner-ledger", "unknown-area", "unknown-rule", "plain-http-webhook"])
def test_subscribe_refuses_what_the_account_may_not_have(city, user, role, scope, area, rule, why):
    engine, _ = city
    hook = "http://example.org/hook" if why == "webhook" else None
    with pytest.raises(AlertRefused, match=why):
        alerts.subscribe(engine, user, role, _scope(engine, scope), area, rule, webhook=hook)


def test_subscribe_refuses_a_grid_cell(city):
    engine, _ = city
    with engine.connect() as conn:
        cell = conn.execute(text("SELECT code FROM areas WHERE level='grid' AND code LIKE 'AN01%' LIMIT 1")).scalar()
    with pytest.raises(AlertRefused, match="district, street or community"):
        alerts.subscribe(engine, "lead.an01", "leader", _scope(engine, "AN01"), cell, "band")


def test_the_run_raises_ledger_alerts_once_inside_each_accounts_street_only(city):
    engine, _ = city
    alerts.subscribe(engine, "clerk.an01", "clerk", _scope(engine, "AN01"), "AN01", "ledger", due_days=7)
    alerts.subscribe(engine, "clerk.an02", "clerk", _scope(engine, "AN02"), "AN02", "ledger", due_days=7)
    first = alerts_run.run(engine)
    mine = _alerts(engine, "username = 'clerk.an01' AND rule = 'ledger'")
    theirs = _alerts(engine, "username = 'clerk.an02' AND rule = 'ledger'")
    assert len(mine) and len(theirs)
    assert set(mine["street_code"]) == {"AN01"} and set(theirs["street_code"]) == {"AN02"}
    with engine.connect() as conn:  # exactly the open items overdue or due within 7 days
        items = conn.execute(text("SELECT id, status, deadline FROM ledger_items WHERE street_code = 'AN01'")).all()
    expected = {f"item:{i}" for i, s, d in items
                if rules.ledger_condition(s, None if d is None else pd.Timestamp(d).date(), TODAY, 7)}
    assert set(mine["subject"]) == expected
    again = alerts_run.run(engine)
    assert again.raised == 0 and again.lasting >= len(mine) + len(theirs)
    assert len(_alerts(engine, "rule = 'ledger'")) == len(mine) + len(theirs)
    assert first.raised >= len(mine) + len(theirs)


def test_a_condition_that_ends_is_cleared_and_one_that_returns_is_a_new_alert(city, clock_at):
    engine, _ = city
    alerts.subscribe(engine, "clerk.an01", "clerk", _scope(engine, "AN01"), "AN01", "ledger", due_days=7)
    alerts_run.run(engine)
    row = _alerts(engine, "username = 'clerk.an01' AND condition = 'overdue' AND active").iloc[0]
    item = int(row["subject"].split(":")[1])
    with engine.begin() as conn:
        deadline = conn.execute(text("SELECT deadline FROM ledger_items WHERE id = :i"), {"i": item}).scalar()
        conn.execute(text("UPDATE ledger_items SET deadline = :d WHERE id = :i"),
                     {"d": TODAY + dt.timedelta(days=60), "i": item})
    summary = alerts_run.run(engine)
    assert summary.cleared >= 1
    assert not bool(_alerts(engine, "id = :i", i=int(row["id"])).iloc[0]["active"])
    with engine.begin() as conn:  # overdue again, the same deadline, on a later day: a new alert
        conn.execute(text("UPDATE ledger_items SET deadline = :d WHERE id = :i"), {"d": deadline, "i": item})
    clock_at(clock.now_utc() + dt.timedelta(days=1))
    before = len(_alerts(engine, "subject = :s AND username = 'clerk.an01'", s=row["subject"]))
    assert alerts_run.run(engine).raised >= 1
    assert len(_alerts(engine, "subject = :s AND username = 'clerk.an01'", s=row["subject"])) == before + 1


def test_an_account_that_left_the_area_or_was_disabled_gets_nothing(city):
    engine, _ = city
    accounts.add(engine, "admin", "lead.gone", PASSWORD, "leader", "AN03")
    alerts.subscribe(engine, "lead.gone", "leader", _scope(engine, "AN03"), "AN03", "band")
    alerts.subscribe(engine, "lead.gone", "leader", _scope(engine, "AN03"), "AN03", "coverage")
    accounts.disable(engine, "admin", "lead.gone")
    summary = alerts_run.run(engine)
    assert summary.skipped >= 2
    assert _alerts(engine, "username = 'lead.gone'").empty


def test_band_rule_raises_when_this_week_is_above_the_poisson_band(city):
    engine, backend = city
    monday = rules.week_start(TODAY)
    with engine.begin() as conn:  # a burst this week in one community of AN01 (real rows in the rollup)
        comm = conn.execute(text("SELECT code FROM areas WHERE level = 'community' AND parent_code = 'AN01' "
                                 "ORDER BY code LIMIT 1")).scalar()
        cell = conn.execute(text("SELECT code FROM areas WHERE parent_code = :c LIMIT 1"), {"c": comm}).scalar()
        conn.execute(text("INSERT INTO incident_daily (day, category, cell_code, community_code, street_code, "
                          "district_code, n) VALUES (:d, 'burst-test', :cell, :comm, 'AN01', 'AN', 400)"),
                     {"d": monday, "cell": cell, "comm": comm})
        rows = conn.execute(text("SELECT day, SUM(n) FROM incident_daily WHERE community_code = :c GROUP BY day"),
                            {"c": comm}).all()
        first = pd.Timestamp(conn.execute(text("SELECT MIN(day) FROM incident_daily")).scalar()).date()
    weekly = pd.Series({pd.Timestamp(d): int(n) for d, n in rows}).resample("W-SUN").sum()
    weekly = {ts.date() - dt.timedelta(days=6): int(n) for ts, n in weekly.items()}
    history, basis = rules.band_history(weekly, TODAY, first)
    assert basis == "same_week"  # the demo has three years of data
    alerts.subscribe(engine, "lead.an01", "leader", _scope(engine, "AN01"), comm, "band")
    try:
        alerts_run.run(engine)
    finally:  # the module's other tests read the demo as built
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM incident_daily WHERE category = 'burst-test'"))
    got = _alerts(engine, "rule = 'band' AND area_code = :c", c=comm)
    assert len(got) == 1
    assert got.iloc[0]["threshold"] == rules.usual_band(history) and got.iloc[0]["value"] >= 400
    assert got.iloc[0]["period"] == "2026-W27" and got.iloc[0]["community_code"] == comm


def test_hotspot_alerts_are_the_new_and_intensifying_cells_of_the_emerging_analysis(city):
    engine, _ = city
    alerts.subscribe(engine, "plan.an", "planner", _scope(engine, "AN"), "AN", "hotspot")
    alerts_run.run(engine)
    got = _alerts(engine, "rule = 'hotspot' AND username = 'plan.an'")
    start = rules.week_start(TODAY) - dt.timedelta(weeks=rules.HOT_WEEKS - 1)
    with engine.connect() as conn:
        table = analysis.run(conn, Scope.of(conn, "AN"), "grid", "emerging", start, TODAY)
    hot = table[table["emerging_class"].isin(rules.HOT_CATEGORIES) & (table["n_incidents"] > 0)]
    assert len(hot), "the demo has no emerging hot cell with incidents: the test would prove nothing"
    assert set(zip(got["subject"], got["condition"])) == set(zip(hot["code"], hot["emerging_class"]))
    assert list(got["subject"]) == list(got["cell_code"])  # the alert sits in its cell (scope, RLS)


def test_coverage_rule_raises_under_target_and_clears_when_the_target_is_met(city):
    engine, _ = city
    scope = _scope(engine, "AN01")
    with engine.connect() as conn:
        comm = conn.execute(text("SELECT code FROM areas WHERE level = 'community' AND parent_code = 'AN01' "
                                 "ORDER BY code DESC LIMIT 1")).scalar()
        share = coverage.area_coverage(conn, Scope.of(conn, comm), "community", TODAY, TODAY, TODAY)
    covered = float(share[share["code"] == comm].iloc[0]["area_covered_pct"])
    coverage.set_target(engine, "plan", min(100.0, covered + 5), scope=ALL, area_code=comm)
    alerts.subscribe(engine, "lead.an01", "leader", scope, comm, "coverage")
    alerts_run.run(engine)
    got = _alerts(engine, "rule = 'coverage' AND area_code = :c AND active", c=comm)
    assert len(got) == 1 and got.iloc[0]["value"] == pytest.approx(covered)
    coverage.set_target(engine, "plan", max(0.0, covered - 5), scope=ALL, area_code=comm)
    assert alerts_run.run(engine).cleared >= 1
    assert _alerts(engine, "rule = 'coverage' AND area_code = :c AND active", c=comm).empty


def test_inbox_is_scoped_and_acknowledge_and_snooze_are_audited(city):
    engine, _ = city
    mine_scope = _scope(engine, "AN01")
    alerts.subscribe(engine, "clerk.an01", "clerk", mine_scope, "AN01", "ledger")
    alerts_run.run(engine)
    an02 = _scope(engine, "AN02")
    with engine.connect() as conn:
        box = alerts.inbox(conn, mine_scope, "clerk.an01")
        other = alerts.inbox(conn, an02, "clerk.an01")  # the same account, another street
    assert len(box) >= 2 and other.empty
    first, second = int(box.iloc[0]["id"]), int(box.iloc[1]["id"])
    alerts.acknowledge(engine, "clerk.an01", mine_scope, first)
    until = clock.now_utc() + dt.timedelta(hours=3)
    alerts.snooze(engine, "clerk.an01", mine_scope, second, until)
    with engine.connect() as conn:
        left = set(alerts.inbox(conn, mine_scope, "clerk.an01")["id"])
        done = set(alerts.inbox(conn, mine_scope, "clerk.an01", include_done=True)["id"])
        log = audit.entries(conn, username="clerk.an01", action="alerts.")
    assert first not in left and second not in left and {first, second} <= done
    assert {"alerts.acknowledge", "alerts.snooze"} <= set(log["action"])
    # someone else's alert, or one outside the scope, is refused (and the refusal audited)
    with pytest.raises(AlertRefused):
        alerts.acknowledge(engine, "clerk.an02", an02, first)
    with pytest.raises(AlertRefused):
        alerts.snooze(engine, "clerk.an01", mine_scope, second, clock.now_utc() - dt.timedelta(hours=1))
    with engine.connect() as conn:
        assert "denied" in set(audit.entries(conn, username="clerk.an02", action="alerts.")["outcome"])


def test_open_count_counts_each_place_and_condition_once(city):
    engine, _ = city
    alerts.subscribe(engine, "clerk.an02", "clerk", _scope(engine, "AN02"), "AN02", "ledger")
    alerts.subscribe(engine, "plan.an", "planner", _scope(engine, "AN"), "AN01", "band")
    alerts_run.run(engine)
    with engine.connect() as conn:
        everyone = alerts.open_count(conn, ALL)
        an02 = alerts.open_count(conn, Scope.of(conn, "AN02"))
        distinct = conn.execute(text("SELECT COUNT(*) FROM (SELECT DISTINCT rule, subject, condition, period FROM alerts "
                                     "WHERE active AND status <> 'acknowledged' AND (snoozed_until IS NULL "
                                     "OR snoozed_until <= :now)) x"), {"now": clock.now_utc()}).scalar()
    assert everyone == distinct and 0 < an02 < everyone


def test_a_street_scope_reads_only_its_streets_alerts_and_on_postgresql_so_does_the_app_role(city):
    engine, backend = city
    for user, code in (("clerk.an02", "AN02"), ("clerk.an01", "AN01")):
        alerts.subscribe(engine, user, "clerk", _scope(engine, code), code, "ledger")
    alerts_run.run(engine)
    with engine.connect() as conn:
        rows = conn.execute(select(alerts.ALERTS.c.street_code).where(
            filters.rows(alerts.ALERTS, Scope.of(conn, "AN01")))).scalars().all()
    assert rows and set(rows) == {"AN01"}
    if backend != "postgis":
        return  # SQLite has no row-level security: the store's filter above is the whole rule there
    from geo.store import scope as scoping

    app = make_engine(app_role_url(engine.url.render_as_string(hide_password=False)))
    try:
        with app.begin() as conn:
            scoping.apply(conn, Scope.of(conn, "AN01"))
            streets = set(conn.execute(text("SELECT DISTINCT street_code FROM alerts")).scalars())
            assert streets == {"AN01"}
            # an update of another street's alert touches nothing
            assert conn.execute(text("UPDATE alerts SET status = 'acknowledged' WHERE street_code = 'AN02'")).rowcount == 0
        with app.begin() as conn:  # no scope set: nothing
            assert conn.execute(text("SELECT COUNT(*) FROM alerts")).scalar() == 0
    finally:
        app.dispose()


def test_subscribing_again_updates_the_subscription_and_unsubscribing_removes_its_alerts(city):
    engine, _ = city
    accounts.add(engine, "admin", "clerk.an04", PASSWORD, "clerk", "AN04")
    scope = _scope(engine, "AN04")
    first = alerts.subscribe(engine, "clerk.an04", "clerk", scope, "AN04", "ledger", due_days=2)
    again = alerts.subscribe(engine, "clerk.an04", "clerk", scope, "AN04", "ledger", due_days=9,
                             webhook="https://hooks.example.org/x")
    with engine.connect() as conn:
        subs = alerts.subscriptions(conn, "clerk.an04")
    assert first == again and subs[["due_days", "webhook"]].values.tolist() == [[9, "https://hooks.example.org/x"]]
    alerts_run.run(engine)
    assert len(_alerts(engine, "username = 'clerk.an04'"))
    with pytest.raises(AlertRefused):  # someone else's subscription
        alerts.unsubscribe(engine, "clerk.an02", _scope(engine, "AN02"), first)
    alerts.unsubscribe(engine, "clerk.an04", scope, first)
    assert _alerts(engine, "username = 'clerk.an04'").empty
    with engine.connect() as conn:
        assert alerts.subscriptions(conn, "clerk.an04").empty
        assert {"alerts.subscribe", "alerts.unsubscribe"} <= set(audit.entries(conn, username="clerk.an04")["action"])
