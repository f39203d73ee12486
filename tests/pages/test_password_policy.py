"""The accounts page refuses weak passwords with the policy's reason, in the reader's language."""

from __future__ import annotations

import uuid

import pytest

from geo.store.engine import make_engine
from tests.conftest import ROOT
from tests.pages.common import run_page, submit


@pytest.fixture
def app_env(monkeypatch, demo_url):
    monkeypatch.setenv("DATABASE_URL", demo_url)
    monkeypatch.chdir(ROOT)
    return demo_url


@pytest.mark.parametrize("lang,password,message", [
    ("en", "password1234", "This password is one of the most common passwords, or too close to one; choose another."),
    ("zh", "password1234", "该密码属于最常见的密码（或与之过于相近），请换一个。"),
    ("en", "short-1", "A password needs at least 12 characters."),
], ids=["common-en", "common-zh", "short-en"])
def test_the_accounts_page_names_why_a_new_password_is_refused(app_env, lang, password, message):
    name = f"duty.{uuid.uuid4().hex[:6]}"
    at = run_page("pages/admin.py", lang, "admin")
    at.text_input(key="admin.add.username").set_value(name)
    at.text_input(key="admin.add.password").set_value(password)
    at.selectbox(key="admin.add.scope").set_value("")
    submit(at, "Create" if lang == "en" else "创建")
    assert not at.exception
    assert [e.value for e in at.error] == [message]
    from geo.store import accounts

    with make_engine(app_env).connect() as conn:
        assert accounts.get(conn, name) is None


def test_a_reset_to_a_password_like_the_account_name_is_refused(app_env):
    from geo.ingest.demo import demo_password
    from geo.store import accounts

    name = f"duty.{uuid.uuid4().hex[:6]}"
    engine = make_engine(app_env)
    accounts.add(engine, "test", name, demo_password(name), "leader")
    at = run_page("pages/admin.py", "en", "admin")
    at.selectbox(key="admin.change.user").set_value(name).run()
    at.selectbox(key=f"admin.change.{name}.action").set_value("reset")
    at.text_input(key=f"admin.change.{name}.password").set_value(f"{name}2026")
    submit(at, f"Apply to {name}")
    assert not at.exception
    assert [e.value for e in at.error] == ["This password is too close to the account's name; choose another."]
    assert accounts.authenticate(engine, name, demo_password(name))[1] == "ok"  # the old password still holds
    engine.dispose()
