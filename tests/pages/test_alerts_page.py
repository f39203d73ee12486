"""The alerts page under AppTest: subscribing through the form, the inbox after a run, acknowledge and
snooze (audited), a street leader's page shows its street only, the wall role is refused, and the wall
shows the open alerts as a band."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from geo.core import clock
from geo.store import alerts_run, audit
from tests.pages.common import run_page, submit


def _table(at):
    return at.dataframe[0].value


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_page_opens_for_a_leader_in_both_languages(env, lang):
    at = run_page("pages/alerts.py", lang=lang, user="leader")
    assert not at.exception, at.exception
    assert at.title[0].value == {"zh": "预警与订阅", "en": "Alerts and subscriptions"}[lang]


def test_a_clerk_subscribes_gets_alerts_acknowledges_and_snoozes(env):
    at = run_page("pages/alerts.py", lang="en", user="clerk")
    assert not at.exception, at.exception
    area = at.selectbox(key="alerts.sub_area").value
    at.selectbox(key="alerts.sub_rule").set_value("ledger")
    at.number_input(key="alerts.sub_days").set_value(5)
    submit(at, "Subscribe")
    assert not at.exception, at.exception
    with env.connect() as conn:
        subs = conn.execute(text("SELECT area_code, rule, due_days FROM alert_subscriptions WHERE username = 'clerk'")).all()
    assert [tuple(r) for r in subs] == [(area, "ledger", 5)]
    alerts_run.run(env)
    at.run()
    table = _table(at)
    with env.connect() as conn:
        n = conn.execute(text("SELECT COUNT(*) FROM alerts WHERE username = 'clerk'")).scalar()
    assert n > 1 and len(table) == n
    assert set(table["Rule"]) == {"Ledger item overdue or due soon"}
    assert set(table["Condition"]) <= {"overdue", "due soon"}
    first = at.selectbox(key="alerts.pick").value
    at.button(key="alerts.ack").click().run()
    assert not at.exception, at.exception
    assert len(_table(at)) == n - 1
    second = at.selectbox(key="alerts.pick").value
    at.date_input(key="alerts.snooze_date").set_value(clock.today("Asia/Shanghai") + dt.timedelta(days=2))
    at.button(key="alerts.snooze").click().run()
    assert len(_table(at)) == n - 2
    with env.connect() as conn:
        rows = dict(conn.execute(text("SELECT id, status FROM alerts WHERE id IN (:a, :b)"),
                                 {"a": first, "b": second}).all())
        log = audit.entries(conn, username="clerk", action="alerts.")
    assert rows == {first: "acknowledged", second: "snoozed"}
    assert {"alerts.subscribe", "alerts.acknowledge", "alerts.snooze"} <= set(log["action"])
    at.toggle(key="alerts.show_done").set_value(True).run()
    assert len(_table(at)) == n


def test_a_street_leader_sees_and_offers_only_its_own_street(env):
    with env.connect() as conn:
        mine = conn.execute(text("SELECT scope_code FROM users WHERE username = 'leader.street1'")).scalar()
        other = conn.execute(text("SELECT code FROM areas WHERE level = 'street' AND code <> :m LIMIT 1"),
                             {"m": mine}).scalar()
        inside = set(conn.execute(text("SELECT code FROM areas WHERE code = :m OR parent_code = :m"), {"m": mine}).scalars())
    at = run_page("pages/alerts.py", lang="en", user="leader.street1")
    assert set(at.selectbox(key="alerts.sub_area").options) and all(
        any(code in o for code in inside) for o in at.selectbox(key="alerts.sub_area").options)
    assert not any(f"({other})" in o for o in at.selectbox(key="alerts.sub_area").options)
    at.selectbox(key="alerts.sub_rule").set_value("band")
    submit(at, "Subscribe")
    with env.begin() as conn:  # an alert of another street addressed to this account (as if its scope had changed)
        sub = conn.execute(text("SELECT id FROM alert_subscriptions WHERE username = 'leader.street1'")).scalar()
        for code, key in ((other, "outside"), (mine, "inside")):
            conn.execute(text(
                "INSERT INTO alerts (subscription_id, username, dedupe_key, base_key, rule, area_code, subject, period, "
                "condition, raised_at, active, status, delivery, attempts, street_code, district_code) VALUES "
                "(:s, 'leader.street1', :k, :k, 'band', :c, :c, '2026-W27', 'above_band', :t, true, 'open', 'none', 0, "
                ":c, 'AN')"), {"s": sub, "k": f"test|{key}", "c": code, "t": clock.now_utc()})
    at.run()
    assert not at.exception, at.exception
    assert list(_table(at)["Area"]) == [mine]


def test_the_wall_account_is_not_offered_the_page(env):
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        run_page("pages/alerts.py", lang="en", user="wall")


def test_the_wall_shows_open_alerts_as_a_band_never_a_count(env):
    alerts_run.run(env)
    at = run_page("pages/wall.py", lang="en", user="wall")
    assert not at.exception, at.exception
    html = "".join(m.value for m in at.markdown)
    assert 'data-kpi="alerts"' in html
    tile = html.split('data-kpi="alerts"', 1)[1].split('class="v">', 1)[1].split("<", 1)[0]
    with env.connect() as conn:
        n = conn.execute(text("SELECT COUNT(*) FROM (SELECT DISTINCT rule, subject, condition, period FROM alerts "
                              "WHERE active AND status <> 'acknowledged') x")).scalar()
    assert tile.replace("&lt;", "<") != str(n)
    assert "–" in tile or tile.endswith("+") or tile.startswith("&lt;")
