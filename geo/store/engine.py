"""Engines: which database, opened how.

``--db URL``, else ``DATABASE_URL``, else the embedded SQLite file ``data/safegrid.db``.
``DATABASE_READ_URL`` optionally names a read replica (a streaming hot standby of that database):
the app's page reads go there, everything else to the primary.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.engine import Engine

from geo.store.dialects import dialect_for

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SQLITE_PATH = PROJECT_ROOT / "data" / "safegrid.db"


def resolve_url(db: str | None = None) -> str:
    """The database URL to use, normalised for the drivers SafeGrid ships with."""
    return _normalise(db or os.environ.get("DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE_PATH}")


def resolve_read_url() -> str | None:
    """The read replica's URL (``DATABASE_READ_URL``), normalised, or None when there is none."""
    url = os.environ.get("DATABASE_READ_URL", "").strip()
    return _normalise(url) if url else None


def _normalise(url: str) -> str:
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def make_engine(db: str | None = None, **kwargs) -> Engine:
    """Create an engine for ``db`` with the backend's connection settings applied."""
    url = resolve_url(db)
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
    if not url.startswith("sqlite"):
        kwargs.setdefault("pool_pre_ping", True)  # a restarted server: reconnect instead of failing
    engine = create_engine(url, **kwargs)
    dialect_for(engine).configure(engine)
    return engine


def describe(engine: Engine) -> str:
    """The database in one line, without any password."""
    return engine.url.render_as_string(hide_password=True)
