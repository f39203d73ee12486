"""Patrol zones over the store: scorecards, proposals from grid cells, and patrol plans.

Workload is the period's incidents weighted by category severity (``severity`` maps category
to weight, default 1). Areas and perimeters are measured in the district's metric CRS.
"""

from __future__ import annotations

import datetime as dt
from typing import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy.engine import Connection

from geo.core.coverage import covered_fraction
from geo.core.crs import metric_crs_of
from geo.core.grid import assign_points
from geo.core.hotspots import hot_cells, is_hot
from geo.core.patrol import balance, cell_graph, is_contiguous, polsby_popper, propose
from geo.core.progress import Progress, span, tell
from geo.core.weights import queen
from geo.store import coverage, features, generation, views
from geo.store.schema import deployment_timezone
from geo.store.scope import Scope, ScopeError, require

SHIFTS = {"day": (8, 19), "night": (20, 7)}  # local hours, first and last (a night shift wraps)
VISIT_MINUTES = (10, 15)


def _weights(categories: pd.Series, severity: dict[str, float] | None) -> np.ndarray:
    severity = severity or {}
    return categories.map(lambda c: float(severity.get(c, 1.0))).to_numpy(dtype=float)


def _gi_classes(cells: gpd.GeoDataFrame) -> np.ndarray:
    """The Gi* class of each grid cell by its incidents (``geo.core.hotspots.hot_cells``)."""
    return hot_cells(cells["n_incidents"].to_numpy(dtype=float), cells.geometry.values)[2]


def zones_visible(scope: Scope) -> bool:
    """Patrol zones are balanced across a whole district, and a zone's workload, hot cells and plan
    reach past any street in it: only accounts scoped to a district or the whole jurisdiction see
    them. An account scoped to a street or community sees none (fail-closed)."""
    return scope.everything or scope.level == "district"


def _zones_scope(scope: Scope) -> Scope:
    """``scope`` when it may see patrol zones (:func:`zones_visible`), else :class:`ScopeError`."""
    if not zones_visible(require(scope)):
        raise ScopeError("patrol zones are balanced across a whole district: they are shown to accounts of a "
                         "district or the whole jurisdiction only")
    return scope


def cell_workload(conn: Connection, scope: Scope, start: dt.date, end: dt.date,
                  severity: dict | None = None) -> gpd.GeoDataFrame:
    """Grid cells inside ``scope`` with ``workload`` (severity-weighted incidents) and ``n_incidents``."""
    _zones_scope(scope)
    cells = features.areas_within(conn, scope, "grid")
    pts = features.incident_points(conn, scope, start, end, deployment_timezone(conn))
    w = _weights(pts["category"], severity)
    by = pd.DataFrame({"code": pts["cell_code"], "w": w}).groupby("code")["w"].agg(["sum", "size"])
    cells["workload"] = cells["code"].map(by["sum"]).fillna(0.0)
    cells["n_incidents"] = cells["code"].map(by["size"]).fillna(0).astype(int)
    return cells


