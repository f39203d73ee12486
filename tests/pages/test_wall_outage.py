"""The wall keeps its last snapshot, marked stale, while PostgreSQL refuses connections, and
recovers by itself when the database is back. A real outage: the database is closed to new
connections and its sessions are terminated."""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from geo.ingest.demo import build_demo
from geo.store.engine import make_engine
from tests.conftest import DEMO_END, PG_ADMIN_URL, ROOT
from tests.pages.common import run_page

pytestmark = pytest.mark.postgis


@pytest.fixture
def wall_db(postgis_url):
    """A demo database of its own (closing it must not disturb other tests)."""
    admin = make_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"safegrid_wall_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(postgis_url).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    build_demo(engine, seed=3, scale=0.02, end=DEMO_END)
    engine.dispose()

    def outage(on: bool) -> None:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS {"false" if on else "true"}'))
            if on:
                conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                             {"n": name})

    yield url, outage
    with admin.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true'))
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _tiles(md: str) -> dict[str, str]:
    return dict(re.findall(r'data-kpi="(\w+)"><div class="k">[^<]*</div><div class="v">([^<]*)</div>', md))


def test_wall_keeps_the_last_snapshot_during_an_outage_and_recovers(monkeypatch, wall_db):
    url, outage = wall_db
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.chdir(ROOT)
    at = run_page("pages/wall.py", "en", "wall")
    md = "\n".join(m.value for m in at.markdown)
    before = _tiles(md)
    assert set(before) == {"today", "week", "month", "open", "overdue", "coverage", "online", "alerts"}
    assert 'data-testid="wall-stale"' not in md and before["open"] != "0"

    outage(True)
    at.run()
    assert not at.exception
    md = "\n".join(m.value for m in at.markdown)
    assert 'data-testid="wall-stale"' in md and "Database unreachable" in md
    assert _tiles(md) == before  # the last good numbers stay on the wall

    outage(False)
    at.run()
    md = "\n".join(m.value for m in at.markdown)
    assert 'data-testid="wall-stale"' not in md
    assert _tiles(md) == before
