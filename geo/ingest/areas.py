"""Importing areas (district > street > community > grid) and generating regular grids.

Parents come from a field when the file has one, otherwise from location: the area of
the nearest higher level that the polygon overlaps most. Invalid polygons are repaired
with make_valid and reported; features sharing one code are merged into one
multipolygon. After areas change, every coded record is re-assigned.
"""

from __future__ import annotations

import math

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import text
from sqlalchemy.engine import Engine

from geo.core.crs import STORAGE_CRS, CRSError, metric_crs_of, parse_crs
from geo.core.grid import LEVELS, largest_overlap, make_grid, repair_polygons
from geo.ingest.assign import reassign_all
from geo.ingest.errors import ImportRefused
from geo.ingest.pipeline import Target, _write, row_hashes
from geo.ingest.presets import parse_map_args, resolve_columns
from geo.ingest.readers import RawTable, read_table
from geo.ingest.reasons import reason as because
from geo.ingest.report import ImportReport
from geo.ingest.validate import validate
from geo.store.areas import load_areas
from geo.store.schema import deployment_timezone
from geo.store.scope import Scope

MAX_GRID_CELLS = 200_000  # a generated grid larger than this is refused (a typo in --cell-size)
MIN_CELL_M, MAX_CELL_M = 10.0, 50_000.0

AREA_TARGET = Target("areas", ("code",), ("name", "name_en", "level", "parent_code", "population", "team",
                                          "area_km2"))


def import_areas(engine: Engine, path: str | Path, level: str, **options) -> ImportReport:
    return import_area_table(engine, read_table(path), level, name=Path(path).name, **options)


def import_area_table(engine: Engine, table: RawTable, level: str, *, name: str = "areas",
                      code_field: str | None = None, name_field: str | None = None,
                      parent_field: str | None = None, maps: list[str] | None = None,
                      crs: str | None = None, progress=None, in_transaction=None) -> ImportReport:
    """Validate, merge, repair and upsert the polygons of one level; re-assign records."""
    if level not in LEVELS:
        raise ImportRefused(because("unknown_level", level=level, levels=tuple(LEVELS)))
    if table.geometry is None:
        raise ImportRefused(because("areas_need_polygons", file=name))
    mapping = parse_map_args(maps, "areas")
    for fieldname, column in (("code", code_field), ("name", name_field), ("parent", parent_field)):
        if column:
            mapping[fieldname] = column
    try:
        src_crs = parse_crs(crs or table.file_crs)
    except CRSError as exc:
        raise ImportRefused(because("bad_crs", detail=str(exc), value=str(crs or table.file_crs))) from exc
    fields, _ = resolve_columns(table.frame, "areas", mapping)
    with engine.connect() as conn:
        tz = deployment_timezone(conn)
        existing = load_areas(conn)
    checked = validate(fields, table.rows, "areas", crs=src_crs, tz=tz, geometry=table.geometry)
    report = ImportReport(name, "areas", rows_read=len(table.frame), row_word=table.row_word,
                          skipped=sorted(table.skipped + checked.skipped), notes=checked.notes,
                          masked=checked.masked, masked_rows=checked.masked_rows,
                          masked_fields=dict(checked.masked_fields))
    frame = checked.frame
    if frame.empty:
        raise ImportRefused(because("no_area_imported", file=name, row_word=report.row_word, row=report.skipped[0][0],
                                    first=report.skipped[0][1]) if report.skipped else because("no_areas", file=name))
    frame = _merge_duplicates(frame, report)
    geoms, invalid = repair_polygons(frame["geometry"].to_numpy())
    if invalid.any():
        codes = frame["code"].to_numpy()[invalid]
        report.notes.append(because("note_repaired_codes", n=int(invalid.sum()),
                                    codes=tuple(map(str, codes[:10])) + (("...",) if len(codes) > 10 else ())))
    frame = frame.assign(geometry=geoms)
    empty = frame["geometry"].isna()
    for code in frame.loc[empty, "code"]:
        report.skipped.append((0, because("polygon_lost", code=str(code))))
    frame = frame[~empty]
    gdf = gpd.GeoDataFrame(frame, geometry="geometry", crs=STORAGE_CRS)
    gdf["level"] = level
    _assign_parents(gdf, existing, level, report)
    _store(engine, gdf, report, progress, in_transaction=in_transaction)
    return report


