"""SQLAlchemy 2.0 typed models for every table of the ledger store.

Events and places, never people: no table here describes a person. ``users`` holds log-on
accounts (a user name and role, no personal details); teams and units are names of units.
All geometry is WGS 84; all timestamps are UTC; ``*_on`` columns are local calendar dates
in the deployment's time zone.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (BigInteger, Boolean, Date, DateTime, Float, ForeignKey, Index, Integer,
                        String, Text, UniqueConstraint)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from geo.store.types import Geometry

CODE = String(64)
NAME = String(200)
UTC = DateTime(timezone=True)


class Base(DeclarativeBase):
    pass


class Setting(Base):
    """Deployment settings kept with the data (for example the time zone of its dates)."""

    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Area(Base):
    """A district, street/township, community/village or grid cell."""

    __tablename__ = "areas"
    code: Mapped[str] = mapped_column(CODE, primary_key=True)
    name: Mapped[str | None] = mapped_column(NAME)
    name_en: Mapped[str | None] = mapped_column(NAME)
    level: Mapped[str] = mapped_column(String(16), index=True)
    parent_code: Mapped[str | None] = mapped_column(CODE, index=True)
    population: Mapped[int | None] = mapped_column(Integer)
    team: Mapped[str | None] = mapped_column(NAME)  # grid team: a unit's name, not a person
    area_km2: Mapped[float | None] = mapped_column(Float)
    row_hash: Mapped[int | None] = mapped_column(BigInteger)
    geom = mapped_column(Geometry("MULTIPOLYGON"))


# Codes of the grid cell and each ancestor, assigned once at import ("" never; NULL = none).
class _AreaCodes:
    cell_code: Mapped[str | None] = mapped_column(CODE)
    community_code: Mapped[str | None] = mapped_column(CODE)
    street_code: Mapped[str | None] = mapped_column(CODE)
    district_code: Mapped[str | None] = mapped_column(CODE)


class Incident(_AreaCodes, Base):
    """On PostgreSQL partitioned by month of ``occurred_on`` (migration 0007): there the primary key is
    (id, occurred_on) and the unique key (source, source_id, occurred_on); ``geo.store.partitions``."""

    __tablename__ = "incidents"
    __table_args__ = (
        Index("uq_incidents_source", "source", "source_id", unique=True),
        Index("ix_incidents_occurred_on", "occurred_on"),
        Index("ix_incidents_cell_day", "cell_code", "occurred_on"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(64))
    source_id: Mapped[str] = mapped_column(String(128))
    category: Mapped[str] = mapped_column(String(100), default="")
    subcategory: Mapped[str | None] = mapped_column(String(200))
    occurred_at: Mapped[dt.datetime] = mapped_column(UTC)
    occurred_on: Mapped[dt.date] = mapped_column(Date)  # local date, deployment zone
    reported_at: Mapped[dt.datetime | None] = mapped_column(UTC)
    status: Mapped[str | None] = mapped_column(String(50))
    address: Mapped[str | None] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    row_hash: Mapped[int] = mapped_column(BigInteger)
    geom = mapped_column(Geometry("POINT"))


class IncidentDaily(Base):
    """Incidents per cell, local day and category; '' stands for "no area" in code columns."""

    __tablename__ = "incident_daily"
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    category: Mapped[str] = mapped_column(String(100), primary_key=True)
    cell_code: Mapped[str] = mapped_column(CODE, primary_key=True)
    community_code: Mapped[str] = mapped_column(CODE, primary_key=True)
    street_code: Mapped[str] = mapped_column(CODE, primary_key=True)
    district_code: Mapped[str] = mapped_column(CODE, primary_key=True)
    n: Mapped[int] = mapped_column(Integer)


class IncidentMonthly(Base):
    """The daily rollup summed per calendar month (``month`` is its first day), so that a long period
    reads one row per month instead of one per day; ``geo.store.rollup`` keeps it equal to the daily one."""

    __tablename__ = "incident_monthly"
    month: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    category: Mapped[str] = mapped_column(String(100), primary_key=True)
    cell_code: Mapped[str] = mapped_column(CODE, primary_key=True)
    community_code: Mapped[str] = mapped_column(CODE, primary_key=True)
    street_code: Mapped[str] = mapped_column(CODE, primary_key=True)
    district_code: Mapped[str] = mapped_column(CODE, primary_key=True)
    n: Mapped[int] = mapped_column(Integer)


class Place(_AreaCodes, Base):
    """A key place (school, station, market, ...) with the camera coverage it requires."""

    __tablename__ = "places"
    __table_args__ = (Index("uq_places_source", "source", "source_id", unique=True),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(64))
    source_id: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(50), index=True)
    name: Mapped[str | None] = mapped_column(NAME)
    name_en: Mapped[str | None] = mapped_column(NAME)
    required_pct: Mapped[float | None] = mapped_column(Float)
    row_hash: Mapped[int] = mapped_column(BigInteger)
    geom = mapped_column(Geometry("GEOMETRY"))


class Camera(_AreaCodes, Base):
    __tablename__ = "cameras"
    __table_args__ = (Index("uq_cameras_source", "source", "source_id", unique=True),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(64))
    source_id: Mapped[str] = mapped_column(String(128))
    heading: Mapped[float | None] = mapped_column(Float)  # degrees clockwise from north
    fov: Mapped[float] = mapped_column(Float, default=360.0)  # degrees; 360 = dome
    range_m: Mapped[float] = mapped_column(Float, default=50.0)  # metres
    resolution_h: Mapped[int | None] = mapped_column(Integer)  # horizontal pixels (DORI distances)
    kind: Mapped[str | None] = mapped_column(String(50))
    status: Mapped[str] = mapped_column(String(16), default="online", index=True)
    owner: Mapped[str | None] = mapped_column(NAME)  # owning unit
    installed_on: Mapped[dt.date | None] = mapped_column(Date)
    removed_on: Mapped[dt.date | None] = mapped_column(Date)
    row_hash: Mapped[int] = mapped_column(BigInteger)
    geom = mapped_column(Geometry("POINT"))


class CoverageTarget(Base):
    __tablename__ = "coverage_targets"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    area_code: Mapped[str | None] = mapped_column(CODE)
    place_kind: Mapped[str | None] = mapped_column(String(50))
    target_pct: Mapped[float] = mapped_column(Float)
    level: Mapped[str | None] = mapped_column(String(16))  # DORI level the target counts (None: the kind's)
    due_on: Mapped[dt.date | None] = mapped_column(Date)
    set_by: Mapped[str] = mapped_column(String(64))  # account name
    set_at: Mapped[dt.datetime] = mapped_column(UTC)


class Building(Base):
    """A building footprint: it hides what lies behind it from the cameras (2D visibility)."""

    __tablename__ = "buildings"
    __table_args__ = (Index("uq_buildings_source", "source", "source_id", unique=True),
                      Index("ix_buildings_box", "lon_min", "lon_max", "lat_min", "lat_max"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(64))
    source_id: Mapped[str] = mapped_column(String(128))
    row_hash: Mapped[int] = mapped_column(BigInteger)
    # the footprint's bounding box (WGS 84 degrees): a window read on either backend
    lon_min: Mapped[float] = mapped_column(Float)
    lat_min: Mapped[float] = mapped_column(Float)
    lon_max: Mapped[float] = mapped_column(Float)
    lat_max: Mapped[float] = mapped_column(Float)
    geom = mapped_column(Geometry("MULTIPOLYGON"))


class PatrolZone(Base):
    __tablename__ = "patrol_zones"
    code: Mapped[str] = mapped_column(CODE, primary_key=True)
    name: Mapped[str | None] = mapped_column(NAME)
    name_en: Mapped[str | None] = mapped_column(NAME)
    team: Mapped[str | None] = mapped_column(NAME)
    shift: Mapped[str | None] = mapped_column(String(50))
    staff: Mapped[int | None] = mapped_column(Integer)
    row_hash: Mapped[int | None] = mapped_column(BigInteger)
    geom = mapped_column(Geometry("MULTIPOLYGON"))


class LedgerItem(_AreaCodes, Base):
    """A screened hazard, dispute or security gap with its rectification status."""

    __tablename__ = "ledger_items"
    __table_args__ = (Index("uq_ledger_source", "source", "source_id", unique=True),
                      Index("ix_ledger_status_deadline", "status", "deadline"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(64))
    source_id: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(32))
    category: Mapped[str | None] = mapped_column(String(100))
    title: Mapped[str | None] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    responsible_unit: Mapped[str | None] = mapped_column(NAME)
    found_on: Mapped[dt.date] = mapped_column(Date)
    deadline: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="reported")
    recheck_on: Mapped[dt.date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    row_hash: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTC)
    geom = mapped_column(Geometry("POINT"))
    # ledger hygiene (migration 0012): the original this item is a likely duplicate of, and the date its
    # escalation to the street's oversight was recorded (geo.store.ledger_hygiene)
    duplicate_of: Mapped[int | None] = mapped_column(Integer, index=True)
    escalated_on: Mapped[dt.date | None] = mapped_column(Date)
    __mapper_args__ = {"version_id_col": version}


class LedgerEvent(Base):
    """Append-only history of every change to a ledger item."""

    __tablename__ = "ledger_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("ledger_items.id", ondelete="RESTRICT"), index=True)
    at: Mapped[dt.datetime] = mapped_column(UTC)
    actor: Mapped[str] = mapped_column(String(64))  # account name or "import:<source>"
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)


class Campaign(Base):
    __tablename__ = "campaigns"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(NAME)
    name_en: Mapped[str | None] = mapped_column(NAME)
    area_code: Mapped[str | None] = mapped_column(CODE)
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)


class CampaignPhase(Base):
    __tablename__ = "campaign_phases"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    name: Mapped[str] = mapped_column(NAME)
    name_en: Mapped[str | None] = mapped_column(NAME)
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)


class Indicator(Base):
    """A numeric target (year-on-year change %, clearance %, cameras added, ...)."""

    __tablename__ = "indicators"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    target_value: Mapped[float] = mapped_column(Float)
    actual_value: Mapped[float | None] = mapped_column(Float)  # hand-entered actuals only
    actual_source: Mapped[str | None] = mapped_column(NAME)
    unit: Mapped[str | None] = mapped_column(String(16))


class User(Base):
    """A log-on account: a user name, a role and an area scope. No personal details."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("sso_issuer", "sso_subject", name="uq_users_sso"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    scope_code: Mapped[str | None] = mapped_column(CODE)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTC)
    # the single sign-on identity this account is (issuer and subject: names and e-mails can be reused)
    sso_issuer: Mapped[str | None] = mapped_column(String(255))
    sso_subject: Mapped[str | None] = mapped_column(String(255))


