"""Camera coverage over the stored layers: per area, per key-place kind, against targets,
and new-camera plans. Geometry is measured in the area's metric CRS.

"Online on a date": installed on or before it (or no date), not removed by it, status
``online`` (``planned`` cameras only when asked for).
"""

from __future__ import annotations

import datetime as dt
from typing import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import select, text
from sqlalchemy.engine import Connection, Engine

from geo.core import clock
from geo.core.coverage import camera_views, covered_fraction, points_covered
from geo.core.crs import metric_crs_of, to_metric
from geo.core.planning import coverage_matrix, exact, greedy
from geo.core.progress import Progress, span, tell
from geo.store import audit, features, filters, generation
from geo.store.areas import CODE_COLUMNS
from geo.store.models import Camera, CoverageTarget
from geo.store.scope import Scope, ScopeError

CAMERAS = Camera.__table__
from geo.store.schema import deployment_timezone

DEMANDS = ("incidents", "area", "places")
AREA_DEMAND_CELL_M = 50.0  # area demand: one point per 50 m x 50 m


def cameras_on(conn: Connection, scope: Scope, at: dt.date, *, planned: bool = False,
               extra: pd.DataFrame | None = None, off: Sequence[str] = ()) -> gpd.GeoDataFrame:
    """Cameras inside ``scope`` seeing on ``at`` (points, WGS 84), plus ``extra`` what-if cameras, minus ``off``."""
    cams = features.cameras(conn, scope)
    cols = to_frame_dates(conn, scope)
    cams = cams.merge(cols, on="source_id", how="left")
    ok = cams["status"].eq("online") | (planned & cams["status"].eq("planned"))
    inst = pd.to_datetime(cams["installed_on"], errors="coerce")
    rem = pd.to_datetime(cams["removed_on"], errors="coerce")
    day = pd.Timestamp(at)
    ok &= inst.isna() | (inst <= day)
    ok &= rem.isna() | (rem > day)
    ok &= ~cams["source_id"].isin(list(off))
    cams = cams[ok.to_numpy()].reset_index(drop=True)
    if extra is not None and not extra.empty:
        add = gpd.GeoDataFrame(extra.drop(columns=["lon", "lat"]), geometry=gpd.points_from_xy(extra["lon"], extra["lat"]),
                               crs=4326)
        cams = pd.concat([cams, add], ignore_index=True)
    return gpd.GeoDataFrame(cams, geometry="geometry", crs=4326)


def to_frame_dates(conn: Connection, scope: Scope) -> pd.DataFrame:
    """Installed and removed dates of the cameras inside ``scope``."""
    c = CAMERAS.c
    rows = conn.execute(select(c.source_id, c.installed_on, c.removed_on).where(filters.rows(CAMERAS, scope))).all()
    return pd.DataFrame(rows, columns=["source_id", "installed_on", "removed_on"])


def targets(conn: Connection, scope: Scope) -> pd.DataFrame:
    """The latest target per area inside ``scope`` and per place kind."""
    t = CoverageTarget.__table__.c
    rows = conn.execute(select(t.area_code, t.place_kind, t.target_pct, t.due_on, t.set_by, t.set_at)
                        .order_by(t.set_at, t.id)).all()
    frame = pd.DataFrame(rows, columns=["area_code", "place_kind", "target_pct", "due_on", "set_by", "set_at"])
    if not scope.everything:
        codes = set(frame["area_code"].dropna())
        inside = {c for c in codes if scope.contains(conn, c)}
        frame = frame[frame["area_code"].isna() | frame["area_code"].isin(inside)]
    return frame.drop_duplicates(["area_code", "place_kind"], keep="last").reset_index(drop=True)


def _against_targets(table: pd.DataFrame, goals: pd.DataFrame, kind: str, key: str, covered: str) -> None:
    """Adds ``target_pct`` (the target of each row's ``key`` among the ``goals`` set per ``kind``:
    ``area_code`` or ``place_kind``) and ``gap_pct`` (the target less the ``covered`` share, never negative)."""
    goal = goals[goals[kind].notna()].set_index(kind)["target_pct"]
    table["target_pct"] = table[key].map(goal)
    table["gap_pct"] = (table["target_pct"] - table[covered]).clip(lower=0).round(2)


def set_target(engine: Engine, actor: str, pct: float, *, scope: Scope, area_code: str | None = None,
               place_kind: str | None = None, due_on: dt.date | None = None) -> None:
    """Record a target (audited in the same transaction). The area must lie inside ``scope``; a target
    per place kind holds everywhere, so only an account of the whole jurisdiction may set one."""
    if (area_code is None) == (place_kind is None):
        raise ValueError("a target is for one area or one key-place kind")
    if not 0 <= pct <= 100:
        raise ValueError("a target is a percentage from 0 to 100")
    with generation.writing(engine, "data") as conn:
        if area_code and conn.execute(text("SELECT 1 FROM areas WHERE code = :c"), {"c": area_code}).first() is None:
            raise ValueError(f"no area has the code {area_code!r}")
        if area_code and not scope.contains(conn, area_code):
            raise ValueError(f"the area {area_code} lies outside your area {scope.code}")
        if place_kind and not scope.everything:
            raise ValueError("a target per kind of key place holds everywhere: only an account of the whole "
                             "jurisdiction may set one")
        conn.execute(CoverageTarget.__table__.insert().values(
            area_code=area_code, place_kind=place_kind, target_pct=float(pct), due_on=due_on, set_by=actor,
            set_at=clock.now_utc()))
        audit.record(conn, actor, "target.set", area_code or f"kind:{place_kind}", detail=f"{pct:g}% due {due_on}")


