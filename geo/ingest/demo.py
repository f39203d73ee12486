"""``python -m geo demo``: build the demo county into the database through the real importers.

A build is recorded twice: the ``demo`` setting (written when the build starts, stamped with its
seed, scale and end date when it is complete) and the audit entry ``demo.build``. ``--replace``
empties the database first, but only one that holds nothing except what demo builds put there
(:func:`foreign_data`) unless forced; the wipe is audited with what it removed, in its own
transaction. The audit log itself is append-only and is never emptied: it keeps the history of
every earlier build.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from sqlalchemy import text
from sqlalchemy.engine import Engine

from geo.core import clock
from geo.core.democity import generate_city
from geo.core.grid import LEVELS
from geo.ingest.areas import import_area_table
from geo.ingest.buildings import import_building_table
from geo.ingest.errors import ImportRefused
from geo.ingest.pipeline import Importer, import_table
from geo.ingest.readers import RawTable
from geo.store import audit, generation
from geo.store.models import Base, Setting
from geo.store.schema import init_db, wipe_ledger_history
from geo.store.scope import Scope

RECIPE = Path(__file__).resolve().parents[2] / "data" / "demo_city.json"
DEMO_KEY = "demo"
SOURCE = "demo"
# The demo's ledger items arrive with their past already decided: statuses as generated, no workflow.
BUILDER = Importer("demo", "admin", workflow=False)


def load_recipe() -> dict:
    return json.loads(RECIPE.read_text(encoding="utf-8"))


def _table(frame: pd.DataFrame, geometry=None) -> RawTable:
    frame = frame.reset_index(drop=True)
    return RawTable(frame, geometry, "EPSG:4326" if geometry is not None else None,
                    pd.Series(frame.index + 2, index=frame.index), "line")


# One account per role (documented in the README); a street-scoped leader shows area scope.
DEMO_ACCOUNTS = (("wall", "wall", None), ("leader", "leader", None), ("planner", "planner", None),
                 ("clerk", "clerk", None), ("admin", "admin", None), ("leader.street1", "leader", "street1"))


def demo_password(username: str) -> str:
    """The documented demo password of a demo account (demo databases only)."""
    return f"SafeGrid-{username}-2026"


def add_demo_accounts(engine: Engine, recipe: dict | None = None) -> list[str]:
    """Create the demo accounts that do not exist yet; return their names."""
    from sqlalchemy import text as sql

    from geo.store import accounts

    recipe = recipe or load_recipe()
    with engine.connect() as conn:
        first_street = conn.execute(sql("SELECT code FROM areas WHERE level = 'street' ORDER BY code")).scalar()
        existing = {a["username"] for a in accounts.list_accounts(conn)}
    made = []
    for username, role, scope in DEMO_ACCOUNTS:
        if username in existing:
            continue
        accounts.add(engine, "demo", username, demo_password(username), role,
                     first_street if scope == "street1" else scope)
        made.append(username)
    return made


def _ledger_history(engine, seed: int) -> None:
    """Past workflow steps for the demo's closed items (rectified a few days to weeks after being
    found, verified at the re-check 30 days later), so oversight has days-to-rectify to show."""
    from geo.core.ledger import RECHECK_DAYS
    from geo.store.ledger import history_row, record_history

    rng = np.random.default_rng(seed + 8)
    with engine.begin() as conn:
        rows = conn.execute(text("SELECT id, status, found_on, deadline FROM ledger_items WHERE source = :s AND "
                                 "status IN ('rectified', 'verified') ORDER BY id"), {"s": SOURCE}).all()
        events, rechecks = [], {}
        now = clock.now_utc()
        for item_id, status, found, deadline in rows:
            found = pd.Timestamp(found).date()
            allowed = (pd.Timestamp(deadline).date() - found).days if deadline else 30
            days = float(rng.gamma(2.0, max(allowed, 4) / 2.5))  # most on time, a tail late
            fixed = dt.datetime.combine(found, dt.time(9), dt.timezone.utc) + dt.timedelta(days=days)
            fixed = min(fixed, now - dt.timedelta(days=1))
            events.append(history_row(item_id, BUILDER.name, "rectify", "rectifying", "rectified", "整改完成（演示数据）",
                                      fixed))
            recheck = fixed + dt.timedelta(days=RECHECK_DAYS)
            rechecks[item_id] = recheck.date()
            if status == "verified":
                events.append(history_row(item_id, BUILDER.name, "verify", "rectified", "verified", None,
                                          min(recheck, now)))
        record_history(conn, events, rechecks, scope=Scope.jurisdiction())


def _campaign(engine, end: dt.date) -> None:
    """A running district-wide campaign with its four phases and indicator targets."""
    from geo.store.campaigns import create_campaign, set_actual

    everything = Scope.jurisdiction()

    with engine.connect() as conn:
        district = conn.execute(text("SELECT code FROM areas WHERE level = 'district' ORDER BY code")).scalar()
    start = end - dt.timedelta(days=120)
    days = [0, 20, 90, 150, 179]
    names = ("动员部署", "集中整治", "巩固提升", "检查验收")
    phases = [(names[i], start + dt.timedelta(days=days[i]), start + dt.timedelta(days=days[i + 1] - 1))
              for i in range(4)]
    cid = create_campaign(engine, "demo", "平安社区集中整治行动", start, start + dt.timedelta(days=178),
                          name_en="Safe community campaign", area_code=district, phases=phases,
                          targets=[("yoy_incident_change_pct", -10), ("clearance_pct", 90), ("camera_coverage_pct", 2.5),
                                   ("cameras_added", 40), ("patrol_teams", 12), ("booths", 6), ("satisfaction_pct", 95)],
                          scope=everything)
    with engine.connect() as conn:
        ids = dict(conn.execute(text("SELECT key, id FROM indicators WHERE campaign_id = :c"), {"c": cid}).all())
    set_actual(engine, "demo", ids["booths"], 4, "街道季度报告（演示）", scope=everything)
    set_actual(engine, "demo", ids["satisfaction_pct"], 93.5, "群众安全感调查（演示）", scope=everything)


# Kept by --replace: deployment settings, accounts and the append-only audit log.
KEPT = ("settings", "users", "audit_log")
ACCOUNT_TABLES = ("display_keys",)  # wiped with the rest, but not content: they alone are no data
SOURCED = ("incidents", "cameras", "places", "ledger_items", "buildings")  # tables whose rows name their source
# Audit actions that change content: one since the last demo build means someone's own data.
CONTENT_ACTIONS = ("import", "ledger.", "campaign.", "target.", "zone.")
READS = ("ledger.read",)


def _content_tables() -> list:
    return [t for t in reversed(Base.metadata.sorted_tables) if t.name not in KEPT + ACCOUNT_TABLES]


def _rows(conn, table: str) -> int:
    return int(conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar())


def foreign_data(conn) -> list[str]:
    """What in the database the demo builds did not put there (empty: only demo data, or nothing).

    Three signs: content in a database no demo build has started on; rows of another source than
    the demo's (imports, items created in the app); and content changes audited since the last demo
    build or wipe, by anyone but the builder itself (imports, ledger steps and edits, targets,
    campaigns, zones). The audit log is the record: a change made before it existed is seen only
    through its source.
    """
    found = []
    marker = conn.execute(text("SELECT value FROM settings WHERE key = :k"), {"k": DEMO_KEY}).scalar()
    if marker is None and any(_rows(conn, t.name) for t in _content_tables()):
        found.append("no demo build is recorded in this database")
    for table in SOURCED:
        n = int(conn.execute(text(f"SELECT COUNT(*) FROM {table} WHERE source <> :s"), {"s": SOURCE}).scalar())
        if n:
            found.append(f"{n} {table} from other sources than the demo")
    since = conn.execute(text("SELECT MAX(id) FROM audit_log WHERE action IN ('demo.build', 'demo.replace')")).scalar()
    changes = conn.execute(text(
        "SELECT username, action, object FROM audit_log WHERE outcome = 'ok' AND username <> :demo AND id > :since "
        "AND (" + " OR ".join(f"action LIKE '{a}%'" for a in CONTENT_ACTIONS) + ") "
        "AND action NOT IN (" + ", ".join(f"'{a}'" for a in READS) + ") ORDER BY id DESC"),
        {"demo": BUILDER.name, "since": since or 0}).all()
    if changes:
        user, action, obj = changes[0]
        found.append(f"{len(changes)} changes audited since the demo was built (latest: {action} {obj or ''} by {user})")
    return found


def _wipe(conn) -> dict[str, int]:
    """Empty every table but ``KEPT`` (the ledger history too, although append-only); rows removed per table."""
    removed = {}
    for table in _content_tables() + [t for t in Base.metadata.sorted_tables if t.name in ACCOUNT_TABLES]:
        removed[table.name] = _rows(conn, table.name)
        if table.name == "ledger_events":
            wipe_ledger_history(conn)
        else:
            conn.execute(table.delete())
    return removed


def _set_marker(conn, value: str) -> None:
    conn.execute(Setting.__table__.delete().where(Setting.key == DEMO_KEY))
    conn.execute(Setting.__table__.insert().values(key=DEMO_KEY, value=value))


def build_demo(engine: Engine, seed: int, scale: float = 1.0, replace: bool = False, end: dt.date | None = None,
               progress=None, force: bool = False, actor: str = BUILDER.name) -> str:
    """Build the demo city; with the same seed, scale and end date, the same data.

    ``replace`` empties a database that holds data first, refused when :func:`foreign_data` finds
    any unless ``force``. ``actor`` (e.g. ``cli:<OS user>``) is who the audit log names for the
    build and the wipe.
    """
    if force and not replace:
        raise ImportRefused("--force only goes with --replace")
    recipe = load_recipe()
    init_db(engine, recipe["county"]["timezone"])
    end = end or clock.today(recipe["county"]["timezone"])
    stamp = json.dumps({"seed": seed, "scale": scale, "end": end.isoformat()})
    with engine.begin() as conn:
        current = conn.execute(text("SELECT value FROM settings WHERE key = :k"), {"k": DEMO_KEY}).scalar()
        has_data = any(_rows(conn, t.name) for t in _content_tables())
        if current == stamp and not replace:
            return "demo city already built (same seed, scale and end date); nothing to do"
        if has_data and not replace:
            raise ImportRefused("the database already holds data; use --replace to empty it and build the demo")
        if has_data:
            foreign = foreign_data(conn)
            if foreign and not force:
                raise ImportRefused("the database holds data the demo did not build (" + "; ".join(foreign) +
                                    "): --replace would delete it; add --force to delete it anyway")
            removed = _wipe(conn)
            audit.record(conn, actor, "demo.replace", "database",
                         detail=("removed " + ", ".join(f"{n} {t}" for t, n in removed.items() if n) +
                                 (f"; forced over: {'; '.join(foreign)}" if foreign else ""))[:2000])
        _set_marker(conn, json.dumps({"building": json.loads(stamp)}))  # a broken build is still the demo's
    started = time.perf_counter()
    city = generate_city(recipe, seed, end, scale)
    local_now = pd.Timestamp(clock.local_now(recipe["county"]["timezone"]))
    if end >= local_now.date():  # a demo built today ends now, not at midnight: nothing from the future
        city.incidents = city.incidents[pd.to_datetime(city.incidents["occurred_at"]) <= local_now]
    for level in LEVELS:
        gdf = city.areas[level]
        frame = pd.DataFrame(gdf.drop(columns="geometry"))
        import_area_table(engine, _table(frame, gpd.GeoSeries(gdf.geometry.values)), level,
                          name=f"demo {level}", parent_field="parent")
    zones = city.zones
    import_table(engine, _table(pd.DataFrame(zones.drop(columns="geometry")), gpd.GeoSeries(zones.geometry.values)),
                 "zones", scope=Scope.jurisdiction(), name="demo zones", source=SOURCE, by=BUILDER)
    counts = {}
    footprints = city.buildings  # through the buildings import: its stamp and generation are set as for a file
    report = import_building_table(engine, _table(pd.DataFrame(footprints.drop(columns="geometry")),
                                                  gpd.GeoSeries(footprints.geometry.values)),
                                   name="demo buildings", source=SOURCE)
    if report.skipped:
        raise RuntimeError(f"demo buildings: {len(report.skipped)} refused: {report.skipped[:3]}")
    counts["buildings"] = report.written + report.unchanged
    for layer, frame in (("places", city.places), ("cameras", city.cameras), ("ledger", city.ledger),
                         ("incidents", city.incidents)):
        report = import_table(engine, _table(frame), layer, scope=Scope.jurisdiction(), name=f"demo {layer}",
                              source=SOURCE, progress=progress, by=BUILDER)
        if report.skipped:
            raise RuntimeError(f"demo {layer}: {len(report.skipped)} rows refused: {report.skipped[:3]}")
        counts[layer] = report.written + report.unchanged
    _ledger_history(engine, seed)
    _campaign(engine, end)
    with generation.writing(engine, *generation.TOPICS) as conn:  # other app servers drop their cached reads
        _set_marker(conn, stamp)
        audit.record(conn, actor, "demo.build", "database",
                     detail=f"seed={seed} scale={scale:g} end={end}: " + ", ".join(f"{n} {k}" for k, n in counts.items()))
    add_demo_accounts(engine, recipe)
    n_areas = {lv: len(city.areas[lv]) for lv in LEVELS}
    return (f"demo city built in {time.perf_counter() - started:.1f} s: " +
            ", ".join(f"{n} {lv}" for lv, n in n_areas.items()) + ", " +
            ", ".join(f"{n} {k}" for k, n in counts.items()) + f", {len(city.zones)} zones (seed {seed}, to {end})")
