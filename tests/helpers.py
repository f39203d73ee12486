"""Tiny named fixtures built in code: a 2 x 2 grid of cells inside one district."""

from __future__ import annotations

import json
from pathlib import Path

import shapely

# Four 0.01° cells around (113.0, 28.0): codes C1 (SW), C2 (SE), C3 (NW), C4 (NE).
X0, Y0, STEP = 113.0, 28.0, 0.01
CELLS = {"C1": (0, 0), "C2": (1, 0), "C3": (0, 1), "C4": (1, 1)}


def cell_box(code: str):
    i, j = CELLS[code]
    return shapely.box(X0 + i * STEP, Y0 + j * STEP, X0 + (i + 1) * STEP, Y0 + (j + 1) * STEP)


def feature_collection(features: list[tuple[dict, object]], crs: str | None = None) -> dict:
    doc = {"type": "FeatureCollection",
           "features": [{"type": "Feature", "properties": props,
                         "geometry": None if geom is None else json.loads(shapely.to_geojson(geom))}
                        for props, geom in features]}
    if crs:
        doc["crs"] = {"type": "name", "properties": {"name": crs}}
    return doc


def write_json(path: Path, doc) -> Path:
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def district_file(tmp: Path) -> Path:
    geom = shapely.box(X0, Y0, X0 + 2 * STEP, Y0 + 2 * STEP)
    return write_json(tmp / "district.geojson", feature_collection([({"code": "D1", "name": "示范区"}, geom)]))


def cells_file(tmp: Path) -> Path:
    feats = [({"code": c, "name": f"网格{c}", "team": f"team {c}", "population": 1000 * (k + 1)}, cell_box(c))
             for k, c in enumerate(CELLS)]
    return write_json(tmp / "cells.geojson", feature_collection(feats))


def centre(code: str, dx: float = 0.5, dy: float = 0.5) -> tuple[float, float]:
    i, j = CELLS[code]
    return X0 + (i + dx) * STEP, Y0 + (j + dy) * STEP


def incidents_csv(tmp: Path, rows: list[tuple], name: str = "incidents.csv", header=None, encoding="utf-8") -> Path:
    header = header or ["id", "occurred_at", "lon", "lat", "category", "description"]
    lines = [",".join(header)] + [",".join("" if v is None else str(v) for v in row) for row in rows]
    path = tmp / name
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def small_city(engine, tmp: Path) -> None:
    """District D1 with cells C1..C4 imported through the real importer."""
    from geo.ingest.areas import import_areas

    import_areas(engine, district_file(tmp), "district")
    import_areas(engine, cells_file(tmp), "grid")