def area_coverage(conn: Connection, scope: Scope, level: str, at: dt.date, start: dt.date, end: dt.date, *,
                  planned: bool = False, extra: pd.DataFrame | None = None,
                  off: Sequence[str] = ()) -> gpd.GeoDataFrame:
    """Per area: ``area_covered_pct``, ``incident_covered_pct``, ``n_incidents``, ``places_covered_pct``,
    ``online_ratio_pct`` (online of installed cameras, today's status), ``target_pct``, ``gap_pct`` (target
    minus the area coverage, never negative), for the areas of ``level`` inside ``scope``, seen by the
    cameras inside ``scope`` (on both backends alike: row-level security hides the others anyway)."""
    areas = features.areas_within(conn, scope, level)
    if areas.empty:
        return areas
    crs = metric_crs_of(areas)
    shapes = areas.to_crs(crs).geometry.values
    cams = cameras_on(conn, scope, at, planned=planned, extra=extra, off=off)
    seen = camera_views(cams, crs).values
    out = areas[["code", "name", "name_en", "geometry"]].copy()
    out["area_covered_pct"] = (covered_fraction(shapes, seen) * 100).round(2)
    tz = deployment_timezone(conn)
    pts = features.incident_points(conn, scope, start, end, tz)
    col = CODE_COLUMNS[level]
    if not pts.empty:
        pts["seen"] = points_covered(*to_metric(pts["lon"], pts["lat"], crs), seen)
        by = pd.DataFrame({"code": pts[col], "seen": pts["seen"]}).groupby("code")["seen"].agg(["sum", "size"])
    else:
        by = pd.DataFrame(columns=["sum", "size"])
    out["n_incidents"] = out["code"].map(by["size"]).fillna(0).astype(int)
    out["incident_covered_pct"] = (out["code"].map(by["sum"]) / out["n_incidents"] * 100).where(
        out["n_incidents"] > 0).round(2)
    places = features.places(conn, scope)
    if not places.empty:
        pm = places.to_crs(crs).geometry.representative_point()
        places["seen"] = points_covered(pm.x.to_numpy(), pm.y.to_numpy(), seen)
        pby = places.groupby(col)["seen"].mean() * 100
        out["places_covered_pct"] = out["code"].map(pby).round(2)
    else:
        out["places_covered_pct"] = np.nan
    all_cams = features.cameras(conn, scope)
    installed = all_cams[all_cams["status"] != "planned"].groupby(col)["status"].agg(
        installed="size", online=lambda s: int((s == "online").sum()))
    out["online_ratio_pct"] = (out["code"].map(installed["online"]) / out["code"].map(installed["installed"]) * 100
                               ).round(1)
    _against_targets(out, targets(conn, scope), "area_code", "code", "area_covered_pct")
    return gpd.GeoDataFrame(out, geometry="geometry", crs=4326)


def place_kind_coverage(conn: Connection, scope: Scope, at: dt.date, *, planned: bool = False,
                        extra: pd.DataFrame | None = None, off: Sequence[str] = ()) -> pd.DataFrame:
    """Per key-place kind, for the places inside ``scope``: places, covered, covered %, target %, gap %."""
    places = features.places(conn, scope)
    if places.empty:
        return pd.DataFrame(columns=["kind", "places", "covered", "covered_pct", "target_pct", "gap_pct"])
    crs = metric_crs_of(places)
    seen = camera_views(cameras_on(conn, scope, at, planned=planned, extra=extra, off=off), crs).values
    pm = places.to_crs(crs).geometry.representative_point()
    places["seen"] = points_covered(pm.x.to_numpy(), pm.y.to_numpy(), seen)
    table = places.groupby("kind")["seen"].agg(places="size", covered="sum").reset_index()
    table["covered_pct"] = (table["covered"] / table["places"] * 100).round(2)
    _against_targets(table, targets(conn, scope), "place_kind", "kind", "covered_pct")
    return table


def plan(conn: Connection, scope: Scope, at: dt.date, start: dt.date, end: dt.date, *, add: int | None = None,
         target_pct: float | None = None, area: str | None = None, radius: float = 150.0, fov: float = 360.0,
         demand: str = "incidents", candidates: gpd.GeoDataFrame | None = None, use_exact: bool = False,
         planned: bool = False, progress: Progress | None = None) -> tuple[pd.DataFrame, dict]:
    """New camera sites (lon, lat, heading, gain, cumulative %) and a summary.

    ``area`` (a focus inside ``scope``; the scope's own area, else the whole jurisdiction, when None).
    Candidates default to the grid-cell centroids and key places inside ``area``. Demand:
    the period's incidents (weight 1 each), the area (a point per 50 m square) or key places.
    ``target_pct`` is the share of the demand to reach, existing coverage included.
    ``progress(fraction, step)`` hears of the steps ``demand``, ``candidates``, ``matrix``, then the
    solver's (``pick``; ``solve`` and ``order``).
    """
    if demand not in DEMANDS:
        raise ValueError(f"unknown demand {demand!r}: {', '.join(DEMANDS)}")
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
    seen_now = points_covered(dx, dy, camera_views(cameras_on(conn, focus, at, planned=planned), crs).values)
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
    a, site, heading = coverage_matrix(cand.x.to_numpy(), cand.y.to_numpy(), dx, dy, radius, fov)
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
               "gap": result.gap}
    return table, summary
