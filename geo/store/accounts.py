"""Local accounts: argon2 password hashes, lock-out after repeated failures, every change audited.

Accounts are log-ons with a role and an area scope, not people: no names, no contact
details. Each change and its audit record are written in one transaction. Failed sign-ins are
counted in :mod:`geo.store.lockout`, by the name tried and by the client.
"""

from __future__ import annotations

import hashlib
import threading

import datetime as dt
from dataclasses import dataclass, field

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.engine import Connection, Engine

from geo.core import clock
from geo.core.auth import (CLIENT_LIMIT, NAME_LIMIT, ROLES, PasswordRefused, check_password_strength, check_username,
                           failure_key)
from geo.store import audit, lockout
from geo.store.models import User

# argon2id at OWASP's first recommended setting (Password Storage Cheat Sheet: 19 MiB, 2 passes, 1 lane),
# not argon2-cffi's default (64 MiB, 3 passes, 4 lanes: ~0.35 s of both cores here, so a burst of sign-ins
# starved every page). Hashes made with other settings still verify, and are re-made at the next sign-in.
ARGON2_MEMORY_KIB = 19 * 1024
ARGON2_PASSES = 2
ARGON2_LANES = 1
# Verifications at once; the others wait their turn, so a burst of sign-ins (a command centre's screens
# after a restart) leaves the other core to the pages instead of sharing both among hashes.
VERIFY_SLOTS = 1
_VERIFYING = threading.BoundedSemaphore(VERIFY_SLOTS)
_WRITING = threading.Lock()  # the writes of one sign-in at a time in this process (see _settle)
_HASHER = PasswordHasher(time_cost=ARGON2_PASSES, memory_cost=ARGON2_MEMORY_KIB, parallelism=ARGON2_LANES)
_DUMMY_HASH = _HASHER.hash("timing-equaliser-0")  # unknown users cost the same time as known ones
DENIED = "denied"  # the one answer to every refused sign-in


class AccountError(ValueError):
    """A refused account operation, with a message fit for the person who asked.

    ``reason`` names a refused password's rule (``geo.core.auth.PASSWORD_REASONS``) so that a page can
    say it in the reader's language, with ``values`` to fill it; None for other refusals.
    """

    def __init__(self, message: str, reason: str | None = None, **values):
        super().__init__(message)
        self.reason = reason
        self.values = values


def _check_password(password: str, username: str) -> None:
    try:
        check_password_strength(password, username)
    except PasswordRefused as exc:
        raise AccountError(str(exc), exc.reason, **exc.values) from exc


@dataclass(frozen=True)
class Account:
    username: str
    role: str
    scope_code: str | None
    disabled: bool
    # changes whenever the password does: a session started before a reset is ended by it
    credential: str = field(default="", compare=False, repr=False)


def _credential(pw_hash: str | None) -> str:
    return hashlib.sha256((pw_hash or "").encode("utf-8")).hexdigest()[:16]


def _now() -> dt.datetime:
    return clock.now_utc()


def get(conn: Connection, username: str) -> Account | None:
    row = conn.execute(select(User.username, User.role, User.scope_code, User.disabled, User.password_hash)
                       .where(User.username == username)).first()
    return None if row is None else Account(row[0], row[1], row[2], bool(row[3]), _credential(row[4]))


def for_identity(conn: Connection, issuer: str | None, subject: str | None) -> Account | None:
    """The account linked to the single sign-on identity (issuer, subject), else None."""
    if not issuer or not subject:
        return None
    name = conn.execute(select(User.username).where(User.sso_issuer == issuer, User.sso_subject == subject)).scalar()
    return get(conn, name) if name else None


def link_identity(engine: Engine, actor: str, username: str, issuer: str, subject: str) -> None:
    """Link an account to a single sign-on identity (issuer and subject; audited). One identity, one account."""
    if not issuer.strip() or not subject.strip():
        raise AccountError("a single sign-on identity is an issuer and a subject")
    with engine.begin() as conn:
        if get(conn, username) is None:
            raise AccountError(f"no account {username!r}")
        other = conn.execute(select(User.username).where(User.sso_issuer == issuer, User.sso_subject == subject,
                                                         User.username != username)).scalar()
        if other:
            raise AccountError(f"that identity is linked to {other} already")
        conn.execute(update(User).where(User.username == username).values(sso_issuer=issuer, sso_subject=subject))
        audit.record(conn, actor, "user.sso", username, detail=f"issuer={issuer}")


def list_accounts(conn: Connection, now: dt.datetime | None = None) -> list[dict]:
    """Every account with its failed sign-ins now (``failed_logons``) and ``locked_until`` (None unless locked)."""
    now = now or _now()
    rows = [dict(r._mapping) for r in conn.execute(select(
        User.username, User.role, User.scope_code, User.disabled, User.created_at).order_by(User.username))]
    counts = lockout.state(conn, [r["username"] for r in rows], now)
    for row in rows:
        row["failed_logons"], row["locked_until"] = counts[row["username"]]
    return rows


def _check_scope(conn: Connection, scope: str | None) -> str | None:
    if not scope:
        return None
    from geo.store.scope import Scope, ScopeError

    try:
        return Scope.of(conn, scope).check_account_level().code
    except ScopeError as exc:
        raise AccountError(str(exc)) from exc


def add(engine: Engine, actor: str, username: str, password: str, role: str, scope: str | None = None) -> Account:
    """Create an account; the actor's action is audited in the same transaction."""
    try:
        username = check_username(username)
    except ValueError as exc:
        raise AccountError(str(exc)) from exc
    _check_password(password, username)
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}: {', '.join(ROLES)}")
    with engine.begin() as conn:
        if get(conn, username):
            raise AccountError(f"the account {username!r} exists already")
        scope = _check_scope(conn, scope)
        conn.execute(User.__table__.insert().values(
            username=username, password_hash=_HASHER.hash(password), role=role, scope_code=scope, disabled=False,
            created_at=_now()))
        audit.record(conn, actor, "user.add", username, detail=f"role={role} scope={scope or 'all'}")
    return Account(username, role, scope, False)