class LogonFailure(Base):
    """Failed sign-ins, counted under a keyed hash of the name tried or of the client (never the name
    or the address itself); a row is forgotten at ``expires_at``, minutes after its first failure."""

    __tablename__ = "logon_failures"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # HMAC-SHA256 hex (geo.core.auth.failure_key)
    kind: Mapped[str] = mapped_column(String(8))  # name | client
    failures: Mapped[int] = mapped_column(Integer)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTC)
    expires_at: Mapped[dt.datetime] = mapped_column(UTC, index=True)


class DisplayKey(Base):
    """A key that opens the wall on a kiosk without a sign-in; only its SHA-256 is kept."""

    __tablename__ = "display_keys"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hint: Mapped[str] = mapped_column(String(8))  # the key's first characters, to tell keys apart in lists
    created_at: Mapped[dt.datetime] = mapped_column(UTC)
    created_by: Mapped[str] = mapped_column(String(64))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTC)


class AuditEntry(Base):
    """Append-only audit of log-ons, reads, edits, imports and exports."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(UTC, index=True)
    username: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    object: Mapped[str | None] = mapped_column(String(200))
    outcome: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str | None] = mapped_column(Text)


CODED_TABLES = ("incidents", "places", "cameras", "ledger_items")


# ---- alerts (issue 22) ------------------------------------------------------------------------------

class AlertSubscription(Base):
    """An account's standing request to be alerted of one rule kind (``geo.core.alerts.RULES``) in one
    area of its scope; optional delivery to a unit's mailbox or a webhook."""

    __tablename__ = "alert_subscriptions"
    __table_args__ = (UniqueConstraint("username", "area_code", "rule", name="uq_alert_subscriptions"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), index=True)  # the account
    area_code: Mapped[str] = mapped_column(CODE)
    rule: Mapped[str] = mapped_column(String(16))
    due_days: Mapped[int | None] = mapped_column(Integer)  # ledger: "due within N days"
    email: Mapped[str | None] = mapped_column(String(254))  # a unit's mailbox
    webhook: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(UTC)


