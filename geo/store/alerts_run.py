"""``python -m geo alerts run``: evaluate every subscription, raise each condition once, clear what ended.

For each subscription the account is looked up again (disabled, or the area no longer inside its
scope, or its role no longer allowed: skipped), then its rule (``geo.core.alerts``) is evaluated over
the area. Every condition found has a *base key* (subscription, rule, area, subject and what makes the
condition itself, such as a ledger item's deadline or the ISO week of a count); while an active alert
with that base key exists nothing new is raised. A new alert's ``dedupe_key`` adds the period it was
first seen in (the local date, or the ISO week for the band rule) and is unique in the table, so a
second run on the same data raises nothing. Active alerts whose condition no longer holds are marked
cleared (``active`` false); the same condition coming back later is a new alert.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import func, select, text
from sqlalchemy.engine import Connection, Engine

from geo.core import alerts as rules
from geo.core import clock
from geo.store import analysis, coverage, filters
from geo.store import scope as scoping
from geo.store.alerts import may_subscribe
from geo.store.areas import CODE_COLUMNS
from geo.store.models import Alert, AlertSubscription, IncidentDaily, LedgerItem, User
from geo.store.schema import deployment_timezone
from geo.store.scope import Scope, ScopeError

ALERTS = Alert.__table__
DAILY = IncidentDaily.__table__
ITEMS = LedgerItem.__table__
COVERAGE_DAYS = 28  # incidents read for the coverage figures (only the area's share is compared)


@dataclass
class Found:
    """One condition that holds now."""

    subject: str
    condition: str
    base: str  # what makes this condition itself, beyond subscription, rule and area
    period: str
    codes: dict
    value: float | None = None
    threshold: float | None = None
    detail: str | None = None


@dataclass
class RunSummary:
    subscriptions: int = 0
    skipped: int = 0
    raised: int = 0
    lasting: int = 0
    cleared: int = 0
    errors: list = field(default_factory=list)

    def line(self) -> str:
        return (f"alerts: {self.subscriptions} subscriptions evaluated ({self.skipped} skipped), {self.raised} raised, "
                f"{self.lasting} still active, {self.cleared} cleared")


def chain(conn: Connection, code: str) -> dict:
    """The code columns of area ``code`` and its ancestors (None where it has no such level)."""
    out = {col: None for col in CODE_COLUMNS.values()}
    seen = set()
    while code and code not in seen:
        seen.add(code)
        row = conn.execute(text("SELECT level, parent_code FROM areas WHERE code = :c"), {"c": code}).first()
        if row is None:
            break
        out[CODE_COLUMNS[row.level]] = code
        code = row.parent_code
    return out


class Evaluator:
    """The rules over one database at one instant, with each area's figures computed once."""

    def __init__(self, conn: Connection):
        self.conn = conn
        self.tz = deployment_timezone(conn)
        self.today = clock.today(self.tz)
        self._cache: dict = {}

    def _once(self, key, make):
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def evaluate(self, rule: str, area: str, due_days: int | None) -> list[Found]:
        if rule == "ledger":
            return self.ledger(area, rules.DUE_DAYS if due_days is None else due_days)
        return self._once((rule, area), lambda: getattr(self, rule)(area))

    def hotspot(self, area: str) -> list[Found]:
        start = rules.week_start(self.today) - dt.timedelta(weeks=rules.HOT_WEEKS - 1)
        table = analysis.run(self.conn, Scope.of(self.conn, area), "grid", "emerging", start, self.today,
                             analysis.Options(step="week"))
        week = _iso_week(self.today)
        hot = table[table["emerging_class"].isin(rules.HOT_CATEGORIES) & (table["n_incidents"] > 0)]
        return [Found(code, cat, f"{code}|{cat}", week, chain(self.conn, code), float(n), None,
                      f"{rules.HOT_WEEKS} weeks to {self.today}")
                for code, cat, n in zip(hot["code"], hot["emerging_class"], hot["n_incidents"])]

    def band(self, area: str) -> list[Found]:
        level = self.conn.execute(text("SELECT level FROM areas WHERE code = :c"), {"c": area}).scalar()
        d = DAILY.c
        first = self.conn.execute(select(func.min(d.day))).scalar()
        if first is None:
            return []
        first = pd.Timestamp(first).date()
        since = rules.week_start(self.today) - dt.timedelta(weeks=52 * rules.MAX_YEARS + 2)
        rows = self.conn.execute(select(d.day, func.sum(d.n)).where(
            d[CODE_COLUMNS[level]] == area, d.day.between(since, self.today)).group_by(d.day)).all()
        days = pd.Series({pd.Timestamp(day).date(): int(n) for day, n in rows}, dtype="int64")
        weekly = {}
        for day, n in days.items():
            weekly[rules.week_start(day)] = weekly.get(rules.week_start(day), 0) + int(n)
        history, basis = rules.band_history(weekly, self.today, first)
        if not history:
            return []
        band, count = rules.usual_band(history), weekly.get(rules.week_start(self.today), 0)
        if not rules.above_band(count, band):
            return []
        week = _iso_week(self.today)
        mean = sum(history) / len(history)
        return [Found(area, "above_band", week, week, chain(self.conn, area), float(count), float(band),
                      f"{basis}: {len(history)} weeks, mean {mean:.1f}")]

    def ledger(self, area: str, due_days: int) -> list[Found]:
        c = ITEMS.c
        rows = self.conn.execute(select(c.id, c.status, c.deadline, *(c[col] for col in CODE_COLUMNS.values()))
                                 .where(filters.rows(ITEMS, Scope.of(self.conn, area)))).all()
        out = []
        for row in rows:
            deadline = None if row.deadline is None else pd.Timestamp(row.deadline).date()
            cond = rules.ledger_condition(row.status, deadline, self.today, due_days)
            if cond:
                late = (self.today - deadline).days
                out.append(Found(f"item:{row.id}", cond, f"item:{row.id}|{cond}|{deadline}", self.today.isoformat(),
                                 {col: getattr(row, col) for col in CODE_COLUMNS.values()}, float(late), None,
                                 f"deadline {deadline}"))
        return out

    def coverage(self, area: str) -> list[Found]:
        scope = Scope.of(self.conn, area)
        start = self.today - dt.timedelta(days=COVERAGE_DAYS - 1)
        table = coverage.area_coverage(self.conn, scope, scope.level, self.today, start, self.today)
        table = table[table["code"] == area]
        if table.empty:
            return []
        row = table.iloc[0]
        level = row.get("target_level")
        counted = row[f"{level}_pct"] if isinstance(level, str) else row["area_covered_pct"]
        target = row["target_pct"]
        if not rules.under_target(counted, target):
            return []
        online = row.get("online_ratio_pct")
        return [Found(area, "under_target", f"{area}|{float(target):g}", self.today.isoformat(), chain(self.conn, area),
                      float(counted), float(target), f"online cameras {online:g}%" if pd.notna(online) else None)]


