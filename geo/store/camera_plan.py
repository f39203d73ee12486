"""Where new cameras help most, over the stored layers (the solvers are ``geo.core.planning``).

A candidate sees a demand point when it lies within the candidate's reach at the level asked for
(its DORI distance for the candidate's resolution, capped by its range), inside its field of view by
true bearing, and with a clear line of sight past the buildings; demand already seen at that level by
the cameras online is given weight 0.
"""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from sqlalchemy.engine import Connection

from geo.core import dori, visibility
from geo.core.coverage import points_covered
from geo.core.crs import STORAGE_CRS, metric_crs_of, to_metric, true_north
from geo.core.planning import coverage_matrix, exact, greedy
from geo.core.progress import Progress, span, tell
from geo.store import coverage, features, views
from geo.store.schema import deployment_timezone
from geo.store.scope import Scope, ScopeError

DEMANDS = ("incidents", "area", "places")
AREA_DEMAND_CELL_M = 50.0  # area demand: one point per 50 m x 50 m
LEVELS = ("required",) + dori.LEVELS  # "required": each key place at its kind's level (other demand: detect)


def plan(conn: Connection, scope: Scope, at: dt.date, start: dt.date, end: dt.date, *, add: int | None = None,
         target_pct: float | None = None, area: str | None = None, radius: float = 150.0, fov: float = 360.0,
         demand: str = "incidents", candidates: gpd.GeoDataFrame | None = None, use_exact: bool = False,
         planned: bool = False, level: str = "detect", resolution_h: float | None = None,
         progress: Progress | None = None) -> tuple[pd.DataFrame, dict]:
    """New camera sites (lon, lat, heading, gain, cumulative %) and a summary.

    ``area`` (a focus inside ``scope``; the scope's own area, else the whole jurisdiction, when None).
    Candidates default to the grid-cell centroids and key places inside ``area``. Demand:
    the period's incidents (weight 1 each), the area (a point per 50 m square) or key places.
    ``target_pct`` is the share of the demand to reach, existing coverage included. ``level`` (a DORI
    level, or "required" for each key place's kind's level) is what counts as seen, for the new cameras
    (``resolution_h`` pixels, ``fov`` and ``radius`` as range) and the existing ones alike; a new camera
    of unknown resolution reaches "detect" only.
    ``progress(fraction, step)`` hears of the steps ``demand``, ``candidates``, ``matrix``, then the
    solver's (``pick``; ``solve`` and ``order``).
    """
    if demand not in DEMANDS:
        raise ValueError(f"unknown demand {demand!r}: {', '.join(DEMANDS)}")
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}: {', '.join(LEVELS)}")
    reach = dict(zip(dori.LEVELS, dori.distances([np.nan if resolution_h is None else resolution_h], [fov],
                                                 [radius])[0]))
    if level not in ("required", "detect") and reach[level] <= 0:
        raise ValueError(f"a new camera needs a resolution to reach {level!r}: give its horizontal pixels")
    try:
        focus = scope.narrow(conn, area)
    except ScopeError as exc:
        raise ValueError(str(exc)) from None
    region = features.area_shape(conn, focus, focus.code) if not focus.everything else \
        features.areas_within(conn, focus, "district")
    if region.empty:
        raise ValueError("no district to plan in")
    crs = metric_crs_of(region)
    shape = shapely.union_all(region.to_crs(crs).geometry.values)
    tell(progress, 0.0, "demand")
    if demand == "incidents":
        pts = features.incident_points(conn, focus, start, end, deployment_timezone(conn))
        (dx, dy), w = to_metric(pts["lon"], pts["lat"], crs), np.ones(len(pts))
    elif demand == "area":
        x0, y0, x1, y1 = shape.bounds
        gx, gy = np.meshgrid(np.arange(x0, x1, AREA_DEMAND_CELL_M) + AREA_DEMAND_CELL_M / 2,
                             np.arange(y0, y1, AREA_DEMAND_CELL_M) + AREA_DEMAND_CELL_M / 2)
        inside = shapely.contains_xy(shape, gx.ravel(), gy.ravel())
        dx, dy = gx.ravel()[inside], gy.ravel()[inside]
        w = np.ones(len(dx))
    else:
        pl = features.places(conn, focus)
        pm = pl.to_crs(crs).geometry.representative_point()
        dx, dy, w = pm.x.to_numpy(), pm.y.to_numpy(), np.ones(len(pl))
    if level == "required":
        need = coverage.required_levels(coverage.targets(conn, scope))
        wanted = np.array([need.get(k, "detect") for k in pl["kind"]] if demand == "places" else ["detect"] * len(dx),
                          dtype=object)
    else:
        wanted = np.full(len(dx), level, dtype=object)
    existing = views.camera_views(conn, coverage.cameras_on(conn, focus, at, planned=planned), crs)
    seen_now = np.zeros(len(dx), dtype=bool)
    for lv in dori.LEVELS:
        these = wanted == lv
        if these.any():
            seen_now[these] = points_covered(dx[these], dy[these], existing.at(lv))
    total = float(w.sum())
    already = float(w[seen_now].sum())
    weight = np.where(seen_now, 0.0, w)
    tell(progress, 0.2, "candidates")
    if candidates is None:
        cells = features.areas_within(conn, focus, "grid")
        cand = pd.concat([cells.to_crs(crs).geometry.representative_point(),
                          features.places(conn, focus).to_crs(crs).geometry.representative_point()], ignore_index=True)
    else:
        cand = candidates.to_crs(crs).geometry.representative_point().reset_index(drop=True)
    cand = cand[shapely.contains_xy(shape, cand.x.to_numpy(), cand.y.to_numpy())].reset_index(drop=True)
    tell(progress, 0.3, "matrix")
    a, site, heading = _options(conn, cand, crs, dx, dy, wanted, reach, fov)
    goal = None if target_pct is None else max(0.0, target_pct / 100 * total - already)
    solver = exact if use_exact else greedy
    result = solver(a, weight, site, k=add, target=goal, progress=span(progress, 0.4, 1.0)) if (add or goal) else \
        greedy(a, weight, site, k=0)
    tell(progress, 1.0, "pick" if solver is greedy else "order")
    chosen = result.options
    pts = gpd.GeoSeries(cand.iloc[site[chosen]].values, crs=crs).to_crs(4326)
    cumulative = (already + np.cumsum(result.gains)) / total * 100 if total else np.zeros(len(chosen))
    table = pd.DataFrame({"rank": np.arange(1, len(chosen) + 1), "lon": pts.x.round(6).to_numpy(),
                          "lat": pts.y.round(6).to_numpy(), "heading": heading[chosen],
                          "gain": result.gains, "cumulative_pct": np.round(cumulative, 2)})
    summary = {"demand_total": total, "covered_before_pct": round(already / total * 100, 2) if total else 0.0,
               "covered_after_pct": round((already + result.covered) / total * 100, 2) if total else 0.0,
               "candidates": int(len(cand)), "options": int(a.shape[1]), "solver": "exact" if use_exact else "greedy",
               "gap": result.gap, "level": level}
    return table, summary


