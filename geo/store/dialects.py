"""What differs between the backends, one class per dialect, chosen through a mapping.

SQLite: connection pragmas (foreign keys, WAL, busy timeout) and executemany upserts; shapes
as WKB blobs; no roles, so no row-level security (the transaction's scope is not set).
PostgreSQL: PostGIS (shapes as hex EWKB), COPY into a temporary table, then one INSERT ... ON
CONFLICT; the transaction's scope set for row-level security.
Both: a one-row INSERT ... ON CONFLICT DO UPDATE ... RETURNING from the dialect's own ``insert``.

Callers ask :func:`dialect_for` (a connection or engine) and never compare dialect names.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from typing import Iterable, Sequence

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import LargeBinary, Table, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.types import UserDefinedType

from geo.core.crs import STORAGE_SRID
from geo.core.distinct import per_distinct
from geo.store.copytext import copy_text

SQLITE_BUSY_TIMEOUT_MS = 10_000
READ_ONLY = "safegrid_read_only"  # execution option of a connection that only reads (see SQLite's begin)
SQLITE_CACHE_KIB = 131_072  # 128 MiB page cache per connection
BULK_ROWS = 50_000  # a load this large (and larger than the table) rebuilds secondary indexes once


_PARAM = re.compile(r"(?<!:):([a-zA-Z_]\w*)")  # a ``:name`` parameter (not a ``::type`` cast)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class PostGISGeometry(UserDefinedType):
    """The PostGIS column type ``geometry(<type>, 4326)``; values travel as hex EWKB text."""

    cache_ok = True

    def __init__(self, geometry_type: str = "GEOMETRY"):
        self.geometry_type = geometry_type.upper()

    def get_col_spec(self, **kw) -> str:
        return f"geometry({self.geometry_type},{STORAGE_SRID})"


def _packed_points(lon: np.ndarray, lat: np.ndarray, srid: int | None) -> list[bytes]:
    """Little-endian WKB of many points built with numpy alone (EWKB with ``srid`` when given)."""
    fields = [("order", "u1"), ("type", "<u4")] + ([("srid", "<u4")] if srid else []) + [("x", "<f8"), ("y", "<f8")]
    packed = np.empty(len(lon), dtype=np.dtype(fields))
    packed["order"] = 1
    packed["type"] = 0x20000001 if srid else 1
    if srid:
        packed["srid"] = srid
    packed["x"], packed["y"] = lon, lat
    return packed.view(f"V{packed.dtype.itemsize}").tolist()


class SQLiteDialect:
    name = "sqlite"
    max_params = 30_000
    has_roles = False  # no database roles, so no row-level security either
    partitions = False  # one table each for incidents and the rollup (geo.store.partitions)

    def geometry_column(self, geometry_type: str):
        """The column type a geometry is stored in: a WKB blob."""
        return LargeBinary()

    def geometry_value(self, geom):
        """A shapely geometry (or an array of them) as stored: WKB bytes."""
        return shapely.to_wkb(geom)

    def point_values(self, lon: np.ndarray, lat: np.ndarray) -> list:
        """Many points as stored, byte for byte what :meth:`geometry_value` gives for each."""
        return _packed_points(lon, lat, None)

    def set_scope(self, conn: Connection, setting: str) -> None:
        """No row-level security here: the scope filters in the queries alone do the work."""
        return None

    def driver_sql(self, sql: str, params: dict) -> tuple[str, tuple]:
        """``sql`` with ``:name`` parameters as the driver takes it (``?`` and a tuple)."""
        names = _PARAM.findall(sql)
        return _PARAM.sub("?", sql), tuple(params[n] for n in names)

    def empty_append_only(self, conn: Connection, table: str) -> None:
        """Delete every row of an append-only table: its delete trigger is dropped and put back around it."""
        conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_delete"))
        conn.execute(text(f"DELETE FROM {_quote(table)}"))
        conn.execute(text(f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
                          f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"))

    def configure(self, engine: Engine) -> None:
        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # pragma: no cover - exercised by every test
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
            cur.execute("PRAGMA temp_store=MEMORY")
            cur.close()

        # Let SQLAlchemy's BEGIN reach SQLite, so a transaction really is one (pysqlite
        # otherwise defers it and DDL escapes it).
        @event.listens_for(engine, "connect")
        def _no_autobegin(dbapi_conn, _record):  # pragma: no cover
            dbapi_conn.isolation_level = None

        # A transaction takes the write lock at once (IMMEDIATE: a read that turns into a write never
        # fails on a snapshot another writer moved on), except on a connection marked as a reader
        # (READ_ONLY): those take none, so the pages' reads run side by side (WAL) instead of queueing
        # for the one write lock, whose busy timeout a burst of 50 sessions ran out.
        @event.listens_for(engine, "begin")
        def _begin(conn):  # pragma: no cover
            conn.exec_driver_sql("BEGIN DEFERRED" if conn.get_execution_options().get(READ_ONLY) else "BEGIN IMMEDIATE")

    def insert_or_update(self, table: Table) -> sqlite.Insert:
        """An INSERT of one row that takes ``.on_conflict_do_update(...)`` and ``.returning(...)`` (SQLite 3.35+)."""
        return sqlite.insert(table)

    def insert(self, conn: Connection, table: str, frame: pd.DataFrame) -> None:
        """Plain INSERT of rows known to be new."""
        if frame.empty:
            return
        frame = adapt_for_sqlite(frame)
        cols = list(frame.columns)
        conn.exec_driver_sql(f"INSERT INTO {_quote(table)} ({', '.join(map(_quote, cols))}) "
                             f"VALUES ({', '.join('?' * len(cols))})", list(_records(frame)))

    def upsert(self, conn: Connection, table: str, frame: pd.DataFrame, keys: Sequence[str],
               bump: str | None = None, add: Sequence[str] = ()) -> None:
        """Insert rows, replacing the non-key columns of rows whose ``keys`` already exist.

        ``bump`` names an integer column incremented on every update (optimistic locking);
        columns in ``add`` are added to the stored value instead of replacing it.
        """
        if frame.empty:
            return
        frame = adapt_for_sqlite(frame)
        cols = list(frame.columns)
        updates = [c for c in cols if c not in keys]
        sql = (f"INSERT INTO {_quote(table)} ({', '.join(map(_quote, cols))}) "
               f"VALUES ({', '.join('?' * len(cols))}) "
               f"ON CONFLICT ({', '.join(map(_quote, keys))}) DO ")
        sets = _sets(table, updates, bump, add, "excluded")
        sql += ("UPDATE SET " + ", ".join(sets)) if sets else "NOTHING"
        conn.exec_driver_sql(sql, list(_records(frame)))

    def spatial_index(self, table: str, column: str) -> str | None:
        return None

    @contextmanager
    def bulk_load(self, conn: Connection, table: str, n_new: int):
        """For a large load, drop the table's secondary indexes and build them once after.

        Runs inside the caller's transaction (SQLite DDL is transactional), so a failed
        import leaves the indexes as they were. Indexes behind UNIQUE constraints stay:
        the upsert needs them.
        """
        n_old = conn.exec_driver_sql(f"SELECT COUNT(*) FROM {_quote(table)}").scalar()
        if n_new < BULK_ROWS or n_new < n_old:
            yield
            return
        indexes = conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
            (table,)).all()
        for name, _sql in indexes:
            conn.exec_driver_sql(f"DROP INDEX {_quote(name)}")
        yield
        for _name, sql in indexes:
            conn.exec_driver_sql(sql)


class PostgresDialect:
    name = "postgresql"
    max_params = 30_000
    has_roles = True  # the app role is bound by row-level security (geo.store.roles)
    partitions = True  # incidents by month, the rollup by year (migration 0007, geo.store.partitions)

    def geometry_column(self, geometry_type: str):
        """The column type a geometry is stored in: PostGIS ``geometry(<type>, 4326)``."""
        return PostGISGeometry(geometry_type)

    def geometry_value(self, geom):
        """A shapely geometry (or an array of them) as stored: hex EWKB with SRID 4326."""
        return shapely.to_wkb(shapely.set_srid(geom, STORAGE_SRID), hex=True, include_srid=True)

    def point_values(self, lon: np.ndarray, lat: np.ndarray) -> list:
        """Many points as stored, byte for byte what :meth:`geometry_value` gives for each."""
        return [b.hex().upper() for b in _packed_points(lon, lat, STORAGE_SRID)]

    def set_scope(self, conn: Connection, setting: str) -> None:
        """This transaction's scope, read by the row-level security policies."""
        conn.execute(text("SELECT set_config('safegrid.scope', :s, true)"), {"s": setting})

    def driver_sql(self, sql: str, params: dict) -> tuple[str, dict]:
        """``sql`` with ``:name`` parameters as the driver takes it (``%(name)s`` and the dict)."""
        return _PARAM.sub(r"%(\1)s", sql), params

    def empty_append_only(self, conn: Connection, table: str) -> None:
        """Delete every row of an append-only table: its guard trigger is disabled and enabled around it."""
        conn.execute(text(f"ALTER TABLE {_quote(table)} DISABLE TRIGGER {table}_append_only"))
        conn.execute(text(f"DELETE FROM {_quote(table)}"))
        conn.execute(text(f"ALTER TABLE {_quote(table)} ENABLE TRIGGER {table}_append_only"))

    def configure(self, engine: Engine) -> None:
        return None

    def insert_or_update(self, table: Table) -> postgresql.Insert:
        """An INSERT of one row that takes ``.on_conflict_do_update(...)`` and ``.returning(...)``."""
        return postgresql.insert(table)

    def insert(self, conn: Connection, table: str, frame: pd.DataFrame) -> None:
        """COPY rows known to be new straight into the table; for a role that row-level security binds
        (the app role: PostgreSQL refuses COPY FROM into such a table), COPY into a temporary table
        and INSERT from it, so the policy checks every row."""
        if frame.empty:
            return
        if not conn.execute(text("SELECT row_security_active(:t)"), {"t": table}).scalar():
            self._copy(conn, table, frame)
            return
        tmp = f"_new_{table}"
        qcols = ", ".join(map(_quote, frame.columns))
        conn.exec_driver_sql(f"CREATE TEMP TABLE {tmp} (LIKE {_quote(table)} INCLUDING DEFAULTS) ON COMMIT DROP")
        self._copy(conn, tmp, frame)
        conn.exec_driver_sql(f"INSERT INTO {_quote(table)} ({qcols}) SELECT {qcols} FROM {tmp}")
        conn.exec_driver_sql(f"DROP TABLE {tmp}")

    def _copy(self, conn: Connection, table: str, frame: pd.DataFrame) -> None:
        qcols = ", ".join(map(_quote, frame.columns))
        raw = conn.connection.dbapi_connection
        payload = copy_text(frame)  # built column by column; None for kinds of column it leaves alone
        with raw.cursor() as cur:
            with cur.copy(f"COPY {_quote(table)} ({qcols}) FROM STDIN") as copy:
                if payload is not None:
                    copy.write(payload.encode("utf-8"))
                    return
                for record in _records(frame):
                    copy.write_row(record)

    def upsert(self, conn: Connection, table: str, frame: pd.DataFrame, keys: Sequence[str],
               bump: str | None = None, add: Sequence[str] = ()) -> None:
        if frame.empty:
            return
        cols = list(frame.columns)
        updates = [c for c in cols if c not in keys]
        tmp = f"_load_{table}"
        qcols = ", ".join(map(_quote, cols))
        conn.exec_driver_sql(f"CREATE TEMP TABLE {tmp} (LIKE {_quote(table)} INCLUDING DEFAULTS) ON COMMIT DROP")
        self._copy(conn, tmp, frame)
        sets = _sets(table, updates, bump, add, "EXCLUDED")
        action = ("UPDATE SET " + ", ".join(sets)) if sets else "NOTHING"
        conn.exec_driver_sql(
            f"INSERT INTO {_quote(table)} ({qcols}) SELECT {qcols} FROM {tmp} "
            f"ON CONFLICT ({', '.join(map(_quote, keys))}) DO {action}")
        conn.exec_driver_sql(f"DROP TABLE {tmp}")

    @contextmanager
    def bulk_load(self, conn: Connection, table: str, n_new: int):
        """For a large load, drop secondary indexes (not constraint ones) and rebuild after.

        Only the table's owner may drop its indexes: the app role (which owns no table, so that
        row-level security binds it) loads with the indexes in place.
        """
        n_old = conn.exec_driver_sql(f"SELECT COUNT(*) FROM {_quote(table)}").scalar()
        owner = conn.exec_driver_sql("SELECT pg_has_role(current_user, tableowner, 'USAGE') FROM pg_tables "
                                     "WHERE schemaname = current_schema() AND tablename = %(t)s", {"t": table}).scalar()
        if n_new < BULK_ROWS or n_new < n_old or not owner:
            yield
            return
        indexes = conn.exec_driver_sql(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = %(t)s "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)", {"t": table}).all()
        for name, _sql in indexes:
            conn.exec_driver_sql(f"DROP INDEX {_quote(name)}")
        yield
        for _name, sql in indexes:  # a partitioned table's index reads "ON ONLY": made again on every partition
            conn.exec_driver_sql(sql.replace(" ON ONLY ", " ON ", 1))
        conn.exec_driver_sql(f"ANALYZE {_quote(table)}")

    def spatial_index(self, table: str, column: str) -> str | None:
        return f"CREATE INDEX IF NOT EXISTS ix_{table}_{column}_gist ON {_quote(table)} USING gist ({_quote(column)})"


