"""The accounts forms: nothing destructive or privileged preselected, the change form names and is bound
to the account it changes, times name their zone, and the table follows each change."""

from __future__ import annotations

import uuid

import pytest

from geo.core.clock import zone_label
from geo.store import accounts
from geo.store.engine import make_engine
from geo.store.schema import deployment_timezone
from tests.conftest import ROOT
from tests.pages.common import run_page, shown, submit


@pytest.fixture
def app_env(monkeypatch, demo_url):
    monkeypatch.setenv("DATABASE_URL", demo_url)
    monkeypatch.chdir(ROOT)
    return demo_url


def _leader(app_env) -> str:
    name = f"duty.{uuid.uuid4().hex[:6]}"
    engine = make_engine(app_env)
    accounts.add(engine, "test", name, "Duty-leader-long-2026", "leader")
    engine.dispose()
    return name


def test_the_change_form_preselects_no_account_no_action_and_no_role(app_env):
    at = run_page("pages/admin.py", "en", "admin")
    assert at.selectbox(key="admin.change.user").value is None  # nothing to change before an account is picked
    assert not any(b.label.startswith("Apply") for b in at.button)
    who = at.selectbox(key="admin.change.user").options[0]
    at.selectbox(key="admin.change.user").set_value(who).run()
    assert at.selectbox(key=f"admin.change.{who}.action").value is None
    assert at.selectbox(key=f"admin.change.{who}.role").value is None
    submit(at, f"Apply to {who}")  # nothing chosen: nothing happens
    assert not at.exception and [e.value for e in at.error] == ["Choose the action to take first."]
    with make_engine(app_env).connect() as conn:
        assert not accounts.get(conn, who).disabled


def test_the_change_form_names_its_account_and_acts_on_it_alone(app_env):
    name, other = _leader(app_env), _leader(app_env)
    at = run_page("pages/admin.py", "en", "admin")
    at.selectbox(key="admin.change.user").set_value(name).run()
    assert any(f"Changes go to account **{name}** (now: Leader" in shown(m.value) for m in at.markdown)
    assert any(shown(b.label) == f"Apply to {name}" for b in at.button)
    assert at.selectbox(key=f"admin.change.{name}.scope").value == ""  # the account's own scope, not another
    at.selectbox(key=f"admin.change.{name}.action").set_value("disable")
    submit(at, f"Apply to {name}")
    assert not at.exception and not at.error
    assert any(f"Account {name} changed." in s.value for s in at.success)
    with make_engine(app_env).connect() as conn:
        assert accounts.get(conn, name).disabled and not accounts.get(conn, other).disabled
    table = at.dataframe[0].value
    assert bool(table.set_index("Account").loc[name, "Disabled"])  # the table shows it at once


def test_a_role_change_needs_a_role_chosen(app_env):
    name = _leader(app_env)
    at = run_page("pages/admin.py", "en", "admin")
    at.selectbox(key="admin.change.user").set_value(name).run()
    at.selectbox(key=f"admin.change.{name}.action").set_value("permissions")
    submit(at, f"Apply to {name}")
    assert [e.value for e in at.error] == ["Choose the new role."]
    with make_engine(app_env).connect() as conn:
        assert accounts.get(conn, name).role == "leader"


def test_the_create_form_starts_least_privileged_and_the_scope_is_chosen(app_env):
    name = f"duty.{uuid.uuid4().hex[:6]}"
    at = run_page("pages/admin.py", "en", "admin")
    assert at.selectbox(key="admin.add.role").value == "wall"  # the role that may do least, never admin
    assert at.selectbox(key="admin.add.scope").value is None  # not even the whole jurisdiction by default
    at.text_input(key="admin.add.username").set_value(name)
    at.text_input(key="admin.add.password").set_value("Night-shift-duty-2026")
    submit(at, "Create")
    assert [e.value for e in at.error] == ["Choose the area scope (the whole jurisdiction too is chosen, never "
                                           "assumed)."]
    with make_engine(app_env).connect() as conn:
        assert accounts.get(conn, name) is None


def test_the_table_and_picker_show_a_new_account_at_once(app_env):
    name = f"duty.{uuid.uuid4().hex[:6]}"
    at = run_page("pages/admin.py", "en", "admin")
    at.text_input(key="admin.add.username").set_value(name)
    at.text_input(key="admin.add.password").set_value("Night-shift-duty-2026")
    at.selectbox(key="admin.add.role").set_value("clerk")
    at.selectbox(key="admin.add.scope").set_value("")
    submit(at, "Create")
    assert not at.exception and not at.error
    assert any(name in s.value for s in at.success)
    table = at.dataframe[0].value
    assert name in table.iloc[:, 0].tolist()
    assert "None" not in table.astype(str).to_numpy().ravel().tolist()  # empty shows as "—"
    assert name in at.selectbox(key="admin.change.user").options


def test_account_and_audit_times_name_their_zone(app_env):
    with make_engine(app_env).connect() as conn:
        zone = zone_label(deployment_timezone(conn))
    at = run_page("pages/admin.py", "en", "admin")
    accounts_table, audit_table = at.dataframe[0].value, at.dataframe[-1].value
    assert {f"Created ({zone})", f"Locked until ({zone})"} <= set(accounts_table.columns)
    assert f"Time ({zone})" in audit_table.columns and len(audit_table) > 0
