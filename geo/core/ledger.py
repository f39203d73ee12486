"""Ledger rules: statuses, the rectification workflow, overdue arithmetic and oversight figures.

Workflow (``ACTIONS``)::

    reported --assign--> assigned --start--> rectifying --rectify--> rectified --verify--> verified
    reported/assigned/rectifying --cancel--> cancelled
    rectified/verified/cancelled --reopen--> assigned

Rectification needs a note and sets a re-check date (default ``RECHECK_DAYS`` after the
rectification); verification is the re-check itself, allowed on or after that date, by a
leader or an admin (someone other than the clerk who reported the fix). Reopen and cancel
need a note too. A new item starts in one of ``INITIAL``. A bulk import asks for a status,
not an action: :func:`import_steps` turns that into the same steps, under the same rules.
Everything here is pure: no storage, no clock (``today`` is passed in).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

import numpy as np
import pandas as pd

STATUSES = ("reported", "assigned", "rectifying", "rectified", "verified", "cancelled")
CLOSED = ("rectified", "verified", "cancelled")
OPEN = tuple(s for s in STATUSES if s not in CLOSED)
INITIAL = ("reported",)  # the statuses an item may be created in (the form creates it reported)
KINDS = ("hazard", "dispute", "security_gap")
# The category codes of each kind (the demo and the importers use the same codes); people see them through
# the catalogue (``ledger.category.<code>``), and the forms pick them from this list, never type them.
CATEGORIES_BY_KIND = {
    "hazard": ("fire", "gas", "building", "road"),
    "dispute": ("neighbourhood", "property", "labour", "land", "family"),
    "security_gap": ("camera", "perimeter", "rental", "lighting"),
}
CATEGORIES = tuple(c for codes in CATEGORIES_BY_KIND.values() for c in codes) + ("other",)
DESTRUCTIVE = frozenset({"cancel"})  # never offered preselected on a form
RECHECK_DAYS = 30
DUE_SOON_DAYS = 7


@dataclass(frozen=True)
class Action:
    name: str
    sources: tuple[str, ...]
    target: str
    roles: frozenset
    needs_note: bool = False


ACTIONS = {a.name: a for a in (
    Action("assign", ("reported",), "assigned", frozenset({"clerk", "admin"})),
    Action("start", ("assigned",), "rectifying", frozenset({"clerk", "admin"})),
    Action("rectify", ("rectifying",), "rectified", frozenset({"clerk", "admin"}), needs_note=True),
    Action("verify", ("rectified",), "verified", frozenset({"leader", "admin"})),
    Action("reopen", ("rectified", "verified", "cancelled"), "assigned", frozenset({"clerk", "leader", "admin"}),
           needs_note=True),
    Action("cancel", OPEN, "cancelled", frozenset({"leader", "admin"}), needs_note=True),
)}
PAST = {"assign": "assigned", "start": "started", "rectify": "rectified", "verify": "verified",
        "reopen": "reopened", "cancel": "cancelled"}
EDIT_ROLES = frozenset({"clerk", "admin"})  # who may create items and edit their fields


# every code a ledger refusal carries (here and in geo/store/ledger.py); each is a catalogue entry
REFUSAL_CODES = ("unknown_action", "role_may_not", "wrong_status", "needs_note", "recheck_past", "recheck_not_due",
                 "closed", "no_route", "needs_kind", "needs_title", "needs_found", "deadline_before",
                 "unknown_category", "duplicate", "needs_location", "outside_district", "outside_area", "may_not_edit",
                 "no_item", "not_editable", "new_status",
                 # ledger hygiene (geo/core/ledger_hygiene.py, geo/store/ledger_hygiene.py)
                 "role_may_not_correct", "nothing_to_correct", "needs_reason", "correct_not_edit", "likely_duplicate",
                 "bad_original")


class Refusal(ValueError):
    """A refusal with its reason in English (the message) and as a ``code`` with ``params``, so a
    screen can say it in its reader's language (``ledger.refusal.<code>`` in the catalogue)."""

    def __init__(self, message: str, code: str | None = None, **params):
        super().__init__(message)
        self.code, self.params = code, params


class WorkflowRefused(Refusal):
    """A status change that the rules do not allow, with the reason."""


@dataclass(frozen=True)
class Step:
    """The outcome of an allowed action: the new status and the re-check date to store."""

    status: str
    recheck_on: dt.date | None


def actions_for(status: str, role: str | None) -> list[str]:
    """The actions ``role`` may take on an item in ``status`` (dates and notes aside)."""
    return [a.name for a in ACTIONS.values() if status in a.sources and role in a.roles]


