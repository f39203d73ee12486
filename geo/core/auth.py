"""Roles, permissions, log-on and password rules: pure data and arithmetic, no storage.

Least privilege: every role gets only what its work needs. ``wall`` only displays;
``leader`` reads maps and reports; ``planner`` and ``clerk`` each add their own work;
``admin`` has everything, including accounts and the audit log.

Failed sign-ins are counted twice, by the name tried (known or not) and by the client; each
count has its :class:`FailureLimit`. Counts are kept under a keyed hash (:func:`failure_key`),
never the name or the address itself.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import threading
from dataclasses import dataclass

from zxcvbn import zxcvbn

ROLES = ("wall", "leader", "planner", "clerk", "admin")
PERMISSIONS = {
    "wall": {"view_wall"},
    "leader": {"view_wall", "view_maps", "view_reports", "view_ledger", "edit_campaigns"},
    "planner": {"view_wall", "view_maps", "view_reports", "edit_targets", "plan_cameras", "edit_zones"},
    "clerk": {"view_wall", "view_maps", "view_reports", "view_ledger", "edit_ledger", "import", "export"},
}
PERMISSIONS["admin"] = set().union(*PERMISSIONS.values()) | {"manage_users", "view_audit", "edit_settings"}

MAX_FAILED_LOGONS = 5  # per name tried, known or not
LOCKOUT = dt.timedelta(minutes=10)
FAILURE_WINDOW = dt.timedelta(minutes=15)  # failures further apart than this are not added up
MAX_CLIENT_FAILURES = 20  # per client (address, else browser session): above the per-name limit
CLIENT_LOCKOUT = dt.timedelta(minutes=15)
IDLE_TIMEOUT = dt.timedelta(minutes=30)
MAX_SESSION = dt.timedelta(hours=12)
MIN_PASSWORD_LENGTH = 12
MIN_PASSWORD_SCORE = 3  # zxcvbn's 0-4 guessability score: 3 is "safely unguessable" (about 1e8 guesses)
ZXCVBN_MAX_LENGTH = 72  # zxcvbn refuses longer input; the first 72 characters are judged


@dataclass(frozen=True)
class FailureLimit:
    """``failures`` failed sign-ins within ``window`` of the first lock for ``lockout``; then counting starts afresh."""

    kind: str  # "name" or "client"
    failures: int
    window: dt.timedelta
    lockout: dt.timedelta


NAME_LIMIT = FailureLimit("name", MAX_FAILED_LOGONS, FAILURE_WINDOW, LOCKOUT)
CLIENT_LIMIT = FailureLimit("client", MAX_CLIENT_FAILURES, FAILURE_WINDOW, CLIENT_LOCKOUT)


class PasswordRefused(ValueError):
    """A password the policy refuses: ``reason`` names the rule (for translated messages), ``values`` fill it."""

    def __init__(self, reason: str, message: str, **values):
        super().__init__(message)
        self.reason = reason
        self.values = values


# why a password is refused -> the English message (the UI translates by reason)
PASSWORD_REASONS = {
    "length": "a password needs at least {n} characters",
    "letters_digits": "a password needs both letters and digits",
    "common": "this password is one of the most common passwords, or too close to one",
    "user_name": "this password is too close to the account's name",
    "guessable": "this password is too easy to guess (a keyboard pattern, a sequence, a repeat, a date or common words)",
}


def allowed(role: str | None, permission: str) -> bool:
    """Whether ``role`` holds ``permission`` (an unknown role holds nothing)."""
    return permission in PERMISSIONS.get(role or "", set())


def check_password_strength(password: str, username: str | None = None) -> None:
    """Raise :class:`PasswordRefused` unless the password is long, mixes letters and digits, and is hard to guess.

    Hard to guess: zxcvbn scores it at least ``MIN_PASSWORD_SCORE``, with the account's name (and
    its parts) as words an attacker would try first. zxcvbn's dictionaries hold the 30,000 most
    common passwords, so every one of the 10,000 most common is refused.

    Examples
    --------
    >>> check_password_strength("Correct-horse-42", "ops.leader")
    >>> try:
    ...     check_password_strength("password1234")
    ... except PasswordRefused as exc:
    ...     print(exc.reason)
    common
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        _refuse("length", n=MIN_PASSWORD_LENGTH)
    if not re.search(r"[A-Za-z]", password) or not re.search(r"\d", password):
        _refuse("letters_digits")
    result = _zxcvbn(password[:ZXCVBN_MAX_LENGTH], _name_words(username))
    if result["score"] < MIN_PASSWORD_SCORE:
        _refuse(_weakness(result["sequence"]))


def _refuse(reason: str, **values) -> None:
    raise PasswordRefused(reason, PASSWORD_REASONS[reason].format(**values), **values)


# zxcvbn keeps the user's words in a module-level dictionary while it scores: one score at a time
_ZXCVBN_LOCK = threading.Lock()


def _zxcvbn(password: str, words: list[str]) -> dict:
    with _ZXCVBN_LOCK:
        return zxcvbn(password, user_inputs=words)


def _name_words(username: str | None) -> list[str]:
    name = (username or "").strip().lower()
    if not name:
        return []
    return [name] + [part for part in re.split(r"[._-]+", name) if len(part) >= 3 and part != name]


def _weakness(sequence: list[dict]) -> str:
    """The reason to give for a weak password, from zxcvbn's best guess at how it was made."""
    sources = {m.get("dictionary_name") for m in sequence if m.get("pattern") == "dictionary"}
    if "user_inputs" in sources:
        return "user_name"
    if "passwords" in sources:
        return "common"
    return "guessable"


def check_username(name: str) -> str:
    """A user name: 3-64 letters, digits, dot, dash or underscore (an account, not a person's name)."""
    name = (name or "").strip()
    if not re.fullmatch(r"[A-Za-z0-9._-]{3,64}", name):
        raise ValueError("a user name is 3-64 letters, digits, '.', '-' or '_'")
    return name


def is_locked(locked_until: dt.datetime | None, now: dt.datetime) -> bool:
    return locked_until is not None and now < locked_until


def failure_key(secret: bytes, kind: str, value: str) -> str:
    """The keyed hash (HMAC-SHA256, hex) that failed sign-ins are counted under.

    ``kind`` is ``"name"`` (the name is lower-cased, so ``Admin`` and ``admin`` share a count)
    or ``"client"``. Neither the name nor the address is kept; without ``secret`` the hash
    cannot be matched to a guess.
    """
    text = value.strip().lower() if kind == "name" else value.strip()
    return hmac.new(secret, f"{kind}:{text}".encode("utf-8"), hashlib.sha256).hexdigest()


def session_expired(started: dt.datetime, last_seen: dt.datetime, now: dt.datetime,
                    idle: dt.timedelta = IDLE_TIMEOUT, longest: dt.timedelta = MAX_SESSION) -> str | None:
    """Why a session has ended (``"idle"`` or ``"max_length"``), or None while it is alive."""
    if now - last_seen > idle:
        return "idle"
    if now - started > longest:
        return "max_length"
    return None
