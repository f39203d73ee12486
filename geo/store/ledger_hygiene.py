"""Ledger hygiene over the store: likely duplicates (found, linked, listed), escalation of long-overdue
items to the street's oversight, and corrections of an item's category or responsible unit.

The rules are in :mod:`geo.core.ledger_hygiene`; the settings (``SAFEGRID_DUP_METRES``,
``SAFEGRID_DUP_DAYS``, ``SAFEGRID_ESCALATE_DAYS``) are read here from the environment. Every write
goes into the item's history (``ledger_events``) and the audit log in the same transaction.

For the alerts: :func:`escalated_items` lists what has escalated inside a scope on a date.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Sequence

import numpy as np
import pandas as pd
from sqlalchemy import select, text
from sqlalchemy.engine import Connection, Engine

from geo.core import clock
from geo.core import ledger as rules
from geo.core import ledger_hygiene as hygiene
from geo.core.crs import metric_crs_for, to_metric
from geo.store import audit, filters, generation
from geo.store import scope as scoping
from geo.store.frames import to_frame
from geo.store.models import LedgerItem
from geo.store.schema import deployment_timezone
from geo.store.scope import Scope

ITEMS = LedgerItem.__table__
SYSTEM_ACTOR = "system:escalation"  # who records an escalation found lazily (the command line names its OS user)


class LikelyDuplicate(rules.Refusal):
    """A new item looks like open items already in the ledger: link it to one, or confirm it is distinct."""

    def __init__(self, found: pd.DataFrame):
        self.candidates = found
        ids = ", ".join(f"#{int(i)}" for i in found["id"])
        super().__init__(f"likely a duplicate of {ids}: link it to one of them or confirm it is distinct",
                         "likely_duplicate", ids=ids)


def settings() -> hygiene.Hygiene:
    """The hygiene settings of this deployment (the environment; defaults in the core)."""
    return hygiene.settings_from(os.environ)


def open_originals(conn: Connection, scope: Scope, found_from: dt.date, found_to: dt.date,
                   kinds: Sequence[str]) -> pd.DataFrame:
    """The open, unlinked items inside ``scope`` of ``kinds`` found between the two dates: the items a
    new one may duplicate (id, kind, category, title, responsible_unit, status, found_on, duplicate_of, lon, lat)."""
    c = ITEMS.c
    rows = to_frame(conn.execute(
        select(c.id, c.kind, c.category, c.title, c.responsible_unit, c.status, c.found_on, c.duplicate_of, c.geom)
        .where(filters.rows(ITEMS, scope), c.status.in_(rules.OPEN), c.duplicate_of.is_(None),
               c.found_on >= found_from, c.found_on <= found_to, c.kind.in_(sorted(set(kinds))))
        .order_by(c.id)))
    geoms = rows.pop("geom") if "geom" in rows else pd.Series([], dtype=object)
    rows["lon"] = [g.x if g is not None else np.nan for g in geoms]
    rows["lat"] = [g.y if g is not None else np.nan for g in geoms]
    rows["found_on"] = pd.to_datetime(rows["found_on"]).dt.date
    return rows[rows["lon"].notna()].reset_index(drop=True)


def _with_metres(frame: pd.DataFrame, crs: str) -> pd.DataFrame:
    x, y = to_metric(frame["lon"].to_numpy(float), frame["lat"].to_numpy(float), crs)
    return frame.assign(x=x, y=y)


def likely_duplicates(conn: Connection, scope: Scope, *, kind: str, category: str | None, lon: float, lat: float,
                      found_on: dt.date, config: hygiene.Hygiene | None = None) -> pd.DataFrame:
    """The open items inside ``scope`` that a new item (``lon, lat`` in degrees WGS 84) likely duplicates:
    id, title, responsible_unit, status, found_on, distance_m, days_apart; nearest first."""
    config = config or settings()
    cols = ["id", "title", "responsible_unit", "status", "found_on", "distance_m", "days_apart"]
    if lon is None or lat is None or not (np.isfinite(lon) and np.isfinite(lat)) or found_on is None:
        return pd.DataFrame(columns=cols)  # no place or date yet: nothing to compare (the create refuses it)
    span = dt.timedelta(days=config.dup_days)
    near = open_originals(conn, scope, found_on - span, found_on + span, [kind])
    if near.empty:
        return pd.DataFrame(columns=cols)
    crs = metric_crs_for([lon], [lat])
    near = _with_metres(near, crs)
    x, y = to_metric([lon], [lat], crs)
    found = hygiene.candidates(float(x[0]), float(y[0]), kind, category, found_on, near, config.dup_metres,
                               config.dup_days)
    return found.merge(near.drop(columns=["x", "y"]), on="id")[cols]


def vet_new(conn: Connection, scope: Scope, *, kind: str, category: str | None, lon: float, lat: float,
            found_on: dt.date, duplicate_of: int | None, distinct_from: Sequence[int] | None) -> pd.DataFrame:
    """Check a new item against the ledger before it is written; returns the candidates it was checked against.

    ``duplicate_of``: the original the clerk links it to (inside ``scope``, open, not itself a copy);
    otherwise every likely original must be among ``distinct_from`` (the ones the clerk saw and judged
    distinct), else :class:`LikelyDuplicate`: a new copy found meanwhile is shown too, never skipped."""
    found = likely_duplicates(conn, scope, kind=kind, category=category, lon=lon, lat=lat, found_on=found_on)
    if duplicate_of is not None:
        original_ok(conn, scope, int(duplicate_of))
        return found
    unseen = set(found["id"].astype(int)) - {int(i) for i in distinct_from or ()}
    if unseen:
        raise LikelyDuplicate(found)
    return found


def original_ok(conn: Connection, scope: Scope, original: int) -> None:
    """Refuse (code ``bad_original``) an original outside ``scope``, closed, or itself a linked copy."""
    c = ITEMS.c
    row = conn.execute(select(c.status, c.duplicate_of).where(c.id == original, filters.rows(ITEMS, scope))).first()
    if row is None or row.status not in rules.OPEN or row.duplicate_of is not None:
        raise rules.Refusal(f"item #{original} cannot be the original: it is not an open, unlinked item in your area",
                            "bad_original", id=original)


def link_notes(item_id: int, duplicate_of: int | None, found: pd.DataFrame) -> tuple[str, str] | None:
    """The history step a new item's check leaves: ``("link", note)`` or ``("distinct", note)``; None
    when there was nothing to judge."""
    if duplicate_of is not None:
        return "link", f"likely duplicate of #{int(duplicate_of)}"
    if not found.empty:
        return "distinct", "checked: not a duplicate of " + ", ".join(f"#{int(i)}" for i in found["id"])
    return None


# ---- escalation ------------------------------------------------------------------------------------

ESCALATED_COLUMNS = ["id", "title", "kind", "category", "responsible_unit", "status", "deadline", "overdue_days",
                     "escalated_on", "recorded", "street_code", "community_code", "district_code"]


def escalated_items(conn: Connection, scope: Scope, today: dt.date, days: int | None = None) -> pd.DataFrame:
    """The items inside ``scope`` that have escalated to the street's oversight on ``today``: open, not a
    linked duplicate, overdue by ``days`` (``SAFEGRID_ESCALATE_DAYS``) or more. Columns
    (``ESCALATED_COLUMNS``): ``escalated_on`` the date it happened (deadline + days), ``recorded`` whether
    its escalation is in the history yet; longest overdue first. The alerts call this."""
    days = settings().escalate_days if days is None else int(days)
    c = ITEMS.c
    frame = to_frame(conn.execute(
        select(c.id, c.title, c.kind, c.category, c.responsible_unit, c.status, c.deadline, c.duplicate_of,
               c.escalated_on.label("recorded_on"), c.street_code, c.community_code, c.district_code)
        .where(filters.rows(ITEMS, scope), c.status.in_(rules.OPEN), c.duplicate_of.is_(None),
               c.deadline <= today - dt.timedelta(days=days))))
    if frame.empty:
        return pd.DataFrame(columns=ESCALATED_COLUMNS)
    frame["deadline"] = pd.to_datetime(frame["deadline"]).dt.date
    frame = hygiene.escalation(frame, today, days)
    frame = frame[frame["escalated"]]
    frame["overdue_days"] = [(today - d).days for d in frame["deadline"]]
    frame["recorded"] = frame["recorded_on"].notna()
    return frame.sort_values(["overdue_days", "id"], ascending=[False, True], ignore_index=True)[ESCALATED_COLUMNS]


def record_escalations(engine: Engine, scope: Scope, today: dt.date | None = None, actor: str = SYSTEM_ACTOR,
                       days: int | None = None) -> tuple[int, int]:
    """Write the escalations not yet recorded (one ``escalate`` step in each item's history, with its date,
    and an audit entry) and clear the mark of items no longer escalated (closed, or given a later
    deadline). Idempotent: a second run on the same day writes nothing. Returns (recorded, cleared)."""
    at = clock.now_utc()
    with generation.writing(engine, "ledger") as conn:
        scoping.apply(conn, scope)
        today = today or clock.today(deployment_timezone(conn))
        now = escalated_items(conn, scope, today, days)
        todo = now[~now["recorded"]]
        from geo.store.ledger import history_row, record_history

        rows = [history_row(int(r.id), actor, "escalate", r.status, r.status,
                            f"overdue since {r.deadline}, escalated on {r.escalated_on}: raised to the street's "
                            f"oversight ({r.street_code or '—'})", at) for r in todo.itertuples()]
        record_history(conn, rows, scope=scope)
        if len(todo):
            conn.execute(text("UPDATE ledger_items SET escalated_on = :d WHERE id = :i"),
                         [{"i": int(r.id), "d": r.escalated_on} for r in todo.itertuples()])
            for r in todo.itertuples():
                audit.record(conn, actor, "ledger.escalate", str(int(r.id)), detail=f"escalated on {r.escalated_on}")
        c = ITEMS.c
        marked = set(conn.execute(select(c.id).where(filters.rows(ITEMS, scope), c.escalated_on.is_not(None)))
                     .scalars())
        stale = sorted(marked - set(now["id"].astype(int)))
        if stale:
            conn.execute(text("UPDATE ledger_items SET escalated_on = NULL WHERE id = :i"), [{"i": i} for i in stale])
    return len(todo), len(stale)


# ---- corrections -----------------------------------------------------------------------------------

def correct_item(engine: Engine, actor: str, role: str | None, item_id: int, version: int, *, reason: str | None,
                 scope: Scope, **changes) -> int:
    """Correct the item's category and/or responsible unit (``CORRECTABLE``) with a reason; returns the new
    version. The step (before -> after and the reason) goes into its history and the audit log."""
    from geo.store import ledger as store

    try:
        if "category" in changes:
            rules.check_category(changes["category"])
        if isinstance(changes.get("responsible_unit"), str):
            changes["responsible_unit"] = store.clean_text(changes["responsible_unit"])
    except ValueError as exc:
        raise store.ItemRefused.of(exc) from exc
    at = clock.now_utc()
    with generation.writing(engine, "ledger") as conn:
        cur = store.current_item(conn, item_id, version, scope)
        try:
            changed = hygiene.check_correction(role, cur, changes, reason)
        except rules.Refusal as exc:
            raise store.ItemRefused.of(exc) from exc
        store._guarded_update(conn, item_id, version, {**{k: v for k, (_, v) in changed.items()}, "updated_at": at})
        note = f"{hygiene.describe(changed)}; reason: {store.clean_text(reason)}"
        store.record_history(conn, [store.history_row(item_id, actor, "correct", cur["status"], cur["status"], note,
                                                      at)], scope=scope)
        audit.record(conn, actor, "ledger.correct", str(item_id), detail=hygiene.describe(changed))
    return version + 1


def linked_copies(conn: Connection, scope: Scope, item_id: int) -> pd.DataFrame:
    """The items inside ``scope`` linked as likely duplicates of ``item_id`` (id, title, status), oldest first."""
    c = ITEMS.c
    return to_frame(conn.execute(select(c.id, c.title, c.status).where(filters.rows(ITEMS, scope),
                                                                          c.duplicate_of == int(item_id))
                                 .order_by(c.id)))
