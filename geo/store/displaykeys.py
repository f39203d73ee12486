"""Display keys: a wall account's kiosk opens the wall with a key in its URL, no sign-in.

A key is 32 random bytes (URL-safe text); only its SHA-256 is stored, with the first characters
as a hint to tell keys apart. Keys are issued only to enabled accounts of the ``wall`` role, open
the wall and nothing else (the router sees to it), and are checked again on every refresh: a
revoked key, a disabled account or an account no longer of the wall role stops working at once.
Issuing, revoking and rotating are audited in the same transaction.
"""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select, update
from sqlalchemy.engine import Connection, Engine

from geo.core import clock
from geo.store import accounts, audit
from geo.store.models import DisplayKey

KEYS = DisplayKey.__table__
KEY_BYTES = 32


class KeyRefused(ValueError):
    """A key that cannot be issued, with the reason."""


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def issue(engine: Engine, actor: str, username: str) -> str:
    """A new key for the wall account ``username`` (earlier keys stay valid; see :func:`rotate`)."""
    with engine.begin() as conn:
        account = accounts.get(conn, username)
        if account is None or account.disabled:
            raise KeyRefused(f"no enabled account {username!r}")
        if account.role != "wall":
            raise KeyRefused(f"{username} is a {account.role} account: display keys open the wall, only for wall "
                             "accounts")
        key = secrets.token_urlsafe(KEY_BYTES)
        conn.execute(KEYS.insert().values(username=username, key_hash=_hash(key), hint=key[:6],
                                          created_at=clock.now_utc(), created_by=actor))
        audit.record(conn, actor, "display_key.issue", username, detail=f"key {key[:6]}…")
    return key


def revoke(engine: Engine, actor: str, username: str) -> int:
    """Revoke every live key of ``username``; returns how many."""
    with engine.begin() as conn:
        done = conn.execute(update(KEYS).where(KEYS.c.username == username, KEYS.c.revoked_at.is_(None))
                            .values(revoked_at=clock.now_utc())).rowcount
        audit.record(conn, actor, "display_key.revoke", username, detail=f"{done} keys")
    return int(done)


def rotate(engine: Engine, actor: str, username: str) -> str:
    """Revoke the account's keys and issue a new one."""
    revoke(engine, actor, username)
    return issue(engine, actor, username)


def list_keys(conn: Connection, username: str | None = None) -> list[dict]:
    """Keys (never the keys themselves): username, hint, created_at, created_by, revoked_at."""
    c = KEYS.c
    stmt = select(c.username, c.hint, c.created_at, c.created_by, c.revoked_at).order_by(c.id)
    if username:
        stmt = stmt.where(c.username == username)
    return [dict(r._mapping) for r in conn.execute(stmt)]


def account_for(conn: Connection, key: str | None) -> accounts.Account | None:
    """The enabled wall account a live key opens, else None."""
    if not key or len(key) > 200:
        return None
    c = KEYS.c
    username = conn.execute(select(c.username).where(c.key_hash == _hash(key), c.revoked_at.is_(None))).scalar()
    account = accounts.get(conn, username) if username else None
    if account is None or account.disabled or account.role != "wall":
        return None
    return account
