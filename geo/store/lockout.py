"""Lock-out: failed sign-ins counted by the name tried and by the client, atomically, under keyed hashes.

Each count is one row of ``logon_failures`` keyed by :func:`geo.core.auth.failure_key` (HMAC-SHA256
with the database's own secret, ``settings.logon_key``): neither a name nor an address is kept, and
a row is forgotten when its window or its lock ends. A failure is added by one
``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` statement, so parallel sign-ins on either backend
never lose a count (no read-modify-write in Python). The rule it applies is
:class:`geo.core.auth.FailureLimit`: the failure that brings the count to the limit locks the key for
the lock-out time; failures during the lock are still counted but do not lengthen it; when the lock
(or the counting window) ends, counting starts afresh.
"""

from __future__ import annotations

import datetime as dt
from typing import Iterable

from sqlalchemy import and_, case, delete, literal, select
from sqlalchemy.engine import Connection

from geo.core.auth import FailureLimit, failure_key, is_locked
from geo.store.dialects import dialect_for
from geo.store.models import UTC, LogonFailure, Setting

FAILURES = LogonFailure.__table__
SECRET_SETTING = "logon_key"  # made by migration 0006


def secret(conn: Connection) -> bytes:
    """The database's key for :func:`geo.core.auth.failure_key`."""
    value = conn.execute(select(Setting.value).where(Setting.key == SECRET_SETTING)).scalar()
    if not value:
        raise RuntimeError("the database has no sign-in key: run `python -m geo init`")
    return bytes.fromhex(value)


def locked(conn: Connection, keys: Iterable[str], now: dt.datetime, wait: bool = False) -> bool:
    """Whether any of ``keys`` is locked at ``now``.

    ``wait``: on PostgreSQL, first wait for failures being counted on those keys by other
    transactions (``FOR UPDATE``), so a lock they are setting is seen; SQLite's write
    transactions run one at a time anyway.
    """
    stmt = select(FAILURES.c.locked_until).where(FAILURES.c.key.in_(list(keys)))
    if wait:  # in key order, as every transaction takes them: two sign-ins never wait on each other in a ring
        stmt = stmt.order_by(FAILURES.c.key).with_for_update()
    return any(is_locked(_aware(until), now) for until in conn.execute(stmt).scalars())


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.timezone.utc)  # SQLite gives back naive UTC


def count_failure(conn: Connection, key: str, limit: FailureLimit, now: dt.datetime
                  ) -> tuple[int, dt.datetime | None]:
    """Add one failure to ``key`` in a single statement; returns (failures, locked until) after it."""
    lock_end = literal(now + limit.lockout, UTC)
    first_locks = limit.failures <= 1
    stale = FAILURES.c.expires_at <= literal(now, UTC)
    reaching = and_(FAILURES.c.failures + 1 >= limit.failures, FAILURES.c.locked_until.is_(None))
    stmt = dialect_for(conn).insert_or_update(FAILURES).values(
        key=key, kind=limit.kind, failures=1, locked_until=now + limit.lockout if first_locks else None,
        expires_at=now + (limit.lockout if first_locks else limit.window))
    stmt = stmt.on_conflict_do_update(index_elements=[FAILURES.c.key], set_={
        "failures": case((stale, 1), else_=FAILURES.c.failures + 1),
        "locked_until": case((stale, stmt.excluded.locked_until), (reaching, lock_end), else_=FAILURES.c.locked_until),
        "expires_at": case((stale, stmt.excluded.expires_at), (reaching, lock_end), else_=FAILURES.c.expires_at),
    }).returning(FAILURES.c.failures, FAILURES.c.locked_until)
    failures, until = conn.execute(stmt).one()
    return int(failures), _aware(until)


def clear(conn: Connection, key: str) -> None:
    """Forget the failures counted under ``key`` (a successful sign-in, an administrator's unlock)."""
    conn.execute(delete(FAILURES).where(FAILURES.c.key == key))


def any_expired(conn: Connection, now: dt.datetime) -> bool:
    """Whether any row is due to be forgotten (a read: a sign-in writes only when there is)."""
    return conn.execute(select(FAILURES.c.key).where(FAILURES.c.expires_at <= now).limit(1)).first() is not None


def forget_expired(conn: Connection, now: dt.datetime) -> int:
    """Delete the rows whose window and lock have both ended; returns how many."""
    # rows a sign-in is counting right now are passed over (PostgreSQL's SKIP LOCKED), never waited for
    stale = select(FAILURES.c.key).where(FAILURES.c.expires_at <= now).with_for_update(skip_locked=True)
    return int(conn.execute(delete(FAILURES).where(FAILURES.c.key.in_(stale.scalar_subquery()))).rowcount or 0)


def state(conn: Connection, names: Iterable[str], now: dt.datetime) -> dict[str, tuple[int, dt.datetime | None]]:
    """For each account name, (failures counted now, locked until or None) of its name's count."""
    key = secret(conn)
    key_of = {name: failure_key(key, "name", name) for name in names}
    rows = conn.execute(select(FAILURES.c.key, FAILURES.c.failures, FAILURES.c.locked_until)
                        .where(FAILURES.c.key.in_(list(key_of.values())), FAILURES.c.expires_at > now)).all()
    found = {r[0]: (int(r[1]), _aware(r[2])) for r in rows}
    return {name: found.get(k, (0, None)) for name, k in key_of.items()}
