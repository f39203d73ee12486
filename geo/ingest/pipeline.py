"""Importing point and zone layers: read, map, validate, assign areas, upsert, roll up.

One file is one transaction: it is refused whole (nothing written) or written with a
report of every row it skipped and why. Rows are keyed on (source, source_id) (zones on
their code), so importing the same file again changes nothing. Ledger rows are written under
the ledger's workflow, as the importing person (:class:`Importer`; see ``geo.ingest.ledger_rows``).
"""

from __future__ import annotations

import datetime as dt
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import shapely
from sqlalchemy.engine import Engine

from geo.core import clock
from geo.core.ledger import INITIAL
from geo.core.crs import CRSError, parse_crs
from geo.core.privacy import mask_pii
from geo.core.grid import repair_polygons
from geo.core.timeutil import TimeZoneError, check_timezone, local_dates
from geo.ingest import ledger_rows
from geo.ingest.errors import ImportRefused
from geo.ingest.presets import load_preset, parse_map_args, resolve_columns
from geo.ingest.readers import RawTable, read_table
from geo.ingest.reasons import reason as because
from geo.ingest.report import ImportReport
from geo.ingest.validate import validate
from geo.store.areas import CODE_COLUMNS, AreaIndex
from geo.store.dialects import dialect_for
from geo.store.rollup import add_to_daily, rebuild_daily
from geo.store.schema import deployment_timezone
from geo.store.types import geometry_values, point_values
from geo.store.frames import raw_frame
from geo.store import generation, partitions
from geo.store import scope as scoping
from geo.store.scope import Scope, require

Progress = Callable[[float, str], None]
WRITE_CHUNK = 50_000
BULK_ROLLUP_ROWS = 20_000
POINT_LAYERS = ("incidents", "cameras", "places", "ledger")


@dataclass(frozen=True)
class Importer:
    """Who imports: the name the ledger history and the audit log give (an account, or
    ``cli:<OS user>``) and the role whose ledger rights apply.

    ``workflow=False`` takes ledger statuses as the file gives them, with no workflow steps: only
    for building the demo city, whose items arrive with their past already decided.
    """

    name: str
    role: str | None
    workflow: bool = True


@dataclass(frozen=True)
class Target:
    table: str
    keys: tuple[str, ...]
    columns: tuple[str, ...]  # field columns written as they are


TARGETS = {
    "incidents": Target("incidents", ("source", "source_id"),
                        ("category", "subcategory", "occurred_at", "reported_at", "status", "address", "description")),
    "cameras": Target("cameras", ("source", "source_id"),
                      ("heading", "fov", "range_m", "resolution_h", "kind", "status", "owner", "installed_on",
                       "removed_on")),
    "places": Target("places", ("source", "source_id"), ("kind", "name", "name_en", "required_pct")),
    "ledger": Target("ledger_items", ("source", "source_id"),
                     ("kind", "category", "title", "description", "responsible_unit", "found_on", "deadline",
                      "status")),
    "zones": Target("patrol_zones", ("code",), ("name", "name_en", "team", "shift", "staff")),
}
# the data generations a layer's writes bump (buildings change what the coverage pages show: "data" too)
TOPICS = {"ledger": ("ledger",), "buildings": ("buildings", "data")}
DEFAULTS = {"cameras": {"fov": 360.0, "range_m": 50.0, "status": "online"},
            "incidents": {"category": ""}}  # a ledger row with no status: see _fill_status


def stderr_progress(fraction: float, message: str) -> None:
    """A progress line in the terminal, rewritten in place."""
    sys.stderr.write(f"\r{fraction * 100:5.1f}% {message:<24}")
    if fraction >= 1.0:
        sys.stderr.write("\n")
    sys.stderr.flush()


def import_file(engine: Engine, path: str | Path, layer: str, *, scope: Scope, **options) -> ImportReport:
    """Import one file of ``layer`` inside ``scope``; see :func:`import_table` for the options."""
    _check_layer_scope(layer, scope)
    if options.get("progress"):
        options["progress"](0.0, "reading")
    start = time.perf_counter()
    table = read_table(path)
    read_s = time.perf_counter() - start
    report = import_table(engine, table, layer, name=Path(path).name, scope=scope, **options)
    report.stages = {"read": read_s, **report.stages}
    return report


def _check_layer_scope(layer: str, scope: Scope) -> None:
    """Patrol zones reach past any area: only an account of the whole jurisdiction imports them."""
    if layer == "zones" and not require(scope).everything:
        raise ImportRefused(because("zones_need_jurisdiction"))