def step(status: str, action: str, role: str | None, *, note: str | None, today: dt.date,
         recheck_on: dt.date | None = None, recheck_days: int = RECHECK_DAYS) -> Step:
    """Check one workflow action and say what it leads to; raise :class:`WorkflowRefused` if not allowed.

    ``recheck_on`` is the item's current re-check date (for ``verify``) or, for ``rectify``,
    the date asked for (default ``today + recheck_days``; not before today).
    """
    rule = ACTIONS.get(action)
    if rule is None:
        raise WorkflowRefused(f"unknown action {action!r}", "unknown_action", action=action)
    if role not in rule.roles:
        raise WorkflowRefused(f"the {role or 'anonymous'} role may not {action} an item "
                              f"(allowed: {', '.join(sorted(rule.roles))})", "role_may_not", role=role, action=action)
    if status not in rule.sources:
        raise WorkflowRefused(f"an item that is {status} cannot be {PAST[action]} (only from {', '.join(rule.sources)})",
                              "wrong_status", status=status, action=action)
    if rule.needs_note and not (note or "").strip():
        raise WorkflowRefused(f"{action} needs a note saying what was done or why", "needs_note", action=action)
    if action == "rectify":
        when = recheck_on or today + dt.timedelta(days=recheck_days)
        if when < today:
            raise WorkflowRefused("the re-check date cannot be in the past", "recheck_past")
        return Step(rule.target, when)
    if action == "verify":
        if recheck_on is not None and today < recheck_on:
            raise WorkflowRefused(f"the re-check is due on {recheck_on}: it cannot be verified before then",
                                  "recheck_not_due", date=recheck_on)
        return Step(rule.target, recheck_on)
    if action == "reopen":
        return Step(rule.target, None)
    return Step(rule.target, recheck_on)


def route(before: str, after: str, role: str | None = None, *, any_role: bool = False) -> list[str] | None:
    """The shortest chain of actions from status ``before`` to ``after`` that ``role`` may take
    (every role's actions with ``any_role``); ties go to the order of ``ACTIONS``. None if there is none,
    ``[]`` when the two are the same."""
    paths = {before: []}
    frontier = [before]
    while frontier and after not in paths:
        reached = []
        for status in frontier:
            for rule in ACTIONS.values():
                if status in rule.sources and (any_role or role in rule.roles) and rule.target not in paths:
                    paths[rule.target] = paths[status] + [rule.name]
                    reached.append(rule.target)
        frontier = reached
    return paths.get(after)


def import_steps(before: str | None, after: str, role: str | None, *, note: str | None, today: dt.date,
                 recheck_on: dt.date | None = None, edits: bool = False,
                 recheck_days: int = RECHECK_DAYS) -> list[tuple[str, Step]]:
    """The workflow steps by which an import takes an item from ``before`` (None: a new item) to ``after``.

    Each step is checked by :func:`step` as if taken on the item's card, with the file's ``note``;
    ``recheck_on`` is the item's current re-check date. ``edits``: the row also changes the item's
    fields, which only an open item allows (before or after its steps). Raises
    :class:`WorkflowRefused` with the reason when the workflow or the role does not allow it.
    """
    if before is None:
        if after not in INITIAL:
            raise WorkflowRefused(f"a new item starts as {' or '.join(INITIAL)}, not {after}: "
                                  "import it so, then move it through the workflow", "new_status", after=after)
        return []
    if edits and before in CLOSED and after in CLOSED:
        raise WorkflowRefused(f"a {before} item cannot be edited: reopen it first", "closed", status=before)
    chain = route(before, after, role)
    if chain is None:
        chain = route(before, after, any_role=True)  # stepping through it says which step the role lacks
        if chain is None:
            raise WorkflowRefused(f"no workflow step leads from {before} to {after}", "no_route", before=before,
                                  after=after)
    out, status, when = [], before, recheck_on
    for action in chain:
        nxt = step(status, action, role, note=note, today=today, recheck_on=None if action == "rectify" else when,
                   recheck_days=recheck_days)
        out.append((action, nxt))
        status, when = nxt.status, nxt.recheck_on
    return out


def check_fields(kind: str | None, found_on: dt.date | None, deadline: dt.date | None, title: str | None) -> None:
    """Validation shared by the create and edit forms (location is checked by the store)."""
    if not (kind or "").strip():
        raise Refusal("a ledger item needs a kind (hazard, dispute, security gap, ...)", "needs_kind")
    if not (title or "").strip():
        raise Refusal("a ledger item needs a title", "needs_title")
    if found_on is None:
        raise Refusal("a ledger item needs the date it was found", "needs_found")
    if deadline is not None and deadline < found_on:
        raise Refusal(f"the deadline {deadline} is before the date found {found_on}", "deadline_before",
                      deadline=deadline, found=found_on)