def zone_scores(conn: Connection, scope: Scope, zones: gpd.GeoDataFrame, start: dt.date, end: dt.date,
                severity: dict | None = None, at: dt.date | None = None) -> tuple[pd.DataFrame, dict]:
    """Scorecard per zone (columns below) and district-wide balance, from what lies inside ``scope``.

    ``code, team, staff, workload, share, workload_per_staff, area_km2, perimeter_km, polsby_popper,
    contiguous, hot_cells, hot_share, camera_covered_pct, open_ledger``.
    """
    _zones_scope(scope)
    crs = metric_crs_of(zones)
    zm = zones.to_crs(crs)
    pts = features.incident_points(conn, scope, start, end, deployment_timezone(conn))
    idx = assign_points(pts["lon"].to_numpy(dtype=float), pts["lat"].to_numpy(dtype=float),
                        np.asarray(zones.geometry.values, dtype=object))
    w = _weights(pts["category"], severity)
    workload = np.bincount(idx[idx >= 0], weights=w[idx >= 0], minlength=len(zones))
    cells = cell_workload(conn, scope, start, end, severity)
    hot = is_hot(_gi_classes(cells))
    cent = cells.geometry.representative_point()
    cell_zone = assign_points(cent.x.to_numpy(), cent.y.to_numpy(), np.asarray(zones.geometry.values, dtype=object))
    hot_count = np.bincount(cell_zone[(cell_zone >= 0) & hot], minlength=len(zones))
    seen = views.camera_views(conn, coverage.cameras_on(conn, scope, at or end), crs).at()
    ledger = features.open_ledger(conn, scope, end)
    lz = assign_points(ledger.geometry.x.to_numpy(), ledger.geometry.y.to_numpy(),
                       np.asarray(zones.geometry.values, dtype=object)) if not ledger.empty else np.array([], int)
    area, perim = zm.area.to_numpy(), zm.length.to_numpy()
    staff = pd.to_numeric(zones.get("staff"), errors="coerce").to_numpy(dtype=float) if "staff" in zones else \
        np.full(len(zones), np.nan)
    total = workload.sum()
    table = pd.DataFrame({
        "code": zones["code"].to_numpy(), "team": zones.get("team", pd.Series([None] * len(zones))).to_numpy(),
        "staff": staff, "workload": workload.round(2), "share": (workload / total if total else workload * 0).round(4),
        "workload_per_staff": np.where(staff > 0, workload / staff, np.nan).round(2),
        "area_km2": (area / 1e6).round(3), "perimeter_km": (perim / 1e3).round(3),
        "polsby_popper": polsby_popper(area, perim).round(3),
        "contiguous": [g.geom_type == "Polygon" or len(getattr(g, "geoms", [g])) == 1 for g in zm.geometry.values],
        "hot_cells": hot_count, "hot_share": (hot_count / max(1, int(hot.sum()))).round(4),
        "camera_covered_pct": (covered_fraction(views.open_ground(conn, zm.geometry.values, crs), seen) * 100).round(2),
        "open_ledger": np.bincount(lz[lz >= 0], minlength=len(zones)) if len(lz) else np.zeros(len(zones), int),
    })
    ratio, cv = balance(workload)
    return table, {"max_min": round(ratio, 3), "cv": round(cv, 4), "total": round(float(total), 2)}


def propose_zones(conn: Connection, scope: Scope, k: int, start: dt.date, end: dt.date, *, severity: dict | None = None,
                  fixed: Sequence[str] = (), progress: Progress | None = None) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """K contiguous zones from grid cells, balancing workload and compact.

    ``fixed`` names current zones whose core (the most central cell and its neighbours inside the
    zone) is kept: the proposal's first zones grow from those cores and carry those codes.
    Returns the zones (``code, workload, cells, geometry``) and each cell's old and new zone.
    ``progress(fraction, step)`` hears of the steps: ``read``, ``graph``, ``search``, ``shapes``.
    """
    tell(progress, 0.0, "read")
    cells = cell_workload(conn, scope, start, end, severity)
    if cells.empty:
        raise ValueError("no grid cells: import or generate a grid first")
    crs = metric_crs_of(cells)
    cm = cells.to_crs(crs)
    cx, cy = cm.geometry.centroid.x.to_numpy(), cm.geometry.centroid.y.to_numpy()
    tell(progress, 0.08, "graph")
    adj = queen(cells.geometry.values)
    current = features.zones(conn, scope)
    cent = cells.geometry.representative_point()
    old = assign_points(cent.x.to_numpy(), cent.y.to_numpy(), np.asarray(current.geometry.values, dtype=object)) \
        if not current.empty else np.full(len(cells), -1)
    fixed_map = {}
    for z, code in enumerate(fixed):  # a kept zone's core: its most central cell and that cell's neighbours in it
        hits = np.flatnonzero(current["code"].to_numpy() == code)
        if not len(hits):
            raise ValueError(f"no patrol zone {code!r} to keep")
        members = np.flatnonzero(old == hits[0])
        if not len(members):
            continue
        centre = current.to_crs(crs).geometry.values[hits[0]].centroid
        core = members[np.argmin(np.hypot(cx[members] - centre.x, cy[members] - centre.y))]
        for c in [core] + [n for n in adj.indices[adj.indptr[core]:adj.indptr[core + 1]] if old[n] == hits[0]]:
            fixed_map[int(c)] = z
    if len(fixed) > k:
        raise ValueError("more fixed zones than zones to propose")
    graph = cell_graph(cm.geometry.values, adj)
    zone = propose(k, cells["workload"].to_numpy(dtype=float), graph, fixed=fixed_map, progress=span(progress, 0.1, 0.95))
    tell(progress, 0.95, "shapes")
    codes = _names(zone, old, current["code"].tolist() if not current.empty else [], list(fixed), k)
    shapes = [shapely.union_all(cells.geometry.values[zone == z]) for z in range(k)]
    out = gpd.GeoDataFrame({"code": codes,
                            "workload": [float(cells["workload"].to_numpy()[zone == z].sum()) for z in range(k)],
                            "cells": [",".join(cells["code"].to_numpy()[zone == z]) for z in range(k)],
                            "contiguous": [bool(is_contiguous(np.flatnonzero(zone == z), adj)) for z in range(k)]},
                           geometry=shapes, crs=4326)
    old_codes = np.where(old >= 0, current["code"].to_numpy()[np.clip(old, 0, None)] if len(current) else None, None)
    changes = pd.DataFrame({"cell": cells["code"], "old_zone": old_codes,
                            "new_zone": [codes[z] if z >= 0 else None for z in zone]})
    tell(progress, 1.0, "shapes")
    return out, changes