class Alert(_AreaCodes, Base):
    """One raised alert: an event at a place (rule, area, subject such as a cell or a ledger item),
    once per ``dedupe_key``; ``active`` while its condition lasts. Scoped by its area codes."""

    __tablename__ = "alerts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("alert_subscriptions.id", ondelete="CASCADE"), index=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    dedupe_key: Mapped[str] = mapped_column(String(400), unique=True)
    base_key: Mapped[str] = mapped_column(String(400), index=True)  # the key without its period
    rule: Mapped[str] = mapped_column(String(16))
    area_code: Mapped[str] = mapped_column(CODE)
    subject: Mapped[str] = mapped_column(String(100))
    period: Mapped[str] = mapped_column(String(32))
    condition: Mapped[str] = mapped_column(String(32))  # new_hot, above_band, overdue, under_target, ...
    value: Mapped[float | None] = mapped_column(Float)
    threshold: Mapped[float | None] = mapped_column(Float)
    detail: Mapped[str | None] = mapped_column(Text)
    raised_at: Mapped[dt.datetime] = mapped_column(UTC, index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    cleared_at: Mapped[dt.datetime | None] = mapped_column(UTC)
    status: Mapped[str] = mapped_column(String(16), default="open")
    snoozed_until: Mapped[dt.datetime | None] = mapped_column(UTC)
    acted_by: Mapped[str | None] = mapped_column(String(64))
    acted_at: Mapped[dt.datetime | None] = mapped_column(UTC)
    delivery: Mapped[str] = mapped_column(String(16), default="none")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    delivery_error: Mapped[str | None] = mapped_column(String(300))
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTC)
