"""Campaigns over the store: create them with phases and targets, enter hand actuals, and read
each indicator's actual from the database wherever it can be measured."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from sqlalchemy import func, select, text
from sqlalchemy.engine import Connection, Engine

from geo.core.campaigns import INDICATORS, CampaignRefused, check_campaign, current_phase, met
from geo.core.timeutil import year_before
from geo.store import audit, filters, generation
from geo.store.frames import to_frame
from geo.store.models import Camera, Campaign, CampaignPhase, Indicator, LedgerItem
from geo.store.rollup import period_counts
from geo.store.scope import Scope

LEDGER, CAMERAS = LedgerItem.__table__, Camera.__table__


def create_campaign(engine: Engine, actor: str, name: str, starts_on: dt.date, ends_on: dt.date, *,
                    area_code: str | None = None, phases: list[tuple[str, dt.date, dt.date]] = (),
                    targets: list[tuple[str, float]] = (), name_en: str | None = None, scope: Scope) -> int:
    """Save a campaign with its phases and indicator targets in one transaction; returns its id.

    The campaign's area must lie inside ``scope`` (only a jurisdiction-wide account may create a
    campaign for the whole jurisdiction)."""
    phases, targets = list(phases), list(targets)
    check_campaign(name, starts_on, ends_on, phases, targets)
    with generation.writing(engine, "data") as conn:
        if area_code and conn.execute(text("SELECT 1 FROM areas WHERE code = :c"), {"c": area_code}).first() is None:
            raise CampaignRefused(f"no area {area_code!r}")
        if not scope.everything and not (area_code and scope.contains(conn, area_code)):
            raise CampaignRefused(f"a campaign must lie inside your area {scope.code}")
        cid = conn.execute(Campaign.__table__.insert().values(name=name.strip(), name_en=name_en, area_code=area_code,
                                                               starts_on=starts_on, ends_on=ends_on)
                           .returning(Campaign.__table__.c.id)).scalar_one()
        for phase, start, end in sorted(phases, key=lambda p: p[1]):
            conn.execute(CampaignPhase.__table__.insert().values(campaign_id=cid, name=phase.strip(), starts_on=start,
                                                                 ends_on=end))
        for key, target in targets:
            conn.execute(Indicator.__table__.insert().values(campaign_id=cid, key=key, target_value=float(target),
                                                             unit=INDICATORS[key].unit))
        audit.record(conn, actor, "campaign.create", str(cid), detail=f"{name} {starts_on}..{ends_on}")
    return int(cid)


def update_campaign(engine: Engine, actor: str, campaign_id: int, *,
                    phases: list[tuple[str, dt.date, dt.date]] | None = None,
                    targets: list[tuple[str, float]] | None = None, scope: Scope) -> None:
    """Replace a campaign's phases and/or set targets (a listed key gets the new target, a new key is
    added; hand actuals already entered stay). Checked like a new campaign; one transaction, audited."""
    with generation.writing(engine, "data") as conn:
        camp = conn.execute(text("SELECT name, starts_on, ends_on, area_code FROM campaigns WHERE id = :i"),
                            {"i": campaign_id}).mappings().first()
        if camp is None or not _editable(conn, scope, camp["area_code"]):
            raise CampaignRefused(f"no campaign {campaign_id} (or not inside your area)")
        start, end = pd.Timestamp(camp["starts_on"]).date(), pd.Timestamp(camp["ends_on"]).date()
        check_campaign(camp["name"], start, end, list(phases or []), list(targets or []))
        if phases is not None:
            conn.execute(text("DELETE FROM campaign_phases WHERE campaign_id = :i"), {"i": campaign_id})
            for phase, p_start, p_end in sorted(phases, key=lambda p: p[1]):
                conn.execute(CampaignPhase.__table__.insert().values(campaign_id=campaign_id, name=phase.strip(),
                                                                     starts_on=p_start, ends_on=p_end))
        for key, target in targets or []:
            done = conn.execute(text("UPDATE indicators SET target_value = :t WHERE campaign_id = :i AND key = :k"),
                                {"t": float(target), "i": campaign_id, "k": key}).rowcount
            if not done:
                conn.execute(Indicator.__table__.insert().values(campaign_id=campaign_id, key=key,
                                                                 target_value=float(target), unit=INDICATORS[key].unit))
        audit.record(conn, actor, "campaign.update", str(campaign_id),
                     detail=f"phases={'kept' if phases is None else len(phases)} "
                            f"targets={', '.join(f'{k}={v:g}' for k, v in targets or []) or 'kept'}")


def set_actual(engine: Engine, actor: str, indicator_id: int, value: float, source: str, *, scope: Scope) -> None:
    """Enter a hand-measured actual (satisfaction %, booths) with where it comes from."""
    if not (source or "").strip():
        raise CampaignRefused("say where the figure comes from (survey, inspection report, ...)")
    with generation.writing(engine, "data") as conn:
        row = conn.execute(text("SELECT i.key, c.area_code FROM indicators i JOIN campaigns c ON c.id = i.campaign_id "
                                "WHERE i.id = :i"), {"i": indicator_id}).first()
        if row is None or not _editable(conn, scope, row[1]):
            raise CampaignRefused(f"no indicator {indicator_id} (or not inside your area)")
        key = row[0]
        if INDICATORS[key].source != "hand":
            raise CampaignRefused(f"{key} is measured from the database, not entered by hand")
        conn.execute(text("UPDATE indicators SET actual_value = :v, actual_source = :s WHERE id = :i"),
                     {"v": float(value), "s": source.strip()[:100], "i": indicator_id})
        audit.record(conn, actor, "campaign.actual", str(indicator_id), detail=f"{key}={value} ({source})")


def _editable(conn: Connection, scope: Scope, area: str | None) -> bool:
    """A campaign may be changed by accounts whose scope holds its whole area."""
    return scope.everything or (area is not None and scope.contains(conn, area))


def _visible(conn: Connection, scope: Scope, area: str | None) -> bool:
    """A campaign concerns ``scope`` when its area lies inside it or holds it (its part in the scope)."""
    if scope.everything:
        return True
    return area is None or scope.contains(conn, area) or Scope.of(conn, area).contains(conn, scope.code)


def campaigns(conn: Connection, scope: Scope) -> pd.DataFrame:
    """The campaigns that concern ``scope``, newest first."""
    frame = to_frame(conn.execute(text("SELECT id, name, name_en, area_code, starts_on, ends_on FROM campaigns "
                                       "ORDER BY starts_on DESC, id DESC")))
    keep = [_visible(conn, scope, None if pd.isna(a) else a) for a in frame["area_code"]]
    return frame[keep].reset_index(drop=True)


def measured_area(conn: Connection, scope: Scope, area: str | None) -> str | None:
    """Where a campaign's indicators are measured for this scope: its own area when that lies inside
    the scope, else the scope's area (the campaign's part inside it)."""
    if scope.everything or (area is not None and scope.contains(conn, area)):
        return area
    return scope.code


def measured(conn: Connection, scope: Scope, key: str, start: dt.date, end: dt.date, today: dt.date) -> float | None:
    """An indicator's actual from the database inside ``scope`` for the dates (None when it has no data)."""
    end = min(end, today)
    if key == "yoy_incident_change_pct":
        def count(a, b):
            period = period_counts(scope, a, b)
            return conn.execute(select(func.coalesce(func.sum(period.c.n), 0))).scalar()
        now, before = count(start, end), count(*year_before(start, end))
        return round((now - before) / before * 100, 1) if before else None
    if key == "clearance_pct":
        c = LEDGER.c
        rows = conn.execute(select(c.status).where(filters.rows(LEDGER, scope), c.found_on.between(start, end),
                                                   c.status != "cancelled", c.duplicate_of.is_(None))).scalars().all()
        return round(sum(s in ("rectified", "verified") for s in rows) / len(rows) * 100, 1) if rows else None
    if key == "cameras_added":
        c = CAMERAS.c
        return float(conn.execute(select(func.count()).where(filters.rows(CAMERAS, scope),
                                                             c.installed_on.between(start, end))).scalar())
    if key == "patrol_teams":
        from geo.store import features

        zones = features.zones(conn, scope)
        return float(zones["team"].dropna().nunique())
    if key == "camera_coverage_pct":
        from geo.store import coverage

        table = coverage.area_coverage(conn, scope, scope.level or "district", end, start, end)
        if table.empty:
            return None
        weights = table.to_crs(table.estimate_utm_crs()).area
        return round(float(np.average(table["area_covered_pct"], weights=weights)), 1)
    return None


