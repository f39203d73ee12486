"""Query results as DataFrames, built from plain tuples.

Handing SQLAlchemy Row objects to pandas makes it probe each row's attributes, which
costs seconds on a few hundred thousand rows; tuples cost nothing.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy.engine import CursorResult

from geo.store.dialects import dialect_for


def to_frame(result: CursorResult, columns: list[str] | None = None) -> pd.DataFrame:
    keys = columns or list(result.keys())
    return pd.DataFrame.from_records([tuple(r) for r in result.all()], columns=keys)


def raw_frame(conn, sql: str, params: dict | None = None, columns: list[str] | None = None) -> pd.DataFrame:
    """Run ``sql`` (``:name`` parameters) on the driver's own cursor: no per-row processing.

    Values come back as the driver gives them (dates as text on SQLite); use it for large
    reads whose columns the caller converts itself.
    """
    driver_sql, args = dialect_for(conn).driver_sql(sql, params or {})
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        cursor.execute(driver_sql, args)
        keys = columns or [d[0] for d in cursor.description]
        return pd.DataFrame.from_records(cursor.fetchall(), columns=keys)
    finally:
        cursor.close()
