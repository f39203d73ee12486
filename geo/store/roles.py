"""The two PostgreSQL roles SafeGrid runs with, and what the app role may do.

* The **owner** owns the tables: it runs ``python -m geo init`` (migrations), the command-line
  imports and exports. Row-level security does not bind a table's owner (the policies are not
  FORCEd), which is what migrations and jurisdiction-wide imports need.
* The **app** role is what the Streamlit server connects as (``DATABASE_URL``). It owns no table
  and is no superuser, so row-level security binds it: a transaction sees only the rows of the
  scope it set (``geo.store.scope.apply``), and none when it set nothing. It may read and write
  the tables, but the append-only ones (``audit_log``, ``ledger_events``) only take INSERT and
  SELECT.

:func:`grant_app` gives an existing role exactly those rights (``python -m geo init --app-role``).
"""

from __future__ import annotations

import re

from sqlalchemy import text
from sqlalchemy.engine import Connection

from geo.store.dialects import dialect_for
from geo.store.models import Base

APPEND_ONLY = ("audit_log", "ledger_events")
FORBIDDEN = ("UPDATE", "DELETE", "TRUNCATE")  # on the append-only tables
_ROLE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class RoleError(ValueError):
    """A role that cannot serve as the app role, with the reason."""


def grant_app(conn: Connection, role: str) -> list[str]:
    """Grant ``role`` what the app needs and nothing more; returns the tables granted.

    Refused (:class:`RoleError`) on SQLite, for a malformed name, a role that does not exist, a
    superuser or a role with BYPASSRLS (row-level security would not bind it), and a role that
    owns a SafeGrid table.
    """
    if not dialect_for(conn).has_roles:
        raise RoleError("roles exist on PostgreSQL only; the SQLite file has no row-level security")
    if not _ROLE.match(role or ""):
        raise RoleError(f"{role!r} is not a role name (lower-case letters, digits and _)")
    found = conn.execute(text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = :r"), {"r": role}).first()
    if found is None:
        raise RoleError(f"no role {role!r}: create it first (CREATE ROLE {role} LOGIN PASSWORD '...')")
    if found[0] or found[1]:
        raise RoleError(f"{role} is a superuser or bypasses row-level security: the app role must be bound by it")
    # the tables of the schema the database has now (one not yet upgraded lacks the newest; the
    # migration that makes a table copies the grants its sibling had, e.g. 0008 incident_monthly)
    tables = [t for t in [t.name for t in Base.metadata.sorted_tables] + ["alembic_version"]
              if conn.execute(text("SELECT to_regclass(:t) IS NOT NULL"), {"t": t}).scalar()]
    owned = conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                              "AND tableowner = :r"), {"r": role}).scalars().all()
    if set(owned) & set(tables):
        raise RoleError(f"{role} owns {', '.join(sorted(set(owned) & set(tables)))}: the app role must own no table")
    conn.execute(text(f'GRANT USAGE ON SCHEMA public TO "{role}"'))
    for table in tables:
        rights = "SELECT, INSERT" if table in APPEND_ONLY else "SELECT, INSERT, UPDATE, DELETE"
        if table == "alembic_version":
            rights = "SELECT"
        conn.execute(text(f'REVOKE ALL ON "{table}" FROM "{role}"'))
        conn.execute(text(f'GRANT {rights} ON "{table}" TO "{role}"'))
    conn.execute(text(f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "{role}"'))
    _check_append_only(conn, role)
    return tables


def _check_append_only(conn: Connection, role: str) -> None:
    """Raise :class:`RoleError` if ``role`` may still UPDATE, DELETE or TRUNCATE an append-only table
    (``has_table_privilege`` counts the rights of every role it inherits from, ownership included);
    the caller's transaction, grants and all, is then rolled back."""
    leaks = [f"{what} on {table}" for table in APPEND_ONLY for what in FORBIDDEN
             if conn.execute(text("SELECT has_table_privilege(:r, :t, :w)"),
                             {"r": role, "t": table, "w": what}).scalar()]
    if leaks:
        raise RoleError(f"{role} would still have {', '.join(leaks)} through a role it belongs to: "
                        "revoke those rights (or the membership) first")
