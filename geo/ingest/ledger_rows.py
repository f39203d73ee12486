"""Ledger rows of an import, under the same rules as the item's card, as the person importing.

A row asks for a status; :func:`geo.core.ledger.import_steps` turns it into the workflow steps
that lead there, each checked for the importer's role, its note (the file's ``note`` column)
and the re-check date, as the card checks them. A new item starts in an initial status. An
existing item must lie in the importer's area. A row that breaks a rule is skipped whole (its
other fields are not written either) and listed with its row number and the reason; the other
rows are written, and every step goes into the item's history and the audit log with the
importer as actor, in the import's transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from sqlalchemy import text
from sqlalchemy.engine import Connection

from geo.core import clock
from geo.core import ledger as rules
from geo.core import ledger_hygiene as hygiene
from geo.core.crs import metric_crs_for, to_metric
from geo.ingest.errors import ImportRefused
from geo.ingest.reasons import Reason, reason as because
from geo.ingest.report import ImportReport
from geo.store import audit
from geo.store import ledger as store_ledger
from geo.store import ledger_hygiene
from geo.store.scope import Scope

if TYPE_CHECKING:
    from geo.ingest.pipeline import Importer

# What the import reads of the stored items beside their key and hash.
EXISTING = ", status, recheck_on, cell_code, community_code, street_code, district_code"


def check_importer(by: Importer | None) -> None:
    """Refuse a ledger import with no importer, or by a role that may not create or edit items."""
    if by is None:
        raise ImportRefused(because("ledger_no_importer"))
    if by.workflow and by.role not in rules.EDIT_ROLES:
        raise ImportRefused(because("ledger_role", role=by.role or "anonymous"))


def workflow_reason(exc: Exception, before: str | None, after: str, role: str | None, *, note: str | None,
                    edits: bool, recheck_on: dt.date | None, today: dt.date) -> Reason:
    """The reason code of a row the workflow refused, found from the row's facts as
    :func:`geo.core.ledger.import_steps` weighs them; the English sentence is the workflow's own."""
    text = str(exc)
    if before is None:
        if after not in rules.INITIAL:
            return because("ledger_new_status", text, initial=tuple(rules.INITIAL), status=after)
    elif edits and before in rules.CLOSED and after in rules.CLOSED:
        return because("ledger_closed_edit", text, status=before)
    else:
        chain = rules.route(before, after, role) or rules.route(before, after, any_role=True)
        if chain is None:
            return because("ledger_no_route", text, before=before, after=after)
        when = recheck_on
        for action in chain:
            rule = rules.ACTIONS[action]
            if role not in rule.roles:
                return because("ledger_role_step", text, role=role or "anonymous", action=action)
            if rule.needs_note and not (note or "").strip():
                return because("ledger_needs_note", text, action=action)
            if action == "verify" and when is not None and today < when:
                return because("ledger_recheck_due", text, date=when.isoformat())
            when = today + dt.timedelta(days=rules.RECHECK_DAYS) if action == "rectify" else \
                (None if action == "reopen" else when)
    return because("ledger_workflow", text, detail=text)


def _date(value) -> dt.date | None:
    if value is None or pd.isna(value):
        return None
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def _text(value) -> str | None:
    return None if value is None or pd.isna(value) or not str(value).strip() else str(value).strip()


