"""row-level security: an empty scope setting is no scope (no rows), as an unset one is

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03

Once a transaction has set ``safegrid.scope`` (``set_config(..., true)``: for that transaction only),
later transactions on the same pooled connection read the setting as '' rather than NULL. The policy
compared it with the area code columns, and the rollups keep '' for "no area" in them: a transaction
that set no scope then saw every rollup row of incidents outside all areas, where it must see none.
The setting is now read through NULLIF(..., ''), so '' means what NULL means: nothing.
"""
from typing import Sequence, Union

from alembic import op

revision: str = '0009'
down_revision: Union[str, None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

SCOPED = ("incidents", "ledger_items", "cameras", "places", "incident_daily", "incident_monthly")
CODES = "(cell_code, community_code, street_code, district_code)"
OLD_SCOPE = "(SELECT current_setting('safegrid.scope', true))"
SCOPE = "(SELECT NULLIF(current_setting('safegrid.scope', true), ''))"


def _policies(scope: str) -> None:
    policy = f"{scope} = '*' OR {scope} IN {CODES}"
    for table in SCOPED:
        op.execute(f"ALTER POLICY {table}_scope ON {table} USING ({policy}) WITH CHECK ({policy})")


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        _policies(SCOPE)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        _policies(OLD_SCOPE)
