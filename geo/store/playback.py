"""Incident counts per area per time step, for time playback on the grid and hotspot maps.

Read from the rollups through :func:`geo.store.rollup.period_counts` (whole months from the monthly
table, the other days from the daily one), one grouped read per step, all steps in one statement.
Every read takes a :class:`~geo.store.scope.Scope`; on PostgreSQL row-level security applies too.
"""

from __future__ import annotations

import datetime as dt
from typing import Sequence

import numpy as np
import pandas as pd
from sqlalchemy import func, literal, select, union_all
from sqlalchemy.engine import Connection

from geo.store import filters
from geo.store.areas import CODE_COLUMNS
from geo.store.rollup import period_counts
from geo.store.scope import Scope, require

STATEMENT_STEPS = 60  # steps per statement (SQLite allows 500 terms in a compound select)


def step_counts(conn: Connection, scope: Scope, level: str, spans: Sequence[tuple[dt.date, dt.date]], *,
                categories: Sequence[str] | None = None, parent: str | None = None,
                codes: Sequence[str] | None = None) -> pd.DataFrame:
    """Incidents per area of ``level`` inside ``scope`` (children of ``parent`` when given) per step.

    ``spans``: the steps as (first day, last day), local dates, both included. Returns a frame of
    whole numbers indexed by area ``code`` (every area, zeros where none), one column per step
    (0, 1, ...). With ``codes``, exactly those areas in that order (codes outside the scope: zeros).
    """
    require(scope)
    col = CODE_COLUMNS[level]
    if codes is None:
        a = filters.AREAS.c
        codes = conn.execute(select(a.code).where(filters.areas(conn, scope, level, parent))
                             .order_by(a.code)).scalars().all()
    focus = scope.narrow(conn, parent)
    rows = []
    for first in range(0, len(spans), STATEMENT_STEPS):
        parts = []
        for i, (a_day, b_day) in enumerate(spans[first:first + STATEMENT_STEPS], start=first):
            period = period_counts(focus, a_day, b_day, categories=categories)
            parts.append(select(literal(i).label("step"), period.c[col].label("code"),
                                func.sum(period.c.n).label("n")).group_by(period.c[col]))
        if parts:
            statement = parts[0] if len(parts) == 1 else union_all(*parts)
            rows += conn.execute(statement).all()
    got = pd.DataFrame(rows, columns=["step", "code", "n"])
    table = pd.DataFrame(0, index=pd.Index(list(codes), name="code"), columns=range(len(spans)), dtype=np.int64)
    if not got.empty:
        got = got[got["code"].isin(table.index)]
        wide = got.pivot_table(index="code", columns="step", values="n", aggfunc="sum", fill_value=0)
        table.loc[wide.index, wide.columns] = wide.to_numpy(dtype=np.int64)
    return table
