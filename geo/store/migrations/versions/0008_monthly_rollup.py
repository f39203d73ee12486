"""incident_monthly: the daily rollup summed per calendar month, made and filled from incident_daily

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03

A year on the grid page (and the year before it, for year-on-year) summed some two million rows of
``incident_daily`` on a large city; a month's row per cell and category is thirty times fewer. The
table has ``incident_daily``'s columns with ``month`` (the first day of the month) in place of
``day``, and the same primary key. It is filled here from ``incident_daily`` (an existing database
keeps its figures) and kept equal to it by ``geo.store.rollup`` from then on.

On PostgreSQL it gets the same grants as ``incident_daily`` (copied from that table, so an app role
granted before the upgrade reaches it too) and 0007's row-level security policy. It is not
partitioned: two years of a city are some hundred thousand rows, and retention deletes whole months.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: Union[str, None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

SCOPE = "(SELECT current_setting('safegrid.scope', true))"
POLICY = f"{SCOPE} = '*' OR {SCOPE} IN (cell_code, community_code, street_code, district_code)"
CODES = "category, cell_code, community_code, street_code, district_code"
MONTH_OF_DAY = {"sqlite": "date(day, 'start of month')", "postgresql": "CAST(date_trunc('month', day) AS date)"}


def upgrade() -> None:
    conn = op.get_bind()
    dialect = conn.dialect.name
    op.create_table(
        'incident_monthly',
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('category', sa.String(length=100), nullable=False),
        sa.Column('cell_code', sa.String(length=64), nullable=False),
        sa.Column('community_code', sa.String(length=64), nullable=False),
        sa.Column('street_code', sa.String(length=64), nullable=False),
        sa.Column('district_code', sa.String(length=64), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('month', 'category', 'cell_code', 'community_code', 'street_code', 'district_code'),
    )
    month = MONTH_OF_DAY[dialect]
    op.execute(f"INSERT INTO incident_monthly (month, {CODES}, n) "
               f"SELECT {month}, {CODES}, SUM(n) FROM incident_daily GROUP BY {month}, {CODES}")
    if dialect == "sqlite":
        return
    grants = conn.execute(sa.text(
        "SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END, "
        "a.privilege_type FROM pg_class c, aclexplode(c.relacl) a "
        "WHERE c.oid = CAST('incident_daily' AS regclass) AND a.grantee <> c.relowner")).all()
    for grantee, privilege in grants:
        op.execute(f"GRANT {privilege} ON incident_monthly TO {grantee}")
    op.execute("ALTER TABLE incident_monthly ENABLE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY incident_monthly_scope ON incident_monthly USING ({POLICY}) WITH CHECK ({POLICY})")
    op.execute("ANALYZE incident_monthly")


def downgrade() -> None:
    op.drop_table('incident_monthly')
