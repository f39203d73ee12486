"""Accounts, lock-out and the append-only audit log on both backends."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from geo.core.auth import CLIENT_LIMIT, FAILURE_WINDOW, LOCKOUT, MAX_CLIENT_FAILURES, MAX_FAILED_LOGONS, failure_key
from geo.store import accounts, audit, lockout

PASSWORD = "Correct-horse-42"
T0 = dt.datetime(2026, 11, 25, 8, 0, tzinfo=dt.timezone.utc)
DENIED = (None, "denied")


def _actions(engine) -> list[tuple[str, str, str]]:
    with engine.connect() as conn:
        rows = audit.entries(conn)
    return list(zip(rows["action"], rows["object"], rows["outcome"]))[::-1]  # oldest first


def _logon_details(engine) -> list[str | None]:
    """The audit log's reasons for the sign-ins, oldest first (what administrators see)."""
    with engine.connect() as conn:
        rows = audit.entries(conn, action="logon")
    return [d if isinstance(d, str) else None for d in rows["detail"].tolist()[::-1]]


def _counts(engine, kind: str, value: str) -> tuple[int, dt.datetime | None]:
    with engine.connect() as conn:
        key = failure_key(lockout.secret(conn), kind, value)
        row = conn.execute(text("SELECT failures, locked_until FROM logon_failures WHERE key = :k"), {"k": key}).first()
    return (0, None) if row is None else (row[0], row[1])


def test_add_and_authenticate_are_audited(db):
    accounts.add(db, "root", "ops.leader", PASSWORD, "leader")
    account, why = accounts.authenticate(db, "ops.leader", PASSWORD, now=T0)
    assert why == "ok" and account.role == "leader" and account.scope_code is None
    assert accounts.authenticate(db, "ops.leader", "wrong-password-1", now=T0) == DENIED
    assert accounts.authenticate(db, "nobody", PASSWORD, now=T0) == DENIED
    assert _actions(db) == [("user.add", "ops.leader", "ok"), ("logon", "ops.leader", "ok"),
                            ("logon", "ops.leader", "denied"), ("logon", "nobody", "denied")]
    assert _logon_details(db) == [None, "wrong password", "unknown account"]
    with db.connect() as conn:
        stored = conn.execute(text("SELECT password_hash FROM users")).scalar()
    assert stored.startswith("$argon2") and PASSWORD not in stored


def test_five_failures_lock_the_account_for_ten_minutes(db):
    accounts.add(db, "root", "ops.clerk", PASSWORD, "clerk")
    for i in range(MAX_FAILED_LOGONS):
        assert accounts.authenticate(db, "ops.clerk", f"wrong-{i}-password", now=T0) == DENIED
    # while locked, even the right password is refused
    assert accounts.authenticate(db, "ops.clerk", PASSWORD, now=T0 + dt.timedelta(minutes=9)) == DENIED
    assert accounts.authenticate(db, "ops.clerk", PASSWORD, now=T0 + LOCKOUT + dt.timedelta(seconds=1))[1] == "ok"
    assert _logon_details(db) == ["wrong password"] * 4 + ["wrong password; name now locked", "locked", None]
    assert _counts(db, "name", "ops.clerk") == (0, None)  # a sign-in forgets the name's failures


def test_unknown_names_are_locked_too_whatever_their_case(db):
    for i in range(MAX_FAILED_LOGONS):
        assert accounts.authenticate(db, "No.Body" if i % 2 else "no.body", f"guess-{i}-password", now=T0) == DENIED
    accounts.authenticate(db, "NO.BODY", "guess-x-password", now=T0)
    assert _logon_details(db)[-2:] == ["unknown account; name now locked", "unknown account"]
    assert _counts(db, "name", "nO.bOdY")[0] == MAX_FAILED_LOGONS + 1


def test_a_client_is_locked_across_names_and_other_clients_are_not(db):
    accounts.add(db, "root", "ops.leader", PASSWORD, "leader")
    for i in range(MAX_CLIENT_FAILURES):  # one guess per name: no name reaches its own limit
        assert accounts.authenticate(db, f"guess.{i}", PASSWORD, client="address:203.0.113.9", now=T0) == DENIED
    assert _logon_details(db)[-1] == "unknown account; client now locked"
    assert accounts.authenticate(db, "ops.leader", PASSWORD, client="address:203.0.113.9", now=T0) == DENIED
    assert _logon_details(db)[-1] == "locked"
    assert accounts.authenticate(db, "ops.leader", PASSWORD, client="address:198.51.100.7", now=T0)[1] == "ok"
    later = T0 + CLIENT_LIMIT.lockout + dt.timedelta(seconds=1)
    assert accounts.authenticate(db, "ops.leader", PASSWORD, client="address:203.0.113.9", now=later)[1] == "ok"


