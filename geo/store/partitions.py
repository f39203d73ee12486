"""Partitions of ``incidents`` (one per month of ``occurred_on``) and ``incident_daily`` (one per year
of ``day``) on PostgreSQL, made before rows arrive for them.

Migration 0007 made both tables range-partitioned, each with a DEFAULT partition that takes a row no
other partition does, so a write never fails for want of a partition. :func:`ensure` makes the
partitions for given days, first moving any of their rows out of DEFAULT (PostgreSQL refuses to
make a partition whose rows sit in DEFAULT). Only the tables' owner may make partitions: for anyone
else (the app role, bound by row-level security) it makes none and the rows wait in DEFAULT until
``python -m geo maintain`` runs. On SQLite each table is one table and everything here is a no-op.

A unique index of a partitioned table must hold the partition key, so ``incidents`` is unique on
(source, source_id, occurred_on) there. :func:`replace_incidents` keeps (source, source_id) unique
as the importer always has: a changed row is deleted and written again under its old id, so a row
whose date moved to another month is moved, not doubled.

Making a partition takes a brief exclusive lock on the parent table; made in the import's
transaction, it holds until the import commits. Run ``maintain --ahead`` from cron so imports
find their months made.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Iterable

import pandas as pd
from sqlalchemy import Date, String, bindparam, text
from sqlalchemy.engine import Connection

from geo.store.dialects import dialect_for

DELETE_CHUNK = 5_000
_LOCK = 20_007  # advisory lock key: one maker of partitions at a time
_BOUND = re.compile(r"FROM \('(\d{4}-\d{2}-\d{2})'\) TO \('(\d{4}-\d{2}-\d{2})'\)")


@dataclass(frozen=True)
class Layout:
    """How a table is cut: by ``column`` (a local date), one partition per ``step`` (month or year)."""

    table: str
    column: str
    step: str

    def span(self, day: dt.date) -> tuple[dt.date, dt.date]:
        """The [start, end) of the partition that holds ``day``."""
        if self.step == "month":
            start = day.replace(day=1)
            return start, start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)
        start = day.replace(month=1, day=1)
        return start, start.replace(year=start.year + 1)

    def name(self, start: dt.date) -> str:
        """The partition's table name: ``incidents_p2026_07``, ``incident_daily_p2026``."""
        return f"{self.table}_p{start.year:04d}" + (f"_{start.month:02d}" if self.step == "month" else "")


INCIDENTS = Layout("incidents", "occurred_on", "month")
DAILY = Layout("incident_daily", "day", "year")
LAYOUTS = (INCIDENTS, DAILY)


@dataclass(frozen=True)
class Partition:
    name: str
    start: dt.date | None  # None for DEFAULT
    end: dt.date | None  # exclusive

    @property
    def is_default(self) -> bool:
        return self.start is None


def months_ahead(today: dt.date, ahead: int) -> list[dt.date]:
    """The first day of ``today``'s month and of the ``ahead`` months after it."""
    start = today.replace(day=1)
    out = [start]
    for _ in range(ahead):
        start = INCIDENTS.span(start)[1]
        out.append(start)
    return out


def is_partitioned(conn: Connection, table: str) -> bool:
    """Whether ``table`` is a partitioned table here (never on SQLite)."""
    if not dialect_for(conn).partitions:
        return False
    return bool(conn.execute(text("SELECT relkind = 'p' FROM pg_class WHERE oid = to_regclass(:t)"),
                             {"t": table}).scalar())


def partitions(conn: Connection, layout: Layout) -> list[Partition]:
    """The partitions of ``layout``'s table, DEFAULT first, then by start date."""
    rows = conn.execute(text(
        "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = to_regclass(:t)"), {"t": layout.table}).all()
    out = []
    for name, bound in rows:
        found = _BOUND.search(bound or "")
        out.append(Partition(name, *(dt.date.fromisoformat(d) for d in found.groups())) if found
                   else Partition(name, None, None))
    return sorted(out, key=lambda p: (p.start is not None, p.start or dt.date.min))


