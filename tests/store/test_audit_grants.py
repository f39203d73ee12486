"""The append-only tables are guarded twice on PostgreSQL: by triggers (which their owner could drop)
and by the app role's grants, which give it INSERT and SELECT there and nothing that changes a row."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from geo.store import audit
from geo.store.engine import make_engine
from geo.store.roles import RoleError, grant_app
from tests.conftest import app_role_url

pytestmark = pytest.mark.postgis
CHANGES = {"update": "UPDATE {t} SET at = at", "delete": "DELETE FROM {t}", "truncate": "TRUNCATE {t}"}


def _url(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


@pytest.fixture
def as_app(make_db):
    """(owner engine, app-role engine) on a fresh PostGIS database with one audit entry."""
    owner = make_db("postgis")
    with owner.begin() as conn:
        audit.record(conn, "root", "test", "x")
    app = make_engine(app_role_url(_url(owner)))
    yield owner, app
    app.dispose()


@pytest.mark.parametrize("table", ["audit_log", "ledger_events"])
@pytest.mark.parametrize("change", sorted(CHANGES))
def test_grant_app_refuses_the_app_role_every_change_of_history(as_app, table, change):
    owner, app = as_app
    with pytest.raises(DBAPIError) as caught:
        with app.begin() as conn:
            conn.execute(text(CHANGES[change].format(t=table)))
    assert caught.value.orig.sqlstate == "42501", caught.value  # permission denied, not the trigger
    with owner.connect() as conn:
        assert audit.count(conn) == 1


def test_grant_app_lets_the_app_role_append_and_read_the_audit_log(as_app):
    owner, app = as_app
    with app.begin() as conn:
        audit.record(conn, "clerk", "import", "ledger:x.csv")
    with app.connect() as conn:
        assert list(audit.entries(conn)["action"]) == ["import", "test"]


def test_grant_app_refuses_a_role_that_inherits_changes_of_history(make_db):
    """REVOKE on the role itself leaves what it inherits: a group's UPDATE on the audit log is refused."""
    owner = make_db("postgis")
    tag = uuid.uuid4().hex[:8]
    role, group = f"sg_test_app_{tag}", f"sg_test_group_{tag}"
    with owner.begin() as conn:
        conn.execute(text(f'CREATE ROLE "{role}" NOLOGIN'))
        conn.execute(text(f'CREATE ROLE "{group}" NOLOGIN'))
        conn.execute(text(f'GRANT UPDATE ON audit_log TO "{group}"'))
        conn.execute(text(f'GRANT "{group}" TO "{role}"'))
    try:
        with pytest.raises(RoleError, match="UPDATE on audit_log"):
            with owner.begin() as conn:
                grant_app(conn, role)
        with owner.begin() as conn:
            conn.execute(text(f'REVOKE "{group}" FROM "{role}"'))
            assert "audit_log" in grant_app(conn, role)  # without the membership it is an app role
    finally:
        with owner.begin() as conn:
            for name in (role, group):
                conn.execute(text(f'REVOKE ALL ON ALL TABLES IN SCHEMA public FROM "{name}"'))
                conn.execute(text(f'REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM "{name}"'))
                conn.execute(text(f'REVOKE ALL ON SCHEMA public FROM "{name}"'))
            conn.execute(text(f'DROP ROLE "{role}"'))
            conn.execute(text(f'DROP ROLE "{group}"'))