def test_failures_are_kept_under_keyed_hashes_and_forgotten_when_they_expire(db):
    accounts.authenticate(db, "ops.ghost", "wrong-password-1", client="address:203.0.113.9", now=T0)
    with db.connect() as conn:
        rows = conn.execute(text("SELECT * FROM logon_failures")).all()
    assert len(rows) == 2 and {r.kind for r in rows} == {"name", "client"}
    stored = " ".join(str(v) for r in rows for v in r)
    assert "ghost" not in stored and "203.0.113" not in stored
    assert all(len(r.key) == 64 for r in rows)
    accounts.authenticate(db, "ops.other", "wrong-password-1", now=T0 + FAILURE_WINDOW)  # the first two expire
    with db.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM logon_failures")).scalar() == 1


class _CountingHasher:
    """The argon2 hasher, counting the verifications it makes."""

    def __init__(self, inner):
        self.inner, self.verified = inner, 0

    def verify(self, pw_hash, password):
        self.verified += 1
        return self.inner.verify(pw_hash, password)

    def hash(self, password):
        return self.inner.hash(password)


@pytest.mark.parametrize("name,password,reason", [
    ("ops.nobody", PASSWORD, "unknown account"),
    ("ops.off", PASSWORD, "account disabled"),
    ("ops.locked", PASSWORD, "locked"),
    ("ops.on", "Wrong-password-42", "wrong password"),
], ids=["unknown", "disabled", "locked", "wrong"])
def test_every_refusal_costs_one_verification_and_gives_one_answer(db, monkeypatch, name, password, reason):
    for who in ("ops.off", "ops.locked", "ops.on"):
        accounts.add(db, "root", who, PASSWORD, "leader")
    accounts.disable(db, "root", "ops.off")
    for i in range(MAX_FAILED_LOGONS):
        accounts.authenticate(db, "ops.locked", f"wrong-{i}-password", now=T0)
    hasher = _CountingHasher(accounts._HASHER)
    monkeypatch.setattr(accounts, "_HASHER", hasher)
    assert accounts.authenticate(db, name, password, now=T0) == DENIED
    assert hasher.verified == 1
    assert _logon_details(db)[-1] == reason  # the true reason, for administrators only


def test_parallel_wrong_passwords_are_all_counted(db):
    """Twenty sign-ins at once, each on its own connection: the counts are exactly twenty."""
    accounts.add(db, "root", "ops.target", PASSWORD, "leader")
    n = 20
    start = threading.Barrier(n)
    errors = []

    def attempt(i: int) -> None:
        try:
            start.wait()
            accounts.authenticate(db, "ops.target", f"wrong-{i}-password", client="address:203.0.113.9", now=T0)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert _counts(db, "name", "ops.target")[0] == n
    assert _counts(db, "client", "address:203.0.113.9")[0] == n
    assert _counts(db, "name", "ops.target")[1] is not None
    details = _logon_details(db)
    assert len(details) == n and details.count("wrong password; name now locked") == 1
    assert sum(d.endswith("; client now locked") for d in details) == 1


def test_the_account_list_shows_a_lock_and_enabling_lifts_it(db):
    accounts.add(db, "root", "ops.clerk", PASSWORD, "clerk")
    for i in range(MAX_FAILED_LOGONS):
        accounts.authenticate(db, "ops.clerk", f"wrong-{i}-password", now=T0)
    with db.connect() as conn:
        row = accounts.list_accounts(conn, now=T0)[0]
    assert row["failed_logons"] == MAX_FAILED_LOGONS and row["locked_until"] == T0 + LOCKOUT
    accounts.enable(db, "root", "ops.clerk")
    with db.connect() as conn:
        row = accounts.list_accounts(conn, now=T0)[0]
    assert (row["failed_logons"], row["locked_until"]) == (0, None)
    assert accounts.authenticate(db, "ops.clerk", PASSWORD, now=T0)[1] == "ok"


def test_disable_reset_and_permission_changes(db):
    accounts.add(db, "root", "ops.planner", PASSWORD, "planner")
    accounts.disable(db, "root", "ops.planner")
    assert accounts.authenticate(db, "ops.planner", PASSWORD, now=T0) == DENIED
    accounts.enable(db, "root", "ops.planner")
    accounts.reset_password(db, "root", "ops.planner", "Another-secret-77")
    assert accounts.authenticate(db, "ops.planner", PASSWORD, now=T0) == DENIED
    assert accounts.authenticate(db, "ops.planner", "Another-secret-77", now=T0)[1] == "ok"
    accounts.set_role(db, "root", "ops.planner", "clerk", None)
    with db.connect() as conn:
        assert accounts.get(conn, "ops.planner").role == "clerk"
    assert [a for a, _, _ in _actions(db) if a.startswith("user.")] == \
        ["user.add", "user.disable", "user.enable", "user.reset", "user.permissions"]


@pytest.mark.parametrize("call,message", [
    (lambda e: accounts.add(e, "root", "x", PASSWORD, "leader"), "user name"),
    (lambda e: accounts.add(e, "root", "weak.one", "short", "leader"), "at least 12"),
    (lambda e: accounts.add(e, "root", "weak.two", "password1234", "leader"), "most common"),
    (lambda e: accounts.add(e, "root", "ops.leader", "ops.leader2026!", "leader"), "account's name"),
    (lambda e: accounts.add(e, "root", "role.odd", PASSWORD, "superuser"), "unknown role"),
    (lambda e: accounts.add(e, "root", "scoped", PASSWORD, "leader", "NO-SUCH-AREA"), "no area"),
    (lambda e: accounts.disable(e, "root", "ghost"), "no account"),
], ids=["short-name", "weak-password", "common-password", "name-as-password", "role", "scope", "unknown"])
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