def _sets(table: str, updates, bump, add, excluded: str) -> list[str]:
    sets = [f"{_quote(c)}={_quote(table)}.{_quote(c)} + {excluded}.{_quote(c)}" if c in add
            else f"{_quote(c)}={excluded}.{_quote(c)}" for c in updates]
    if bump:
        sets.append(f"{_quote(bump)}={_quote(table)}.{_quote(bump)} + 1")
    return sets


DIALECTS = {"sqlite": SQLiteDialect(), "postgresql": PostgresDialect()}


def dialect_for(engine_or_conn) -> SQLiteDialect | PostgresDialect:
    """The backend of an engine or connection; ``ValueError`` for one SafeGrid does not run on."""
    name = engine_or_conn.dialect.name
    try:
        return DIALECTS[name]
    except KeyError:
        raise ValueError(f"unsupported database {name!r}: use SQLite or PostgreSQL with PostGIS") from None


def named(name: str) -> SQLiteDialect | PostgresDialect:
    """The backend called ``name``; any other (SQLAlchemy's default dialect, when a statement is
    printed without a database) is treated as SQLite: shapes as plain WKB."""
    return DIALECTS.get(name, DIALECTS["sqlite"])


def _records(frame: pd.DataFrame) -> Iterable[tuple]:
    """Rows as plain Python tuples with None for missing values (column-wise, vectorised)."""
    columns = []
    for col in frame.columns:
        s = frame[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            values = [None if pd.isna(v) else v for v in s.dt.to_pydatetime()]
        elif pd.api.types.is_bool_dtype(s) or (pd.api.types.is_integer_dtype(s)
                                               and not pd.api.types.is_extension_array_dtype(s)):
            values = s.tolist()
        else:
            values = s.astype(object).where(s.notna(), None).tolist()
            values = [None if isinstance(v, float) and v != v else v for v in values] \
                if pd.api.types.is_float_dtype(s) else values
        columns.append(values)
    return zip(*columns)


def adapt_for_sqlite(frame: pd.DataFrame) -> pd.DataFrame:
    """Dates and UTC times as the text SQLAlchemy itself writes to SQLite (vectorised)."""
    out = frame.copy()
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            out[col] = per_distinct(s, _time_text)  # each distinct time (or day) written once
        elif s.dtype == object:
            first = s.first_valid_index()
            value = None if first is None else s[first]
            if hasattr(value, "isoformat") and not isinstance(value, str):
                out[col] = per_distinct(s, lambda d: pd.Series(
                    _iso_text(np.array(d.to_numpy(), dtype="datetime64[D]"), "D"), index=d.index, dtype=object))
    return out


def _time_text(s: pd.Series) -> pd.Series:
    if getattr(s.dt, "tz", None) is not None:
        s = s.dt.tz_convert("UTC").dt.tz_localize(None)
    return pd.Series(_iso_text(s.to_numpy(dtype="datetime64[us]"), "us", sep_at=10), index=s.index, dtype=object)


def _iso_text(values: np.ndarray, unit: str, sep_at: int | None = None) -> list:
    """ISO text of datetime64 values ("NaT" -> None), the date/time separator a space."""
    text = np.datetime_as_string(values, unit=unit)
    missing = np.isnat(values)
    if sep_at is not None and len(text):
        text = text.astype(f"U{max(text.dtype.itemsize // 4, sep_at + 1)}")
        chars = text.view(np.uint32).reshape(len(text), -1)
        chars[~missing, sep_at] = ord(" ")
    result = text.tolist()
    if missing.any():
        for i in np.flatnonzero(missing):
            result[i] = None
    return result
