"""What differs between the backends, one class per dialect, chosen through a mapping.

SQLite: connection pragmas (foreign keys, WAL, busy timeout) and executemany upserts.
PostgreSQL: PostGIS, COPY into a temporary table, then one INSERT ... ON CONFLICT.
"""

from __future__ import annotations

import io
from typing import Iterable, Sequence

import pandas as pd
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

SQLITE_BUSY_TIMEOUT_MS = 10_000


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class SQLiteDialect:
    name = "sqlite"
    max_params = 30_000

    def configure(self, engine: Engine) -> None:
        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # pragma: no cover - exercised by every test
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        # Let SQLAlchemy's BEGIN reach SQLite, so a transaction really is one (pysqlite
        # otherwise defers it and DDL escapes it).
        @event.listens_for(engine, "connect")
        def _no_autobegin(dbapi_conn, _record):  # pragma: no cover
            dbapi_conn.isolation_level = None

        @event.listens_for(engine, "begin")
        def _begin(conn):  # pragma: no cover
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    def upsert(self, conn: Connection, table: str, frame: pd.DataFrame, keys: Sequence[str],
               bump: str | None = None) -> None:
        """Insert rows, replacing the non-key columns of rows whose ``keys`` already exist.

        ``bump`` names an integer column incremented on every update (optimistic locking).
        """
        if frame.empty:
            return
        frame = adapt_for_sqlite(frame)
        cols = list(frame.columns)
        updates = [c for c in cols if c not in keys]
        sql = (f"INSERT INTO {_quote(table)} ({', '.join(map(_quote, cols))}) "
               f"VALUES ({', '.join('?' * len(cols))}) "
               f"ON CONFLICT ({', '.join(map(_quote, keys))}) DO ")
        sets = [f"{_quote(c)}=excluded.{_quote(c)}" for c in updates]
        if bump:
            sets.append(f"{_quote(bump)}={_quote(table)}.{_quote(bump)} + 1")
        sql += ("UPDATE SET " + ", ".join(sets)) if sets else "NOTHING"
        conn.exec_driver_sql(sql, list(_records(frame)))

    def spatial_index(self, table: str, column: str) -> str | None:
        return None


class PostgresDialect:
    name = "postgresql"
    max_params = 30_000

    def configure(self, engine: Engine) -> None:
        return None

    def upsert(self, conn: Connection, table: str, frame: pd.DataFrame, keys: Sequence[str],
               bump: str | None = None) -> None:
        if frame.empty:
            return
        cols = list(frame.columns)
        updates = [c for c in cols if c not in keys]
        tmp = f"_load_{table}"
        qcols = ", ".join(map(_quote, cols))
        conn.exec_driver_sql(f"CREATE TEMP TABLE {tmp} (LIKE {_quote(table)} INCLUDING DEFAULTS) ON COMMIT DROP")
        raw = conn.connection.dbapi_connection
        with raw.cursor() as cur:
            with cur.copy(f"COPY {tmp} ({qcols}) FROM STDIN") as copy:
                for record in _records(frame):
                    copy.write_row(record)
        sets = [f"{_quote(c)}=EXCLUDED.{_quote(c)}" for c in updates]
        if bump:
            sets.append(f"{_quote(bump)}={_quote(table)}.{_quote(bump)} + 1")
        action = ("UPDATE SET " + ", ".join(sets)) if sets else "NOTHING"
        conn.exec_driver_sql(
            f"INSERT INTO {_quote(table)} ({qcols}) SELECT {qcols} FROM {tmp} "
            f"ON CONFLICT ({', '.join(map(_quote, keys))}) DO {action}")
        conn.exec_driver_sql(f"DROP TABLE {tmp}")

    def spatial_index(self, table: str, column: str) -> str | None:
        return f"CREATE INDEX IF NOT EXISTS ix_{table}_{column}_gist ON {_quote(table)} USING gist ({_quote(column)})"


DIALECTS = {"sqlite": SQLiteDialect(), "postgresql": PostgresDialect()}


def dialect_for(engine_or_conn) -> SQLiteDialect | PostgresDialect:
    name = engine_or_conn.dialect.name
    try:
        return DIALECTS[name]
    except KeyError:
        raise ValueError(f"unsupported database {name!r}: use SQLite or PostgreSQL with PostGIS") from None


def _records(frame: pd.DataFrame) -> Iterable[tuple]:
    """Rows as plain Python tuples with None for missing values."""
    columns = []
    for col in frame.columns:
        s = frame[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            values = [None if pd.isna(v) else v.to_pydatetime() for v in s]
        elif pd.api.types.is_integer_dtype(s) and not pd.api.types.is_extension_array_dtype(s):
            values = s.tolist()
        else:
            values = [None if _isna(v) else v for v in s.tolist()]
        columns.append(values)
    return zip(*columns)


def _isna(v) -> bool:
    if v is None:
        return True
    if isinstance(v, float):
        return v != v
    try:
        return bool(pd.isna(v)) if not isinstance(v, (bytes, str, list, tuple)) else False
    except (TypeError, ValueError):
        return False


def adapt_for_sqlite(frame: pd.DataFrame) -> pd.DataFrame:
    """Dates and UTC times as the text SQLAlchemy itself writes to SQLite."""
    out = frame.copy()
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            if getattr(s.dt, "tz", None) is not None:
                s = s.dt.tz_convert("UTC").dt.tz_localize(None)
            out[col] = s.dt.strftime("%Y-%m-%d %H:%M:%S.%f").astype(object).where(s.notna(), None)
        elif s.dtype == object:
            first = next((v for v in s if v is not None and not (isinstance(v, float) and v != v)), None)
            if hasattr(first, "isoformat") and not isinstance(first, str):
                out[col] = [None if v is None or (isinstance(v, float) and v != v) else v.isoformat() for v in s]
    return out
