"""The wall display's numbers in one read: KPIs, hot cells and the latest incidents.

Counts are of local calendar days ending today (inclusive) against the same days a year
earlier. Latest incidents carry time, category and place names only: no address, no text.
``within`` limits everything to an area scope; ``exclude`` leaves out categories that a
shared screen must not show.
"""

from __future__ import annotations

import datetime as dt
from typing import Sequence
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy import Date, bindparam, text
from sqlalchemy.engine import Connection

from geo.core.coverage import covered_share, fov_polygons
from geo.core.crs import metric_crs
from geo.core.hotspots import gi_classes, gi_star
from geo.core.ledger import OPEN
from geo.core.weights import islands, queen
from geo.core.timeutil import year_before
from geo.store import features
from geo.store.frames import to_frame
from geo.store.models import Incident
from geo.store.schema import deployment_timezone

WINDOWS = (1, 7, 28)  # days: today, last 7, last 28 (each ending today)
Within = tuple[str, str] | None


class _Filter:
    """SQL conditions for the area scope and excluded categories, with their parameters."""

    def __init__(self, within: Within, exclude: Sequence[str], alias: str = ""):
        self.sql, self.params, self.binds = "", {}, []
        prefix = f"{alias}." if alias else ""
        if within:
            self.sql += f" AND {prefix}{within[0]} = :within"
            self.params["within"] = within[1]
        if exclude:
            self.sql += f" AND {prefix}category NOT IN :exclude"
            self.params["exclude"] = list(exclude)
            self.binds.append(bindparam("exclude", expanding=True))


def _sum(conn: Connection, start: dt.date, end: dt.date, f: _Filter) -> int:
    stmt = text("SELECT COALESCE(SUM(n), 0) FROM incident_daily WHERE day BETWEEN :s AND :e" + f.sql).bindparams(
        bindparam("s", type_=Date), bindparam("e", type_=Date), *f.binds)
    return int(conn.execute(stmt, {"s": start, "e": end, **f.params}).scalar() or 0)


def _today_last_year(conn: Connection, today: dt.date, now: dt.datetime, tz: str, f: _Filter) -> int:
    """Incidents on this day last year up to the same local clock time as ``now``."""
    zone = ZoneInfo(tz)
    day = year_before(today, today)[0]
    local = now.astimezone(zone)
    start = dt.datetime.combine(day, dt.time(), tzinfo=zone)
    end = dt.datetime.combine(day, local.time().replace(tzinfo=None), tzinfo=zone)
    stmt = text("SELECT COUNT(*) FROM incidents WHERE occurred_at >= :lo AND occurred_at < :hi" + f.sql).bindparams(
        bindparam("lo", type_=Incident.occurred_at.type), bindparam("hi", type_=Incident.occurred_at.type), *f.binds)
    return int(conn.execute(stmt, {"lo": start.astimezone(dt.timezone.utc), "hi": end.astimezone(dt.timezone.utc),
                                   **f.params}).scalar() or 0)


