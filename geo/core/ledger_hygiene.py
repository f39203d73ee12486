"""Ledger hygiene rules: likely duplicates, escalation of long-overdue items, and corrections.

* **Likely duplicates.** Two items are likely the same hazard or dispute when they have the same
  kind and the same category (no category on both counts as the same), lie within
  ``dup_metres`` metres of each other and were found at most ``dup_days`` days apart. Only open
  items that are not themselves linked duplicates are candidates (a new item links to the
  original, never to another copy).
* **Escalation.** An open item overdue by ``escalate_days`` days or more rises to the unit above:
  SafeGrid has no hierarchy of responsible units, so "the unit above" is the oversight of the
  street the item lies in (the street's and the district's leaders' lists). It escalated on
  ``deadline + escalate_days`` (a date, from the deployment's clock). A linked duplicate never
  escalates: its original does.
* **Corrections.** The category and the responsible unit, once set, change only through a
  correction: a step with a reason, by a clerk, a leader or an admin, kept in the item's history.
  Filling a field that was empty is an ordinary edit.

Everything here is pure: frames in, frames out; no storage, no clock (``today`` is passed in).

Examples
--------
>>> import datetime as dt
>>> escalated_on(dt.date(2026, 6, 1), 14)
datetime.date(2026, 6, 15)
>>> settings_from({"SAFEGRID_DUP_METRES": "80"}).dup_metres
80.0
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Mapping

import numpy as np
import pandas as pd

from geo.core.ledger import OPEN, Refusal

DUP_METRES = 50.0  # metres between two likely duplicates, at most
DUP_DAYS = 7  # days between their found dates, at most
ESCALATE_DAYS = 14  # days overdue before an item rises to the street's oversight
CORRECTABLE = ("category", "responsible_unit")
CORRECT_ROLES = frozenset({"clerk", "leader", "admin"})
ENV = {"dup_metres": "SAFEGRID_DUP_METRES", "dup_days": "SAFEGRID_DUP_DAYS", "escalate_days": "SAFEGRID_ESCALATE_DAYS"}


@dataclass(frozen=True)
class Hygiene:
    """The three settings: metres and days of a likely duplicate, days overdue before escalation."""

    dup_metres: float = DUP_METRES
    dup_days: int = DUP_DAYS
    escalate_days: int = ESCALATE_DAYS


def settings_from(env: Mapping[str, str]) -> Hygiene:
    """The settings as ``env`` (the environment) gives them; a missing, malformed or negative value
    keeps its default (a typo must not switch the checks off)."""
    out = {}
    for name, var in ENV.items():
        default = getattr(Hygiene, name)
        try:
            value = type(default)(float(env.get(var, "") or default))
        except (TypeError, ValueError):
            value = default
        out[name] = value if value >= 0 else default
    return Hygiene(**out)


def _same_category(a, b) -> bool:
    missing_a, missing_b = a is None or pd.isna(a), b is None or pd.isna(b)
    return (missing_a and missing_b) or (not missing_a and not missing_b and a == b)


def candidates(x: float, y: float, kind: str, category: str | None, found_on: dt.date, others: pd.DataFrame,
               metres: float = DUP_METRES, days: int = DUP_DAYS) -> pd.DataFrame:
    """The items of ``others`` that a new item at ``x, y`` (metres, a metric CRS) is likely a copy of.

    ``others``: id, x, y (the same CRS), kind, category, found_on, status, duplicate_of. Returns
    id, distance_m and days_apart of the open, unlinked ones of the same kind and category within
    ``metres`` and ``days``; nearest first.
    """
    cols = ["id", "distance_m", "days_apart"]
    if others.empty:
        return pd.DataFrame(columns=cols)
    keep = others["status"].isin(OPEN).to_numpy() & others["duplicate_of"].isna().to_numpy()
    keep &= (others["kind"] == kind).to_numpy()
    keep &= np.array([_same_category(c, category) for c in others["category"]], dtype=bool)
    distance = np.hypot(others["x"].to_numpy(float) - x, others["y"].to_numpy(float) - y)
    found = pd.to_datetime(others["found_on"]).dt.date
    apart = np.array([abs((f - found_on).days) for f in found], dtype=int)
    keep &= (distance <= metres) & (apart <= days)
    out = pd.DataFrame({"id": others["id"].to_numpy()[keep].astype(int), "distance_m": distance[keep].round(1),
                        "days_apart": apart[keep]})
    return out.sort_values(["distance_m", "days_apart", "id"], ignore_index=True)


def escalated_on(deadline: dt.date | None, days: int = ESCALATE_DAYS) -> dt.date | None:
    """The date an item with ``deadline`` escalates if still open then (None without a deadline)."""
    return None if deadline is None or pd.isna(deadline) else deadline + dt.timedelta(days=days)


def escalation(items: pd.DataFrame, today: dt.date, days: int = ESCALATE_DAYS) -> pd.DataFrame:
    """``items`` (status, deadline, duplicate_of) with ``escalated`` (open, not a linked duplicate,
    overdue by ``days`` days or more on ``today``) and ``escalated_on`` (the date it happened, else None)."""
    deadline = pd.to_datetime(items["deadline"], errors="coerce")
    due = deadline + pd.Timedelta(days=days)
    linked = items["duplicate_of"].notna() if "duplicate_of" in items else pd.Series(False, index=items.index)
    flag = items["status"].isin(OPEN) & ~linked & deadline.notna() & (due <= pd.Timestamp(today))
    when = [d.date() if f else None for d, f in zip(due, flag)]
    return items.assign(escalated=flag.to_numpy(bool), escalated_on=pd.Series(when, index=items.index, dtype=object))


def check_correction(role: str | None, current: Mapping[str, object], changes: Mapping[str, object],
                     reason: str | None) -> dict[str, tuple]:
    """The fields a correction changes, as field -> (before, after); raise :class:`Refusal` when the
    role may not correct, a field is not correctable, nothing changes or the reason is missing."""
    if role not in CORRECT_ROLES:
        raise Refusal(f"the {role or 'anonymous'} role may not correct an item (allowed: "
                      f"{', '.join(sorted(CORRECT_ROLES))})", "role_may_not_correct", role=role)
    unknown = sorted(set(changes) - set(CORRECTABLE))
    if unknown:
        raise Refusal(f"these fields cannot be corrected: {', '.join(unknown)}", "not_editable",
                      fields=", ".join(unknown))
    changed = {k: (current.get(k), v) for k, v in changes.items() if not _same_category(current.get(k), v)}
    if not changed:
        raise Refusal("the correction changes nothing", "nothing_to_correct")
    if not (reason or "").strip():
        raise Refusal("a correction needs a reason", "needs_reason")
    return changed


def is_correction(current: Mapping[str, object], changes: Mapping[str, object]) -> list[str]:
    """The fields of ``changes`` that replace a value already set (a correction, not an edit)."""
    out = []
    for k in CORRECTABLE:
        if k in changes:
            before = current.get(k)
            if before is not None and not pd.isna(before) and not _same_category(before, changes[k]):
                out.append(k)
    return out


def describe(changed: Mapping[str, tuple]) -> str:
    """``category: road -> gas; responsible_unit: a -> b`` (the history note's first part)."""
    def show(v):
        return "—" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v)
    return "; ".join(f"{k}: {show(a)} -> {show(b)}" for k, (a, b) in changed.items())
