"""Ledger rules: which statuses count as open, and when an item is overdue."""

from __future__ import annotations

import datetime as dt

STATUSES = ("reported", "assigned", "rectifying", "rectified", "verified", "cancelled")
CLOSED = ("rectified", "verified", "cancelled")
OPEN = tuple(s for s in STATUSES if s not in CLOSED)


def is_overdue(status: str, deadline: dt.date | None, today: dt.date) -> bool:
    """Open with a deadline before ``today`` (a deadline of today is not yet overdue)."""
    return status in OPEN and deadline is not None and deadline < today