def _keep_inside(rows: pd.DataFrame, scope: Scope, numbers: pd.Series, report: ImportReport) -> pd.DataFrame:
    """The rows that lie inside ``scope``; the others are skipped and listed with their row numbers."""
    if scope.everything:
        return rows
    inside = (rows[scope.column] == scope.code).to_numpy()
    if not inside.all():
        outside = because("outside_area", area=scope.code)
        report.skipped = sorted(report.skipped + [(int(numbers[i]), outside) for i in rows.index[~inside]])
    return rows[inside]


def import_table(engine: Engine, table: RawTable, layer: str, *, name: str = "table",
                 preset: str | None = None, maps: list[str] | None = None, crs: str | None = None,
                 source: str | None = None, tz: str | None = None, progress: Progress | None = None,
                 today: dt.date | None = None, in_transaction=None, scope: Scope,
                 by: Importer | None = None) -> ImportReport:
    """Validate and write ``table`` as ``layer`` in one transaction; return the report.

    Rows that fall outside ``scope`` (the importing account's area) are skipped and listed; the
    transaction carries the scope for PostgreSQL's row-level security.

    ``in_transaction(conn, report)`` runs inside that transaction after the rows are written
    (the audit record of the import): if it fails, nothing of the import is kept.

    ``by`` (required for the ledger) is who imports: ledger rows are created and moved as that
    person would on the item's card, and rows the workflow or the role refuses are skipped.
    """
    if layer not in TARGETS:
        raise ImportRefused(because("unknown_layer", layer=layer, layers=tuple(TARGETS)))
    _check_layer_scope(layer, scope)
    if layer == "ledger":
        ledger_rows.check_importer(by)
    chosen = load_preset(preset)
    mapping = {**chosen.mapping(layer), **parse_map_args(maps, layer)}
    try:
        src_crs = parse_crs(crs or table.file_crs or chosen.crs)
    except CRSError as exc:
        raise ImportRefused(because("bad_crs", detail=str(exc), value=str(crs or table.file_crs or chosen.crs))) from exc
    try:
        zone = check_timezone(tz or chosen.timezone) if (tz or chosen.timezone) else None
    except TimeZoneError as exc:
        raise ImportRefused(because("bad_timezone", detail=str(exc), value=str(tz or chosen.timezone))) from exc
    source = _check_source(source or chosen.source or "import")
    report = ImportReport(name, layer, rows_read=len(table.frame), row_word=table.row_word)
    clock_start = time.perf_counter()
    with engine.connect() as conn:
        db_zone = deployment_timezone(conn)
        index = AreaIndex.load(conn)
    fields, _used = resolve_columns(table.frame, layer, mapping)
    _tell(progress, 0.1, "checking rows")
    checked = validate(fields, table.rows, layer, crs=src_crs, tz=zone or db_zone, formats=chosen.formats(layer),
                       geometry=table.geometry, extent=index.extent, today=today)
    report.skipped = sorted(table.skipped + checked.skipped)
    report.stages["validate"] = time.perf_counter() - clock_start
    report.masked, report.masked_rows = checked.masked, checked.masked_rows
    report.masked_fields = dict(checked.masked_fields)
    report.notes.extend(checked.notes)
    bad_geometry = table.frame.attrs.get("bad_geometry")
    if bad_geometry:
        report.notes.append(because("note_bad_geometry", n=len(bad_geometry)))
    frame = checked.frame
    if frame.empty:
        raise ImportRefused(because("no_row_imported", file=name, n=len(report.skipped), row_word=report.row_word,
                                    row=report.skipped[0][0], first=report.skipped[0][1])
                            if report.skipped else because("no_rows", file=name))
    target = TARGETS[layer]
    _tell(progress, 0.35, "assigning grid cells")
    clock_start = time.perf_counter()
    rows = _keep_inside(_rows_to_write(frame, layer, target, source, db_zone, index, report), scope, table.rows,
                        report)
    if rows.empty:
        raise ImportRefused(because("none_inside_area", file=name, area=scope.code))
    report.stages["assign"] = time.perf_counter() - clock_start
    _tell(progress, 0.5, "writing")
    clock_start = time.perf_counter()
    ledger = ledger_rows.Batch(by, today or clock.today(db_zone), table.rows, name) if layer == "ledger" else None
    _write(engine, rows, layer, target, source, report, scope,
           (lambda f, m: progress(0.5 + 0.45 * f, m)) if progress else None,
           after=(lambda conn: in_transaction(conn, report)) if in_transaction else None, ledger=ledger)
    report.stages["write"] = time.perf_counter() - clock_start
    _tell(progress, 1.0, "done")
    return report


