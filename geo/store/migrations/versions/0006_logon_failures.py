"""failed sign-ins counted by a keyed hash of the name tried (known or not) and of the client, with a
short expiry; the per-account counter columns of ``users`` go (one count, in one place)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02

The hash key is a random secret kept in ``settings`` (``logon_key``), made here, once per database.
"""
import secrets
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: Union[str, None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

KEY_SETTING = "logon_key"


def upgrade() -> None:
    op.create_table(
        "logon_failures",
        sa.Column("key", sa.String(length=64), primary_key=True),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_logon_failures_expires_at", "logon_failures", ["expires_at"])
    settings = sa.table("settings", sa.column("key", sa.String), sa.column("value", sa.Text))
    op.execute(settings.delete().where(settings.c.key == KEY_SETTING))
    op.execute(settings.insert().values(key=KEY_SETTING, value=secrets.token_hex(32)))
    with op.batch_alter_table("users") as batch:
        batch.drop_column("locked_until")
        batch.drop_column("failed_logons")


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("failed_logons", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
    settings = sa.table("settings", sa.column("key", sa.String), sa.column("value", sa.Text))
    op.execute(settings.delete().where(settings.c.key == KEY_SETTING))
    op.drop_index("ix_logon_failures_expires_at", table_name="logon_failures")
    op.drop_table("logon_failures")
