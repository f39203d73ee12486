"""Shared fixtures: a fresh database on each backend, and the shared real data."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from pathlib import Path

import pytest

# The tests run at a fixed instant, whatever the machine's clock says: geo.core.clock reads
# SAFEGRID_NOW once, at import, and every "now" and "today" of the app comes from it
# (streamlit servers and benchmarks started by the tests inherit it).
TEST_NOW = "2026-07-01T06:00:00+00:00"  # 14:00 in Asia/Shanghai, 01:00 in America/Chicago, both 1 July
os.environ["SAFEGRID_NOW"] = TEST_NOW

from sqlalchemy import text  # noqa: E402  (after the clock is set)
from sqlalchemy.engine import make_url

from geo.core import clock  # noqa: E402
from geo.ingest.demo import build_demo  # noqa: E402
from geo.store.engine import make_engine  # noqa: E402
from geo.store.models import Base  # noqa: E402
from geo.store.schema import init_db  # noqa: E402
from tests.requires import unavailable  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
PG_ADMIN_URL = os.environ.get("SAFEGRID_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
BACKENDS = ["sqlite", pytest.param("postgis", marks=pytest.mark.postgis)]


def _unavailable(what: str, why: str):
    unavailable("postgis", f"{what}: {why}")


@pytest.fixture(scope="session")
def postgis_url():
    """A throw-away database with PostGIS for this test session; dropped afterwards."""
    admin = make_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"safegrid_test_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # no server, no rights
        admin.dispose()
        _unavailable("PostgreSQL", str(exc).splitlines()[0])
    url = make_url(admin.url).set(database=name).render_as_string(hide_password=False)
    probe = make_engine(url)
    try:
        with probe.begin() as conn:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    except Exception as exc:
        probe.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        _unavailable("PostGIS", str(exc).splitlines()[0])
    probe.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def make_db(request, tmp_path):
    """Factory: ``make_db(backend, tz=...)`` gives an empty, initialised engine."""
    engines = []

    def factory(backend: str = "sqlite", tz: str = "Asia/Shanghai"):
        if backend == "sqlite":
            engine = make_engine(f"sqlite:///{tmp_path / f'db{len(engines)}.sqlite'}")
        else:
            engine = make_engine(request.getfixturevalue("postgis_url"))
            with engine.begin() as conn:
                tables = [t.name for t in Base.metadata.sorted_tables] + ["alembic_version"]
                existing = set(conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname='public'"))
                               .scalars())
                drop = [t for t in tables if t in existing]
                if drop:
                    conn.execute(text("DROP TABLE " + ", ".join(f'"{t}"' for t in drop) + " CASCADE"))
        init_db(engine, tz)
        engines.append(engine)
        return engine

    yield factory
    for engine in engines:
        engine.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def db(make_db, backend):
    """An empty initialised database on each backend (Asia/Shanghai)."""
    return make_db(backend)


@pytest.fixture
def clock_at():
    """``clock_at(instant)`` moves this process's clock for one test; it is put back afterwards."""
    yield clock.move_to
    clock.move_to(None)


@pytest.fixture(scope="session")
def cjk_font() -> str:
    """The CJK font PDFs fall back to; tests that read Chinese back out of a PDF need one."""
    from geo.report.fonts import cjk_font as find

    found = find()
    if found is None:
        unavailable("fonts", "no CJK font found, so Chinese in PDFs prints as boxes")
    return found[0]


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.exists():
        pytest.fail(f"{SHARED_DATA} is missing: CI and developers keep shared/ beside the checkout")
    return SHARED_DATA


DEMO_SCALE = 0.05
DEMO_END = dt.date(2026, 6, 30)
TODAY = dt.date(2026, 7, 1)  # clock.today() in the demo's zone (Asia/Shanghai) at TEST_NOW
assert clock.today("Asia/Shanghai") == TODAY, "geo.core.clock was imported before the test clock was set"


@pytest.fixture(scope="session")
def demo_url(tmp_path_factory):
    """A small demo city (5 % of the incidents) in an SQLite file, built once per session."""
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    build_demo(engine, seed=11, scale=DEMO_SCALE, end=DEMO_END)
    engine.dispose()
    return url


APP_ROLE = os.environ.get("SAFEGRID_TEST_PG_APP_ROLE", "safegrid_app")
APP_PASSWORD = os.environ.get("SAFEGRID_TEST_PG_APP_PASSWORD", "safegrid-app-test")


def app_role_url(owner_url: str) -> str:
    """The database at ``owner_url`` reached as the app role (created when missing, then granted with
    ``geo.store.roles.grant_app``): a login that owns no table, so row-level security binds it."""
    from geo.store.roles import grant_app

    owner = make_engine(owner_url)
    try:
        with owner.begin() as conn:
            conn.execute(text("SELECT pg_advisory_xact_lock(424242)"))  # xdist workers share the cluster's roles
            if conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": APP_ROLE}).first() is None:
                conn.execute(text(f"CREATE ROLE \"{APP_ROLE}\" LOGIN PASSWORD '{APP_PASSWORD}'"))
            grant_app(conn, APP_ROLE)
    finally:
        owner.dispose()
    return make_url(owner_url).set(username=APP_ROLE, password=APP_PASSWORD).render_as_string(hide_password=False)


def backend_demo(request, tmp_path_factory, seed: int, scale: float, end: dt.date = DEMO_END):
    """A small demo city on the backend named by ``request.param`` ("sqlite" or "postgis").

    For module-scoped fixtures: SQLite gets a file of its own; PostGIS reuses the session's
    database, emptied first. Returns (engine, url); the caller disposes of the engine.
    """
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.sqlite'}"
    else:
        url = request.getfixturevalue("postgis_url")
    engine = make_engine(url)
    if request.param == "postgis":
        with engine.begin() as conn:
            names = [t.name for t in Base.metadata.sorted_tables] + ["alembic_version"]
            conn.execute(text("DROP TABLE IF EXISTS " + ", ".join(f'"{n}"' for n in names) + " CASCADE"))
    init_db(engine, "Asia/Shanghai")
    build_demo(engine, seed=seed, scale=scale, end=end)
    return engine, url
