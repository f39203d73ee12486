"""Data generations: counters that every write bumps, so that caches in other processes notice it.

Several app servers each keep their own cache of page reads (``geo.ui.data``). A server that writes
clears its own cache at once, but the others cannot see that clear. Instead, every write transaction
that changes what pages show bumps a counter kept in ``settings`` (``generation.data`` for imports,
areas, cameras, targets, zones and campaigns; ``generation.ledger`` for ledger items), as its last
statement, so the counter becomes visible together with the change, on the primary and, after
replaying, on a read replica. A server's cached reads are keyed by the counters, so a change made
anywhere is seen as soon as the server reads the counters again (``geo.ui.data`` polls them every
few seconds).
"""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from geo.store.models import Setting

TOPICS = ("data", "ledger", "buildings")
PREFIX = "generation."
_ADD_ONE = text("UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS VARCHAR(20)) WHERE key = :key")


def bump(conn: Connection, *topics: str) -> None:
    """Add one to each topic's counter inside the caller's transaction (call it last: the row lock is
    then held only until the commit). A counter that does not exist yet starts at 1."""
    for topic in topics:
        if topic not in TOPICS:
            raise ValueError(f"unknown generation topic {topic!r}")
        key = PREFIX + topic
        if conn.execute(_ADD_ONE, {"key": key}).rowcount:
            continue
        try:
            with conn.begin_nested():  # a concurrent first bump may insert the row first
                conn.execute(Setting.__table__.insert().values(key=key, value="1"))
        except IntegrityError:
            conn.execute(_ADD_ONE, {"key": key})


def current(conn: Connection) -> dict[str, int]:
    """Every topic's counter (0 for one never bumped)."""
    rows = conn.execute(select(Setting.key, Setting.value).where(Setting.key.like(PREFIX + "%"))).all()
    found = {key[len(PREFIX):]: int(value) for key, value in rows}
    return {topic: found.get(topic, 0) for topic in TOPICS}


@contextmanager
def writing(engine: Engine, *topics: str) -> Iterator[Connection]:
    """``engine.begin()`` that bumps ``topics`` as the transaction's last statement."""
    with engine.begin() as conn:
        yield conn
        bump(conn, *topics)


# A stamp: a fresh random value written whenever a topic's content changes, for caches that must not
# mistake one database's content for another's (a counter restarts at 1 in every new database; two
# demo builds would share "buildings 1"). The visibility cache is keyed by the buildings' stamp.
STAMP_KEYS = {"buildings": "buildings.stamp"}


def renew_stamp(conn: Connection, topic: str) -> str:
    """Write a fresh random stamp (uuid4 hex) for ``topic`` inside the caller's transaction; return it."""
    key, value = STAMP_KEYS[topic], uuid.uuid4().hex
    conn.execute(Setting.__table__.delete().where(Setting.key == key))
    conn.execute(Setting.__table__.insert().values(key=key, value=value))
    return value


def stamp(conn: Connection, topic: str) -> str | None:
    """``topic``'s stamp (None while it was never written: no content of it yet)."""
    return conn.execute(select(Setting.value).where(Setting.key == STAMP_KEYS[topic])).scalar()
