"""Accounts, lock-out and the append-only audit log on both backends."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from geo.store import accounts, audit

PASSWORD = "Correct-horse-42"
T0 = dt.datetime(2026, 11, 25, 8, 0, tzinfo=dt.timezone.utc)


def _actions(engine) -> list[tuple[str, str, str]]:
    with engine.connect() as conn:
        rows = audit.entries(conn)
    return list(zip(rows["action"], rows["object"], rows["outcome"]))[::-1]  # oldest first


def test_add_and_authenticate_are_audited(db):
    accounts.add(db, "root", "ops.leader", PASSWORD, "leader")
    account, why = accounts.authenticate(db, "ops.leader", PASSWORD, now=T0)
    assert why == "ok" and account.role == "leader" and account.scope_code is None
    assert accounts.authenticate(db, "ops.leader", "wrong-password-1", now=T0) == (None, "wrong")
    assert accounts.authenticate(db, "nobody", PASSWORD, now=T0) == (None, "unknown")
    assert _actions(db) == [("user.add", "ops.leader", "ok"), ("logon", "ops.leader", "ok"),
                            ("logon", "ops.leader", "denied"), ("logon", "nobody", "denied")]
    with db.connect() as conn:
        stored = conn.execute(text("SELECT password_hash FROM users")).scalar()
    assert stored.startswith("$argon2") and PASSWORD not in stored


def test_five_failures_lock_the_account_for_ten_minutes(db):
    accounts.add(db, "root", "ops.clerk", PASSWORD, "clerk")
    for i in range(4):
        assert accounts.authenticate(db, "ops.clerk", f"wrong-{i}-password", now=T0)[1] == "wrong"
    assert accounts.authenticate(db, "ops.clerk", "wrong-5-password", now=T0)[1] == "locked"
    # while locked, even the right password is refused
    assert accounts.authenticate(db, "ops.clerk", PASSWORD, now=T0 + dt.timedelta(minutes=9))[1] == "locked"
    assert accounts.authenticate(db, "ops.clerk", PASSWORD, now=T0 + dt.timedelta(minutes=10, seconds=1))[1] == "ok"
    outcomes = [o for a, _, o in _actions(db) if a == "logon"]
    assert outcomes == ["denied"] * 6 + ["ok"]


def test_disable_reset_and_permission_changes(db):
    accounts.add(db, "root", "ops.planner", PASSWORD, "planner")
    accounts.disable(db, "root", "ops.planner")
    assert accounts.authenticate(db, "ops.planner", PASSWORD, now=T0)[1] == "disabled"
    accounts.enable(db, "root", "ops.planner")
    accounts.reset_password(db, "root", "ops.planner", "Another-secret-77")
    assert accounts.authenticate(db, "ops.planner", PASSWORD, now=T0)[1] == "wrong"
    assert accounts.authenticate(db, "ops.planner", "Another-secret-77", now=T0)[1] == "ok"
    accounts.set_role(db, "root", "ops.planner", "clerk", None)
    with db.connect() as conn:
        assert accounts.get(conn, "ops.planner").role == "clerk"
    assert [a for a, _, _ in _actions(db) if a.startswith("user.")] == \
        ["user.add", "user.disable", "user.enable", "user.reset", "user.permissions"]


@pytest.mark.parametrize("call,message", [
    (lambda e: accounts.add(e, "root", "x", PASSWORD, "leader"), "user name"),
    (lambda e: accounts.add(e, "root", "weak.one", "short", "leader"), "at least 12"),
    (lambda e: accounts.add(e, "root", "role.odd", PASSWORD, "superuser"), "unknown role"),
    (lambda e: accounts.add(e, "root", "scoped", PASSWORD, "leader", "NO-SUCH-AREA"), "no area"),
    (lambda e: accounts.disable(e, "root", "ghost"), "no account"),
], ids=["short-name", "weak-password", "role", "scope", "unknown"])
def test_refused_account_changes_write_nothing(db, call, message):
    with pytest.raises(accounts.AccountError, match=message):
        call(db)
    with db.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM users")).scalar() == 0
        assert audit.count(conn) == 0


def test_audit_log_refuses_update_and_delete(db):
    with db.begin() as conn:
        audit.record(conn, "root", "test", "x")
    for sql in ("UPDATE audit_log SET outcome = 'failed'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"):
            with db.begin() as conn:
                conn.execute(text(sql))
    with db.connect() as conn:
        assert audit.count(conn) == 1


def test_an_edit_whose_audit_record_fails_is_refused(db):
    """Make the database refuse audit inserts (a real failure, not a mock): the edit goes too."""
    with db.begin() as conn:
        if db.dialect.name == "sqlite":
            conn.execute(text("CREATE TRIGGER audit_full BEFORE INSERT ON audit_log "
                              "BEGIN SELECT RAISE(ABORT, 'audit storage full'); END"))
        else:
            conn.execute(text("CREATE OR REPLACE FUNCTION audit_full() RETURNS trigger LANGUAGE plpgsql AS "
                              "$$ BEGIN RAISE EXCEPTION 'audit storage full'; END $$"))
            conn.execute(text("CREATE TRIGGER audit_full BEFORE INSERT ON audit_log "
                              "FOR EACH ROW EXECUTE FUNCTION audit_full()"))
    with pytest.raises(DBAPIError, match="audit storage full"):
        accounts.add(db, "root", "never.made", PASSWORD, "leader")
    with db.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM users")).scalar() == 0


def test_an_administrator_cannot_lock_themselves_out(db):
    accounts.add(db, "root", "chief.admin", PASSWORD, "admin")
    with pytest.raises(accounts.AccountError, match="own account"):
        accounts.disable(db, "chief.admin", "chief.admin")
    with pytest.raises(accounts.AccountError, match="own role"):
        accounts.set_role(db, "chief.admin", "chief.admin", "leader", None)
    with db.connect() as conn:
        assert accounts.get(conn, "chief.admin") == accounts.Account("chief.admin", "admin", None, False)
