"""Display keys on both backends: only for wall accounts, kept hashed, audited, revocable and rotated."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text

from geo.store import accounts, displaykeys
from tests.conftest import BACKENDS


@pytest.fixture(params=BACKENDS)
def engine(request, make_db):
    return make_db(request.param)


def _wall(engine) -> str:
    name = f"wall.{uuid.uuid4().hex[:6]}"
    accounts.add(engine, "root", name, "A-long-secret-2026", "wall")
    return name


def test_a_key_opens_its_wall_account_until_revoked(engine):
    name = _wall(engine)
    key = displaykeys.issue(engine, "root", name)
    with engine.connect() as conn:
        assert displaykeys.account_for(conn, key).username == name
        stored = conn.execute(text("SELECT key_hash, hint FROM display_keys")).all()
        assert all(key not in (h, hint) and len(h) == 64 for h, hint in stored)  # hashed, a hint only
        assert displaykeys.account_for(conn, key + "x") is None and displaykeys.account_for(conn, "") is None
    assert displaykeys.revoke(engine, "root", name) == 1
    with engine.connect() as conn:
        assert displaykeys.account_for(conn, key) is None
        actions = conn.execute(text("SELECT action FROM audit_log WHERE object = :n ORDER BY id"),
                               {"n": name}).scalars().all()
    assert actions[-2:] == ["display_key.issue", "display_key.revoke"]


def test_rotation_retires_the_old_key(engine):
    name = _wall(engine)
    old = displaykeys.issue(engine, "root", name)
    new = displaykeys.rotate(engine, "root", name)
    with engine.connect() as conn:
        assert displaykeys.account_for(conn, old) is None and displaykeys.account_for(conn, new).username == name
        listed = displaykeys.list_keys(conn, name)
    assert [k["revoked_at"] is None for k in listed] == [False, True] and all("key" not in k for k in listed)


@pytest.mark.parametrize("change", ["disable", "role"])
def test_a_key_stops_with_its_account(engine, change):
    name = _wall(engine)
    key = displaykeys.issue(engine, "root", name)
    if change == "disable":
        accounts.disable(engine, "root", name)
    else:
        accounts.set_role(engine, "root", name, "leader", None)
    with engine.connect() as conn:
        assert displaykeys.account_for(conn, key) is None


def test_only_wall_accounts_get_keys(engine):
    accounts.add(engine, "root", "duty.leader", "A-long-secret-2026", "leader")
    with pytest.raises(displaykeys.KeyRefused, match="only for wall accounts"):
        displaykeys.issue(engine, "root", "duty.leader")
    with pytest.raises(displaykeys.KeyRefused, match="no enabled account"):
        displaykeys.issue(engine, "root", "nobody")


def test_the_command_line_prints_the_kiosk_address_last(engine, capsys):
    from geo.cli import main

    name = _wall(engine)
    url = engine.url.render_as_string(hide_password=False)
    assert main(["users", "display-key", name, "--db", url, "--base-url", "http://wall.local:8501"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith("http://wall.local:8501/?wall=1&key=")
    with engine.connect() as conn:
        assert displaykeys.account_for(conn, last.split("key=", 1)[1]).username == name
    assert main(["users", "display-key", name, "--revoke", "--db", url]) == 0
    with engine.connect() as conn:
        assert displaykeys.account_for(conn, last.split("key=", 1)[1]) is None