def _merge_duplicates(frame: pd.DataFrame, report: ImportReport) -> pd.DataFrame:
    dup = frame["code"].duplicated(keep=False)
    if not dup.any():
        return frame
    merged = []
    for code, group in frame[dup].groupby("code", sort=False):
        row = group.iloc[0].copy()
        row["geometry"] = shapely.union_all(shapely.make_valid(group["geometry"].to_numpy()))
        merged.append(row)
    n_codes = frame.loc[dup, "code"].nunique()
    report.notes.append(because("note_merged", n=int(dup.sum()), codes=n_codes))
    return pd.concat([frame[~dup], pd.DataFrame(merged)], ignore_index=False)


def _assign_parents(gdf: gpd.GeoDataFrame, existing: gpd.GeoDataFrame, level: str, report: ImportReport) -> None:
    gdf["parent_code"] = None
    mcrs = metric_crs_of(gdf)
    above = [lv for lv in LEVELS[:LEVELS.index(level)] if (existing["level"] == lv).any()]
    if "parent" in gdf and gdf["parent"].notna().any():
        known = set(existing.loc[existing["level"].isin(above), "code"]) if above else set()
        ok = gdf["parent"].isin(known)
        gdf.loc[ok, "parent_code"] = gdf.loc[ok, "parent"]
        unknown = gdf["parent"].notna() & ~ok
        if unknown.any():
            report.notes.append(because("note_parents_unknown", n=int(unknown.sum())))
    todo = gdf["parent_code"].isna()
    if todo.any() and above:
        parents = existing[existing["level"] == above[-1]]
        idx = largest_overlap(gdf.loc[todo, "geometry"].to_numpy(), parents.geometry.to_numpy(), mcrs)
        gdf.loc[todo, "parent_code"] = np.where(idx >= 0, parents["code"].to_numpy()[np.maximum(idx, 0)], None)
    gdf["area_km2"] = gdf.geometry.to_crs(mcrs).area.to_numpy() / 1e6


def _store(engine: Engine, gdf: gpd.GeoDataFrame, report: ImportReport, progress, remove: list[str] = (),
           in_transaction=None) -> None:
    rows = pd.DataFrame({"code": gdf["code"].astype(str)})
    for col in AREA_TARGET.columns:
        rows[col] = gdf[col].to_numpy() if col in gdf else None
    rows["population"] = pd.array(rows["population"], dtype="Int64") if "population" in gdf else None
    rows["geom"] = gdf.geometry.to_numpy()
    rows["row_hash"] = row_hashes(rows.drop(columns=["geom"]).astype("string"), rows["geom"].to_numpy())
    rows = rows.astype({"population": object})
    rows["population"] = [None if pd.isna(v) else int(v) for v in rows["population"]]

    def after(conn) -> None:
        if remove:
            for i in range(0, len(remove), 500):
                conn.execute(text("DELETE FROM areas WHERE code IN ({})".format(
                    ", ".join(f":c{j}" for j in range(len(remove[i:i + 500]))))),
                    {f"c{j}": c for j, c in enumerate(remove[i:i + 500])})
        _reparent_children(conn, report)
        changed = reassign_all(conn)
        moved = {k: v for k, v in changed.items() if v}
        if moved:
            report.notes.append(because("note_reassigned", moved=tuple(moved.items())))
        if in_transaction:  # e.g. the audit record: without it the import is not kept
            in_transaction(conn, report)

    # Areas are the jurisdiction's own hierarchy: only an account of the whole jurisdiction imports them
    # (the import page and the command line see to it), and re-assigning codes touches every record.
    _write(engine, rows, "areas", AREA_TARGET, "", report, Scope.jurisdiction(), progress, after=after)


