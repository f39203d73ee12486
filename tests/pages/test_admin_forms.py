"""The accounts forms: nothing destructive or privileged preselected, and the table follows each change."""

from __future__ import annotations

import uuid

import pytest

from geo.store import accounts
from geo.store.engine import make_engine
from tests.conftest import ROOT
from tests.pages.common import run_page, submit


@pytest.fixture
def app_env(monkeypatch, demo_url):
    monkeypatch.setenv("DATABASE_URL", demo_url)
    monkeypatch.chdir(ROOT)
    return demo_url


def test_the_change_form_preselects_no_action_and_no_role(app_env):
    at = run_page("pages/admin.py", "en", "admin")
    assert at.selectbox(key="admin.change.action").value is None
    assert at.selectbox(key="admin.change.role").value is None
    who = at.selectbox(key="admin.change.user").value
    submit(at, "Apply")  # nothing chosen: nothing happens
    assert not at.exception and [e.value for e in at.error] == ["Choose the action to take first."]
    with make_engine(app_env).connect() as conn:
        assert not accounts.get(conn, who).disabled


def test_a_role_change_needs_a_role_chosen(app_env):
    name = f"duty.{uuid.uuid4().hex[:6]}"
    engine = make_engine(app_env)
    accounts.add(engine, "test", name, "Duty-leader-long-2026", "leader")
    at = run_page("pages/admin.py", "en", "admin")
    at.selectbox(key="admin.change.user").set_value(name)
    at.selectbox(key="admin.change.action").set_value("permissions")
    submit(at, "Apply")
    assert [e.value for e in at.error] == ["Choose the new role."]
    with engine.connect() as conn:
        assert accounts.get(conn, name).role == "leader"
    engine.dispose()


def test_the_table_and_picker_show_a_new_account_at_once(app_env):
    name = f"duty.{uuid.uuid4().hex[:6]}"
    at = run_page("pages/admin.py", "en", "admin")
    at.text_input(key="admin.add.username").set_value(name)
    at.text_input(key="admin.add.password").set_value("Night-shift-duty-2026")
    at.selectbox(key="admin.add.role").set_value("clerk")
    submit(at, "Create")
    assert not at.exception and not at.error
    assert any(name in s.value for s in at.success)
    table = at.dataframe[0].value
    assert name in table.iloc[:, 0].tolist()
    assert "None" not in table.astype(str).to_numpy().ravel().tolist()  # empty shows as "—"
    assert name in at.selectbox(key="admin.change.user").options