def check_category(category: str | None) -> None:
    """A category is one of ``CATEGORIES`` (or none at all)."""
    if category is not None and category not in CATEGORIES:
        raise Refusal(f"unknown category {category!r} (one of: {', '.join(CATEGORIES)})", "unknown_category",
                      category=category)


def unit_key(name: str) -> str:
    """What two spellings of a unit's name share when they name the same unit: width-folded (NFKC),
    without spaces or punctuation, case-folded ("城关派出所 " and "城关 派出所" are one unit)."""
    folded = unicodedata.normalize("NFKC", name or "").casefold()
    return re.sub(r"[\s\W_]+", "", folded)


def same_unit(name: str, known) -> str | None:
    """The known unit ``name`` is a spelling of (None when it is a new one)."""
    key = unit_key(name)
    return next((k for k in known if k and unit_key(k) == key), None)


def is_overdue(status: str, deadline: dt.date | None, today: dt.date) -> bool:
    """Open with a deadline before ``today`` (a deadline of today is not yet overdue)."""
    return status in OPEN and deadline is not None and deadline < today


def due_flags(items: pd.DataFrame, today: dt.date, soon_days: int = DUE_SOON_DAYS) -> pd.DataFrame:
    """``overdue`` and ``due_soon`` (open, deadline within the next ``soon_days`` days, today included)."""
    status = items["status"].astype(str)
    deadline = pd.to_datetime(items["deadline"], errors="coerce").dt.date
    open_ = status.isin(OPEN)
    has = deadline.notna()
    overdue = open_ & has & (deadline.where(has, today) < today)
    soon = open_ & has & ~overdue & (deadline.where(has, today) <= today + dt.timedelta(days=soon_days))
    return items.assign(overdue=overdue.to_numpy(), due_soon=soon.to_numpy())


def oversight(items: pd.DataFrame, events: pd.DataFrame, today: dt.date, by: str,
              soon_days: int = DUE_SOON_DAYS) -> pd.DataFrame:
    """Per ``by`` (e.g. ``responsible_unit`` or an area code column), a league table of:

    ``items`` (not cancelled), ``open``, ``overdue``, ``due_soon``, ``rectified`` (ever rectified,
    verified counts too), ``rectification_rate`` = rectified / items, ``median_days`` from found to
    the first rectification, ``reopened`` and ``reopen_rate`` = reopened / rectified; ranked by
    rectification rate, then fewest overdue.

    ``items``: id, status, found_on, deadline and the ``by`` column; ``events``: item_id, action, at.
    """
    cols = ["items", "open", "overdue", "due_soon", "rectified", "rectification_rate", "median_days", "reopened",
            "reopen_rate"]
    if items.empty:
        return pd.DataFrame(columns=[by, *cols, "rank"])
    frame = due_flags(items, today, soon_days)
    frame = frame[frame["status"] != "cancelled"].copy()
    rect = events[events["action"] == "rectify"].groupby("item_id")["at"].min()
    reopened_ids = set(events.loc[events["action"] == "reopen", "item_id"])
    first_fix = pd.to_datetime(frame["id"].map(dict(zip(rect.index, rect))), utc=True)
    frame["rectified"] = first_fix.notna().to_numpy() | frame["status"].isin(("rectified", "verified")).to_numpy()
    found = pd.to_datetime(frame["found_on"]).dt.tz_localize("UTC")
    frame["days"] = (first_fix - found).dt.total_seconds().to_numpy() / 86400.0
    frame["reopened"] = frame["id"].isin(reopened_ids)
    frame["open"] = frame["status"].isin(OPEN)
    frame[by] = frame[by].fillna("—")
    g = frame.groupby(by)
    out = pd.DataFrame({
        "items": g.size(), "open": g["open"].sum(), "overdue": g["overdue"].sum(), "due_soon": g["due_soon"].sum(),
        "rectified": g["rectified"].sum(), "median_days": g["days"].median(), "reopened": g["reopened"].sum(),
    })
    out["rectification_rate"] = out["rectified"] / out["items"]
    out["reopen_rate"] = np.where(out["rectified"] > 0, out["reopened"] / out["rectified"].clip(lower=1), np.nan)
    out = out.reset_index()[[by, *cols]]
    out = out.sort_values(["rectification_rate", "overdue", by], ascending=[False, True, True]).reset_index(drop=True)
    out["rank"] = np.arange(1, len(out) + 1)
    return out
