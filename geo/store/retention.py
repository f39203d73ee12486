"""Upkeep of the incident tables: partitions made ahead, and incidents older than the retention dropped.

``python -m geo maintain`` runs :func:`maintain` in one transaction (from cron; see the README).
Retention is counted in whole calendar months back from the first of the current month: with 24,
on 2026-07-15 every incident before 2024-07-01 goes. On PostgreSQL the partitions wholly before the
cut-off are detached and dropped (a metadata change, however many rows), rows before it in DEFAULT
are deleted; on SQLite the rows are deleted. The daily rollup loses the same days (its year
partitions wholly before the cut-off are dropped) and the monthly rollup the same whole months, so
every page still counts what ``incidents`` holds.

The floor, :data:`MIN_RETAIN_MONTHS`: SafeGrid keeps its audit log for ever (append-only, never
pruned), so it sets no bound on incidents; the bound is the pages' own look-back. The longest is a
year-on-year comparison of a one-year period (the commands' default period), which reads the two
years before the latest incident: retention is never below 24 months.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field

from sqlalchemy import Date, bindparam, text
from sqlalchemy.engine import Connection

from geo.store import generation, partitions
from geo.store.partitions import INCIDENTS, LAYOUTS

RETAIN_ENV = "SAFEGRID_RETAIN_MONTHS"
MIN_RETAIN_MONTHS = 24
DEFAULT_AHEAD = 3  # months after the current one made ahead of time


class RetentionError(ValueError):
    """A retention the command refuses (below the floor, or not a whole number of months)."""


def retain_months(value: str | int | None = None) -> int | None:
    """The retention in months: ``value``, else ``SAFEGRID_RETAIN_MONTHS``; None (empty) keeps everything.

    Raises :class:`RetentionError` for a value that is not a whole number, or is below the floor."""
    if value is None:
        value = os.environ.get(RETAIN_ENV, "")
    if isinstance(value, str):
        if not value.strip():
            return None
        try:
            value = int(value.strip())
        except ValueError:
            raise RetentionError(f"retention must be a whole number of months, not {value!r}") from None
    if value < MIN_RETAIN_MONTHS:
        raise RetentionError(f"retention of {value} months refused: never below {MIN_RETAIN_MONTHS} months "
                             "(a year-on-year comparison of one year reads two years back)")
    return value


def cutoff(today: dt.date, months: int) -> dt.date:
    """The first day kept: the first of ``today``'s month, ``months`` months back."""
    index = today.year * 12 + today.month - 1 - months
    return dt.date(index // 12, index % 12 + 1, 1)


@dataclass
class Upkeep:
    """What :func:`maintain` did."""

    partitioned: bool
    made: dict[str, int] = field(default_factory=dict)  # partition -> rows moved out of DEFAULT
    cut: dt.date | None = None
    dropped: list[str] = field(default_factory=list)
    deleted_incidents: int = 0
    deleted_daily: int = 0

    def summary(self) -> str:
        if self.partitioned:
            moved = sum(self.made.values())
            parts = (f"{len(self.made)} partitions made ({moved} rows moved out of DEFAULT)" if self.made
                     else "partitions up to date")
        else:
            parts = "SQLite keeps one table (no partitions)"
        if self.cut is None:
            kept = "retention: everything kept"
        else:
            kept = (f"retention: before {self.cut.isoformat()} dropped {len(self.dropped)} partitions, deleted "
                    f"{self.deleted_incidents} incidents and {self.deleted_daily} rollup rows")
        return f"{parts}; {kept}"


def maintain(conn: Connection, today: dt.date, *, ahead: int = DEFAULT_AHEAD, retain: int | None = None) -> Upkeep:
    """Apply the retention (``retain`` months, None: keep all), then make the partitions of this month,
    the ``ahead`` months after it and every month that has rows waiting in DEFAULT. Idempotent: a
    second run changes nothing. Runs in the caller's transaction."""
    if ahead < 0:
        raise RetentionError("--ahead must be 0 or more months")
    if retain is not None:
        retain_months(retain)  # the floor holds whoever calls
    done = Upkeep(partitioned=partitions.is_partitioned(conn, INCIDENTS.table))
    if done.partitioned and not partitions.may_manage(conn, INCIDENTS.table):
        raise RetentionError("maintain must run as the owner of the tables (the role that runs `geo init`)")
    if retain is not None:
        done.cut = cutoff(today, retain)
        _drop_before(conn, done)
        if done.deleted_incidents or done.deleted_daily or done.dropped:  # app servers' cached reads are stale
            generation.bump(conn, "data")
    if done.partitioned:
        days = set(partitions.months_ahead(today, ahead))
        for layout in LAYOUTS:
            default = next((p.name for p in partitions.partitions(conn, layout) if p.is_default), None)
            if default:
                days |= set(conn.execute(text(f'SELECT DISTINCT {layout.column} FROM "{default}"')).scalars())
        done.made = partitions.ensure(conn, days)
    return done


def _drop_before(conn: Connection, done: Upkeep) -> None:
    """Drop whole partitions before ``done.cut``, then delete what is left before it (DEFAULT, SQLite)."""
    if done.partitioned:
        for layout in LAYOUTS:
            for part in partitions.partitions(conn, layout):
                if not part.is_default and part.end <= done.cut:
                    counted = conn.execute(text(f'SELECT COUNT(*) FROM "{part.name}"')).scalar()
                    conn.execute(text(f'ALTER TABLE "{layout.table}" DETACH PARTITION "{part.name}"'))
                    conn.execute(text(f'DROP TABLE "{part.name}"'))
                    done.dropped.append(part.name)
                    if layout is INCIDENTS:
                        done.deleted_incidents += counted
                    else:
                        done.deleted_daily += counted
    for layout in LAYOUTS:
        delete = text(f"DELETE FROM {layout.table} WHERE {layout.column} < :cut").bindparams(
            bindparam("cut", type_=Date))
        deleted = conn.execute(delete, {"cut": done.cut}).rowcount
        if layout is INCIDENTS:
            done.deleted_incidents += deleted
        else:
            done.deleted_daily += deleted
    # the monthly rollup: the cut-off is the first of a month, so whole months go and the rest stay exact
    conn.execute(text("DELETE FROM incident_monthly WHERE month < :cut").bindparams(bindparam("cut", type_=Date)),
                 {"cut": done.cut})
