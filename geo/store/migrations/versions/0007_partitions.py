"""incidents range-partitioned by month (occurred_on), incident_daily by year (day), on PostgreSQL

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03

Each table is rebuilt inside this one transaction: the old table is renamed aside, the new one made
LIKE it (columns, defaults, NOT NULLs) but partitioned, with one partition per month (year) that
holds rows (only those: a stray date of 1905 makes one partition, not 1,400) and a DEFAULT
partition for every other date (an insert never fails for want of a partition); the rows are copied, the keys and indexes made on the parent (PostgreSQL makes
them on every partition), the old table's grants and row-level security policy put back on the
parent, the id sequence handed over, and the old table dropped. Partitions get no grants: the app
role reaches rows through the parent only, where the policy applies.

A unique index of a partitioned table must hold the partition key, so ``incidents``' (source,
source_id) becomes (source, source_id, occurred_on) and its primary key (id, occurred_on). The
importer keeps (source, source_id) unique itself: a changed row is deleted and written again under
its old id (``geo.store.partitions.replace_incidents``), so a row whose date moves is not doubled.
``incident_daily``'s primary key already holds ``day``. The row-level security policy is 0004's,
with the scope setting read once per statement rather than once per row.

The downgrade rebuilds plain tables with the keys they had. SQLite keeps one table of each:
nothing happens there. Later partitions are made by ``geo.store.partitions`` (imports, and
``python -m geo maintain``).
"""
import datetime as dt
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: Union[str, None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# 0004's policy, with the setting read once per statement (a sub-select is planned as an InitPlan)
# instead of once per row: the same rows, but a year of the rollup (millions of rows) read as the
# app role no longer pays two function calls a row.
SCOPE = "(SELECT current_setting('safegrid.scope', true))"
POLICY = f"{SCOPE} = '*' OR {SCOPE} IN (cell_code, community_code, street_code, district_code)"
DAILY_KEY = "day, category, cell_code, community_code, street_code, district_code"

# table -> (partition column, step, primary key, indexes: name -> definition after ON table)
PARTITIONED = {
    "incidents": ("occurred_on", "month", "id, occurred_on", {
        "uq_incidents_source": "UNIQUE (source, source_id, occurred_on)",
        "ix_incidents_cell_day": "(cell_code, occurred_on)",
        "ix_incidents_occurred_on": "(occurred_on)",
        "ix_incidents_geom_gist": "USING gist (geom)",
    }),
    "incident_daily": ("day", "year", DAILY_KEY, {}),
}
PLAIN = {
    "incidents": ("id", {
        "uq_incidents_source": "UNIQUE (source, source_id)",
        "ix_incidents_cell_day": "(cell_code, occurred_on)",
        "ix_incidents_occurred_on": "(occurred_on)",
        "ix_incidents_geom_gist": "USING gist (geom)",
    }),
    "incident_daily": (DAILY_KEY, {}),
}


def _span(start: dt.date, step: str) -> tuple[dt.date, dt.date, str]:
    """(start, end exclusive, name suffix) of the month (year) starting at ``start``."""
    if step == "month":
        end = start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)
        return start, end, f"p{start.year:04d}_{start.month:02d}"
    return start, start.replace(year=start.year + 1), f"p{start.year:04d}"


def _rebuild(table: str, primary_key: str, indexes: dict, partitioned: tuple | None) -> None:
    """Make ``table`` again (partitioned by ``partitioned`` = (column, step), or plain) with its rows,
    keys, indexes, grants, policy and id sequence, in the migration's transaction."""
    conn = op.get_bind()
    old = f"{table}_rebuilt"
    grants = conn.execute(sa.text(
        "SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END, "
        "a.privilege_type FROM pg_class c, aclexplode(c.relacl) a "
        "WHERE c.oid = CAST(:t AS regclass) AND a.grantee <> c.relowner"), {"t": table}).all()
    sequence = conn.execute(sa.text(
        "SELECT pg_get_serial_sequence(:t, a.attname) FROM pg_attribute a WHERE a.attrelid = CAST(:t AS regclass) "
        "AND a.attname = 'id'"), {"t": table}).scalar()
    op.execute(f"ALTER TABLE {table} RENAME TO {old}")
    # Index and constraint names are the schema's: the old ones go before the new ones are made.
    for (name,) in conn.execute(sa.text(
            "SELECT i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
            "WHERE x.indrelid = CAST(:t AS regclass) AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid)"), {"t": old}).all():
        op.execute(f'DROP INDEX "{name}"')
    for (name,) in conn.execute(sa.text("SELECT conname FROM pg_constraint WHERE conrelid = CAST(:t AS regclass) "
                                        "AND contype IN ('p', 'u')"), {"t": old}).all():
        op.execute(f'ALTER TABLE {old} DROP CONSTRAINT "{name}"')
    if partitioned:
        column, step = partitioned
        op.execute(f"CREATE TABLE {table} (LIKE {old} INCLUDING DEFAULTS) PARTITION BY RANGE ({column})")
        op.execute(f"CREATE TABLE {table}_default PARTITION OF {table} DEFAULT")
        starts = conn.execute(sa.text(f"SELECT DISTINCT CAST(date_trunc('{step}', {column}) AS date) FROM {old}"))
        for start, end, suffix in (_span(start, step) for (start,) in starts.all()):
            op.execute(f"CREATE TABLE {table}_{suffix} PARTITION OF {table} "
                       f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')")
    else:
        op.execute(f"CREATE TABLE {table} (LIKE {old} INCLUDING DEFAULTS)")
    op.execute(f"INSERT INTO {table} SELECT * FROM {old}")
    op.execute(f"ALTER TABLE {table} ADD CONSTRAINT {table}_pkey PRIMARY KEY ({primary_key})")
    for name, definition in indexes.items():
        unique = definition.startswith("UNIQUE ")
        columns = definition.removeprefix("UNIQUE ")
        op.execute(f"CREATE {'UNIQUE ' if unique else ''}INDEX {name} ON {table} {columns}")
    if sequence:
        op.execute(f"ALTER SEQUENCE {sequence} OWNED BY {table}.id")
    for grantee, privilege in grants:
        op.execute(f"GRANT {privilege} ON {table} TO {grantee}")
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY {table}_scope ON {table} USING ({POLICY}) WITH CHECK ({POLICY})")
    op.execute(f"DROP TABLE {old}")
    op.execute(f"ANALYZE {table}")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    for table, (column, step, primary_key, indexes) in PARTITIONED.items():
        _rebuild(table, primary_key, indexes, (column, step))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    for table, (primary_key, indexes) in PLAIN.items():
        _rebuild(table, primary_key, indexes, None)
