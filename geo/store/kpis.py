"""The wall display's numbers in one read: KPIs, hot cells and the latest incidents.

Counts are of local calendar days ending today (inclusive) against the same days a year
earlier. Latest incidents carry time, category and place names only: no address, no text.
Everything lies inside the reader's :class:`~geo.store.scope.Scope`; ``exclude`` leaves out categories that a
shared screen must not show.
"""

from __future__ import annotations

import datetime as dt
from typing import Sequence
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import case, func, select
from sqlalchemy.engine import Connection

from geo.core.coverage import covered_fraction
from geo.core.disclosure import publish_wall
from geo.core.crs import metric_crs_of
from geo.core.hotspots import hot_cells, is_hot
from geo.core import today as today_rule
from geo.core.ledger import OPEN
from geo.core.timeutil import year_before
from geo.store import features, filters, views
from geo.store.areas import CODE_COLUMNS
from geo.store.frames import to_frame
from geo.store.models import Area, Camera, CoverageTarget, Incident, IncidentDaily, LedgerItem
from geo.store.scope import Scope
from geo.store.schema import deployment_timezone

WINDOWS = (1, 7, 28)  # days: today, last 7, last 28 (each ending today)
DAILY, INCIDENTS, LEDGER, CAMERAS, AREAS = (IncidentDaily.__table__, Incident.__table__, LedgerItem.__table__,
                                            Camera.__table__, Area.__table__)


def _sum(conn: Connection, scope: Scope, start: dt.date, end: dt.date, exclude: Sequence[str]) -> int:
    stmt = select(func.coalesce(func.sum(DAILY.c.n), 0)).where(
        filters.rows(DAILY, scope, days=(start, end), exclude=exclude))
    return int(conn.execute(stmt).scalar() or 0)


def _today_last_year(conn: Connection, scope: Scope, today: dt.date, until: dt.datetime, tz: str,
                     exclude: Sequence[str]) -> int:
    """Incidents on this day last year up to the same local clock time as ``until`` (a moment of today)."""
    zone = ZoneInfo(tz)
    day = year_before(today, today)[0]
    local = until.astimezone(zone)
    start = dt.datetime.combine(day, dt.time(), tzinfo=zone).astimezone(dt.timezone.utc)
    end = dt.datetime.combine(day, local.time().replace(tzinfo=None), tzinfo=zone).astimezone(dt.timezone.utc)
    if local.date() > today:  # the whole day
        end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=zone).astimezone(dt.timezone.utc)
    c = INCIDENTS.c
    stmt = select(func.count()).where(filters.rows(INCIDENTS, scope, exclude=exclude), c.occurred_at >= start,
                                      c.occurred_at < end)
    return int(conn.execute(stmt).scalar() or 0)


