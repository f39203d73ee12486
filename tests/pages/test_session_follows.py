"""Every rerun of a page follows the account: a password reset, a disabled account, a changed role or
scope take effect on the next rerun, without signing out."""

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
], ids=["reset", "disabled"])
def test_the_next_rerun_ends_the_session(app_env, account, change, notice):
    engine, name = account
    at = run_page("pages/grid_map.py", "zh", name)
    assert not at.exception and not _signed_out(at)
    change(engine, name)
    at.run()
    assert _signed_out(at)
    assert any(notice in i.value for i in at.info)


def test_a_changed_scope_applies_on_the_next_rerun(app_env, account):
    engine, name = account
    at = run_page("pages/grid_map.py", "zh", name)
    accounts.set_role(engine, "root", name, "leader", "AN01")
    at.run()
    assert not _signed_out(at) and at.session_state["auth.user"]["scope"] == "AN01"
