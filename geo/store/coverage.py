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
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from geo.core import clock
from geo.core.coverage import covered_fraction, points_covered, sectors
from geo.core.crs import metric_crs
from geo.core.planning import coverage_matrix, exact, greedy
from geo.store import audit, features
from geo.store.areas import CODE_COLUMNS
from geo.store.models import CoverageTarget
from geo.store.schema import deployment_timezone

DEMANDS = ("incidents", "area", "places")
AREA_DEMAND_CELL_M = 50.0  # area demand: one point per 50 m x 50 m


def _metric_for(gdf: gpd.GeoDataFrame) -> str:
    minx, miny, maxx, maxy = gdf.total_bounds
    return metric_crs((minx + maxx) / 2, (miny + maxy) / 2)


def _within(conn: Connection, code: str | None):
    if not code:
        return None
    level = conn.execute(text("SELECT level FROM areas WHERE code = :c"), {"c": code}).scalar()
    return (CODE_COLUMNS[level], code) if level else None


def cameras_on(conn: Connection, at: dt.date, *, planned: bool = False, under: str | None = None,
               extra: pd.DataFrame | None = None, off: Sequence[str] = ()) -> gpd.GeoDataFrame:
    """Cameras seeing on ``at`` (points, WGS 84), plus ``extra`` what-if cameras, minus ``off``."""
    cams = features.cameras(conn, _within(conn, under))
    cols = to_frame_dates(conn, under)
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


def to_frame_dates(conn: Connection, under: str | None) -> pd.DataFrame:
    within = _within(conn, under)
    sql = "SELECT source_id, installed_on, removed_on FROM cameras" + (f" WHERE {within[0]} = :c" if within else "")
    rows = conn.execute(text(sql), {"c": under} if within else {}).all()
    return pd.DataFrame(rows, columns=["source_id", "installed_on", "removed_on"])


def views(cams: gpd.GeoDataFrame, crs: str) -> np.ndarray:
    if cams.empty:
        return np.array([], dtype=object)
    m = cams.to_crs(crs)
    return sectors(m.geometry.x.to_numpy(), m.geometry.y.to_numpy(), cams["heading"].to_numpy(dtype=float),
                   cams["fov"].to_numpy(dtype=float), cams["range_m"].to_numpy(dtype=float))


def targets(conn: Connection) -> pd.DataFrame:
    """The latest target per area and per place kind."""
    rows = conn.execute(text("SELECT area_code, place_kind, target_pct, due_on, set_by, set_at FROM coverage_targets "
                             "ORDER BY set_at, id")).all()
    frame = pd.DataFrame(rows, columns=["area_code", "place_kind", "target_pct", "due_on", "set_by", "set_at"])
    return frame.drop_duplicates(["area_code", "place_kind"], keep="last").reset_index(drop=True)


def set_target(engine: Engine, actor: str, pct: float, *, area_code: str | None = None, place_kind: str | None = None,
               due_on: dt.date | None = None) -> None:
    """Record a target (audited in the same transaction)."""
    if (area_code is None) == (place_kind is None):
        raise ValueError("a target is for one area or one key-place kind")
    if not 0 <= pct <= 100:
        raise ValueError("a target is a percentage from 0 to 100")
    with engine.begin() as conn:
        if area_code and conn.execute(text("SELECT 1 FROM areas WHERE code = :c"), {"c": area_code}).first() is None:
            raise ValueError(f"no area has the code {area_code!r}")
        conn.execute(CoverageTarget.__table__.insert().values(
            area_code=area_code, place_kind=place_kind, target_pct=float(pct), due_on=due_on, set_by=actor,
            set_at=clock.now_utc()))
        audit.record(conn, actor, "target.set", area_code or f"kind:{place_kind}", detail=f"{pct:g}% due {due_on}")


def area_coverage(conn: Connection, level: str, at: dt.date, start: dt.date, end: dt.date, *, planned: bool = False,
                  under: str | None = None, extra: pd.DataFrame | None = None, off: Sequence[str] = ()) -> gpd.GeoDataFrame:
    """Per area: ``area_covered_pct``, ``incident_covered_pct``, ``n_incidents``, ``places_covered_pct``,
    ``online_ratio_pct`` (online of installed cameras, today's status), ``target_pct``, ``gap_pct`` (target
    minus the area coverage, never negative)."""
    areas = features.areas_within(conn, level, None, under) if under else features.areas_within(conn, level, None)
    if areas.empty:
        return areas
    crs = _metric_for(areas)
    shapes = areas.to_crs(crs).geometry.values
    cams = cameras_on(conn, at, planned=planned, under=None, extra=extra, off=off)
    seen = views(cams, crs)
    out = areas[["code", "name", "name_en", "geometry"]].copy()
    out["area_covered_pct"] = (covered_fraction(shapes, seen) * 100).round(2)
    tz = deployment_timezone(conn)
    pts = features.incident_points(conn, start, end, tz, within=_within(conn, under))
    col = CODE_COLUMNS[level]
    if not pts.empty:
        xy = gpd.GeoSeries(shapely.points(pts["lon"], pts["lat"]), crs=4326).to_crs(crs)
        pts["seen"] = points_covered(xy.x.to_numpy(), xy.y.to_numpy(), seen)
        by = pd.DataFrame({"code": pts[col], "seen": pts["seen"]}).groupby("code")["seen"].agg(["sum", "size"])
    else:
        by = pd.DataFrame(columns=["sum", "size"])
    out["n_incidents"] = out["code"].map(by["size"]).fillna(0).astype(int)
    out["incident_covered_pct"] = (out["code"].map(by["sum"]) / out["n_incidents"] * 100).where(
        out["n_incidents"] > 0).round(2)
    places = features.places(conn, _within(conn, under))
    if not places.empty:
        pm = places.to_crs(crs).geometry.representative_point()
        places["seen"] = points_covered(pm.x.to_numpy(), pm.y.to_numpy(), seen)
        pby = places.groupby(col)["seen"].mean() * 100
        out["places_covered_pct"] = out["code"].map(pby).round(2)
    else:
        out["places_covered_pct"] = np.nan
    all_cams = features.cameras(conn, _within(conn, under))
    installed = all_cams[all_cams["status"] != "planned"].groupby(col)["status"].agg(
        installed="size", online=lambda s: int((s == "online").sum()))
    out["online_ratio_pct"] = (out["code"].map(installed["online"]) / out["code"].map(installed["installed"]) * 100
                               ).round(1)
    goal = targets(conn)
    goal = goal[goal["area_code"].notna()].set_index("area_code")["target_pct"]
    out["target_pct"] = out["code"].map(goal)
    out["gap_pct"] = (out["target_pct"] - out["area_covered_pct"]).clip(lower=0).round(2)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=4326)