def wall_snapshot(conn: Connection, scope: Scope, today: dt.date, *, now: dt.datetime | None = None,
                  hot_cells: int = 15, latest: int = 10, hot_days: int = 7, exclude: Sequence[str] = ()) -> dict:
    """Everything the wall shows inside ``scope``, read in one go (a consistent snapshot).

    With ``now`` (aware) on ``today``, today's count is compared with last year's same day up
    to the same clock time (that of the latest incident received when it is earlier), not with
    last year's whole day, and only once enough of the day is in (``geo.core.today``); ``early``
    says the day is too young to compare.
    """
    tz = deployment_timezone(conn)
    as_of = conn.execute(select(func.max(INCIDENTS.c.occurred_at)).where(filters.rows(INCIDENTS, scope))).scalar()
    as_of = None if as_of is None else (pd.Timestamp(as_of).tz_localize("UTC") if pd.Timestamp(as_of).tzinfo is None
                                        else pd.Timestamp(as_of).tz_convert("UTC"))
    counts = {}
    for days in WINDOWS:
        start = today - dt.timedelta(days=days - 1)
        current = _sum(conn, scope, start, today, exclude)
        before = _sum(conn, scope, *year_before(start, today), exclude)
        pct = round((current - before) / before * 100, 1) if before else None
        early = False
        if days == 1:  # today so far: the same hours of last year's day, once enough of it is in (geo.core.today)
            share = 1.0
            if now is not None and now.astimezone(ZoneInfo(tz)).date() == today:
                day_start = dt.datetime.combine(today, dt.time(), tzinfo=ZoneInfo(tz))
                until = today_rule.cutoff(day_start, now, None if as_of is None else as_of.to_pydatetime())
                share = today_rule.day_share(day_start, until)
                before = _today_last_year(conn, scope, today, until, tz, exclude)
            pct = today_rule.change(current, before, share)
            early = share < today_rule.MIN_DAY_SHARE
        counts[days] = {"n": current, "n_last_year": before, "yoy_pct": pct, "early": early}
    lc = LEDGER.c
    ledger = conn.execute(select(func.count(), func.coalesce(func.sum(case((lc.deadline < today, 1), else_=0)), 0))
                          .where(filters.rows(LEDGER, scope), lc.status.in_(list(OPEN)),
                                 lc.duplicate_of.is_(None))).one()  # a linked duplicate is its original's
    cc = CAMERAS.c
    cams = dict(conn.execute(select(cc.status, func.count()).where(filters.rows(CAMERAS, scope))
                             .group_by(cc.status)).all())
    installed = int(cams.get("online", 0)) + int(cams.get("offline", 0))
    region = scope.code if not scope.everything else conn.execute(
        select(AREAS.c.code).where(AREAS.c.level == "district").order_by(AREAS.c.code)).scalar()
    coverage, target = _coverage(conn, scope, region)
    hot_start = today - dt.timedelta(days=hot_days - 1)
    d, a = DAILY.c, AREAS.c
    n = func.sum(d.n).label("n")
    stmt = select(d.cell_code, a.name, a.name_en, a.parent_code, n).join_from(DAILY, AREAS, a.code == d.cell_code) \
        .where(filters.rows(DAILY, scope, days=(hot_start, today), exclude=exclude), d.cell_code != "") \
        .group_by(d.cell_code, a.name, a.name_en, a.parent_code).order_by(n.desc(), d.cell_code)
    cells = to_frame(conn.execute(stmt), ["code", "name", "name_en", "parent_code", "n"])
    recent = features.incident_points(conn, scope, today - dt.timedelta(days=6), today, tz, limit=latest,
                                      exclude=exclude)
    named = to_frame(conn.execute(select(a.code, a.name, a.name_en).where(a.level != "district")),
                     ["code", "name", "name_en"]).set_index("code")
    recent["local_time"] = recent["occurred_at"].dt.tz_convert(tz).dt.strftime("%m-%d %H:%M")
    for col in ("cell_code", "community_code", "street_code"):
        recent[col.replace("_code", "_name")] = recent[col].map(named["name"])
        recent[col.replace("_code", "_name_en")] = recent[col].map(named["name_en"])
    level = chart_level(scope)
    return {
        "today": today, "timezone": tz, "counts": counts,
        "open_ledger": int(ledger[0]), "overdue_ledger": int(ledger[1]),
        "cameras_online": int(cams.get("online", 0)), "cameras_installed": installed,
        "coverage_pct": None if coverage is None else round(coverage * 100, 2), "coverage_target_pct": target,
        "district": region, "cell_counts": cells, "hot_cells": _gi_hot_cells(conn, scope, cells, hot_cells),
        "latest": recent.drop(columns=["lon", "lat"]),
        "area_level": level, "area_counts": _area_counts(conn, scope, level, today, exclude, named),
        "data_as_of": as_of,
    }


