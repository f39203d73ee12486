"""Create or upgrade the schema (Alembic) and read deployment settings kept in the database."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect, select
from sqlalchemy.engine import Connection, Engine

from geo.core.timeutil import DEFAULT_TIMEZONE, check_timezone
from geo.store.dialects import dialect_for
from geo.store.models import Setting

MIGRATIONS = Path(__file__).with_name("migrations")
TIMEZONE_KEY = "timezone"


def alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def init_db(engine: Engine, timezone: str | None = None) -> str:
    """Upgrade the schema to the newest revision and fix the deployment's time zone.

    The time zone is set the first time (``timezone`` or the default) and kept after that:
    the daily rollup is made of local days, so changing it later would need a rebuild.
    Returns the zone in force.
    """
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "head")
        current = conn.execute(select(Setting.value).where(Setting.key == TIMEZONE_KEY)).scalar()
        if current is None:
            current = check_timezone(timezone or DEFAULT_TIMEZONE)
            conn.execute(Setting.__table__.insert().values(key=TIMEZONE_KEY, value=current))
        elif timezone and timezone != current:
            raise ValueError(f"this database keeps its dates in {current}; "
                             f"it cannot be switched to {timezone} (build a new database)")
    return current


def is_initialised(engine: Engine) -> bool:
    return inspect(engine).has_table("settings")


def deployment_timezone(conn: Connection) -> str:
    """The deployment's time zone, as stored by :func:`init_db`."""
    value = conn.execute(select(Setting.value).where(Setting.key == TIMEZONE_KEY)).scalar()
    if value is None:
        raise RuntimeError("the database has no schema yet: run `python -m geo init`")
    return value


def wipe_ledger_history(conn: Connection) -> None:
    """Empty ``ledger_events`` although it is append-only: only for rebuilding the demo city from
    scratch (``geo demo --replace``). The guard is lifted for this statement alone and put back in
    the same transaction, so nothing else ever sees the table unguarded."""
    dialect_for(conn).empty_append_only(conn, "ledger_events")
