"""Query results as DataFrames, built from plain tuples.

Handing SQLAlchemy Row objects to pandas makes it probe each row's attributes, which
costs seconds on a few hundred thousand rows; tuples cost nothing.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy.engine import CursorResult


def to_frame(result: CursorResult, columns: list[str] | None = None) -> pd.DataFrame:
    keys = columns or list(result.keys())
    return pd.DataFrame.from_records([tuple(r) for r in result.all()], columns=keys)


def raw_frame(conn, sql: str, params: dict | None = None, columns: list[str] | None = None) -> pd.DataFrame:
    """Run ``sql`` (``:name`` parameters) on the driver's own cursor: no per-row processing.

    Values come back as the driver gives them (dates as text on SQLite); use it for large
    reads whose columns the caller converts itself.
    """
    import re

    params = params or {}
    names = re.findall(r"(?<!:):([a-zA-Z_]\w*)", sql)
    if conn.dialect.name == "sqlite":
        driver_sql, args = re.sub(r"(?<!:):([a-zA-Z_]\w*)", "?", sql), tuple(params[n] for n in names)
    else:
        driver_sql, args = re.sub(r"(?<!:):([a-zA-Z_]\w*)", r"%(\1)s", sql), params
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        cursor.execute(driver_sql, args)
        keys = columns or [d[0] for d in cursor.description]
        return pd.DataFrame.from_records(cursor.fetchall(), columns=keys)
    finally:
        cursor.close()
