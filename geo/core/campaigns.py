"""Campaigns: phases with dates and numeric indicator targets (pure rules, no storage).

An indicator is met when its actual reaches the target in the indicator's direction: at most
the target for a change that should fall (year-on-year incident change %), at least the target
for everything else. ``source`` says where an actual comes from: the database, or entered by
hand with its source named (satisfaction surveys, booths built).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class IndicatorKind:
    key: str
    unit: str
    at_most: bool  # True: the actual must not exceed the target
    source: str  # "database" or "hand"


INDICATORS = {i.key: i for i in (
    IndicatorKind("yoy_incident_change_pct", "%", True, "database"),
    IndicatorKind("clearance_pct", "%", False, "database"),
    IndicatorKind("camera_coverage_pct", "%", False, "database"),
    IndicatorKind("cameras_added", "", False, "database"),
    IndicatorKind("patrol_teams", "", False, "database"),
    IndicatorKind("booths", "", False, "hand"),
    IndicatorKind("satisfaction_pct", "%", False, "hand"),
)}
DEFAULT_PHASES = ("mobilisation", "concentrated rectification", "consolidation", "inspection and acceptance")


class CampaignRefused(ValueError):
    """A campaign, phase or indicator that cannot be saved, with the reason."""


def check_campaign(name: str, starts_on: dt.date, ends_on: dt.date,
                   phases: list[tuple[str, dt.date, dt.date]], indicators: list[tuple[str, float]]) -> None:
    """Refuse unnamed campaigns, reversed dates, phases outside the campaign or overlapping each
    other, unknown indicator keys and repeated ones."""
    if not (name or "").strip():
        raise CampaignRefused("a campaign needs a name")
    if ends_on < starts_on:
        raise CampaignRefused(f"the campaign ends ({ends_on}) before it starts ({starts_on})")
    ordered = sorted(phases, key=lambda p: p[1])
    for i, (phase, start, end) in enumerate(ordered):
        if not (phase or "").strip():
            raise CampaignRefused("every phase needs a name")
        if end < start:
            raise CampaignRefused(f"phase {phase!r} ends before it starts")
        if start < starts_on or end > ends_on:
            raise CampaignRefused(f"phase {phase!r} ({start}..{end}) lies outside the campaign ({starts_on}..{ends_on})")
        if i and start <= ordered[i - 1][2]:
            raise CampaignRefused(f"phase {phase!r} overlaps phase {ordered[i - 1][0]!r}")
    keys = [k for k, _ in indicators]
    for key in keys:
        if key not in INDICATORS:
            raise CampaignRefused(f"unknown indicator {key!r} (known: {', '.join(INDICATORS)})")
    if len(set(keys)) != len(keys):
        raise CampaignRefused("an indicator is listed twice")


def met(key: str, actual: float | None, target: float) -> bool | None:
    """Whether ``actual`` meets ``target`` (None when there is no actual yet)."""
    if actual is None:
        return None
    return actual <= target if INDICATORS[key].at_most else actual >= target


def current_phase(phases: list[tuple[str, dt.date, dt.date]], today: dt.date) -> str | None:
    for name, start, end in phases:
        if start <= today <= end:
            return name
    return None
