"""Every row filter of the store, in one place, as SQLAlchemy Core: area scope, focus, period, category.

A read never appends SQL text for these at its call site: it asks this module for a clause
over its own table. The area part always comes from a :class:`~geo.store.scope.Scope`, which
every reader takes as a required argument; a focus (drill-down) is a narrower ``Scope``
(:meth:`Scope.narrow`), so it can never widen what an account sees.

Examples
--------
>>> from geo.store.models import IncidentDaily
>>> from geo.store.scope import Scope
>>> import datetime as dt
>>> clause = rows(IncidentDaily.__table__, Scope("AN01", "street"),
...               days=(dt.date(2026, 1, 1), dt.date(2026, 1, 31)), categories=["fire"])
>>> sorted(clause.compile().params)
['category_1', 'day_1', 'day_2', 'street_code_1']
"""

from __future__ import annotations

import datetime as dt
from typing import Sequence

from sqlalchemy import Table, and_, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from geo.core.timeutil import utc_bounds
from geo.store.models import Area
from geo.store.scope import Scope, require

AREAS = Area.__table__


def rows(table: Table, scope: Scope, *, days: tuple[dt.date, dt.date] | None = None, tz: str | None = None,
         categories: Sequence[str] | None = None, exclude: Sequence[str] = ()) -> ColumnElement:
    """The WHERE clause for ``table`` (one with the area code columns) inside ``scope``.

    ``days``: local calendar days, both ends included: on a table with a ``day`` column (the daily
    rollup) directly, else on ``occurred_at`` as UTC bounds of those days in ``tz`` (required then).
    ``categories``: keep only these; ``exclude``: leave these out.
    """
    parts = [require(scope).clause(table)]
    if days is not None:
        start, end = days
        if "day" in table.c:
            parts.append(table.c.day.between(start, end))
        else:
            if tz is None:
                raise ValueError("a period over occurred_at needs the deployment's time zone")
            lo, hi = utc_bounds(start, end, tz)
            parts += [table.c.occurred_at >= lo, table.c.occurred_at < hi]
            if "occurred_on" in table.c:  # a day's margin for any zone: PostgreSQL skips other months' partitions
                day = dt.timedelta(days=1)
                parts.append(table.c.occurred_on.between(start - day, end + day))
    if categories:
        parts.append(table.c.category.in_(list(categories)))
    if exclude:
        parts.append(table.c.category.not_in(list(exclude)))
    return and_(*parts)


def area_codes(conn: Connection, scope: Scope, level: str) -> list[str] | None:
    """Codes of the areas of ``level`` inside ``scope`` (None: every area, the whole jurisdiction)."""
    require(scope)
    if scope.everything:
        return None
    if scope.level == level:
        return [scope.code]
    from geo.store.areas import descendants

    return descendants(conn, scope.code, level)


def areas(conn: Connection, scope: Scope, level: str, parent: str | None = None) -> ColumnElement:
    """The WHERE clause over ``areas`` for the areas of ``level`` inside ``scope`` (children of
    ``parent`` only, when given)."""
    parts = [AREAS.c.level == level]
    codes = area_codes(conn, scope, level)
    if codes is not None:
        parts.append(AREAS.c.code.in_(codes))
    if parent:
        parts.append(AREAS.c.parent_code == parent)
    return and_(*parts)


def area_rows(conn: Connection, scope: Scope, level: str, parent: str | None = None):
    """``SELECT code, name, name_en, team, population, parent_code, geom FROM areas`` inside ``scope``."""
    c = AREAS.c
    return select(c.code, c.name, c.name_en, c.team, c.population, c.parent_code, c.geom) \
        .where(areas(conn, scope, level, parent)).order_by(c.code)