def wall_snapshot(conn: Connection, today: dt.date, *, now: dt.datetime | None = None, hot_cells: int = 15,
                  latest: int = 10, hot_days: int = 7, within: Within = None,
                  exclude: Sequence[str] = ()) -> dict:
    """Everything the wall shows, read in one go (a consistent snapshot).

    With ``now`` (aware) on ``today``, today's count is compared with last year's same day up
    to the same clock time, not with last year's whole day.
    """
    tz = deployment_timezone(conn)
    f = _Filter(within, exclude)
    counts = {}
    for days in WINDOWS:
        start = today - dt.timedelta(days=days - 1)
        current, before = _sum(conn, start, today, f), _sum(conn, *year_before(start, today), f)
        if days == 1 and now is not None and now.astimezone(ZoneInfo(tz)).date() == today:
            before = _today_last_year(conn, today, now, tz, f)
        counts[days] = {"n": current, "n_last_year": before,
                        "yoy_pct": round((current - before) / before * 100, 1) if before else None}
    area = _Filter(within, ())
    ledger = conn.execute(text(
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN deadline < :today THEN 1 ELSE 0 END), 0) FROM ledger_items "
        "WHERE status IN :open" + area.sql).bindparams(bindparam("open", expanding=True),
                                                       bindparam("today", type_=Date)),
        {"open": list(OPEN), "today": today, **area.params}).one()
    cams = dict(conn.execute(text("SELECT status, COUNT(*) FROM cameras WHERE 1 = 1" + area.sql + " GROUP BY status"),
                             area.params).all())
    installed = int(cams.get("online", 0)) + int(cams.get("offline", 0))
    region = within[1] if within else conn.execute(
        text("SELECT code FROM areas WHERE level = 'district' ORDER BY code")).scalar()
    coverage, target = _coverage(conn, region, within)
    hot_start = today - dt.timedelta(days=hot_days - 1)
    cf = _Filter(within, exclude, alias="d")
    stmt = text("SELECT d.cell_code, a.name, a.name_en, a.parent_code, SUM(d.n) AS n FROM incident_daily d "
                "JOIN areas a ON a.code = d.cell_code WHERE d.day BETWEEN :s AND :e AND d.cell_code <> ''" + cf.sql +
                " GROUP BY d.cell_code, a.name, a.name_en, a.parent_code ORDER BY n DESC, d.cell_code").bindparams(
        bindparam("s", type_=Date), bindparam("e", type_=Date), *cf.binds)
    cells = to_frame(conn.execute(stmt, {"s": hot_start, "e": today, **cf.params}),
                     ["code", "name", "name_en", "parent_code", "n"])
    recent = features.incident_points(conn, today - dt.timedelta(days=6), today, tz, within=within, limit=latest,
                                      exclude=exclude)
    names = dict(conn.execute(text("SELECT code, name FROM areas WHERE level IN ('grid', 'community')")).all())
    names_en = dict(conn.execute(text("SELECT code, name_en FROM areas WHERE level IN ('grid', 'community')")).all())
    recent["local_time"] = recent["occurred_at"].dt.tz_convert(tz).dt.strftime("%m-%d %H:%M")
    for col in ("cell_code", "community_code"):
        recent[col.replace("_code", "_name")] = recent[col].map(names)
        recent[col.replace("_code", "_name_en")] = recent[col].map(names_en)
    as_of = conn.execute(text("SELECT MAX(occurred_at) FROM incidents WHERE 1 = 1" + area.sql), area.params).scalar()
    return {
        "today": today, "timezone": tz, "counts": counts,
        "open_ledger": int(ledger[0]), "overdue_ledger": int(ledger[1]),
        "cameras_online": int(cams.get("online", 0)), "cameras_installed": installed,
        "coverage_pct": None if coverage is None else round(coverage * 100, 2), "coverage_target_pct": target,
        "district": region, "cell_counts": cells, "hot_cells": _gi_hot_cells(conn, cells, within, hot_cells),
        "latest": recent.drop(columns=["lon", "lat"]),
        "data_as_of": None if as_of is None else (pd.Timestamp(as_of).tz_localize("UTC")
                                                  if pd.Timestamp(as_of).tzinfo is None
                                                  else pd.Timestamp(as_of).tz_convert("UTC")),
    }


def _gi_hot_cells(conn: Connection, cells: pd.DataFrame, within: Within, limit: int) -> pd.DataFrame:
    """The cells that are Gi* hot spots (95 % or more) in the window, strongest first."""
    grid = features.areas_within(conn, "grid", None, within[1] if within else None)
    if grid.empty:
        return cells.head(0).assign(gi_z=[])
    y = grid["code"].map(cells.set_index("code")["n"]).fillna(0).to_numpy(dtype=float)
    w = queen(grid.geometry.values)
    z, p = gi_star(y, w)
    klass = gi_classes(z, p, island=islands(w))
    hot = pd.DataFrame({"code": grid["code"], "name": grid["name"], "name_en": grid["name_en"],
                        "parent_code": grid["parent_code"], "n": y.astype(int), "gi_z": z.round(3)})
    hot = hot[np.isin(klass, ("hot_95", "hot_99"))].sort_values(["gi_z", "n"], ascending=False)
    return hot.head(limit).reset_index(drop=True)


def _coverage(conn: Connection, region: str | None, within: Within) -> tuple[float | None, float | None]:
    """Share of the region inside an online camera's field of view, and its target (percent)."""
    if region is None:
        return None, None
    target = conn.execute(text("SELECT target_pct FROM coverage_targets WHERE area_code = :c AND place_kind IS NULL "
                               "ORDER BY set_at DESC"), {"c": region}).scalar()
    shape = features.area_shape(conn, region)
    cams = features.cameras(conn, within)
    cams = cams[cams["status"] == "online"]
    if shape.empty or cams.empty:
        return (0.0 if not shape.empty else None), target
    lon, lat = cams.geometry.x.to_numpy(), cams.geometry.y.to_numpy()
    crs = metric_crs(float(lon.mean()), float(lat.mean()))
    fovs = fov_polygons(lon, lat, cams["heading"].to_numpy(dtype=float), cams["fov"].to_numpy(dtype=float),
                        cams["range_m"].to_numpy(dtype=float), crs)
    return covered_share(fovs, shape.geometry.iloc[0], crs), (None if target is None else float(target))
