"""Roles, permissions and log-on rules: pure data and arithmetic, no storage.

Least privilege: every role gets only what its work needs. ``wall`` only displays;
``leader`` reads maps and reports; ``planner`` and ``clerk`` each add their own work;
``admin`` has everything, including accounts and the audit log.
"""

from __future__ import annotations

import datetime as dt
import re

ROLES = ("wall", "leader", "planner", "clerk", "admin")
PERMISSIONS = {
    "wall": {"view_wall"},
    "leader": {"view_wall", "view_maps", "view_reports", "view_ledger", "edit_campaigns"},
    "planner": {"view_wall", "view_maps", "view_reports", "edit_targets", "plan_cameras", "edit_zones"},
    "clerk": {"view_wall", "view_maps", "view_reports", "view_ledger", "edit_ledger", "import", "export"},
}
PERMISSIONS["admin"] = set().union(*PERMISSIONS.values()) | {"manage_users", "view_audit", "edit_settings"}

MAX_FAILED_LOGONS = 5
LOCKOUT = dt.timedelta(minutes=10)
IDLE_TIMEOUT = dt.timedelta(minutes=30)
MAX_SESSION = dt.timedelta(hours=12)
MIN_PASSWORD_LENGTH = 12


def allowed(role: str | None, permission: str) -> bool:
    """Whether ``role`` holds ``permission`` (an unknown role holds nothing)."""
    return permission in PERMISSIONS.get(role or "", set())


def check_password_strength(password: str) -> None:
    """Raise ValueError unless the password is long enough and mixes letters and digits."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    if not re.search(r"[A-Za-z]", password) or not re.search(r"\d", password):
        raise ValueError("a password needs both letters and digits")


def check_username(name: str) -> str:
    """A user name: 3-64 letters, digits, dot, dash or underscore (an account, not a person's name)."""
    name = (name or "").strip()
    if not re.fullmatch(r"[A-Za-z0-9._-]{3,64}", name):
        raise ValueError("a user name is 3-64 letters, digits, '.', '-' or '_'")
    return name


def is_locked(locked_until: dt.datetime | None, now: dt.datetime) -> bool:
    return locked_until is not None and now < locked_until


def after_failure(failed: int, now: dt.datetime) -> tuple[int, dt.datetime | None]:
    """(failed count, locked until) after one more failed log-on."""
    failed += 1
    return (0, now + LOCKOUT) if failed >= MAX_FAILED_LOGONS else (failed, None)


def session_expired(started: dt.datetime, last_seen: dt.datetime, now: dt.datetime,
                    idle: dt.timedelta = IDLE_TIMEOUT, longest: dt.timedelta = MAX_SESSION) -> str | None:
    """Why a session has ended (``"idle"`` or ``"max_length"``), or None while it is alive."""
    if now - last_seen > idle:
        return "idle"
    if now - started > longest:
        return "max_length"
    return None
