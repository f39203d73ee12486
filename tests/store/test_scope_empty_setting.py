"""Row-level security fails closed on a pooled connection too: after one transaction set a scope, the
next one that sets none reads the setting as '' (not NULL), and must still see no row, also not the
rollups' rows whose area codes are '' (incidents outside every area)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from geo.store import scope as scoping
from geo.store.engine import make_engine
from geo.store.scope import Scope
from tests.conftest import app_role_url
from tests.helpers import small_city

pytestmark = pytest.mark.postgis


def test_a_transaction_without_a_scope_sees_nothing_after_one_with_a_scope(make_db, tmp_path):
    owner = make_db("postgis")
    small_city(owner, tmp_path)
    with owner.begin() as conn:
        for table, day in (("incident_daily", "day"), ("incident_monthly", "month")):
            conn.execute(text(f"INSERT INTO {table} ({day}, category, cell_code, community_code, street_code, "
                              "district_code, n) VALUES ('2026-06-01', 'theft', '', '', '', '', 3)"))
    app = make_engine(app_role_url(owner.url.render_as_string(hide_password=False)), pool_size=1)
    try:
        with app.connect() as conn:
            with conn.begin():
                scoping.apply(conn, Scope.jurisdiction())
                assert conn.execute(text("SELECT COUNT(*) FROM incident_daily")).scalar() == 1
            with conn.begin():  # the same connection, no scope set: the setting now reads ''
                assert conn.execute(text("SELECT current_setting('safegrid.scope', true)")).scalar() == ""
                for table in ("incident_daily", "incident_monthly", "incidents", "cameras", "places", "ledger_items"):
                    assert conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar() == 0, table
    finally:
        app.dispose()
