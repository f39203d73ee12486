"""ledger_events is append-only (the history of an item can only grow)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""
from typing import Sequence, Union

from alembic import op

revision: str = '0003'
down_revision: Union[str, None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for what in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER ledger_events_no_{what.lower()} BEFORE {what} ON ledger_events "
                       "BEGIN SELECT RAISE(ABORT, 'ledger_events is append-only'); END")
        return
    op.execute("CREATE OR REPLACE FUNCTION safegrid_history_only_grows() RETURNS trigger LANGUAGE plpgsql AS "
               "$$ BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$")
    op.execute("CREATE TRIGGER ledger_events_append_only BEFORE UPDATE OR DELETE ON ledger_events "
               "FOR EACH ROW EXECUTE FUNCTION safegrid_history_only_grows()")
    op.execute("CREATE TRIGGER ledger_events_no_truncate BEFORE TRUNCATE ON ledger_events "
               "FOR EACH STATEMENT EXECUTE FUNCTION safegrid_history_only_grows()")
    op.execute("REVOKE UPDATE, DELETE, TRUNCATE ON ledger_events FROM PUBLIC")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS ledger_events_no_update")
        op.execute("DROP TRIGGER IF EXISTS ledger_events_no_delete")
        return
    op.execute("DROP TRIGGER IF EXISTS ledger_events_no_truncate ON ledger_events")
    op.execute("DROP TRIGGER IF EXISTS ledger_events_append_only ON ledger_events")
    op.execute("DROP FUNCTION IF EXISTS safegrid_history_only_grows()")