def _reparent_children(conn, report: ImportReport) -> None:
    """Areas with no parent get one by location when a higher level now exists."""
    areas = load_areas(conn)
    updates = []
    for i, level in enumerate(LEVELS[1:], start=1):
        orphans = areas[(areas["level"] == level) & areas["parent_code"].isna()]
        above = [lv for lv in LEVELS[:i] if (areas["level"] == lv).any()]
        if orphans.empty or not above:
            continue
        parents = areas[areas["level"] == above[-1]]
        idx = largest_overlap(orphans.geometry.to_numpy(), parents.geometry.to_numpy(), metric_crs_of(parents))
        for code, j in zip(orphans["code"], idx):
            if j >= 0:
                updates.append({"code": code, "parent": parents["code"].iloc[j]})
    if updates:
        conn.execute(text("UPDATE areas SET parent_code = :parent WHERE code = :code"), updates)
        report.notes.append(because("note_reparented", n=len(updates)))


def generate_grid(engine: Engine, cell_size: float, shape: str = "square", within: str | None = None,
                  progress=None, in_transaction=None) -> ImportReport:
    """Generate regular cells of ``cell_size`` metres clipped to a boundary, as the grid level.

    The boundary is the area ``within``, else the union of the districts (else of the
    highest level present). Grid cells already inside the boundary are replaced, so
    running it twice with the same arguments changes nothing. ``in_transaction(conn, report)``
    runs inside the writing transaction, as for :func:`import_area_table`.
    """
    if not (math.isfinite(cell_size) and MIN_CELL_M <= cell_size <= MAX_CELL_M):
        raise ImportRefused(because("grid_cell_size", size=cell_size, low=MIN_CELL_M, high=MAX_CELL_M))
    with engine.connect() as conn:
        areas = load_areas(conn)
    if areas.empty:
        raise ImportRefused(because("grid_no_areas"))
    if within:
        boundary = areas[areas["code"] == within]
        if boundary.empty:
            raise ImportRefused(because("grid_no_such_area", code=within))
        if (boundary["level"] == "grid").any():
            raise ImportRefused(because("grid_within_grid", code=within))
    else:
        top = next(lv for lv in LEVELS if (areas["level"] == lv).any())
        if top == "grid":
            raise ImportRefused(because("grid_only_cells"))
        boundary = areas[areas["level"] == top]
    shape_ll = shapely.union_all(boundary.geometry.to_numpy())
    mcrs = metric_crs_of(boundary)
    shape_m = gpd.GeoSeries([shape_ll], crs=STORAGE_CRS).to_crs(mcrs).iloc[0]
    minx, miny, maxx, maxy = shape_m.bounds  # the cells of the bounding box, counted before any is made
    if ((maxx - minx) / cell_size + 1) * ((maxy - miny) / cell_size + 1) > 4 * MAX_GRID_CELLS:
        raise ImportRefused(because("grid_too_big", size=cell_size, most=MAX_GRID_CELLS))
    try:
        codes, cells_m = make_grid(shape_m, cell_size, shape)
    except ValueError as exc:
        raise ImportRefused(because("grid_failed", detail=str(exc))) from exc
    if len(codes) > MAX_GRID_CELLS:
        raise ImportRefused(because("grid_too_many", n=len(codes)))
    cells = gpd.GeoSeries(cells_m, crs=mcrs).to_crs(STORAGE_CRS)
    gdf = gpd.GeoDataFrame({"code": codes, "name": codes, "name_en": codes, "level": "grid"},
                           geometry=cells.to_numpy(), crs=STORAGE_CRS)
    geoms, _ = repair_polygons(gdf.geometry.to_numpy())
    gdf = gdf.set_geometry(geoms)
    report = ImportReport(f"grid {shape} {cell_size:g} m", "areas", rows_read=len(gdf))
    _assign_parents(gdf, areas, "grid", report)
    old = areas[(areas["level"] == "grid")]
    inside = old[shapely.within(shapely.point_on_surface(old.geometry.to_numpy()), shape_ll)] if not old.empty else old
    remove = sorted(set(inside["code"]) - set(codes))
    if remove:
        report.notes.append(because("note_grid_replaced", n=len(remove)))
    _store(engine, gdf, report, progress, remove=remove, in_transaction=in_transaction)
    return report