def _names(zone: np.ndarray, old: np.ndarray, old_codes: list[str], fixed: list[str], k: int) -> list[str]:
    """Each new zone takes the code of the current zone sharing most of its cells (each code once);
    the rest are P01, P02, ..."""
    codes: list[str | None] = [fixed[z] if z < len(fixed) else None for z in range(k)]
    taken = set(fixed)
    pairs = pd.Series(list(zip(zone, old))).value_counts()
    for (new, prev), _ in pairs.items():
        if new < 0 or prev < 0 or codes[new] is not None or old_codes[prev] in taken:
            continue
        codes[new] = old_codes[prev]
        taken.add(old_codes[prev])
    spare = (f"P{i:02d}" for i in range(1, 10 * k) if f"P{i:02d}" not in taken)
    return [c if c is not None else next(spare) for c in codes]


def patrol_plan(conn: Connection, scope: Scope, zones: gpd.GeoDataFrame, start: dt.date, end: dt.date,
                shifts: dict[str, tuple[int, int]], visits_per_shift: int = 8) -> pd.DataFrame:
    """Per zone and shift: the hot cells to visit and the number of short visits, by risk in those hours.

    ``shifts`` maps a name to (first hour, last hour) in local time (a night shift may wrap,
    e.g. (20, 7)). Risk is the cell's incidents in the shift's hours; a zone's ``visits_per_shift``
    stops are shared in proportion to risk among its Gi* hot cells (its busiest cells when none).
    """
    tz = deployment_timezone(conn)
    pts = features.incident_points(conn, _zones_scope(scope), start, end, tz)
    hours = pts["occurred_at"].dt.tz_convert(tz).dt.hour.to_numpy()
    cells = cell_workload(conn, scope, start, end)
    hot = dict(zip(cells["code"], is_hot(_gi_classes(cells))))
    cent = cells.geometry.representative_point()
    cell_zone = dict(zip(cells["code"], assign_points(cent.x.to_numpy(), cent.y.to_numpy(),
                                                      np.asarray(zones.geometry.values, dtype=object))))
    names = dict(zip(cells["code"], cells["name"]))
    rows = []
    for shift, (first, last) in shifts.items():
        in_shift = (hours >= first) & (hours <= last) if first <= last else (hours >= first) | (hours <= last)
        risk = pts.loc[in_shift].groupby("cell_code").size()
        for zi, code in enumerate(zones["code"]):
            mine = [c for c, zz in cell_zone.items() if zz == zi and c in risk.index]
            picked = [c for c in mine if hot.get(c)] or sorted(mine, key=lambda c: -risk[c])[:5]
            total = float(sum(risk[c] for c in picked))
            for c in sorted(picked, key=lambda c: -risk[c]):
                visits = int(round(visits_per_shift * risk[c] / total)) if total else 0
                if visits:
                    rows.append({"zone": code, "shift": shift, "cell": c, "name": names.get(c), "risk": int(risk[c]),
                                 "hot": bool(hot.get(c)), "visits": visits,
                                 "minutes": f"{VISIT_MINUTES[0]}-{VISIT_MINUTES[1]}"})
    return pd.DataFrame(rows, columns=["zone", "shift", "cell", "name", "risk", "hot", "visits", "minutes"])


