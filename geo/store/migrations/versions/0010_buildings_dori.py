"""buildings (footprints that hide what lies behind them from cameras), cameras' horizontal
resolution (DORI distances) and the DORI level a coverage target counts

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03

``buildings`` describes places, not people, and is read whole by every scope (a building outside a
street still hides part of a camera's view inside it), so it has no row-level security. On
PostgreSQL it gets the grants ``places`` has (copied, so an app role granted before the upgrade
reaches it too) and a GiST index on its footprint.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import geo.store.types

revision: str = '0010'
down_revision: Union[str, None] = '0009'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'buildings',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('source', sa.String(length=64), nullable=False),
        sa.Column('source_id', sa.String(length=128), nullable=False),
        sa.Column('row_hash', sa.BigInteger(), nullable=False),
        sa.Column('lon_min', sa.Float(), nullable=False),
        sa.Column('lat_min', sa.Float(), nullable=False),
        sa.Column('lon_max', sa.Float(), nullable=False),
        sa.Column('lat_max', sa.Float(), nullable=False),
        sa.Column('geom', geo.store.types.Geometry('MULTIPOLYGON'), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('uq_buildings_source', 'buildings', ['source', 'source_id'], unique=True)
    op.create_index('ix_buildings_box', 'buildings', ['lon_min', 'lon_max', 'lat_min', 'lat_max'])
    with op.batch_alter_table('cameras') as batch:
        batch.add_column(sa.Column('resolution_h', sa.Integer(), nullable=True))
    with op.batch_alter_table('coverage_targets') as batch:
        batch.add_column(sa.Column('level', sa.String(length=16), nullable=True))
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        op.create_index("ix_buildings_geom_gist", "buildings", ["geom"], postgresql_using="gist")
        grants = conn.execute(sa.text(
            "SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END, "
            "a.privilege_type FROM pg_class c, aclexplode(c.relacl) a "
            "WHERE c.oid = CAST('places' AS regclass) AND a.grantee <> c.relowner")).all()
        for grantee, privilege in grants:
            op.execute(f"GRANT {privilege} ON buildings TO {grantee}")


def downgrade() -> None:
    with op.batch_alter_table('coverage_targets') as batch:
        batch.drop_column('level')
    with op.batch_alter_table('cameras') as batch:
        batch.drop_column('resolution_h')
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_buildings_geom_gist", table_name="buildings")
    op.drop_index('ix_buildings_box', table_name='buildings')
    op.drop_index('uq_buildings_source', table_name='buildings')
    op.drop_table('buildings')
