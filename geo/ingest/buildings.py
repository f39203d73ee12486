"""Importing building footprints: the polygons that hide what lies behind them from the cameras.

A file of polygons (GeoJSON, Shapefile, zipped or not, GeoPackage) is read by the same hardened
readers as every other layer and written in one transaction, or refused whole. Rows that are no
footprint are skipped and reported one by one: other geometry, empty or missing geometry,
coordinates that are not finite or out of range, a polygon nothing is left of after repair, and a
shape far too large for a building (over :data:`MAX_FOOTPRINT_M2` or :data:`MAX_SPAN_M` across:
a wrong ``--crs``, or a layer of parcels or districts). Invalid rings are repaired with
``shapely.make_valid`` (their polygonal parts kept) and counted in a note.

Each footprint is keyed by (source, source_id): the id column when the file has one (``id``,
``osm_id``, ``building_id``, ``编号``...; an OpenStreetMap extract's ``osm_id``/``osm_way_id`` pair
becomes ``relation/<id>`` or ``way/<id>``), else a hash of the footprint's shape, so importing the
same file again changes nothing. A change bumps the ``buildings`` data generation and writes a fresh
stamp (``buildings.stamp``) in the same transaction: the visibility cache is keyed by it.

Buildings are not scoped: a building outside a street still hides part of a view into it, and a
footprint tells nothing about anyone. Only the command line (the operator) imports them.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from geo.core.crs import CRSError, parse_crs
from geo.core.grid import repair_polygons
from geo.ingest.errors import ImportRefused
from geo.ingest.fields import fold
from geo.ingest.pipeline import Progress, Target, _check_source, _tell, _write, row_hashes
from geo.ingest.presets import parse_map_args, resolve_columns
from geo.ingest.readers import RawTable, read_table
from geo.ingest.reasons import reason as because
from geo.ingest.report import ImportReport
from geo.ingest.validate import validate
from geo.store import generation
from geo.store.scope import Scope

LAYER = "buildings"
TARGET = Target("buildings", ("source", "source_id"), ("lon_min", "lat_min", "lon_max", "lat_max"))
DEFAULT_SOURCE = "import"
MAX_FOOTPRINT_M2 = 1_000_000.0  # 1 km²: larger is a district, a parcel layer or a wrong CRS, not a building
MAX_SPAN_M = 2_000.0  # across (the bounding box's diagonal): a long thin sliver is no building either
SHAPE_ID_PREFIX = "shape:"  # ids made from the footprint's shape, for files that carry none
M_PER_DEG = 111_320.0  # metres per degree of latitude (and of longitude at the equator), close enough here


def import_buildings(engine, path: str | Path, **options) -> ImportReport:
    """Import the footprints in the file at ``path``; see :func:`import_building_table` for the options."""
    if options.get("progress"):
        options["progress"](0.0, "reading")
    return import_building_table(engine, read_table(path), name=Path(path).name, **options)


def import_building_table(engine, table: RawTable, *, name: str = LAYER, source: str | None = None,
                          maps: list[str] | None = None, crs: str | None = None, progress: Progress | None = None,
                          in_transaction=None) -> ImportReport:
    """Check, repair and upsert the footprints of ``table`` in one transaction; return the report.

    ``in_transaction(conn, report)`` runs inside that transaction after the rows are written (the
    audit record of the import): if it fails, nothing of the import is kept.
    """
    if table.geometry is None:
        raise ImportRefused(because("buildings_need_polygons", file=name))
    source = _check_source(source or DEFAULT_SOURCE)
    mapping = parse_map_args(maps, LAYER)
    try:
        src_crs = parse_crs(crs or table.file_crs)
    except CRSError as exc:
        raise ImportRefused(because("bad_crs", detail=str(exc), value=str(crs or table.file_crs))) from exc
    fields, _ = resolve_columns(table.frame, LAYER, mapping)
    if "source_id" not in mapping:
        fields = _osm_ids(table.frame, fields)
    _tell(progress, 0.1, "checking footprints")
    checked = validate(fields, table.rows, LAYER, crs=src_crs, tz="UTC", geometry=table.geometry)
    report = ImportReport(name, LAYER, rows_read=len(table.frame), row_word=table.row_word,
                          skipped=table.skipped + checked.skipped, notes=checked.notes, masked=checked.masked,
                          masked_rows=checked.masked_rows, masked_fields=dict(checked.masked_fields))
    if table.frame.attrs.get("bad_geometry"):
        report.notes.append(because("note_bad_geometry", n=len(table.frame.attrs["bad_geometry"])))
    rows = _footprints(checked.frame, table.rows, report)
    report.skipped.sort()
    if rows.empty:
        raise ImportRefused(because("no_building_imported", file=name, n=len(report.skipped),
                                    row_word=report.row_word, row=report.skipped[0][0], first=report.skipped[0][1])
                            if report.skipped else because("no_rows", file=name))
    rows.insert(0, "source", source)

    def after(conn) -> None:
        if report.written:  # only a change gives a new stamp: a re-run keeps the visibility cache
            generation.renew_stamp(conn, LAYER)
        if in_transaction:
            in_transaction(conn, report)

    _tell(progress, 0.5, "writing")
    # Buildings are not scoped (see the module docstring): written for the whole jurisdiction.
    _write(engine, rows, LAYER, TARGET, source, report, Scope.jurisdiction(),
           (lambda f, m: progress(0.5 + 0.45 * f, m)) if progress else None, after=after)
    _tell(progress, 1.0, "done")
    return report


def _osm_ids(raw: pd.DataFrame, fields: pd.DataFrame) -> pd.DataFrame:
    """An OpenStreetMap extract (GDAL's ``multipolygons`` layer) gives a relation's id in ``osm_id`` and a
    closed way's in ``osm_way_id``; the two number sequences overlap, so each id says which it is."""
    by_fold = {fold(c): c for c in raw.columns}
    if "osmid" not in by_fold or "osmwayid" not in by_fold:
        return fields
    relation, way = raw[by_fold["osmid"]], raw[by_fold["osmwayid"]]
    ids = ("relation/" + relation.astype("string")).where(relation.notna(), "way/" + way.astype("string"))
    return fields.assign(source_id=ids.astype(object).where(ids.notna(), None))


def _footprints(frame: pd.DataFrame, numbers: pd.Series, report: ImportReport) -> pd.DataFrame:
    """The rows to write (source_id, bounding box, MULTIPOLYGON, row_hash); the rows refused here
    are added to ``report.skipped``."""
    if frame.empty:
        return pd.DataFrame()
    geoms, invalid = repair_polygons(frame["geometry"].to_numpy())
    lost = np.array([g is None for g in geoms], dtype=bool)
    if (invalid & ~lost).any():
        report.notes.append(because("note_repaired", n=int((invalid & ~lost).sum())))
    bounds = np.array([g.bounds if g is not None else (0.0, 0.0, 0.0, 0.0) for g in geoms], dtype=float)
    area_m2, span_m = _size_m(np.where(lost, None, geoms), bounds)
    too_big = ~lost & ((area_m2 > MAX_FOOTPRINT_M2) | (span_m > MAX_SPAN_M))
    refused = [(int(numbers[i]), because("footprint_lost")) for i in frame.index[lost]]
    refused += [(int(numbers[i]), because("footprint_too_big", area_m2=f"{a:,.0f}", span_m=f"{s:,.0f}",
                                           most_m2=f"{MAX_FOOTPRINT_M2:,.0f}", most_m=f"{MAX_SPAN_M:,.0f}"))
                for i, a, s in zip(frame.index[too_big], area_m2[too_big], span_m[too_big])]
    keep = ~lost & ~too_big
    ids = frame["source_id"].to_numpy(dtype=object) if "source_id" in frame else np.full(len(frame), None, object)
    ids = ids[keep].copy()
    geoms, bounds, index = geoms[keep], bounds[keep], frame.index[keep]
    unnamed = np.array([v is None for v in ids], dtype=bool)
    if unnamed.any():
        ids[unnamed] = [SHAPE_ID_PREFIX + hashlib.sha256(w).hexdigest()[:24] for w in shapely.to_wkb(geoms[unnamed])]
    first = pd.Series(index, index=index).groupby(ids).transform("first").to_numpy()
    twice = first != index.to_numpy()  # ids given are unique (validate); a shape given twice is not
    refused += [(int(numbers[i]), because("duplicate_footprint", first=int(numbers[f])))
                for i, f in zip(index[twice], first[twice])]
    report.skipped.extend(refused)
    rows = pd.DataFrame({"source_id": ids[~twice].astype(object)}, index=index[~twice])
    for j, col in enumerate(TARGET.columns):
        rows[col] = bounds[~twice, j]
    rows["geom"] = geoms[~twice]
    rows["row_hash"] = row_hashes(rows[["source_id"]].astype("string"), rows["geom"].to_numpy())
    return rows


def _size_m(geoms: np.ndarray, bounds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each WGS 84 footprint's area (m²) and bounding-box diagonal (m), on a local equirectangular
    scale: within a fraction of a percent for a building, plenty for telling a building from a district."""
    coslat = np.cos(np.radians(np.clip((bounds[:, 1] + bounds[:, 3]) / 2, -89.9, 89.9)))
    area = np.nan_to_num(shapely.area(geoms)) * M_PER_DEG ** 2 * coslat
    span = np.hypot((bounds[:, 2] - bounds[:, 0]) * M_PER_DEG * coslat, (bounds[:, 3] - bounds[:, 1]) * M_PER_DEG)
    return area, span
