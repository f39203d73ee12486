"""alerts: subscriptions (an account, an area, a rule kind, optional delivery) and raised alerts

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03

``alerts`` carries the area codes of its place, so on PostgreSQL it gets the row-level security policy
of the other scoped tables (0009's form). Both tables get the grants ``ledger_items`` has (copied, so
an app role granted before the upgrade reaches them too).
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0011'
down_revision: Union[str, None] = '0010'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

CODES = "(cell_code, community_code, street_code, district_code)"
SCOPE = "(SELECT NULLIF(current_setting('safegrid.scope', true), ''))"
UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        'alert_subscriptions',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('username', sa.String(64), nullable=False),
        sa.Column('area_code', sa.String(64), nullable=False),
        sa.Column('rule', sa.String(16), nullable=False),
        sa.Column('due_days', sa.Integer(), nullable=True),
        sa.Column('email', sa.String(254), nullable=True),
        sa.Column('webhook', sa.String(500), nullable=True),
        sa.Column('created_at', UTC, nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('username', 'area_code', 'rule', name='uq_alert_subscriptions'),
    )
    op.create_index('ix_alert_subscriptions_username', 'alert_subscriptions', ['username'])
    op.create_table(
        'alerts',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('subscription_id', sa.Integer(), nullable=False),
        sa.Column('username', sa.String(64), nullable=False),
        sa.Column('dedupe_key', sa.String(400), nullable=False),
        sa.Column('base_key', sa.String(400), nullable=False),
        sa.Column('rule', sa.String(16), nullable=False),
        sa.Column('area_code', sa.String(64), nullable=False),
        sa.Column('subject', sa.String(100), nullable=False),
        sa.Column('period', sa.String(32), nullable=False),
        sa.Column('condition', sa.String(32), nullable=False),
        sa.Column('value', sa.Float(), nullable=True),
        sa.Column('threshold', sa.Float(), nullable=True),
        sa.Column('detail', sa.Text(), nullable=True),
        sa.Column('raised_at', UTC, nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('cleared_at', UTC, nullable=True),
        sa.Column('status', sa.String(16), nullable=False),
        sa.Column('snoozed_until', UTC, nullable=True),
        sa.Column('acted_by', sa.String(64), nullable=True),
        sa.Column('acted_at', UTC, nullable=True),
        sa.Column('delivery', sa.String(16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('delivery_error', sa.String(300), nullable=True),
        sa.Column('delivered_at', UTC, nullable=True),
        sa.Column('cell_code', sa.String(64), nullable=True),
        sa.Column('community_code', sa.String(64), nullable=True),
        sa.Column('street_code', sa.String(64), nullable=True),
        sa.Column('district_code', sa.String(64), nullable=True),
        sa.ForeignKeyConstraint(['subscription_id'], ['alert_subscriptions.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('dedupe_key'),
    )
    op.create_index('ix_alerts_subscription_id', 'alerts', ['subscription_id'])
    op.create_index('ix_alerts_username', 'alerts', ['username'])
    op.create_index('ix_alerts_base_key', 'alerts', ['base_key'])
    op.create_index('ix_alerts_raised_at', 'alerts', ['raised_at'])
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        policy = f"{SCOPE} = '*' OR {SCOPE} IN {CODES}"
        op.execute("ALTER TABLE alerts ENABLE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY alerts_scope ON alerts USING ({policy}) WITH CHECK ({policy})")
        grants = conn.execute(sa.text(
            "SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END, "
            "a.privilege_type FROM pg_class c, aclexplode(c.relacl) a "
            "WHERE c.oid = CAST('ledger_items' AS regclass) AND a.grantee <> c.relowner")).all()
        for grantee, privilege in grants:
            op.execute(f"GRANT {privilege} ON alerts TO {grantee}")
            op.execute(f"GRANT {privilege} ON alert_subscriptions TO {grantee}")
            if privilege == "INSERT":
                op.execute(f"GRANT USAGE, SELECT ON SEQUENCE alerts_id_seq, alert_subscriptions_id_seq TO {grantee}")


def downgrade() -> None:
    op.drop_table('alerts')
    op.drop_table('alert_subscriptions')