def place_kind_coverage(conn: Connection, at: dt.date, *, planned: bool = False, under: str | None = None,
                        extra: pd.DataFrame | None = None, off: Sequence[str] = ()) -> pd.DataFrame:
    """Per key-place kind: places, covered, covered %, target %, gap %."""
    places = features.places(conn, _within(conn, under))
    if places.empty:
        return pd.DataFrame(columns=["kind", "places", "covered", "covered_pct", "target_pct", "gap_pct"])
    crs = _metric_for(places)
    seen = views(cameras_on(conn, at, planned=planned, extra=extra, off=off), crs)
    pm = places.to_crs(crs).geometry.representative_point()
    places["seen"] = points_covered(pm.x.to_numpy(), pm.y.to_numpy(), seen)
    table = places.groupby("kind")["seen"].agg(places="size", covered="sum").reset_index()
    table["covered_pct"] = (table["covered"] / table["places"] * 100).round(2)
    goal = targets(conn)
    goal = goal[goal["place_kind"].notna()].set_index("place_kind")["target_pct"]
    table["target_pct"] = table["kind"].map(goal)
    table["gap_pct"] = (table["target_pct"] - table["covered_pct"]).clip(lower=0).round(2)
    return table


def plan(conn: Connection, at: dt.date, start: dt.date, end: dt.date, *, add: int | None = None,
         target_pct: float | None = None, area: str | None = None, radius: float = 150.0, fov: float = 360.0,
         demand: str = "incidents", candidates: gpd.GeoDataFrame | None = None, use_exact: bool = False,
         planned: bool = False) -> tuple[pd.DataFrame, dict]:
    """New camera sites (lon, lat, heading, gain, cumulative %) and a summary.

    Candidates default to the grid-cell centroids and key places inside ``area``. Demand:
    the period's incidents (weight 1 each), the area (a point per 50 m square) or key places.
    ``target_pct`` is the share of the demand to reach, existing coverage included.
    """
    if demand not in DEMANDS:
        raise ValueError(f"unknown demand {demand!r}: {', '.join(DEMANDS)}")
    region = features.area_shape(conn, area) if area else features.areas_within(conn, "district", None)
    if region.empty:
        raise ValueError(f"no area {area!r}")
    crs = _metric_for(region)
    shape = shapely.union_all(region.to_crs(crs).geometry.values)
    within = _within(conn, area)
    if demand == "incidents":
        pts = features.incident_points(conn, start, end, deployment_timezone(conn), within=within)
        xy = gpd.GeoSeries(shapely.points(pts["lon"], pts["lat"]), crs=4326).to_crs(crs)
        dx, dy, w = xy.x.to_numpy(), xy.y.to_numpy(), np.ones(len(pts))
    elif demand == "area":
        x0, y0, x1, y1 = shape.bounds
        gx, gy = np.meshgrid(np.arange(x0, x1, AREA_DEMAND_CELL_M) + AREA_DEMAND_CELL_M / 2,
                             np.arange(y0, y1, AREA_DEMAND_CELL_M) + AREA_DEMAND_CELL_M / 2)
        inside = shapely.contains_xy(shape, gx.ravel(), gy.ravel())
        dx, dy = gx.ravel()[inside], gy.ravel()[inside]
        w = np.ones(len(dx))
    else:
        pl = features.places(conn, within)
        pm = pl.to_crs(crs).geometry.representative_point()
        dx, dy, w = pm.x.to_numpy(), pm.y.to_numpy(), np.ones(len(pl))
    seen_now = points_covered(dx, dy, views(cameras_on(conn, at, planned=planned), crs))
    total = float(w.sum())
    already = float(w[seen_now].sum())
    weight = np.where(seen_now, 0.0, w)
    if candidates is None:
        cells = features.areas_within(conn, "grid", None, area) if area else features.areas_within(conn, "grid", None)
        cand = pd.concat([cells.to_crs(crs).geometry.representative_point(),
                          features.places(conn, within).to_crs(crs).geometry.representative_point()], ignore_index=True)
    else:
        cand = candidates.to_crs(crs).geometry.representative_point().reset_index(drop=True)
    cand = cand[shapely.contains_xy(shape, cand.x.to_numpy(), cand.y.to_numpy())].reset_index(drop=True)
    a, site, heading = coverage_matrix(cand.x.to_numpy(), cand.y.to_numpy(), dx, dy, radius, fov)
    goal = None if target_pct is None else max(0.0, target_pct / 100 * total - already)
    solver = exact if use_exact else greedy
    result = solver(a, weight, site, k=add, target=goal) if (add or goal) else greedy(a, weight, site, k=0)
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