OVERLAP_TOLERANCE = 0.05  # a saved zone may overlap the others by at most 5 % of its own area
INSIDE_TOLERANCE_M = 20.0  # and stick out of the district by at most this much (drawing by hand)


class ZoneRefused(ValueError):
    """A sketched zone that cannot be saved, with the reason."""


def save_zone(engine, actor: str, code: str, geometry, *, scope: Scope, name: str | None = None,
              team: str | None = None,
              shift: str | None = None, staff: int | None = None,
              overlap_tolerance: float = OVERLAP_TOLERANCE) -> None:
    """Save (insert or replace) a patrol zone after checking it; audited in the same transaction.

    Refused: an account that may not see patrol zones (:func:`zones_visible`), no code, not a valid
    polygon, outside the district of ``scope`` (beyond ``INSIDE_TOLERANCE_M``), overlapping the other
    zones by more than ``overlap_tolerance`` of its area.
    """
    if not zones_visible(require(scope)):
        raise ZoneRefused("patrol zones are changed by accounts of a district or the whole jurisdiction only")
    from sqlalchemy import text as sql

    from geo.store import audit
    from geo.store.models import PatrolZone

    code = (code or "").strip()
    if not code or len(code) > 64:
        raise ZoneRefused("a zone needs a code (up to 64 characters)")
    if geometry is None or geometry.is_empty or geometry.geom_type not in ("Polygon", "MultiPolygon"):
        raise ZoneRefused("a zone must be a polygon")
    if not shapely.is_valid(geometry):
        raise ZoneRefused(f"the polygon is not valid: {shapely.is_valid_reason(geometry)}")
    with engine.connect() as conn:
        district = features.areas_within(conn, scope, "district")
        others = features.zones(conn, Scope.jurisdiction())  # overlap is checked against every zone
    if district.empty:
        raise ZoneRefused("no district boundary to check against: import the district first")
    crs = metric_crs_of(district)
    shape_m = gpd.GeoSeries([geometry], crs=4326).to_crs(crs).iloc[0]
    boundary = shapely.union_all(district.to_crs(crs).geometry.values).buffer(INSIDE_TOLERANCE_M)
    if not boundary.contains(shape_m):
        raise ZoneRefused("the zone reaches outside the district")
    others = others[others["code"] != code]
    if not others.empty:
        overlap = shapely.union_all(others.to_crs(crs).geometry.values).intersection(shape_m).area
        if overlap > overlap_tolerance * shape_m.area:
            raise ZoneRefused(f"the zone overlaps other zones by {overlap / shape_m.area:.0%} of its area "
                              f"(at most {overlap_tolerance:.0%})")
    multi = geometry if geometry.geom_type == "MultiPolygon" else shapely.MultiPolygon([geometry])
    table = PatrolZone.__table__
    with generation.writing(engine, "data") as conn:
        existed = conn.execute(sql("SELECT 1 FROM patrol_zones WHERE code = :c"), {"c": code}).first() is not None
        values = {"name": name, "team": team, "shift": shift, "staff": staff, "geom": multi, "row_hash": None}
        if existed:
            conn.execute(table.update().where(table.c.code == code).values(**values))
        else:
            conn.execute(table.insert().values(code=code, **values))
        audit.record(conn, actor, "zone.update" if existed else "zone.create", code,
                     detail=f"team={team} shift={shift} staff={staff}")
