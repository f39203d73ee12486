"""Area scope: an account sees only rows inside its area (the whole jurisdiction when it has none).

Queries filter on the scope's code column in every backend; on PostgreSQL the same rule is
also enforced by row-level security, fed by :func:`apply` with ``set_config(..., true)``
(``SET LOCAL``): the setting ends with the transaction, so it never leaks to the next user
of a pooled connection.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

from geo.store.areas import CODE_COLUMNS


def apply(conn: Connection, scope: str | None) -> None:
    """Set this transaction's scope for PostgreSQL's row-level security (no-op elsewhere)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT set_config('safegrid.scope', :s, true)"), {"s": scope or ""})


def column(conn: Connection, scope: str | None) -> tuple[str, str] | None:
    """``(code column, code)`` selecting the rows inside ``scope`` (None: no restriction)."""
    if not scope:
        return None
    level = conn.execute(text("SELECT level FROM areas WHERE code = :c"), {"c": scope}).scalar()
    if level is None:
        raise LookupError(f"the scope {scope!r} is not an area")
    return CODE_COLUMNS[level], scope


def contains(conn: Connection, scope: str | None, code: str | None) -> bool:
    """Whether area ``code`` is ``scope`` itself or lies below it."""
    if not scope:
        return True
    seen = set()
    while code and code not in seen:
        if code == scope:
            return True
        seen.add(code)
        code = conn.execute(text("SELECT parent_code FROM areas WHERE code = :c"), {"c": code}).scalar()
    return False
