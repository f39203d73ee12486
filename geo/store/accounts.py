"""Local accounts: argon2 password hashes, lock-out after repeated failures, every change audited.

Accounts are log-ons with a role and an area scope, not people: no names, no contact
details. Each change and its audit record are written in one transaction.
"""

from __future__ import annotations

import hashlib

import datetime as dt
from dataclasses import dataclass, field

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.engine import Connection, Engine

from geo.core import clock
from geo.core.auth import ROLES, after_failure, check_password_strength, check_username, is_locked
from geo.store import audit
from geo.store.models import User

_HASHER = PasswordHasher()
_DUMMY_HASH = _HASHER.hash("timing-equaliser-0")  # unknown users cost the same time as known ones


class AccountError(ValueError):
    """A refused account operation, with a message fit for the person who asked."""


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


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


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


def list_accounts(conn: Connection) -> list[dict]:
    rows = conn.execute(select(User.username, User.role, User.scope_code, User.disabled, User.failed_logons,
                               User.locked_until, User.created_at).order_by(User.username)).all()
    return [dict(r._mapping) for r in rows]


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
        check_password_strength(password)
    except ValueError as exc:
        raise AccountError(str(exc)) from exc
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}: {', '.join(ROLES)}")
    with engine.begin() as conn:
        if get(conn, username):
            raise AccountError(f"the account {username!r} exists already")
        scope = _check_scope(conn, scope)
        conn.execute(User.__table__.insert().values(
            username=username, password_hash=_HASHER.hash(password), role=role, scope_code=scope, disabled=False,
            failed_logons=0, locked_until=None, created_at=_now()))
        audit.record(conn, actor, "user.add", username, detail=f"role={role} scope={scope or 'all'}")
    return Account(username, role, scope, False)


def _change(engine: Engine, actor: str, username: str, action: str, values: dict, detail: str | None = None) -> None:
    with engine.begin() as conn:
        if get(conn, username) is None:
            raise AccountError(f"no account {username!r}")
        conn.execute(update(User).where(User.username == username).values(**values))
        audit.record(conn, actor, action, username, detail=detail)


def disable(engine: Engine, actor: str, username: str) -> None:
    if actor == username:
        raise AccountError("an administrator cannot disable their own account")
    _change(engine, actor, username, "user.disable", {"disabled": True})


def enable(engine: Engine, actor: str, username: str) -> None:
    _change(engine, actor, username, "user.enable", {"disabled": False, "failed_logons": 0, "locked_until": None})


def reset_password(engine: Engine, actor: str, username: str, password: str) -> None:
    try:
        check_password_strength(password)
    except ValueError as exc:
        raise AccountError(str(exc)) from exc
    _change(engine, actor, username, "user.reset",
            {"password_hash": _HASHER.hash(password), "failed_logons": 0, "locked_until": None})


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


def authenticate(engine: Engine, username: str, password: str, now: dt.datetime | None = None
                 ) -> tuple[Account | None, str]:
    """(account, "ok") on success, else (None, reason): ``unknown``, ``disabled``, ``locked``, ``wrong``.

    Every attempt is audited. Five failures in a row lock the account for ten minutes; the
    lock is not lifted by a right password while it lasts.
    """
    now = now or _now()
    with engine.begin() as conn:
        row = conn.execute(select(User.password_hash, User.disabled, User.failed_logons, User.locked_until)
                           .where(User.username == username)).first()
        if row is None:
            _verify(_DUMMY_HASH, password)
            audit.record(conn, username, "logon", username, "denied", "unknown account", at=now)
            return None, "unknown"
        pw_hash, disabled, failed, locked_until = row[0], bool(row[1]), int(row[2] or 0), _aware(row[3])
        if disabled:
            audit.record(conn, username, "logon", username, "denied", "account disabled", at=now)
            return None, "disabled"
        if is_locked(locked_until, now):
            audit.record(conn, username, "logon", username, "denied", "account locked", at=now)
            return None, "locked"
        if not _verify(pw_hash, password):
            failed, locked = after_failure(failed, now)
            conn.execute(update(User).where(User.username == username)
                         .values(failed_logons=failed, locked_until=locked))
            audit.record(conn, username, "logon", username, "denied",
                         "wrong password" + ("; account locked" if locked else ""), at=now)
            return None, "locked" if locked else "wrong"
        conn.execute(update(User).where(User.username == username).values(failed_logons=0, locked_until=None))
        audit.record(conn, username, "logon", username, "ok", at=now)
        return get(conn, username), "ok"


def _verify(pw_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(pw_hash, password)
    except (VerificationError, InvalidHashError):
        return False
