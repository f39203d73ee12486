import datetime as dt

import pytest

from geo.core.auth import (LOCKOUT, MAX_FAILED_LOGONS, PERMISSIONS, ROLES, after_failure, allowed,
                           check_password_strength, check_username, is_locked, session_expired)

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


@pytest.mark.parametrize("password", ["short1", "alllettersnodigits", "123456789012345"])
def test_check_password_strength_refuses_weak_passwords(password):
    with pytest.raises(ValueError):
        check_password_strength(password)
    check_password_strength("Sufficiently-long-42")


@pytest.mark.parametrize("name", ["ab", "has space", "张三", "x" * 65, ""])
def test_check_username_refuses_odd_names(name):
    with pytest.raises(ValueError):
        check_username(name)


def test_after_failure_locks_on_the_fifth_failure_for_ten_minutes():
    failed, locked = 0, None
    for _ in range(MAX_FAILED_LOGONS - 1):
        failed, locked = after_failure(failed, T0)
        assert locked is None
    failed, locked = after_failure(failed, T0)
    assert failed == 0 and locked == T0 + LOCKOUT
    assert is_locked(locked, T0 + dt.timedelta(minutes=9, seconds=59))
    assert not is_locked(locked, T0 + dt.timedelta(minutes=10))


def test_session_expired_after_idle_time_and_maximum_length():
    idle, longest = dt.timedelta(minutes=30), dt.timedelta(hours=12)
    assert session_expired(T0, T0, T0 + dt.timedelta(minutes=29), idle, longest) is None
    assert session_expired(T0, T0, T0 + dt.timedelta(minutes=31), idle, longest) == "idle"
    busy = T0 + dt.timedelta(hours=12, minutes=1)
    assert session_expired(T0, busy - dt.timedelta(minutes=1), busy, idle, longest) == "max_length"