def wall_view(conn: Connection, scope: Scope, now: dt.datetime, *, k: int, hot_cells: int = 15,
              exclude: Sequence[str] = (), delay_days: int = 0) -> dict:
    """What the wall shows at ``now`` inside ``scope``: the snapshot of the day ``delay_days`` before
    today, through disclosure control (``geo.core.disclosure.publish_wall``). The wall page and
    ``python -m geo wall-snapshot`` both read it here."""
    day = now.astimezone(ZoneInfo(deployment_timezone(conn))).date() - dt.timedelta(days=delay_days)
    raw = wall_snapshot(conn, scope, day, now=None if delay_days else now, hot_cells=hot_cells, exclude=exclude)
    return publish_wall(raw, k)


def chart_level(scope: Scope) -> str:
    """The areas the wall's chart compares: streets, or the communities of an account limited to a street
    or community."""
    return "street" if scope.level in (None, "district") else "community"


def _area_counts(conn: Connection, scope: Scope, level: str, today: dt.date, exclude: Sequence[str],
                 named: pd.DataFrame) -> pd.DataFrame:
    """Incidents of the last 28 days and the same days a year before per area of ``level`` inside ``scope``
    (``code, name, name_en, n, n_last_year``); together with the incidents in no such area they add up
    to the 28-day tile."""
    d = DAILY.c
    key = d[CODE_COLUMNS[level]]
    start = today - dt.timedelta(days=27)

    def per_area(a: dt.date, b: dt.date) -> pd.Series:
        got = to_frame(conn.execute(select(key, func.sum(d.n)).where(
            filters.rows(DAILY, scope, days=(a, b), exclude=exclude), key != "").group_by(key)), ["code", "n"])
        return got.set_index("code")["n"]

    codes = filters.area_codes(conn, scope, level)
    if codes is None:
        codes = list(conn.execute(select(AREAS.c.code).where(AREAS.c.level == level)).scalars())
    out = pd.DataFrame({"code": sorted(codes)})
    out["name"] = out["code"].map(named["name"])
    out["name_en"] = out["code"].map(named["name_en"])
    out["n"] = out["code"].map(per_area(start, today)).fillna(0).astype(int)
    out["n_last_year"] = out["code"].map(per_area(*year_before(start, today))).fillna(0).astype(int)
    return out


def _gi_hot_cells(conn: Connection, scope: Scope, cells: pd.DataFrame, limit: int) -> pd.DataFrame:
    """The cells inside ``scope`` that are Gi* hot spots (95 % or more) in the window, strongest first."""
    grid = features.areas_within(conn, scope, "grid")
    if grid.empty:
        return cells.head(0).assign(gi_z=[], gi_class=[])
    y = grid["code"].map(cells.set_index("code")["n"]).fillna(0).to_numpy(dtype=float)
    z, _, klass = hot_cells(y, grid.geometry.values)
    hot = pd.DataFrame({"code": grid["code"], "name": grid["name"], "name_en": grid["name_en"],
                        "parent_code": grid["parent_code"], "n": y.astype(int), "gi_z": z.round(3),
                        "gi_class": klass})
    hot = hot[is_hot(klass)].sort_values(["gi_z", "n"], ascending=False)
    return hot.head(limit).reset_index(drop=True)


def _coverage(conn: Connection, scope: Scope, region: str | None) -> tuple[float | None, float | None]:
    """Share of the region inside an online camera's field of view, and its target (percent)."""
    if region is None:
        return None, None
    t = CoverageTarget.__table__.c
    target = conn.execute(select(t.target_pct).where(t.area_code == region, t.place_kind.is_(None))
                          .order_by(t.set_at.desc())).scalar()
    shape = features.area_shape(conn, scope, region)
    cams = features.cameras(conn, scope)
    cams = cams[cams["status"] == "online"]
    if shape.empty or cams.empty:
        return (0.0 if not shape.empty else None), target
    crs = metric_crs_of(cams)
    region = shape.geometry.iloc[:1].to_crs(crs).values
    share = float(covered_fraction(views.open_ground(conn, region, crs), views.camera_views(conn, cams, crs).at())[0])
    return share, (None if target is None else float(target))