def _check_source(source: str) -> str:
    """A source name is a short label of letters, digits and ``. _ : -`` (it keys every row)."""
    if not re.fullmatch(r"[\w.:-]{1,64}", source) or mask_pii(source)[1]:
        raise ImportRefused(because("bad_source"))
    return source


def _tell(progress: Progress | None, fraction: float, message: str) -> None:
    if progress:
        progress(fraction, message)


def _rows_to_write(frame: pd.DataFrame, layer: str, target: Target, source: str, db_zone: str,
                   index: AreaIndex, report: ImportReport) -> pd.DataFrame:
    out = pd.DataFrame(index=frame.index)
    if layer == "zones":
        out["code"] = frame["code"]
    else:
        out["source"] = source
        out["source_id"] = frame["source_id"]
    for col in target.columns:
        default = DEFAULTS.get(layer, {}).get(col)
        if col in frame:
            out[col] = frame[col] if default is None else frame[col].where(frame[col].notna(), default)
        else:
            out[col] = default
    if layer == "cameras" and "heading" not in frame:
        out["fov"] = 360.0  # no heading: a dome
    if layer == "cameras":  # whole pixels (an integer column; COPY takes no "1920.0")
        out["resolution_h"] = pd.array(pd.to_numeric(out["resolution_h"]).round(), dtype="Int64")
    if layer == "incidents":
        out["occurred_on"] = local_dates(frame["occurred_at"], db_zone)
    if layer == "zones":
        geoms, invalid = repair_polygons(frame["geometry"].to_numpy())
        if invalid.any():
            report.notes.append(because("note_repaired", n=int(invalid.sum())))
        out["geom"] = geoms
    else:
        codes = index.assign(frame["lon"].to_numpy(), frame["lat"].to_numpy())
        codes.index = frame.index
        for col in codes.columns:
            out[col] = codes[col]
        report.outside = int(codes["cell_code"].isna().sum())
        out["_lon"], out["_lat"] = frame["lon"], frame["lat"]  # the point, encoded when written
    out["row_hash"] = row_hashes(_hashed(out), out["geom"].to_numpy() if layer == "zones" else None)
    if layer == "ledger":  # the note of the row's workflow steps: not a field of the item
        out["_note"] = frame["note"] if "note" in frame else None
    return out


def _hashed(rows: pd.DataFrame) -> pd.DataFrame:
    """The columns a row's hash covers: what the file says, not the area codes derived from today's
    areas (nor the hash itself, nor the ledger note)."""
    return rows.drop(columns=["geom", "occurred_on", *CODE_COLUMNS.values(), "row_hash", "_note"], errors="ignore")


def row_hashes(frame: pd.DataFrame, geoms: np.ndarray | None = None) -> np.ndarray:
    """A 64-bit hash per row of the written values (and geometry): equal rows, equal hashes."""
    parts = {}
    for col in frame.columns:
        s = frame[col]
        if s.dtype == object and not _all_strings(s):
            s = s.map(lambda v: None if v is None else str(v))
        parts[col] = s
    if geoms is not None:
        parts["_wkb"] = pd.Series(shapely.to_wkb(geoms, hex=True), index=frame.index)
    return pd.util.hash_pandas_object(pd.DataFrame(parts), index=False).to_numpy().view(np.int64)


def _all_strings(s: pd.Series) -> bool:
    return pd.api.types.infer_dtype(s, skipna=True) in ("string", "empty")


