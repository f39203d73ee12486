"""Who may open what: a role x page matrix through the router and by opening each page file
directly, plus log-on, lock-out, time-outs, audit records and a two-account cache check."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from geo.core import clock
from geo.store.engine import make_engine
from tests.conftest import ROOT
from tests.pages.common import run_page, sign_in

PAGES = {"pages/home.py": "view_maps", "pages/grid_map.py": "view_maps", "pages/hotspots.py": "view_maps",
         "pages/coverage.py": "view_maps", "pages/zones.py": "view_maps", "pages/ledger.py": "view_ledger",
         "pages/campaigns.py": "view_reports",
         "pages/wall.py": "view_wall",
         "pages/import_data.py": "import", "pages/admin.py": "manage_users"}
MAY = {  # role -> pages it may open
    "wall": {"pages/wall.py"},
    "leader": {"pages/home.py", "pages/grid_map.py", "pages/hotspots.py", "pages/coverage.py", "pages/zones.py",
               "pages/ledger.py", "pages/campaigns.py", "pages/wall.py"},
    "planner": {"pages/home.py", "pages/grid_map.py", "pages/hotspots.py", "pages/coverage.py", "pages/zones.py",
                "pages/campaigns.py", "pages/wall.py"},
    "clerk": {"pages/home.py", "pages/grid_map.py", "pages/hotspots.py", "pages/coverage.py", "pages/zones.py",
              "pages/ledger.py", "pages/campaigns.py", "pages/wall.py", "pages/import_data.py"},
    "admin": set(PAGES),
}
DENIED = "This account may not use this page."


@pytest.fixture
def app_env(monkeypatch, demo_url):
    monkeypatch.setenv("DATABASE_URL", demo_url)
    monkeypatch.chdir(ROOT)
    return demo_url


def _audit(url: str, action: str) -> list[tuple]:
    with make_engine(url).connect() as conn:
        return conn.execute(text("SELECT username, object, outcome FROM audit_log WHERE action = :a ORDER BY id"),
                            {"a": action}).all()


def _direct(page: str, user: dict, lang: str = "en") -> AppTest:
    """Open the page file itself (as a URL to it would), with a signed-in session."""
    at = AppTest.from_file(str(ROOT / page), default_timeout=60)
    at.session_state["app.lang"] = lang
    now = clock.now_utc()
    at.session_state["auth.user"] = {**user, "started": now, "last_seen": now}
    return at.run()


@pytest.mark.parametrize("role", list(MAY))
@pytest.mark.parametrize("page", list(PAGES))
def test_role_page_matrix_opened_directly(app_env, role, page):
    at = _direct(page, {"username": role, "role": role, "scope": None})
    assert not at.exception
    errors = [e.value for e in at.error]
    if page in MAY[role]:
        assert DENIED not in errors
    else:
        assert errors == [DENIED]
        assert (role, PAGES[page], "denied") in _audit(app_env, "page")


@pytest.mark.parametrize("role", list(MAY))
def test_navigation_lists_only_what_the_role_may_open(app_env, role):
    at = run_page("app.py", "en", role)
    assert not at.exception
    if role == "wall":  # the display account sees the wall and nothing else
        assert "Command centre" in "\n".join(m.value for m in at.markdown)
        assert not at.sidebar.button
        return
    assert [t.value for t in at.title] == ["SafeGrid · Overview"]
    for page in PAGES:
        if page in MAY[role] and page != "pages/home.py":
            at2 = at.switch_page(str(ROOT / page)).run()
            assert not at2.exception and DENIED not in [e.value for e in at2.error]


def test_nobody_signed_in_sees_only_the_log_on_form(app_env):
    at = run_page("app.py", "en", None)
    assert [t.value for t in at.title] == ["Sign in"]
    assert at.text_input(key="auth.password") is not None
    for page in PAGES:  # and a page file opened directly stops at once
        direct = AppTest.from_file(str(ROOT / page), default_timeout=60).run()
        assert [w.value for w in direct.warning] == ["请先登录。"] and not direct.dataframe


SIGN_IN_FAILED = ("Sign-in failed: wrong account or password, or sign-in is paused after repeated failures. "
                  "Try again later, or ask an administrator.")


def test_wrong_passwords_lock_the_account_and_are_audited(app_env):
    from geo.store import accounts

    at = run_page("app.py", "en", None)
    for _ in range(5):
        sign_in(at, "planner", "Not-the-password-1")
    assert [e.value for e in at.error][-1] == SIGN_IN_FAILED
    sign_in(at, "planner")  # the right password, but the account is locked
    assert [t.value for t in at.title] == ["Sign in"]
    assert [e.value for e in at.error][-1] == SIGN_IN_FAILED
    outcomes = [o for u, _, o in _audit(app_env, "logon") if u == "planner"]
    assert outcomes[-6:] == ["denied"] * 6
    accounts.enable(make_engine(app_env), "test", "planner")  # tidy up for other tests: lift the lock


@pytest.fixture
def refusals(app_env):
    """Accounts for each kind of refusal: disabled, locked (five wrong passwords), enabled."""
    import uuid

    from geo.ingest.demo import demo_password
    from geo.store import accounts

    engine = make_engine(app_env)
    tag = uuid.uuid4().hex[:6]
    names = {kind: f"{kind}.{tag}" for kind in ("off", "locked", "on")}
    for name in names.values():
        accounts.add(engine, "test", name, demo_password(name), "leader")
    accounts.disable(engine, "test", names["off"])
    for i in range(5):
        accounts.authenticate(engine, names["locked"], f"Not-the-password-{i}")
    yield names
    engine.dispose()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_refused_sign_in_shows_the_same_message(refusals, lang):
    """Unknown name, disabled account, locked account (right password) and wrong password look alike."""
    from geo.ingest.demo import demo_password

    tries = [(f"nobody.{refusals['on']}", "Some-password-2026"), (refusals["off"], demo_password(refusals["off"])),
             (refusals["locked"], demo_password(refusals["locked"])), (refusals["on"], "Not-the-password-9")]
    messages = []
    for name, password in tries:
        at = run_page("app.py", lang, None)  # a fresh browser session each time
        sign_in(at, name, password)
        assert not at.exception and [t.value for t in at.title][-1] in ("Sign in", "登录")
        messages.append([e.value for e in at.error])
    assert len(messages[0]) == 1 and all(m == messages[0] for m in messages)
    if lang == "en":
        assert messages[0] == [SIGN_IN_FAILED]


def _session(user: str, role: str, *, idle: dt.timedelta = dt.timedelta(0), age: dt.timedelta = dt.timedelta(0),
             page: str = "app.py") -> AppTest:
    """A fresh run of ``page`` for a session signed in ``age`` ago and last active ``idle`` ago."""
    from geo.store import accounts
    from geo.store.engine import resolve_url

    now = clock.now_utc()
    with make_engine(resolve_url()).connect() as conn:
        found = accounts.get(conn, user)
    at = AppTest.from_file(str(ROOT / page), default_timeout=60)
    at.session_state["app.lang"] = "en"
    at.session_state["auth.user"] = {"username": user, "role": role, "scope": None, "started": now - age,
                                     "last_seen": now - idle, "credential": found.credential if found else ""}
    return at.run()


def test_idle_and_overlong_sessions_end(app_env):
    assert [t.value for t in _session("leader", "leader", idle=dt.timedelta(minutes=29)).title] == \
        ["SafeGrid · Overview"]
    at = _session("leader", "leader", idle=dt.timedelta(minutes=31))
    assert [t.value for t in at.title] == ["Sign in"] and "without activity" in at.info[0].value
    at = _session("leader", "leader", age=dt.timedelta(hours=13))
    assert [t.value for t in at.title] == ["Sign in"] and "maximum length" in at.info[0].value
    with make_engine(app_env).connect() as conn:
        reasons = [r[0] for r in conn.execute(text("SELECT detail FROM audit_log WHERE action = 'logoff' "
                                                   "AND username = 'leader' ORDER BY id")).all()]
    assert reasons[-2:] == ["idle", "max_length"]


def test_the_wall_account_is_not_timed_out(app_env):
    at = _session("wall", "wall", idle=dt.timedelta(hours=3), age=dt.timedelta(days=2))
    assert "Command centre" in "\n".join(m.value for m in at.markdown)


def test_a_disabled_account_is_signed_out_at_once(app_env):
    with make_engine(app_env).begin() as conn:
        conn.execute(text("UPDATE users SET disabled = :t WHERE username = 'clerk'"), {"t": True})
    try:
        assert [t.value for t in _session("clerk", "clerk").title] == ["Sign in"]
    finally:
        with make_engine(app_env).begin() as conn:
            conn.execute(text("UPDATE users SET disabled = :f WHERE username = 'clerk'"), {"f": False})


def test_two_accounts_never_share_cached_data(app_env):
    """The county-wide admin warms every cache first; the street leader must still see only its street."""
    admin = run_page("pages/grid_map.py", "en", "admin")
    street = run_page("pages/grid_map.py", "en", "leader.street1")
    with make_engine(app_env).connect() as conn:
        scope = conn.execute(text("SELECT scope_code FROM users WHERE username = 'leader.street1'")).scalar()
        communities = sorted(conn.execute(text("SELECT code FROM areas WHERE parent_code = :s"), {"s": scope}).scalars())
        incidents = conn.execute(text("SELECT COUNT(*) FROM incidents WHERE street_code = :s"), {"s": scope}).scalar()
    assert sorted(street.dataframe[-1].value["Code"]) == communities
    assert len(admin.dataframe[-1].value) == 6  # the admin's view: all six streets
    home = run_page("pages/home.py", "en", "leader.street1")
    assert {m.label: m.value for m in home.metric}["Incidents"] == f"{incidents:,}"
    assert [o.split(" ")[0] for o in street.selectbox(key="filters.focus").options][1:] != []
    assert all(o.strip("· ") for o in street.selectbox(key="filters.focus").options)
    # a focus outside the scope (the county), put into the session, falls back to the scope
    from geo.ui.filters import Filters

    now = clock.now_utc()
    at = AppTest.from_file(str(ROOT / "pages/grid_map.py"), default_timeout=60)
    at.session_state["app.lang"] = "en"
    at.session_state["auth.user"] = {"username": "leader.street1", "role": "leader", "scope": scope,
                                     "started": now, "last_seen": now}
    at.session_state["filters.current"] = Filters(dt.date(2026, 6, 1), dt.date(2026, 6, 30), (), "AN")
    at.run()
    assert not at.exception and sorted(at.dataframe[-1].value["Code"]) == communities


def test_reading_ledger_details_is_audited(app_env):
    at = run_page("pages/grid_map.py", "en", "leader")
    with make_engine(app_env).connect() as conn:
        cell = conn.execute(text("SELECT cell_code FROM ledger_items WHERE status IN ('reported', 'assigned') "
                                 "AND cell_code IS NOT NULL ORDER BY cell_code")).scalar()
    at.text_input(key="grid.search").set_value(cell).run()
    at.button(key=f"grid.found.{cell}").click().run()
    assert not at.exception
    assert ("leader", cell, "ok") in _audit(app_env, "ledger.read")


def test_admin_page_adds_an_account_and_audits_it(app_env):
    at = run_page("pages/admin.py", "en", "admin")
    at.text_input(key="admin.add.username").set_value("night.clerk")
    at.text_input(key="admin.add.password").set_value("Night-shift-2026")
    at.selectbox(key="admin.add.role").set_value("clerk")
    at.selectbox(key="admin.add.scope").set_value("")  # the whole jurisdiction, chosen
    add = next(b for b in at.button if b.label == "Create")
    add.click().run()
    assert not at.exception
    assert "Account night.clerk created." in [s.value for s in at.success]
    assert ("admin", "night.clerk", "ok") in _audit(app_env, "user.add")


@pytest.mark.parametrize("role,sees", [("leader", False), ("planner", True), ("clerk", False), ("admin", True)])
def test_only_planners_set_targets_and_plan_cameras(app_env, role, sees):
    at = run_page("pages/coverage.py", "en", role)
    labels = [b.label for b in at.button]
    assert ("Save target" in labels) is sees and ("Plan" in labels) is sees
