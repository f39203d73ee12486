"""Alerts in the store: subscriptions, the inbox, acknowledge and snooze, the wall's open count.

Rules: ``geo.core.alerts``; evaluation: ``geo.store.alerts_run``; delivery: ``geo.store.alerts_delivery``.

Every read and write takes the account's :class:`~geo.store.scope.Scope`: a subscription's area must lie
inside it, and the inbox lists only the account's own alerts whose place lies inside it (on PostgreSQL
row-level security on ``alerts`` says the same). Subscribing, unsubscribing, acknowledging and snoozing
are audited in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import pandas as pd
from sqlalchemy import func, select, text
from sqlalchemy.engine import Connection, Engine

from geo.core import alerts as rules
from geo.core import clock
from geo.core.auth import allowed
from geo.store import audit, filters
from geo.store import scope as scoping
from geo.store.frames import to_frame
from geo.store.models import Alert, AlertSubscription
from geo.store.scope import ACCOUNT_LEVELS, Scope, require

ALERTS = Alert.__table__
SUBS = AlertSubscription.__table__
SUBSCRIBER_ROLES = ("leader", "planner", "clerk", "admin")
RULE_PERMISSION = {"ledger": "view_ledger"}  # a rule kind needing more than reading maps
INBOX_COLUMNS = ["id", "rule", "area_code", "subject", "condition", "value", "threshold", "period", "detail",
                 "raised_at", "active", "status", "snoozed_until", "delivery", "delivery_error"]


class AlertRefused(ValueError):
    """A subscription or inbox action that is not allowed, with the reason."""


def may_subscribe(role: str | None, rule: str) -> bool:
    """Whether ``role`` may subscribe to ``rule`` (leaders, planners, clerks and admins; ledger rules need
    the ledger)."""
    return role in SUBSCRIBER_ROLES and rule in rules.RULES and allowed(role, RULE_PERMISSION.get(rule, "view_maps"))


def check_webhook(url: str | None) -> str | None:
    """A webhook URL: https anywhere, or http to this machine only (localhost, 127.0.0.1, ::1)."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    local = parts.hostname in ("localhost", "127.0.0.1", "::1")
    if not parts.hostname or not (parts.scheme == "https" or (parts.scheme == "http" and local)):
        raise AlertRefused("a webhook is an https:// address (http:// only to localhost)")
    if parts.username or parts.password:
        raise AlertRefused("a webhook address may not carry a user name or password")
    return url.strip()


def check_email(address: str | None) -> str | None:
    if not address:
        return None
    address = address.strip()
    local, at, domain = address.partition("@")
    if not at or not local or "." not in domain or any(c in address for c in " \r\n,;<>"):
        raise AlertRefused(f"{address!r} is not a mailbox address")
    return address


def subscribe(engine: Engine, username: str, role: str | None, scope: Scope, area_code: str, rule: str, *,
              due_days: int | None = None, email: str | None = None, webhook: str | None = None) -> int:
    """Subscribe ``username`` to ``rule`` in ``area_code`` (a district, street or community inside ``scope``);
    an existing subscription of the same area and rule is updated. Returns its id."""
    require(scope)
    if not may_subscribe(role, rule):
        raise AlertRefused(f"a {role} account may not subscribe to {rule} alerts")
    due = rules.check_due_days(rules.DUE_DAYS if due_days is None else due_days) if rule == "ledger" else None
    email, webhook = check_email(email), check_webhook(webhook)
    with engine.begin() as conn:
        level = conn.execute(text("SELECT level FROM areas WHERE code = :c"), {"c": area_code}).scalar()
        if level is None:
            raise AlertRefused(f"no area has the code {area_code!r}")
        if level not in ACCOUNT_LEVELS:
            raise AlertRefused("alerts are subscribed per district, street or community")
        if not scope.contains(conn, area_code):
            raise AlertRefused(f"the area {area_code} lies outside your area {scope.code}")
        values = dict(due_days=due, email=email, webhook=webhook)
        found = conn.execute(select(SUBS.c.id).where(SUBS.c.username == username, SUBS.c.area_code == area_code,
                                                     SUBS.c.rule == rule)).scalar()
        if found is None:
            found = conn.execute(SUBS.insert().values(username=username, area_code=area_code, rule=rule,
                                                      created_at=clock.now_utc(), **values)).inserted_primary_key[0]
        else:
            conn.execute(SUBS.update().where(SUBS.c.id == found).values(**values))
        audit.record(conn, username, "alerts.subscribe", f"{rule}:{area_code}",
                     detail=" ".join(k for k in ("email", "webhook") if values[k]) or None)
    return int(found)


