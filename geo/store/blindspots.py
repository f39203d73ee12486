"""Blind spots inside key places, and the cameras' views banded by DORI level, for the coverage map.

A key place is stored as a point; its ground is a footprint around it: a circle of
``FOOTPRINT_M[kind]`` metres (a place stored as a polygon keeps its own shape), less the buildings
on it (a camera never sees into a building: ``geo.store.views.open_ground``). Its blind spot is the
part of that ground no camera sees at the level its kind requires (``coverage.required_levels``:
the kind's latest target naming a level, else ``geo.core.dori.REQUIRED_LEVEL``), and its blind share
the blind spot's area over the ground's. Views come from ``geo.store.views`` (cut by the buildings).
"""

from __future__ import annotations

import datetime as dt
from typing import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy.engine import Connection

from geo.core import dori
from geo.core.crs import STORAGE_CRS, metric_crs_of
from geo.store import coverage, features, views
from geo.store.scope import Scope

# Radius (metres) of the ground drawn around a key place stored as a point, per kind: the grounds,
# forecourt or entrance area a camera plan for such a place is about.
FOOTPRINT_M = {"school": 60.0, "hospital": 50.0, "station": 40.0, "transport": 30.0, "bank": 15.0,
               "government": 30.0, "market": 40.0, "nightlife": 20.0, "park": 80.0, "other": 20.0}
DEFAULT_FOOTPRINT_M = 20.0  # a kind not listed above
BANDS = ("range",) + dori.LEVELS  # "range": within a camera's range but below "detect"
MIN_BLIND_M2 = 1.0  # slivers smaller than this (square metres) are not blind spots
COLUMNS = ["source_id", "name", "name_en", "kind", "required_level", "ground_m2", "blind_m2", "blind_pct"]


def footprints(places: gpd.GeoDataFrame, crs: str) -> np.ndarray:
    """Each place's footprint in the metric ``crs``: points buffered by their kind's radius
    (:data:`FOOTPRINT_M`), polygons as they are."""
    shapes = places.to_crs(crs).geometry.values
    radius = np.array([FOOTPRINT_M.get(k, DEFAULT_FOOTPRINT_M) for k in places["kind"]], dtype=float)
    pointlike = np.asarray(shapely.get_dimensions(shapes)) == 0
    out = np.asarray(shapes, dtype=object).copy()
    if pointlike.any():
        out[pointlike] = shapely.buffer(shapely.centroid(shapes[pointlike]), radius[pointlike], quad_segs=12)
    return out


def blind_spots(conn: Connection, scope: Scope, at: dt.date, *, planned: bool = False,
                extra: pd.DataFrame | None = None, off: Sequence[str] = ()) -> gpd.GeoDataFrame:
    """Per key place inside ``scope``: its required level, ground (m²), blind spot (``geometry``,
    WGS 84; None when it is all seen) and blind share (``blind_pct``), for the cameras seeing on ``at``
    (``planned``, ``extra`` and ``off`` as in :func:`geo.store.coverage.cameras_on`); worst first."""
    places = features.places(conn, scope)
    if places.empty:
        return gpd.GeoDataFrame(columns=COLUMNS + ["geometry"], geometry="geometry", crs=STORAGE_CRS)
    crs = metric_crs_of(places)
    ground = views.open_ground(conn, footprints(places, crs), crs)
    seen = views.camera_views(conn, coverage.cameras_on(conn, scope, at, planned=planned, extra=extra, off=off), crs)
    levels = coverage.required_levels(coverage.targets(conn, scope))
    need = np.array([levels.get(k, "detect") for k in places["kind"]], dtype=object)
    blind = unseen(ground, need, seen)
    area = shapely.area(ground)
    lost = np.array([0.0 if b is None else shapely.area(b) for b in blind])
    keep = lost >= MIN_BLIND_M2
    blind = np.where(keep, blind, None)
    out = pd.DataFrame({"source_id": places["source_id"], "name": places["name"], "name_en": places["name_en"],
                        "kind": places["kind"], "required_level": need, "ground_m2": np.round(area, 1),
                        "blind_m2": np.round(np.where(keep, lost, 0.0), 1),
                        "blind_pct": np.round(np.where(keep & (area > 0), lost / np.where(area > 0, area, 1) * 100,
                                                       0.0), 2)})
    shapes = gpd.GeoSeries(blind, crs=crs).to_crs(STORAGE_CRS)
    frame = gpd.GeoDataFrame(out, geometry=shapes.values, crs=STORAGE_CRS)
    return frame.sort_values(["blind_pct", "blind_m2"], ascending=False, kind="stable").reset_index(drop=True)


def unseen(ground: np.ndarray, need: np.ndarray, seen: views.Views) -> np.ndarray:
    """The part of each shape of ``ground`` not covered by the views at the level it ``need``s
    (None where nothing is left)."""
    out = np.asarray(ground, dtype=object).copy()
    for lv in dori.LEVELS:
        rows = np.flatnonzero(need == lv)
        shapes = seen.at(lv)
        if not len(rows) or not len(shapes):
            continue
        hit_row, hit_view = shapely.STRtree(shapes).query(out[rows], predicate="intersects")
        for i in np.unique(hit_row):
            out[rows[i]] = shapely.difference(out[rows[i]], shapely.union_all(shapes[hit_view[hit_row == i]]))
    left = ~shapely.is_empty(out) & (shapely.area(out) > 0)
    return np.where(left, out, None)


def level_bands(conn: Connection, cams: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The cameras' views as nested bands (WGS 84), one row per :data:`BANDS` entry that has ground:
    ``identify`` where some camera identifies, ``recognise`` where the best is recognise, ... down to
    ``range`` (within range, below detect); ``level`` names the band."""
    empty = gpd.GeoDataFrame({"level": []}, geometry=[], crs=STORAGE_CRS)
    if cams.empty:
        return empty
    crs = metric_crs_of(cams)
    seen = views.camera_views(conn, cams, crs)
    unions = {b: shapely.union_all(seen.at(b)) if len(seen.at(b)) else None for b in BANDS}
    rows, shapes, better = [], [], None
    for band in reversed(BANDS):  # identify first: each band is its union less every better band
        whole = unions[band]
        if whole is None or whole.is_empty:
            continue
        part = whole if better is None else shapely.difference(whole, better)
        better = whole if better is None else shapely.union(better, whole)
        if not part.is_empty and part.area > 0:
            rows.append(band)
            shapes.append(part)
    if not rows:
        return empty
    order = np.argsort([BANDS.index(r) for r in rows])
    drawn = gpd.GeoSeries(np.asarray(shapes, dtype=object)[order], crs=crs).to_crs(STORAGE_CRS)
    return gpd.GeoDataFrame({"level": np.asarray(rows)[order]}, geometry=drawn.values, crs=STORAGE_CRS)