def detail(conn: Connection, scope: Scope, campaign_id: int,
           today: dt.date) -> tuple[dict, pd.DataFrame, pd.DataFrame]:
    """(campaign, phases with ``current``, indicators with ``actual``, ``source``, ``met``).

    Measured actuals are for :func:`measured_area` (``camp["measured_area"]``); a campaign that does
    not concern ``scope`` is refused as if it did not exist."""
    camp = conn.execute(text("SELECT * FROM campaigns WHERE id = :i"), {"i": campaign_id}).mappings().first()
    if camp is None or not _visible(conn, scope, camp["area_code"]):
        raise CampaignRefused(f"no campaign {campaign_id}")
    camp = dict(camp)
    camp["measured_area"] = measured_area(conn, scope, camp["area_code"])
    for k in ("starts_on", "ends_on"):
        camp[k] = pd.Timestamp(camp[k]).date()
    phases = to_frame(conn.execute(text("SELECT name, starts_on, ends_on FROM campaign_phases WHERE campaign_id = :i "
                                        "ORDER BY starts_on"), {"i": campaign_id}))
    for k in ("starts_on", "ends_on"):
        phases[k] = pd.to_datetime(phases[k]).dt.date
    now = current_phase(list(phases.itertuples(index=False, name=None)), today)
    phases["current"] = phases["name"] == now
    inds = to_frame(conn.execute(text("SELECT id, key, target_value, actual_value, actual_source, unit FROM indicators "
                                      "WHERE campaign_id = :i ORDER BY id"), {"i": campaign_id}))
    actual, source = [], []
    for row in inds.itertuples(index=False):
        if INDICATORS[row.key].source == "database":
            actual.append(measured(conn, scope.narrow(conn, camp["measured_area"]), row.key, camp["starts_on"],
                                   camp["ends_on"], today))
            source.append("database")
        else:
            actual.append(None if pd.isna(row.actual_value) else float(row.actual_value))
            source.append(row.actual_source)
    inds["actual"] = actual
    inds["source"] = source
    inds["met"] = [met(k, a, tgt) for k, a, tgt in zip(inds["key"], inds["actual"], inds["target_value"])]
    return camp, phases, inds.drop(columns=["actual_value", "actual_source"])


def active(conn: Connection, scope: Scope, area: str | None, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Campaigns overlapping ``start..end`` for the area or the whole jurisdiction."""
    frame = campaigns(conn, scope)
    if frame.empty:
        return frame
    s = pd.to_datetime(frame["starts_on"]).dt.date
    e = pd.to_datetime(frame["ends_on"]).dt.date
    keep = (s <= end) & (e >= start) & (frame["area_code"].isna() | (frame["area_code"] == area))
    return frame[keep].reset_index(drop=True)