def may_manage(conn: Connection, table: str) -> bool:
    """Whether the connected role owns ``table`` (directly or through a role it belongs to)."""
    return bool(conn.execute(text("SELECT pg_has_role(current_user, relowner, 'USAGE') FROM pg_class "
                                  "WHERE oid = to_regclass(:t)"), {"t": table}).scalar())


def ensure(conn: Connection, days: Iterable[dt.date]) -> dict[str, int]:
    """Make the missing partitions of both tables that hold ``days`` (in the caller's transaction).

    Rows of those spans already in DEFAULT move into their new partition. Returns the partitions
    made, name -> rows moved out of DEFAULT; empty on SQLite, for a role that does not own the
    tables (its rows wait in DEFAULT), and when all exist.
    """
    days = {d for d in days if d is not None and not pd.isna(d)}
    if not days or not is_partitioned(conn, INCIDENTS.table) or not may_manage(conn, INCIDENTS.table):
        return {}
    made: dict[str, int] = {}
    locked = False
    for layout in LAYOUTS:
        wanted = sorted({layout.span(pd.Timestamp(d).date()) for d in days})
        have = {p.start for p in partitions(conn, layout)}
        if all(start in have for start, _end in wanted):
            continue
        if not locked:  # another import or maintain may be making the same ones: wait, then look again
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK})
            locked = True
        current = partitions(conn, layout)
        have = {p.start for p in current}
        default = next((p.name for p in current if p.is_default), None)
        for start, end in wanted:
            if start not in have:
                made[layout.name(start)] = _make(conn, layout, start, end, default)
    return made


def _make(conn: Connection, layout: Layout, start: dt.date, end: dt.date, default: str | None) -> int:
    """Make one partition, moving its rows out of DEFAULT through a temporary table; rows moved."""
    table, col, name = layout.table, layout.column, layout.name(start)
    span = {"s": start, "e": end}
    inside = f"{col} >= :s AND {col} < :e"
    moved = 0
    if default is not None:
        moved = conn.execute(text(f'SELECT COUNT(*) FROM "{default}" WHERE {inside}'), span).scalar()
    if moved:
        conn.execute(text(f'CREATE TEMP TABLE _moving ON COMMIT DROP AS SELECT * FROM "{default}" WHERE {inside}'),
                     span)
        conn.execute(text(f'DELETE FROM "{default}" WHERE {inside}'), span)
    conn.execute(text(f'CREATE TABLE "{name}" PARTITION OF "{table}" '
                      f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"))
    if moved:
        conn.execute(text(f'INSERT INTO "{table}" SELECT * FROM _moving'))
        conn.execute(text("DROP TABLE _moving"))
    return int(moved)


def replace_incidents(conn: Connection, source: str, rows: pd.DataFrame, stored: pd.DataFrame) -> None:
    """Write changed incidents ``rows`` over their stored versions, on both backends.

    ``stored`` (indexed by source_id) holds each row's ``id`` and ``occurred_on`` as stored. The stored
    rows are deleted (found by partition key too, so only their partitions are searched) and the new
    versions inserted under the same ids: (source, source_id) stays unique even where the database
    enforces (source, source_id, occurred_on) only.
    """
    if rows.empty:
        return
    old = stored.loc[rows["source_id"]]
    rows = rows.assign(id=old["id"].astype("int64").to_numpy())
    delete = text("DELETE FROM incidents WHERE source = :source AND source_id IN :ids AND occurred_on IN :days") \
        .bindparams(bindparam("ids", expanding=True, type_=String), bindparam("days", expanding=True, type_=Date))
    ids = rows["source_id"].tolist()
    days = pd.to_datetime(old["occurred_on"]).dt.date.tolist()
    for i in range(0, len(ids), DELETE_CHUNK):
        conn.execute(delete, {"source": source, "ids": ids[i:i + DELETE_CHUNK],
                              "days": sorted(set(days[i:i + DELETE_CHUNK]))})
    dialect_for(conn).insert(conn, INCIDENTS.table, rows)
