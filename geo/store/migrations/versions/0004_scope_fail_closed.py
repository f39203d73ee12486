"""row-level security fails closed: no scope set, no rows; '*' is the explicit whole jurisdiction

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02

Before this, a transaction without ``safegrid.scope`` saw every row. Now it sees none: the app
sets the account's area code, or ``*`` for an account of the whole jurisdiction
(``geo.store.scope.apply``). The policy is no longer FORCEd on the table owner: migrations and
imports run as the owner (and see everything, as they must to stay idempotent), the app runs as
a role that owns no table, which the policy binds.
"""
from typing import Sequence, Union

from alembic import op

revision: str = '0004'
down_revision: Union[str, None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

SCOPED = ("incidents", "ledger_items", "cameras", "places", "incident_daily")
POLICY = ("current_setting('safegrid.scope', true) = '*' OR "
          "current_setting('safegrid.scope', true) IN (cell_code, community_code, street_code, district_code)")
OLD_POLICY = ("coalesce(current_setting('safegrid.scope', true), '') = '' OR "
              "current_setting('safegrid.scope', true) IN (cell_code, community_code, street_code, district_code)")


def _policies(policy: str, force: bool) -> None:
    for table in SCOPED:
        op.execute(f"DROP POLICY IF EXISTS {table}_scope ON {table}")
        op.execute(f"ALTER TABLE {table} {'' if force else 'NO '}FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY {table}_scope ON {table} USING ({policy}) WITH CHECK ({policy})")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    _policies(POLICY, force=False)
    op.execute("REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM PUBLIC")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    _policies(OLD_POLICY, force=True)