def _options(conn: Connection, cand: gpd.GeoSeries, crs: str, dx: np.ndarray, dy: np.ndarray, wanted: np.ndarray,
             reach: dict[str, float], fov: float) -> tuple[sparse.csc_matrix, np.ndarray, np.ndarray]:
    """The coverage matrix of the candidates (metric points) over the demand points, each demand point
    counted at the level it ``wanted``: one matrix per level, summed (their options are the same)."""
    cx, cy = cand.x.to_numpy(), cand.y.to_numpy()
    lon, lat = gpd.GeoSeries(cand.values, crs=crs).to_crs(STORAGE_CRS).pipe(lambda p: (p.x.to_numpy(), p.y.to_numpy()))
    north, scale = true_north(lon, lat, crs) if len(cand) else (np.zeros(0), np.ones(0))
    built = _buildings_around(conn, cand, crs, max(reach.values()))
    total, site, heading = None, np.zeros(0, dtype=int), np.zeros(0)
    present = [lv for lv in dori.LEVELS if (wanted == lv).any()] or ["detect"]
    for lv in present:
        rows = np.flatnonzero(wanted == lv)
        r = reach[lv] * (float(np.mean(scale)) if len(scale) else 1.0)
        sees = None if built is None else (lambda s, i, rows=rows: visibility.clear_lines(
            cx[s], cy[s], dx[rows][i], dy[rows][i], built))
        a, site, heading = coverage_matrix(cx, cy, dx[rows], dy[rows], r if r > 0 else 1e-9, fov, north=north, sees=sees)
        full = sparse.csc_matrix((np.ones(a.nnz), (rows[a.tocoo().row], a.tocoo().col)), shape=(len(dx), a.shape[1]))
        total = full if total is None else total + full
    total.data[:] = 1.0
    return total.tocsc(), site, heading


def _buildings_around(conn: Connection, cand: gpd.GeoSeries, crs: str, radius: float) -> dict | None:
    """The buildings within ``radius`` of the candidates, prepared for line-of-sight tests (None: none)."""
    if not len(cand) or not views.stamp(conn):
        return None
    box = shapely.box(*cand.total_bounds).buffer(radius * 1.01 + 1.0)
    found = views.buildings(conn, tuple(gpd.GeoSeries([box], crs=crs).to_crs(STORAGE_CRS).total_bounds))
    return visibility.prepare(found.to_crs(crs).geometry.values) if not found.empty else None