def test_migration_0006_goes_down_and_up_again(db):
    from alembic import command
    from sqlalchemy import inspect

    from geo.store.schema import alembic_config

    def columns_and_key():
        with db.connect() as conn:
            users = {c["name"] for c in inspect(conn).get_columns("users")}
            table = inspect(conn).has_table("logon_failures")
            key = conn.execute(text("SELECT value FROM settings WHERE key = 'logon_key'")).scalar()
        return "failed_logons" in users, table, key

    first_key = columns_and_key()[2]
    assert len(first_key) == 64
    with db.begin() as conn:
        command.downgrade(alembic_config(conn), "0005")
    assert columns_and_key() == (True, False, None)
    with db.begin() as conn:
        command.upgrade(alembic_config(conn), "head")
    old, table, key = columns_and_key()
    assert not old and table and len(key) == 64 and key != first_key


@pytest.mark.postgis
def test_the_app_role_counts_failures_and_signs_in(make_db, postgis_url):
    """The Streamlit server's role (owns no table) may do all a sign-in writes: logon_failures is granted to it."""
    from geo.store.engine import make_engine
    from tests.conftest import app_role_url

    owner = make_db("postgis")
    accounts.add(owner, "root", "ops.leader", PASSWORD, "leader")
    app = make_engine(app_role_url(postgis_url))
    try:
        assert accounts.authenticate(app, "ops.leader", "Wrong-password-42", client="address:203.0.113.9",
                                     now=T0) == DENIED
        assert _counts(owner, "client", "address:203.0.113.9")[0] == 1
        assert accounts.authenticate(app, "ops.leader", PASSWORD, client="address:203.0.113.9", now=T0)[1] == "ok"
        with app.connect() as conn:
            assert accounts.list_accounts(conn, now=T0)[0]["failed_logons"] == 0
    finally:
        app.dispose()


@pytest.mark.parametrize("action", ["add", "reset"])
def test_the_command_line_names_why_a_password_is_refused(db, monkeypatch, capsys, action):
    import io

    from geo.cli import main

    if action == "reset":
        accounts.add(db, "root", "ops.leader", PASSWORD, "leader")
    monkeypatch.setattr("sys.stdin", io.StringIO("password1234\n"))
    url = db.url.render_as_string(hide_password=False)
    args = ["users", action, "ops.leader", "--db", url] + (["--role", "leader"] if action == "add" else [])
    assert main(args) == 2
    out, err = capsys.readouterr()
    assert err == "error: this password is one of the most common passwords, or too close to one\n" and not out
    assert accounts.authenticate(db, "ops.leader", PASSWORD, now=T0)[1] == ("ok" if action == "reset" else "denied")


def test_authenticate_remakes_a_hash_of_an_older_setting_at_sign_in(db):
    """Hashes of argon2-cffi's default setting (64 MiB, 3 passes, 4 lanes) still verify, and a right
    password re-makes them at OWASP's setting, so every account then costs the same to check."""
    from argon2 import PasswordHasher

    accounts.add(db, "root", "ops.old", PASSWORD, "leader")
    with db.begin() as conn:
        conn.execute(text("UPDATE users SET password_hash = :h WHERE username = 'ops.old'"),
                     {"h": PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4).hash(PASSWORD)})
    assert accounts.authenticate(db, "ops.old", "wrong-password-1", now=T0) == DENIED
    with db.connect() as conn:
        assert "m=65536,t=3,p=4" in conn.execute(text("SELECT password_hash FROM users")).scalar()  # no change
    account, why = accounts.authenticate(db, "ops.old", PASSWORD, now=T0)
    with db.connect() as conn:
        stored = conn.execute(text("SELECT password_hash FROM users")).scalar()
        now_held = accounts.get(conn, "ops.old").credential
    assert why == "ok" and f"m={accounts.ARGON2_MEMORY_KIB},t={accounts.ARGON2_PASSES},p=1" in stored
    assert account.credential == now_held  # the session signing in holds the new hash's credential
    assert accounts.authenticate(db, "ops.old", PASSWORD, now=T0)[1] == "ok"


def test_verifications_take_turns(monkeypatch):
    """A burst of sign-ins checks one password at a time (VERIFY_SLOTS), leaving a core to the pages."""
    inside, most = [0], [0]
    lock = threading.Lock()

    class Watching:
        def verify(self, pw_hash, password):
            with lock:
                inside[0] += 1
                most[0] = max(most[0], inside[0])
            try:
                return accounts.PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).verify(pw_hash, password)
            finally:
                with lock:
                    inside[0] -= 1

    quick = accounts.PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    monkeypatch.setattr(accounts, "_HASHER", Watching())
    threads = [threading.Thread(target=accounts._verify, args=(quick, PASSWORD)) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert most[0] == accounts.VERIFY_SLOTS == 1
