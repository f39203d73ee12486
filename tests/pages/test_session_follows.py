"""Every rerun of a page follows the account: a password reset, a disabled account, a changed role or
a changed scope end the session on the next rerun."""

from __future__ import annotations

import uuid

import pytest

from geo.ingest.demo import demo_password
from geo.store import accounts
from geo.store.engine import make_engine
from tests.conftest import ROOT
from tests.pages.common import run_page


@pytest.fixture
def app_env(monkeypatch, demo_url):
    monkeypatch.setenv("DATABASE_URL", demo_url)
    monkeypatch.chdir(ROOT)


@pytest.fixture
def account(demo_url):
    name = f"duty.{uuid.uuid4().hex[:6]}"
    engine = make_engine(demo_url)
    accounts.add(engine, "test", name, demo_password(name), "leader")
    yield engine, name
    engine.dispose()


def _signed_out(at) -> bool:
    return any(getattr(w, "key", None) == "auth.username" for w in at.text_input)


@pytest.mark.parametrize("change,notice", [
    (lambda e, n: accounts.reset_password(e, "test", n, "A-new-long-secret-2026"), "密码已重置"),
    (lambda e, n: accounts.disable(e, "test", n), "已停用"),
    (lambda e, n: accounts.set_role(e, "test", n, "clerk", None), "角色或数据范围已修改"),
    (lambda e, n: accounts.set_role(e, "test", n, "leader", "AN01"), "角色或数据范围已修改"),
], ids=["reset", "disabled", "role", "scope"])
def test_the_next_rerun_ends_the_session(app_env, account, change, notice):
    engine, name = account
    at = run_page("pages/grid_map.py", "zh", name)
    assert not at.exception and not _signed_out(at)
    change(engine, name)
    at.run()
    assert _signed_out(at) and "auth.user" not in at.session_state
    assert any(notice in i.value for i in at.info)


def test_an_unchanged_account_stays_signed_in(app_env, account):
    engine, name = account
    at = run_page("pages/grid_map.py", "zh", name)
    accounts.set_role(engine, "test", name, "leader", None)  # the same role and scope again
    at.run()
    assert not _signed_out(at) and at.session_state["auth.user"]["role"] == "leader"


def _sso_run(user: dict):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["app.lang"] = "zh"
    at.secrets["auth"] = {"redirect_uri": "http://127.0.0.1:8501/oauth2callback", "cookie_secret": "x" * 32,
                          "client_id": "safegrid", "client_secret": "s",
                          "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration"}
    at.user = user
    return at.run()


def test_single_sign_on_matches_issuer_and_subject_not_the_user_name(app_env, account):
    engine, name = account
    claims = {"is_logged_in": True, "iss": "https://idp.example", "sub": f"sub-{name}", "preferred_username": name}
    at = _sso_run(claims)
    assert _signed_out(at) and at.error  # a matching user name alone signs nobody in
    accounts.link_identity(engine, "root", name, "https://idp.example", f"sub-{name}")
    at = _sso_run(claims)
    assert not _signed_out(at) and at.session_state["auth.user"]["username"] == name
    at = _sso_run({**claims, "iss": "https://other.example"})  # same subject, another provider
    assert _signed_out(at)
    with pytest.raises(accounts.AccountError, match="linked to"):
        accounts.link_identity(engine, "root", "leader", "https://idp.example", f"sub-{name}")


def test_the_accounts_page_issues_a_kiosk_address_and_lists_it(app_env, demo_url):
    from geo.store import displaykeys

    at = run_page("pages/admin.py", "en", "admin")
    at.selectbox(key="admin.keys.user").set_value("wall")
    at.button(key="admin.keys.issue").click().run()
    assert not at.exception
    address = at.code[-1].value
    assert address.startswith("http://127.0.0.1:8501/?wall=1&key=")
    engine = make_engine(demo_url)
    with engine.connect() as conn:
        assert displaykeys.account_for(conn, address.split("key=", 1)[1]).username == "wall"
    engine.dispose()
    listed = next(d.value for d in at.dataframe if "Key starts" in d.value.columns)
    assert address.split("key=", 1)[1][:6] + "…" in listed["Key starts"].tolist()  # listed at once, by its hint
