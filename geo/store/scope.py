"""Area scope: an account sees only rows inside its area. One value, one module, fail-closed.

A :class:`Scope` is either one area (a district, street or community, resolved against the
``areas`` table) or the whole jurisdiction, which is an explicit value
(:meth:`Scope.jurisdiction`), never the absence of one. Every store read that can return
rows of an area takes a ``Scope`` as a required argument and filters through
:mod:`geo.store.filters` (SQLAlchemy Core clauses built from :meth:`Scope.clause`); anything that
is not a ``Scope`` (``None``, a bare code) is a ``TypeError``, and an unknown or malformed code is
a :class:`ScopeError`, never "no filter". A drill-down focus is a narrower scope
(:meth:`Scope.narrow`), so it can never widen what an account sees.

On PostgreSQL the same rule is also enforced by row-level security, fed by :func:`apply` with
``set_config(..., true)`` (``SET LOCAL``): the setting ends with the transaction, so it never
leaks to the next user of a pooled connection.

Examples
--------
>>> from geo.store.models import Incident
>>> str(Scope("AN01", "street").clause(Incident.__table__))
'incidents.street_code = :street_code_1'
>>> str(Scope.jurisdiction().clause(Incident.__table__))
'true'
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import Table, text, true
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from geo.store.areas import CODE_COLUMNS
from geo.store.dialects import dialect_for

# The levels an account may be scoped to. A single grid cell is refused: its ranking beside
# its sibling cells and its small counts would say too much about a few addresses.
ACCOUNT_LEVELS = ("district", "street", "community")
_CODE = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")
JURISDICTION_SETTING = "*"  # the row-level-security setting that means every row


class ScopeError(LookupError):
    """A scope that names no area, or an area an account may not be scoped to."""


@dataclass(frozen=True)
class Scope:
    """One area (``code`` at ``level``) or, with both None, the whole jurisdiction."""

    code: str | None
    level: str | None

    def __post_init__(self):
        if (self.code is None) != (self.level is None):
            raise ScopeError("a scope names both an area and its level, or neither (the whole jurisdiction)")
        if self.level is not None and self.level not in CODE_COLUMNS:
            raise ScopeError(f"unknown area level {self.level!r}")

    @classmethod
    def jurisdiction(cls) -> Scope:
        """Every row: the explicit scope of an account with no area restriction."""
        return cls(None, None)

    @classmethod
    def of(cls, conn: Connection, code: str) -> Scope:
        """The scope of area ``code``; :class:`ScopeError` when no area has that code."""
        if not isinstance(code, str) or not _CODE.match(code):
            raise ScopeError(f"{code!r} is not an area code")
        level = conn.execute(text("SELECT level FROM areas WHERE code = :c"), {"c": code}).scalar()
        if level is None:
            raise ScopeError(f"no area has the code {code!r}")
        return cls(code, level)

    @classmethod
    def for_account(cls, conn: Connection, code: str | None) -> Scope:
        """An account's scope as stored (None in ``users.scope_code``: the whole jurisdiction)."""
        return cls.jurisdiction() if code is None else cls.of(conn, code)

    @property
    def everything(self) -> bool:
        return self.code is None

    @property
    def column(self) -> str | None:
        """The code column that selects this area's rows (None for the whole jurisdiction)."""
        return None if self.level is None else CODE_COLUMNS[self.level]

    @property
    def setting(self) -> str:
        return JURISDICTION_SETTING if self.code is None else self.code

    def clause(self, table: Table) -> ColumnElement:
        """The same condition as SQLAlchemy Core over ``table``."""
        return true() if self.code is None else table.c[self.column] == self.code

    def contains(self, conn: Connection, code: str | None) -> bool:
        """Whether area ``code`` is this scope's area or lies below it (False for None or unknown)."""
        if self.code is None:
            return code is not None and conn.execute(text("SELECT 1 FROM areas WHERE code = :c"),
                                                     {"c": code}).first() is not None
        seen = set()
        while code and code not in seen:
            if code == self.code:
                return True
            seen.add(code)
            code = conn.execute(text("SELECT parent_code FROM areas WHERE code = :c"), {"c": code}).scalar()
        return False

    def narrow(self, conn: Connection, code: str | None) -> Scope:
        """The scope of area ``code`` (a focus inside this scope); this scope itself for None.

        :class:`ScopeError` when ``code`` is unknown or lies outside this scope: a focus never widens.
        """
        if code is None or code == self.code:
            return self
        inner = Scope.of(conn, code)
        if not self.contains(conn, code):
            raise ScopeError(f"the area {code} lies outside your area {self.code}")
        return inner

    def check_account_level(self) -> Scope:
        """This scope, if an account may have it (:data:`ACCOUNT_LEVELS`), else :class:`ScopeError`."""
        if self.level is not None and self.level not in ACCOUNT_LEVELS:
            raise ScopeError(f"an account's scope is a district, street or community, not a {self.level} "
                             f"({self.code}); choose the community around it")
        return self


def require(scope: Scope) -> Scope:
    """``scope`` itself; a ``TypeError`` for anything else (``None`` never means "everything")."""
    if not isinstance(scope, Scope):
        raise TypeError(f"scope must be a Scope, not {type(scope).__name__}: "
                        "use Scope.jurisdiction() for every row")
    return scope


def apply(conn: Connection, scope: Scope) -> None:
    """Set this transaction's scope for PostgreSQL's row-level security (no-op elsewhere)."""
    dialect_for(conn).set_scope(conn, require(scope).setting)
