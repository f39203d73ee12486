"""Exports: a layer of the store to CSV, GeoJSON, Excel or GeoPackage.

CSV and Excel are written by ``geo.report.safefiles``: a text cell that a spreadsheet could
read as a formula is written with a leading apostrophe, so it shows as text and never runs.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import geopandas as gpd
import pandas as pd
from sqlalchemy import or_, select
from sqlalchemy.engine import Engine

from geo.core.crs import STORAGE_CRS
from geo.core.grid import LEVELS
from geo.ingest.errors import ImportRefused
from geo.report import safefiles
from geo.store import features, filters
from geo.store import scope as scoping
from geo.store.frames import to_frame
from geo.store.models import Base
from geo.store.patrol import zones_visible
from geo.store.scope import Scope

EXPORT_TABLES = {"incidents": "incidents", "areas": "areas", "cameras": "cameras", "zones": "patrol_zones",
                 "ledger": "ledger_items", "places": "places"}
FORMATS = (".csv", ".geojson", ".xlsx", ".gpkg")
HIDDEN = ("row_hash",)


def read_layer(engine: Engine, layer: str, start: dt.date | None = None, end: dt.date | None = None, *,
               scope: Scope) -> gpd.GeoDataFrame:
    """A layer's rows inside ``scope``: areas at or below its area, records coded to it, and (for an
    account of a district or the whole jurisdiction only) the patrol zones overlapping it."""
    if layer not in EXPORT_TABLES:
        raise ImportRefused(f"unknown layer {layer!r}: {', '.join(EXPORT_TABLES)}")
    table = Base.metadata.tables[EXPORT_TABLES[layer]]
    with engine.connect() as conn:
        scoping.apply(conn, scope)
        if layer == "areas":
            where = or_(*(filters.areas(conn, scope, lv) for lv in LEVELS))
        elif layer == "zones":
            if not zones_visible(scope):
                raise ImportRefused("patrol zones reach past any street or community: an account of a district or "
                                    "the whole jurisdiction exports them")
            where = table.c.code.in_(features.zones(conn, scope)["code"].tolist())
        else:
            where = filters.rows(table, scope)
        stmt = select(table).where(where)
        if layer == "incidents" and (start or end):
            stmt = stmt.where(table.c.occurred_on.between(start or dt.date.min, end or dt.date.max))
        frame = to_frame(conn.execute(stmt.order_by(*table.primary_key.columns)))
    geoms = frame.pop("geom").tolist() if "geom" in frame else []  # shapely: the column type converts
    frame = frame.drop(columns=[c for c in HIDDEN if c in frame])
    for col in [c for c in frame.columns if c.endswith("_at")]:  # UTC instants, marked as such
        stamps = pd.to_datetime(frame[col], utc=True, errors="coerce")
        frame[col] = stamps.dt.strftime("%Y-%m-%dT%H:%M:%SZ").astype(object).where(stamps.notna(), None)
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs=STORAGE_CRS), crs=STORAGE_CRS)


def export_layer(engine: Engine, layer: str, out: str | Path, start=None, end=None, *, scope: Scope) -> int:
    """Write ``layer`` to ``out`` (format from its suffix), inside ``scope``; returns the number of rows."""
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise ImportRefused(f"{out.name}: unsupported export format; use {', '.join(FORMATS)}")
    gdf = read_layer(engine, layer, start, end, scope=scope)

    def write(part: Path) -> None:
        if suffix in (".geojson", ".gpkg"):
            plain = gdf.copy()
            for col in plain.columns:
                if col != "geometry" and (plain[col].dtype == object or pd.api.types.is_string_dtype(plain[col])):
                    plain[col] = plain[col].map(lambda v: v.isoformat() if hasattr(v, "isoformat") else v)
            plain.to_file(part, driver="GeoJSON" if suffix == ".geojson" else "GPKG",
                          **({"layer": layer} if suffix == ".gpkg" else {}))
        else:
            flat = pd.DataFrame(gdf.drop(columns="geometry"))
            points = gdf.geometry.notna() & (gdf.geom_type == "Point")
            if points.any() and points.all():
                flat["lon"] = gdf.geometry.x.round(7)
                flat["lat"] = gdf.geometry.y.round(7)
            else:
                flat["wkt"] = gdf.geometry.to_wkt(rounding_precision=6) if suffix == ".csv" else None
            for col in flat.columns:
                if pd.api.types.is_datetime64_any_dtype(flat[col]) and getattr(flat[col].dt, "tz", None) is not None:
                    flat[col] = flat[col].dt.tz_localize(None)
            if suffix == ".csv":
                part.write_bytes(safefiles.csv_bytes(flat))
            else:
                part.write_bytes(safefiles.xlsx_bytes(flat.drop(columns=[c for c in ("wkt",) if c in flat])))

    safefiles.write_atomic(out, write)
    return len(gdf)