@dataclass
class Batch:
    """One file's ledger rows: checked by :meth:`check`, their history written by :meth:`record`."""

    by: Importer
    today: dt.date  # local date in the deployment's zone
    numbers: pd.Series  # the file's row numbers, by frame index
    file: str
    steps: dict = field(default_factory=dict)  # source_id -> [(action, Step)]
    edits: dict = field(default_factory=dict)  # source_id -> the row changes fields besides the status
    links: dict = field(default_factory=dict)  # source_id of a new row -> (item id | None, source_id | None)

    def check(self, rows: pd.DataFrame, existing: pd.DataFrame, changed: pd.Series, fields_changed: pd.Series,
              scope: Scope, report: ImportReport) -> pd.DataFrame:
        """The rows the workflow allows; the others are added to ``report.skipped``.

        ``existing``: the stored items by source_id; ``changed``: rows whose hash differs from
        the stored one; ``fields_changed``: of those, the ones that change more than the status.
        """
        if not self.by.workflow:
            return rows
        refused = {}
        notes = rows["_note"] if "_note" in rows else pd.Series(None, index=rows.index, dtype=object)
        for i, sid, status in zip(rows.index, rows["source_id"], rows["status"]):
            known = sid in existing.index
            if known and not changed[i]:
                continue
            if known and not scope.everything and existing.at[sid, scope.column] != scope.code:
                refused[i] = because("ledger_not_in_area", id=str(sid), area=scope.code)
                continue
            edits = bool(fields_changed.get(i, False))
            before = existing.at[sid, "status"] if known else None
            recheck_on = _date(existing.at[sid, "recheck_on"]) if known else None
            try:
                self.steps[sid] = rules.import_steps(before, status, self.by.role, note=_text(notes[i]),
                                                     today=self.today, recheck_on=recheck_on, edits=edits)
            except rules.WorkflowRefused as exc:
                refused[i] = workflow_reason(exc, before, status, self.by.role, note=_text(notes[i]),
                                             edits=edits, recheck_on=recheck_on, today=self.today)
                continue
            self.edits[sid] = edits
        if refused:
            report.skipped = sorted(report.skipped + [(int(self.numbers[i]), why) for i, why in refused.items()])
        return rows.drop(index=list(refused))

    def find_duplicates(self, conn: Connection, fresh: pd.DataFrame, scope: Scope, report: ImportReport) -> None:
        """Which new rows are likely duplicates (:mod:`geo.core.ledger_hygiene`) of an open item inside
        ``scope`` or of an earlier new row of the file: each is imported, linked to that original (in
        :meth:`record`) and listed in ``report.linked``. A re-run finds no new row, so it links nothing again."""
        fresh = fresh[fresh["_lon"].notna() & fresh["_lat"].notna()]
        if fresh.empty:
            return
        config = ledger_hygiene.settings()
        found = pd.to_datetime(fresh["found_on"]).dt.date
        span = dt.timedelta(days=config.dup_days)
        stored = ledger_hygiene.open_originals(conn, scope, min(found) - span, max(found) + span, set(fresh["kind"]))
        crs = metric_crs_for(fresh["_lon"], fresh["_lat"])
        others = stored.assign(key=[("item", int(i)) for i in stored["id"]])
        if len(others):
            others["x"], others["y"] = to_metric(others["lon"], others["lat"], crs)
        x, y = to_metric(fresh["_lon"], fresh["_lat"], crs)
        for i, sid, kind, category, day, xi, yi in zip(fresh.index, fresh["source_id"], fresh["kind"],
                                                        fresh["category"], found, x, y):
            near = hygiene.candidates(xi, yi, kind, None if pd.isna(category) else category, day,
                                      others.assign(id=np.arange(len(others))), config.dup_metres, config.dup_days)
            if len(near):
                best = near.iloc[0]
                what, ref = others["key"].iloc[int(best["id"])]
                metres, days = f"{best['distance_m']:g}", int(best["days_apart"])
                self.links[sid] = ref if what == "item" else None, None if what == "item" else ref
                why = because("ledger_duplicate_item", id=str(ref), metres=metres, days=days) if what == "item" else \
                    because("ledger_duplicate_row", row_word=report.row_word, first=int(self.numbers[ref[1]]),
                            metres=metres, days=days)
                report.linked.append((int(self.numbers[i]), why))
                continue
            row = {"id": -1, "kind": kind, "category": category, "found_on": day, "status": rules.INITIAL[0],
                   "duplicate_of": None, "x": xi, "y": yi, "key": ("row", (sid, i))}
            others = pd.concat([others, pd.DataFrame([row])], ignore_index=True)
        report.linked.sort()

    def record(self, conn: Connection, todo: pd.DataFrame, changed: pd.Series, existing: pd.DataFrame,
               source: str, notes: pd.Series | None, scope: Scope) -> None:
        """History of the written rows: ``import`` for a new item, ``import-update`` for changed fields,
        and one event (and audit entry) per workflow step; re-check dates as the steps set them."""
        now = clock.now_utc()
        ids = dict(conn.execute(text("SELECT source_id, id FROM ledger_items WHERE source = :s"), {"s": source}).all())
        notes = notes if notes is not None else pd.Series(None, index=todo.index, dtype=object)
        events, rechecks, links = [], {}, {}

        def event(item: int, action: str, before: str | None, after: str | None, note: str | None) -> None:
            events.append(store_ledger.history_row(item, self.by.name, action, before, after, note, now))

        for i, sid, status, was_changed in zip(todo.index, todo["source_id"], todo["status"], changed):
            item = ids[sid]
            if not was_changed:
                event(item, "import", None, status, f"imported from {self.file}")
                if sid in self.links:
                    item_ref, row_ref = self.links[sid]
                    original = item_ref if item_ref is not None else ids[row_ref[0]]
                    links[item] = original
                    event(item, "link", status, status, f"likely duplicate of #{original} (import of {self.file})")
                continue
            before = existing.at[sid, "status"]
            if not self.by.workflow:
                event(item, "import-update", before, status, f"changed by the import of {self.file}")
                continue
            steps = self.steps.get(sid, [])
            edit_after = before in rules.CLOSED  # a closed item is reopened before its fields change
            if self.edits.get(sid) and not edit_after:
                event(item, "import-update", before, before, f"changed by the import of {self.file}")
            current = before
            for action, nxt in steps:
                event(item, action, current, nxt.status, _text(notes[i]))
                audit.record(conn, self.by.name, f"ledger.{action}", str(item),
                             detail=f"{current} -> {nxt.status} (import of {self.file})", at=now)
                current = nxt.status
            if self.edits.get(sid) and edit_after:
                event(item, "import-update", current, current, f"changed by the import of {self.file}")
            if steps:
                rechecks[item] = steps[-1][1].recheck_on
        store_ledger.record_history(conn, events, rechecks, scope=scope)
        if links:
            conn.execute(text("UPDATE ledger_items SET duplicate_of = :o WHERE id = :i"),
                         [{"i": int(i), "o": int(o)} for i, o in links.items()])
            for item, original in links.items():
                audit.record(conn, self.by.name, "ledger.link", str(item), detail=f"duplicate of #{original} "
                             f"(import of {self.file})", at=now)