def unsubscribe(engine: Engine, username: str, scope: Scope, subscription_id: int) -> None:
    """End one of ``username``'s subscriptions (its alerts go with it)."""
    with engine.begin() as conn:
        scoping.apply(conn, require(scope))
        row = conn.execute(select(SUBS.c.rule, SUBS.c.area_code).where(
            SUBS.c.id == int(subscription_id), SUBS.c.username == username)).first()
        if row is None:
            raise AlertRefused("no such subscription of yours")
        conn.execute(ALERTS.delete().where(ALERTS.c.subscription_id == int(subscription_id)))
        conn.execute(SUBS.delete().where(SUBS.c.id == int(subscription_id)))
        audit.record(conn, username, "alerts.unsubscribe", f"{row.rule}:{row.area_code}")


def subscriptions(conn: Connection, username: str) -> pd.DataFrame:
    s = SUBS.c
    return to_frame(conn.execute(select(s.id, s.rule, s.area_code, s.due_days, s.email, s.webhook)
                                 .where(s.username == username).order_by(s.area_code, s.rule)),
                    ["id", "rule", "area_code", "due_days", "email", "webhook"])


def _visible(conn: Connection, scope: Scope, username: str, now: dt.datetime, *, include_done: bool):
    a = ALERTS.c
    where = [filters.rows(ALERTS, require(scope)), a.username == username]
    if not include_done:
        where += [a.status != "acknowledged", (a.snoozed_until.is_(None)) | (a.snoozed_until <= now)]
    return where


def inbox(conn: Connection, scope: Scope, username: str, *, include_done: bool = False) -> pd.DataFrame:
    """``username``'s alerts inside ``scope``, newest first: open ones (and snoozed ones whose time has
    come); with ``include_done`` acknowledged and still-snoozed ones too."""
    now = clock.now_utc()
    a = ALERTS.c
    stmt = select(*(a[c] for c in INBOX_COLUMNS)).where(*_visible(conn, scope, username, now,
                                                                   include_done=include_done))
    return to_frame(conn.execute(stmt.order_by(a.raised_at.desc(), a.id.desc()).limit(1000)), INBOX_COLUMNS)


def open_count(conn: Connection, scope: Scope, username: str | None = None) -> int:
    """Alerts inside ``scope`` still open (not acknowledged, not snoozed), of ``username`` or everyone's;
    an alert raised for several accounts counts once per place and condition."""
    now = clock.now_utc()
    a = ALERTS.c
    where = [filters.rows(ALERTS, require(scope)), a.status != "acknowledged",
             (a.snoozed_until.is_(None)) | (a.snoozed_until <= now), a.active.is_(True)]
    if username:
        where.append(a.username == username)
    distinct = select(a.rule, a.subject, a.condition, a.period).where(*where).distinct().subquery()
    return int(conn.execute(select(func.count()).select_from(distinct)).scalar())


def _act(engine: Engine, username: str, scope: Scope, alert_id: int, action: str, values: dict, detail: str | None):
    with engine.begin() as conn:
        scoping.apply(conn, require(scope))
        a = ALERTS.c
        row = conn.execute(select(a.rule, a.area_code, a.subject).where(
            a.id == int(alert_id), a.username == username, filters.rows(ALERTS, require(scope)))).first()
        if row is not None:
            _change(conn, username, alert_id, action, values, detail, row)
            return
    with engine.begin() as conn:  # the refusal is recorded on its own (the transaction above wrote nothing)
        audit.record(conn, username, f"alerts.{action}", f"alert:{int(alert_id)}", "denied")
    raise AlertRefused("no such alert in your inbox")


def _change(conn: Connection, username: str, alert_id: int, action: str, values: dict, detail: str | None, row) -> None:
    conn.execute(ALERTS.update().where(ALERTS.c.id == int(alert_id)).values(
        acted_by=username, acted_at=clock.now_utc(), **values))
    audit.record(conn, username, f"alerts.{action}", f"alert:{int(alert_id)} {row.rule}:{row.area_code}",
                 detail=detail)


def acknowledge(engine: Engine, username: str, scope: Scope, alert_id: int) -> None:
    """Mark one of the account's alerts seen and dealt with (audited)."""
    _act(engine, username, scope, alert_id, "acknowledge", {"status": "acknowledged", "snoozed_until": None}, None)


def snooze(engine: Engine, username: str, scope: Scope, alert_id: int, until: dt.datetime) -> None:
    """Hide one of the account's alerts until ``until`` (an aware instant in the future; audited)."""
    if until.tzinfo is None:
        raise AlertRefused("a snooze ends at a time with its zone")
    if until <= clock.now_utc():
        raise AlertRefused("a snooze ends in the future")
    _act(engine, username, scope, alert_id, "snooze", {"status": "snoozed", "snoozed_until": until},
         until.astimezone(dt.timezone.utc).isoformat(timespec="minutes"))
