"""An upload through the app runs as the app role, which row-level security binds: PostgreSQL refuses
COPY FROM into such a table, so the importer must still get its new rows in (through a temporary
table), with the policy checking each, and a second run must change nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from geo.ingest.pipeline import import_file
from geo.store.engine import make_engine
from geo.store.scope import Scope
from tests.conftest import app_role_url
from tests.helpers import centre, incidents_csv, small_city

pytestmark = pytest.mark.postgis


def test_the_app_role_imports_incidents_and_a_rerun_changes_nothing(make_db, tmp_path):
    owner = make_db("postgis")
    small_city(owner, tmp_path)
    rows = [(f"a{i}", f"2026-06-{1 + i % 28:02d}T10:00:00+08:00", *centre(f"C{1 + i % 4}"), "theft", "")
            for i in range(300)]
    path = incidents_csv(tmp_path, rows)
    app = make_engine(app_role_url(owner.url.render_as_string(hide_password=False)))
    try:
        with app.connect() as conn:
            assert conn.execute(text("SELECT row_security_active('incidents')")).scalar()  # RLS binds it
        first = import_file(app, path, "incidents", scope=Scope.jurisdiction())
        again = import_file(app, path, "incidents", scope=Scope.jurisdiction())
    finally:
        app.dispose()
    assert (first.inserted, again.inserted, again.unchanged) == (300, 0, 300)
    with owner.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM incidents")).scalar() == 300
        assert conn.execute(text("SELECT SUM(n) FROM incident_daily")).scalar() == 300
