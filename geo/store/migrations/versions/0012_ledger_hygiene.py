"""ledger hygiene: an item's link to the original it likely duplicates, and the date its escalation
to the street's oversight was recorded

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03

Both are columns of ``ledger_items``, so its row-level security and grants cover them unchanged.
``duplicate_of`` names another item's id (no foreign key: SQLite would rebuild the table for one);
the store only ever links to an item in the same scope.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: Union[str, None] = '0011'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('ledger_items') as batch:
        batch.add_column(sa.Column('duplicate_of', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('escalated_on', sa.Date(), nullable=True))
    op.create_index('ix_ledger_items_duplicate_of', 'ledger_items', ['duplicate_of'])


def downgrade() -> None:
    op.drop_index('ix_ledger_items_duplicate_of', table_name='ledger_items')
    with op.batch_alter_table('ledger_items') as batch:
        batch.drop_column('escalated_on')
        batch.drop_column('duplicate_of')