def _change(engine: Engine, actor: str, username: str, action: str, values: dict, detail: str | None = None,
            unlock: bool = False) -> None:
    with engine.begin() as conn:
        if get(conn, username) is None:
            raise AccountError(f"no account {username!r}")
        conn.execute(update(User).where(User.username == username).values(**values))
        if unlock:  # the failures counted against the account's name
            lockout.clear(conn, failure_key(lockout.secret(conn), "name", username))
        audit.record(conn, actor, action, username, detail=detail)


def disable(engine: Engine, actor: str, username: str) -> None:
    if actor == username:
        raise AccountError("an administrator cannot disable their own account")
    _change(engine, actor, username, "user.disable", {"disabled": True})


def enable(engine: Engine, actor: str, username: str) -> None:
    """Enable an account and lift a lock on its name."""
    _change(engine, actor, username, "user.enable", {"disabled": False}, unlock=True)


def reset_password(engine: Engine, actor: str, username: str, password: str) -> None:
    """Set a new password (it must pass the policy) and lift a lock on the name; live sessions end."""
    _check_password(password, username)
    _change(engine, actor, username, "user.reset", {"password_hash": _HASHER.hash(password)}, unlock=True)


def set_role(engine: Engine, actor: str, username: str, role: str, scope: str | None) -> None:
    """Change an account's role and area scope (a permission change, audited)."""
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}: {', '.join(ROLES)}")
    if actor == username:
        raise AccountError("an administrator cannot change their own role or scope")
    with engine.connect() as conn:
        scope = _check_scope(conn, scope)
    _change(engine, actor, username, "user.permissions", {"role": role, "scope_code": scope},
            detail=f"role={role} scope={scope or 'all'}")


def authenticate(engine: Engine, username: str, password: str, client: str | None = None,
                 now: dt.datetime | None = None) -> tuple[Account | None, str]:
    """(account, "ok") on success, else (None, "denied"): one answer for every refusal.

    An unknown name, a disabled account, a locked name or client and a wrong password each cost
    exactly one argon2 verification (of a stand-in hash when there is no account) and answer the
    same, so neither the time taken nor the answer tells whether an account exists or why it was
    refused; the true reason goes to the audit log, for administrators. Every refusal counts one
    failure against the name tried (known or not) and one against ``client`` (a browser's address,
    or any text that stands for the client; None: the name alone): see ``geo.core.auth.NAME_LIMIT``
    and ``CLIENT_LIMIT``. A right password does not lift a lock while it lasts.
    """
    now = now or _now()
    with engine.connect() as conn:
        row = conn.execute(select(User.password_hash, User.disabled).where(User.username == username)).first()
        key = lockout.secret(conn)
        keys = {NAME_LIMIT: failure_key(key, "name", username)}
        if client:
            keys[CLIENT_LIMIT] = failure_key(key, "client", client)
        was_locked = lockout.locked(conn, keys.values(), now)
        expired = lockout.any_expired(conn, now)
    verified = _verify(_DUMMY_HASH if row is None else row[0], password)  # on every path, exactly once
    with _WRITING:
        return _settle(engine, username, password, row, keys, was_locked, verified, expired, now)


def _settle(engine: Engine, username: str, password: str, row, keys: dict, was_locked: bool, verified: bool,
            expired: bool, now: dt.datetime) -> tuple[Account | None, str]:
    """The writes of a sign-in (see :func:`authenticate`), one sign-in of this process at a time: a burst
    of sign-ins then queues here instead of on the database's write lock, where SQLite's busy timeout
    ran out for some of 50 at once (a thread holding the lock gets little CPU while others compute)."""
    if expired:
        with engine.begin() as conn:  # on its own: its row locks must not be held while others are taken
            lockout.forget_expired(conn, now)
    with engine.begin() as conn:
        # again, after the slow verification: a lock set meanwhile by parallel attempts counts too
        locked = lockout.locked(conn, keys.values(), now, wait=True) or was_locked
        if row is None:
            why = "unknown account"
        elif row[1]:
            why = "account disabled"
        elif locked:
            why = "locked"
        elif not verified:
            why = "wrong password"
        else:
            lockout.clear(conn, keys[NAME_LIMIT])  # the client's count stays: it may be trying other names
            if _needs_rehash(row[0]):  # an older setting: every account then costs one same-sized hash
                # only where the old hash is still there: of parallel sign-ins one re-makes it (the sessions
                # of this account opened before are then asked to sign in once more, as after a reset)
                conn.execute(update(User).where(User.username == username, User.password_hash == row[0])
                             .values(password_hash=_HASHER.hash(password)))
            audit.record(conn, username, "logon", username, "ok", at=now)
            return get(conn, username), "ok"
        for limit, k in sorted(keys.items(), key=lambda item: item[1]):  # key order, as in locked()
            failures, until = lockout.count_failure(conn, k, limit, now)
            if until is not None and failures == limit.failures:
                why += f"; {limit.kind} now locked"
        audit.record(conn, username, "logon", username, "denied", why, at=now)
    return None, DENIED


def _verify(pw_hash: str, password: str) -> bool:
    with _VERIFYING:
        try:
            return _HASHER.verify(pw_hash, password)
        except (VerificationError, InvalidHashError):
            return False


def _needs_rehash(pw_hash: str) -> bool:
    try:
        return _HASHER.check_needs_rehash(pw_hash)
    except InvalidHashError:
        return False