def _iso_week(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _account_scope(conn: Connection, username: str) -> tuple[str, Scope] | None:
    u = User.__table__.c
    row = conn.execute(select(u.role, u.scope_code, u.disabled).where(u.username == username)).first()
    if row is None or row.disabled:
        return None
    try:
        return row.role, Scope.for_account(conn, row.scope_code)
    except ScopeError:
        return None


def run(engine: Engine) -> RunSummary:
    """Evaluate every subscription in one transaction (all or nothing); see the module docstring."""
    summary = RunSummary()
    now = clock.now_utc()
    with engine.begin() as conn:
        scoping.apply(conn, Scope.jurisdiction())  # the operator's run, for every account
        evaluator = Evaluator(conn)
        subs = conn.execute(AlertSubscription.__table__.select().order_by(AlertSubscription.id)).all()
        for sub in subs:
            summary.subscriptions += 1
            account = _account_scope(conn, sub.username)
            if account is None or not may_subscribe(account[0], sub.rule) or not account[1].contains(conn, sub.area_code):
                summary.skipped += 1
                continue
            found = evaluator.evaluate(sub.rule, sub.area_code, sub.due_days)
            _record(conn, sub, found, now, summary)
    return summary


def _record(conn: Connection, sub, found: list[Found], now: dt.datetime, summary: RunSummary) -> None:
    a = ALERTS.c
    active = dict(conn.execute(select(a.base_key, a.id).where(a.subscription_id == sub.id, a.active.is_(True))).all())
    keep = set()
    channel = "pending" if (sub.email or sub.webhook) else "none"
    for f in found:
        base = rules.dedupe_key(sub.id, sub.rule, sub.area_code, f.subject, f.base)
        keep.add(base)
        if base in active:
            summary.lasting += 1
            continue
        key = f"{base}|{f.period}"
        again = conn.execute(select(a.id).where(a.dedupe_key == key)).scalar()
        if again is not None:  # cleared and back within the same period: the same alert, active again
            conn.execute(ALERTS.update().where(a.id == again).values(active=True, cleared_at=None))
            summary.lasting += 1
            continue
        conn.execute(ALERTS.insert().values(
            subscription_id=sub.id, username=sub.username, dedupe_key=key, base_key=base, rule=sub.rule,
            area_code=sub.area_code, subject=f.subject, period=f.period, condition=f.condition, value=f.value,
            threshold=f.threshold, detail=f.detail, raised_at=now, active=True, status="open",
            delivery=channel, attempts=0, **f.codes))
        summary.raised += 1
    ended = [i for base, i in active.items() if base not in keep]
    if ended:
        conn.execute(ALERTS.update().where(a.id.in_(ended)).values(active=False, cleared_at=now))
        summary.cleared += len(ended)
