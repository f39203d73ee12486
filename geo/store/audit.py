"""The append-only audit log: who did what to which object, when, and how it ended.

There is no update or delete here, and the database refuses them too (triggers on both
backends). Write the record in the same transaction as the change it describes, so a
change whose record cannot be written is rolled back with it.
"""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
from sqlalchemy import text
from sqlalchemy.engine import Connection

from geo.core import clock
from geo.core.privacy import mask_pii
from geo.store.frames import to_frame
from geo.store.models import AuditEntry

_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

OUTCOMES = ("ok", "denied", "failed")


def record(conn: Connection, username: str, action: str, obj: str | None = None, outcome: str = "ok",
           detail: str | None = None, at: dt.datetime | None = None) -> None:
    """Append one entry (raises if it cannot be written: the caller's transaction then fails)."""
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}")
    conn.execute(AuditEntry.__table__.insert().values(
        at=at or clock.now_utc(), username=username or "-", action=action,
        object=None if obj is None else _clean(obj)[:200], outcome=outcome,
        detail=None if detail is None else _clean(detail)))


def _clean(value) -> str:
    """Text for the log: identifiers masked (a file named after a caller's phone number), control
    characters (terminal escapes in a file name) shown as ``?``."""
    text, _ = mask_pii(str(value))
    return _CONTROLS.sub("?", text)


def entries(conn: Connection, *, username: str | None = None, action: str | None = None,
            start: dt.datetime | None = None, end: dt.datetime | None = None, limit: int = 5000) -> pd.DataFrame:
    """Entries newest first, filtered by user, action prefix and time (UTC, ``end`` exclusive)."""
    table = AuditEntry.__table__
    stmt = table.select().order_by(table.c.id.desc()).limit(limit)
    if username:
        stmt = stmt.where(table.c.username == username)
    if action:
        stmt = stmt.where(table.c.action.like(f"{action}%"))
    if start:
        stmt = stmt.where(table.c.at >= start)
    if end:
        stmt = stmt.where(table.c.at < end)
    return to_frame(conn.execute(stmt), ["id", "at", "username", "action", "object", "outcome", "detail"])


def count(conn: Connection) -> int:
    return int(conn.execute(text("SELECT COUNT(*) FROM audit_log")).scalar())
