"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-23
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import geo.store.types

revision: str = '0001'
down_revision: Union[str, None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


SPATIAL = (("areas", "geom"), ("incidents", "geom"), ("places", "geom"), ("cameras", "geom"),
           ("patrol_zones", "geom"), ("ledger_items", "geom"))


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.create_table('areas',
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=True),
    sa.Column('name_en', sa.String(length=200), nullable=True),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('parent_code', sa.String(length=64), nullable=True),
    sa.Column('population', sa.Integer(), nullable=True),
    sa.Column('team', sa.String(length=200), nullable=True),
    sa.Column('area_km2', sa.Float(), nullable=True),
    sa.Column('row_hash', sa.BigInteger(), nullable=True),
    sa.Column('geom', geo.store.types.Geometry('MULTIPOLYGON'), nullable=True),
    sa.PrimaryKeyConstraint('code')
    )
    with op.batch_alter_table('areas', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_areas_level'), ['level'], unique=False)
        batch_op.create_index(batch_op.f('ix_areas_parent_code'), ['parent_code'], unique=False)

    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('object', sa.String(length=200), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_at'), ['at'], unique=False)

    op.create_table('cameras',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('source_id', sa.String(length=128), nullable=False),
    sa.Column('heading', sa.Float(), nullable=True),
    sa.Column('fov', sa.Float(), nullable=False),
    sa.Column('range_m', sa.Float(), nullable=False),
    sa.Column('kind', sa.String(length=50), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('owner', sa.String(length=200), nullable=True),
    sa.Column('installed_on', sa.Date(), nullable=True),
    sa.Column('removed_on', sa.Date(), nullable=True),
    sa.Column('row_hash', sa.BigInteger(), nullable=False),
    sa.Column('geom', geo.store.types.Geometry('POINT'), nullable=True),
    sa.Column('cell_code', sa.String(length=64), nullable=True),
    sa.Column('community_code', sa.String(length=64), nullable=True),
    sa.Column('street_code', sa.String(length=64), nullable=True),
    sa.Column('district_code', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('cameras', schema=None) as batch_op:
        batch_op.create_index('uq_cameras_source', ['source', 'source_id'], unique=True)
        batch_op.create_index(batch_op.f('ix_cameras_status'), ['status'], unique=False)

    op.create_table('campaigns',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=True),
    sa.Column('area_code', sa.String(length=64), nullable=True),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('coverage_targets',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('area_code', sa.String(length=64), nullable=True),
    sa.Column('place_kind', sa.String(length=50), nullable=True),
    sa.Column('target_pct', sa.Float(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('set_by', sa.String(length=64), nullable=False),
    sa.Column('set_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('incident_daily',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('category', sa.String(length=100), nullable=False),
    sa.Column('cell_code', sa.String(length=64), nullable=False),
    sa.Column('community_code', sa.String(length=64), nullable=False),
    sa.Column('street_code', sa.String(length=64), nullable=False),
    sa.Column('district_code', sa.String(length=64), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'category', 'cell_code', 'community_code', 'street_code', 'district_code')
    )
    op.create_table('incidents',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('source_id', sa.String(length=128), nullable=False),
    sa.Column('category', sa.String(length=100), nullable=False),
    sa.Column('subcategory', sa.String(length=200), nullable=True),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('reported_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=50), nullable=True),
    sa.Column('address', sa.String(length=300), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('row_hash', sa.BigInteger(), nullable=False),
    sa.Column('geom', geo.store.types.Geometry('POINT'), nullable=True),
    sa.Column('cell_code', sa.String(length=64), nullable=True),
    sa.Column('community_code', sa.String(length=64), nullable=True),
    sa.Column('street_code', sa.String(length=64), nullable=True),
    sa.Column('district_code', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.create_index('uq_incidents_source', ['source', 'source_id'], unique=True)
        batch_op.create_index('ix_incidents_cell_day', ['cell_code', 'occurred_on'], unique=False)
        batch_op.create_index('ix_incidents_occurred_on', ['occurred_on'], unique=False)

    op.create_table('ledger_items',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('source_id', sa.String(length=128), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('category', sa.String(length=100), nullable=True),
    sa.Column('title', sa.String(length=300), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('responsible_unit', sa.String(length=200), nullable=True),
    sa.Column('found_on', sa.Date(), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('recheck_on', sa.Date(), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('row_hash', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('geom', geo.store.types.Geometry('POINT'), nullable=True),
    sa.Column('cell_code', sa.String(length=64), nullable=True),
    sa.Column('community_code', sa.String(length=64), nullable=True),
    sa.Column('street_code', sa.String(length=64), nullable=True),
    sa.Column('district_code', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('ledger_items', schema=None) as batch_op:
        batch_op.create_index('uq_ledger_source', ['source', 'source_id'], unique=True)
        batch_op.create_index('ix_ledger_status_deadline', ['status', 'deadline'], unique=False)

    op.create_table('patrol_zones',
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=True),
    sa.Column('name_en', sa.String(length=200), nullable=True),
    sa.Column('team', sa.String(length=200), nullable=True),
    sa.Column('shift', sa.String(length=50), nullable=True),
    sa.Column('staff', sa.Integer(), nullable=True),
    sa.Column('row_hash', sa.BigInteger(), nullable=True),
    sa.Column('geom', geo.store.types.Geometry('MULTIPOLYGON'), nullable=True),
    sa.PrimaryKeyConstraint('code')
    )
    op.create_table('places',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('source_id', sa.String(length=128), nullable=False),
    sa.Column('kind', sa.String(length=50), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=True),
    sa.Column('name_en', sa.String(length=200), nullable=True),
    sa.Column('required_pct', sa.Float(), nullable=True),
    sa.Column('row_hash', sa.BigInteger(), nullable=False),
    sa.Column('geom', geo.store.types.Geometry('GEOMETRY'), nullable=True),
    sa.Column('cell_code', sa.String(length=64), nullable=True),
    sa.Column('community_code', sa.String(length=64), nullable=True),
    sa.Column('street_code', sa.String(length=64), nullable=True),
    sa.Column('district_code', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('places', schema=None) as batch_op:
        batch_op.create_index('uq_places_source', ['source', 'source_id'], unique=True)
        batch_op.create_index(batch_op.f('ix_places_kind'), ['kind'], unique=False)

    op.create_table('settings',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('scope_code', sa.String(length=64), nullable=True),
    sa.Column('disabled', sa.Boolean(), nullable=False),
    sa.Column('failed_logons', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('username')
    )
    op.create_table('campaign_phases',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=True),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('campaign_phases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaign_phases_campaign_id'), ['campaign_id'], unique=False)

    op.create_table('indicators',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('target_value', sa.Float(), nullable=False),
    sa.Column('actual_value', sa.Float(), nullable=True),
    sa.Column('actual_source', sa.String(length=200), nullable=True),
    sa.Column('unit', sa.String(length=16), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('indicators', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_indicators_campaign_id'), ['campaign_id'], unique=False)

    op.create_table('ledger_events',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('from_status', sa.String(length=16), nullable=True),
    sa.Column('to_status', sa.String(length=16), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['item_id'], ['ledger_items.id'], ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('ledger_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_events_item_id'), ['item_id'], unique=False)

    if bind.dialect.name == "postgresql":
        for table, column in SPATIAL:
            op.create_index(f"ix_{table}_{column}_gist", table, [column], postgresql_using="gist")


def downgrade() -> None:
    with op.batch_alter_table('ledger_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_events_item_id'))

    op.drop_table('ledger_events')
    with op.batch_alter_table('indicators', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_indicators_campaign_id'))

    op.drop_table('indicators')
    with op.batch_alter_table('campaign_phases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campaign_phases_campaign_id'))

    op.drop_table('campaign_phases')
    op.drop_table('users')
    op.drop_table('settings')
    with op.batch_alter_table('places', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_places_kind'))

    op.drop_table('places')
    op.drop_table('patrol_zones')
    with op.batch_alter_table('ledger_items', schema=None) as batch_op:
        batch_op.drop_index('ix_ledger_status_deadline')

    op.drop_table('ledger_items')
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_index('ix_incidents_occurred_on')
        batch_op.drop_index('ix_incidents_cell_day')

    op.drop_table('incidents')
    op.drop_table('incident_daily')
    op.drop_table('coverage_targets')
    op.drop_table('campaigns')
    with op.batch_alter_table('cameras', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cameras_status'))

    op.drop_table('cameras')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_at'))

    op.drop_table('audit_log')
    with op.batch_alter_table('areas', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_areas_parent_code'))
        batch_op.drop_index(batch_op.f('ix_areas_level'))

    op.drop_table('areas')