def _write(engine: Engine, rows: pd.DataFrame, layer: str, target: Target, source: str,
           report: ImportReport, scope: Scope, progress: Progress | None, after=None,
           ledger: ledger_rows.Batch | None = None) -> None:
    """Upsert the new and changed rows in one transaction; ``after(conn)`` runs inside it.

    Ledger rows (``ledger``) are checked against the workflow first, in the same transaction."""
    dialect = dialect_for(engine)
    key = target.keys[-1]
    extra = ", occurred_on, id" if layer == "incidents" else (ledger_rows.EXISTING if layer == "ledger" else "")
    where = " WHERE source = :source" if "source" in target.keys else ""
    with engine.begin() as conn:
        scoping.apply(conn, scope)
        existing = raw_frame(conn, f"SELECT {key}, row_hash{extra} FROM {target.table}{where}",
                             {"source": source} if where else {}).set_index(key)
        if layer == "ledger":
            rows = _fill_status(rows, existing)
        known = rows[key].isin(existing.index)
        old_hash = rows.loc[known, key].map(existing["row_hash"])
        changed = known.copy()
        changed[known] = old_hash.to_numpy() != rows.loc[known, "row_hash"].to_numpy()
        if ledger is not None:
            rows = ledger.check(rows, existing, changed, _fields_changed(rows[changed], existing), scope, report)
            known, changed = known[rows.index], changed[rows.index]
        new = ~known
        if ledger is not None and new.any():
            ledger.find_duplicates(conn, rows[new], scope, report)
        report.inserted, report.updated = int(new.sum()), int(changed.sum())
        report.unchanged = int((known & ~changed).sum())
        todo = rows[new | changed].copy()
        notes = todo.pop("_note") if "_note" in todo else None
        if not todo.empty:
            if "_lon" in todo:
                todo["geom"] = point_values(conn, todo.pop("_lon").to_numpy(), todo.pop("_lat").to_numpy())
            else:
                todo["geom"] = geometry_values(conn, todo["geom"].to_numpy())
            # (only an import that sees the whole jurisdiction can tell that the table was empty)
            was_empty = scope.everything and conn.exec_driver_sql(
                f"SELECT NOT EXISTS (SELECT 1 FROM {target.table})").scalar()
            if layer == "incidents":  # their months' partitions first (PostgreSQL; the owner only)
                partitions.ensure(conn, set(todo["occurred_on"]))
                partitions.replace_incidents(conn, source, todo[changed[todo.index]], existing)
            else:
                bump = "version" if layer == "ledger" else None
                dialect.upsert(conn, target.table, todo[changed[todo.index]], target.keys, bump=bump)
            fresh = todo[new[todo.index]]
            total = len(fresh)
            with dialect.bulk_load(conn, target.table, total):
                for start in range(0, total, WRITE_CHUNK):
                    dialect.insert(conn, target.table, fresh.iloc[start:start + WRITE_CHUNK])
                    if progress:
                        progress(min(1.0, (start + WRITE_CHUNK) / total), f"writing {layer}")
        if layer == "incidents" and not todo.empty:
            recount = set()
            if report.updated:  # changed rows: recount their old and new days in full
                recount = set(todo.loc[changed[todo.index], "occurred_on"])
                recount |= set(pd.to_datetime(existing.loc[rows.loc[changed, key], "occurred_on"]).dt.date)
                rebuild_daily(conn, recount)
            fresh = todo[new[todo.index] & ~todo["occurred_on"].isin(recount)]
            if was_empty:  # the first load: the whole table is counted (a scan, no lookups by day)
                rebuild_daily(conn)
            elif len(fresh) >= BULK_ROLLUP_ROWS:  # a big load: one GROUP BY in the database is cheaper
                rebuild_daily(conn, set(fresh["occurred_on"]))
            else:  # a small feed: add its counts without recounting whole days
                add_to_daily(conn, dialect, fresh)
        if ledger is not None and not todo.empty:
            ledger.record(conn, todo, changed[todo.index], existing, source, notes, scope)
        if after is not None:
            after(conn)
        # tell every app server's cache (geo.store.generation); buildings only when they changed (the
        # visibility cache is keyed by them, and a re-run that changes nothing should not empty it)
        if not todo.empty or (after is not None and layer != "buildings"):
            generation.bump(conn, *TOPICS.get(layer, ("data",)))


def _fill_status(rows: pd.DataFrame, existing: pd.DataFrame) -> pd.DataFrame:
    """Ledger rows that give no status keep the stored one (a new item starts in the first initial
    status), hashed as if the file had said so."""
    blank = rows["status"].isna()
    if not blank.any():
        return rows
    rows = rows.copy()
    stored = rows.loc[blank, "source_id"].map(existing["status"])
    rows.loc[blank, "status"] = stored.where(stored.notna(), INITIAL[0])
    rows.loc[blank, "row_hash"] = row_hashes(_hashed(rows.loc[blank]))
    return rows


def _fields_changed(rows: pd.DataFrame, existing: pd.DataFrame) -> pd.Series:
    """For changed ledger rows: whether anything besides the status changed (the row hashed with its
    stored status differs from the stored hash)."""
    if rows.empty:
        return pd.Series(False, index=rows.index)
    stored = rows["source_id"].map(existing["row_hash"]).to_numpy()
    as_stored = rows.assign(status=rows["source_id"].map(existing["status"]).to_numpy())
    return pd.Series(row_hashes(_hashed(as_stored)) != stored, index=rows.index)
