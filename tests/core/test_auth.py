import datetime as dt

import pytest

from zxcvbn.frequency_lists import FREQUENCY_LISTS

from geo.core.auth import (CLIENT_LIMIT, NAME_LIMIT, PASSWORD_REASONS, PERMISSIONS, ROLES, PasswordRefused, allowed,
                           check_password_strength, check_username, failure_key, is_locked, session_expired)
from geo.ingest.demo import DEMO_ACCOUNTS, demo_password

T0 = dt.datetime(2026, 11, 25, 8, 0, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize("role,permission,expected", [
    ("wall", "view_wall", True), ("wall", "view_maps", False),
    ("leader", "view_maps", True), ("leader", "edit_ledger", False), ("leader", "import", False),
    ("planner", "edit_targets", True), ("planner", "edit_ledger", False),
    ("clerk", "edit_ledger", True), ("clerk", "import", True), ("clerk", "edit_targets", False),
    ("clerk", "manage_users", False), ("admin", "manage_users", True), ("admin", "view_audit", True),
    (None, "view_wall", False), ("root", "view_wall", False),
])
def test_allowed_follows_least_privilege(role, permission, expected):
    assert allowed(role, permission) is expected


def test_every_role_above_wall_reads_maps_and_reports_and_only_leaders_and_clerks_the_ledger():
    for role in ROLES[1:]:
        assert {"view_wall", "view_maps", "view_reports"} <= PERMISSIONS[role]
    assert all(PERMISSIONS[r] <= PERMISSIONS["admin"] for r in ROLES)
    assert {r for r in ROLES if "view_ledger" in PERMISSIONS[r]} == {"leader", "clerk", "admin"}
    assert {r for r in ROLES if "edit_ledger" in PERMISSIONS[r]} == {"clerk", "admin"}
    assert {r for r in ROLES if "edit_campaigns" in PERMISSIONS[r]} == {"leader", "admin"}


@pytest.mark.parametrize("password,username,reason", [
    ("short1", None, "length"),
    ("alllettersnodigits", None, "letters_digits"),
    ("123456789012345", None, "letters_digits"),
    ("password1234", None, "common"),
    ("password1234", "ops.leader", "common"),
    ("qwerty123456", None, "common"),
    ("1q2w3e4r5t6y", None, "common"),
    ("iloveyou2026", None, "common"),
    ("abc123abc123", None, "guessable"),
    ("aaaaaaaaaaaa1", None, "guessable"),
    ("ops.leader2026!", "ops.leader", "user_name"),
    ("duty.leader-1", "duty.leader", "user_name"),
], ids=lambda v: v if isinstance(v, str) else "")
def test_check_password_strength_refuses_weak_passwords(password, username, reason):
    with pytest.raises(PasswordRefused) as refused:
        check_password_strength(password, username)
    assert refused.value.reason == reason
    assert str(refused.value) == PASSWORD_REASONS[reason].format(**refused.value.values)


@pytest.mark.parametrize("password,username", [
    ("Sufficiently-long-42", None),
    ("Correct-horse-42", "ops.leader"),
    ("A-new-long-secret-2026", "duty.leader"),
    ("violet kettle 7 harbour", "ops.clerk"),
    ("Tr0mbone-Quiver-Basalt-" + "x" * 60, "ops.clerk"),  # longer than zxcvbn takes: judged on 72 characters
])
def test_check_password_strength_accepts_strong_passwords(password, username):
    check_password_strength(password, username)


@pytest.mark.parametrize("username", [name for name, _, _ in DEMO_ACCOUNTS])
def test_the_demo_passwords_pass_the_policy(username):
    check_password_strength(demo_password(username), username)


def test_none_of_the_ten_thousand_most_common_passwords_is_accepted():
    accepted = []
    for password in FREQUENCY_LISTS["passwords"][:10_000]:
        try:
            check_password_strength(password)
        except PasswordRefused:
            continue
        accepted.append(password)
    assert accepted == []


def test_every_refusal_reason_is_in_the_catalogue_in_both_languages():
    import json
    from pathlib import Path

    catalogue = json.loads((Path(__file__).resolve().parents[2] / "data" / "i18n.json").read_text(encoding="utf-8"))
    for reason in PASSWORD_REASONS:
        entry = catalogue[f"admin.refused.{reason}"]
        assert entry["zh"] and entry["en"]


@pytest.mark.parametrize("name", ["ab", "has space", "张三", "x" * 65, ""])
def test_check_username_refuses_odd_names(name):
    with pytest.raises(ValueError):
        check_username(name)


def test_failure_key_is_keyed_case_blind_for_names_and_keeps_no_text():
    secret = bytes(range(32))
    key = failure_key(secret, "name", "Ops.Leader")
    assert key == failure_key(secret, "name", "ops.leader") == failure_key(secret, "name", " OPS.LEADER ")
    assert len(key) == 64 and "leader" not in key
    assert key != failure_key(bytes(32), "name", "ops.leader")  # another database, another key
    assert failure_key(secret, "client", "x") != failure_key(secret, "name", "x")
    assert failure_key(secret, "client", "session:AB") != failure_key(secret, "client", "session:ab")


def test_a_client_may_fail_more_often_than_a_name_and_is_locked_at_least_as_long():
    assert CLIENT_LIMIT.failures > NAME_LIMIT.failures and CLIENT_LIMIT.lockout >= NAME_LIMIT.lockout
    assert is_locked(T0 + NAME_LIMIT.lockout, T0 + dt.timedelta(minutes=9, seconds=59))
    assert not is_locked(T0 + NAME_LIMIT.lockout, T0 + NAME_LIMIT.lockout)


def test_session_expired_after_idle_time_and_maximum_length():
    idle, longest = dt.timedelta(minutes=30), dt.timedelta(hours=12)
    assert session_expired(T0, T0, T0 + dt.timedelta(minutes=29), idle, longest) is None
    assert session_expired(T0, T0, T0 + dt.timedelta(minutes=31), idle, longest) == "idle"
    busy = T0 + dt.timedelta(hours=12, minutes=1)
    assert session_expired(T0, busy - dt.timedelta(minutes=1), busy, idle, longest) == "max_length"
