"""Camera coverage over the stored layers: per area and per key-place kind, at each DORI level, against
targets (new-camera plans: ``geo.store.camera_plan``). Geometry is measured in the area's metric CRS.

"Online on a date": installed on or before it (or no date), not removed by it, status
``online`` (``planned`` cameras only when asked for).
"""

from __future__ import annotations

import datetime as dt
from typing import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
from sqlalchemy import select, text
from sqlalchemy.engine import Connection, Engine

from geo.core import clock, dori
from geo.core.coverage import covered_fraction, points_covered
from geo.core.crs import metric_crs_of, to_metric
from geo.store import audit, features, filters, generation, views
from geo.store.areas import CODE_COLUMNS
from geo.store.models import Camera, CoverageTarget
from geo.store.scope import Scope

CAMERAS = Camera.__table__
from geo.store.schema import deployment_timezone



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
    rows = conn.execute(select(t.area_code, t.place_kind, t.target_pct, t.level, t.due_on, t.set_by, t.set_at)
                        .order_by(t.set_at, t.id)).all()
    frame = pd.DataFrame(rows, columns=["area_code", "place_kind", "target_pct", "level", "due_on", "set_by", "set_at"])
    if not scope.everything:
        codes = set(frame["area_code"].dropna())
        inside = {c for c in codes if scope.contains(conn, c)}
        frame = frame[frame["area_code"].isna() | frame["area_code"].isin(inside)]
    return frame.drop_duplicates(["area_code", "place_kind"], keep="last").reset_index(drop=True)


def _against_targets(table: pd.DataFrame, goals: pd.DataFrame, kind: str, key: str, covered: str) -> None:
    """Adds ``target_pct`` (the target of each row's ``key`` among the ``goals`` set per ``kind``:
    ``area_code`` or ``place_kind``), ``target_level`` and ``gap_pct`` (the target less the share it counts,
    never negative). An area's target naming a DORI level counts that level's share (``<level>_pct``),
    else ``covered``; a kind's target counts ``covered`` (already at the level the kind requires)."""
    mine = goals[goals[kind].notna()].set_index(kind)
    table["target_pct"] = table[key].map(mine["target_pct"])
    table["target_level"] = table[key].map(mine["level"]) if kind == "area_code" else None
    counted = table[covered].copy()
    for lv in dori.LEVELS:
        at_level = (table["target_level"] == lv).to_numpy()
        counted[at_level] = table.loc[at_level, f"{lv}_pct"]
    table["gap_pct"] = (table["target_pct"] - counted).clip(lower=0).round(2)


def set_target(engine: Engine, actor: str, pct: float, *, scope: Scope, area_code: str | None = None,
               place_kind: str | None = None, due_on: dt.date | None = None, level: str | None = None) -> None:
    """Record a target (audited in the same transaction). The area must lie inside ``scope``; a target
    per place kind holds everywhere, so only an account of the whole jurisdiction may set one.
    ``level`` (a DORI level): for an area, the level its share is counted at; for a kind, the level
    its places need from now on (``required_levels``)."""
    if level is not None:
        dori.level_index(level)
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
            area_code=area_code, place_kind=place_kind, target_pct=float(pct), level=level, due_on=due_on,
            set_by=actor, set_at=clock.now_utc()))
        audit.record(conn, actor, "target.set", area_code or f"kind:{place_kind}",
                     detail=f"{pct:g}% due {due_on}" + (f" at {level}" if level else ""))


def required_levels(goals: pd.DataFrame) -> dict[str, str]:
    """The DORI level each key-place kind needs: the level of its latest target when one names a level,
    else ``geo.core.dori.REQUIRED_LEVEL`` (kinds not listed there need "detect")."""
    levels = dict(dori.REQUIRED_LEVEL)
    if "level" in goals:
        named = goals[goals["place_kind"].notna() & goals["level"].notna()]
        levels.update(dict(zip(named["place_kind"], named["level"])))
    return levels


def area_coverage(conn: Connection, scope: Scope, level: str, at: dt.date, start: dt.date, end: dt.date, *,
                  planned: bool = False, extra: pd.DataFrame | None = None,
                  off: Sequence[str] = ()) -> gpd.GeoDataFrame:
    """Per area: ``area_covered_pct`` (the share of its open ground seen within the cameras' ranges),
    ``detect_pct`` .. ``identify_pct`` (seen at each DORI level), ``incident_covered_pct``, ``n_incidents``,
    ``places_covered_pct`` (key places seen at their kind's required level), ``online_ratio_pct`` (online
    of installed cameras, today's status), ``target_pct``, ``gap_pct`` (target minus the coverage it
    counts, never negative), for the areas of ``level`` inside ``scope``, seen by the cameras inside
    ``scope`` (on both backends alike: row-level security hides the others anyway). Open ground is the
    area less its buildings; views are cut by the buildings (``geo.store.views``)."""
    areas = features.areas_within(conn, scope, level)
    if areas.empty:
        return areas
    crs = metric_crs_of(areas)
    ground = views.open_ground(conn, areas.to_crs(crs).geometry.values, crs)
    cams = cameras_on(conn, scope, at, planned=planned, extra=extra, off=off)
    seen = views.camera_views(conn, cams, crs)
    out = areas[["code", "name", "name_en", "geometry"]].copy()
    out["area_covered_pct"] = (covered_fraction(ground, seen.at()) * 100).round(2)
    for lv in dori.LEVELS:
        out[f"{lv}_pct"] = (covered_fraction(ground, seen.at(lv)) * 100).round(2)
    tz = deployment_timezone(conn)
    pts = features.incident_points(conn, scope, start, end, tz)
    col = CODE_COLUMNS[level]
    if not pts.empty:
        pts["seen"] = points_covered(*to_metric(pts["lon"], pts["lat"], crs), seen.at())
        by = pd.DataFrame({"code": pts[col], "seen": pts["seen"]}).groupby("code")["seen"].agg(["sum", "size"])
    else:
        by = pd.DataFrame(columns=["sum", "size"])
    out["n_incidents"] = out["code"].map(by["size"]).fillna(0).astype(int)
    out["incident_covered_pct"] = (out["code"].map(by["sum"]) / out["n_incidents"] * 100).where(
        out["n_incidents"] > 0).round(2)
    goals = targets(conn, scope)
    places = features.places(conn, scope)
    if not places.empty:
        places["seen"] = _places_seen(places, seen, crs, required_levels(goals))
        out["places_covered_pct"] = out["code"].map(places.groupby(col)["seen"].mean() * 100).round(2)
    else:
        out["places_covered_pct"] = np.nan
    all_cams = features.cameras(conn, scope)
    installed = all_cams[all_cams["status"] != "planned"].groupby(col)["status"].agg(
        installed="size", online=lambda s: int((s == "online").sum()))
    out["online_ratio_pct"] = (out["code"].map(installed["online"]) / out["code"].map(installed["installed"]) * 100
                               ).round(1)
    _against_targets(out, goals, "area_code", "code", "area_covered_pct")
    return gpd.GeoDataFrame(out, geometry="geometry", crs=4326)


def _places_seen(places: gpd.GeoDataFrame, seen: views.Views, crs: str, levels: dict[str, str],
                 level: str | None = None) -> np.ndarray:
    """Whether each key place (its representative point) is seen at ``level``, by default at the level
    its kind requires."""
    pm = places.to_crs(crs).geometry.representative_point()
    x, y = pm.x.to_numpy(), pm.y.to_numpy()
    need = np.array([level or levels.get(k, "detect") for k in places["kind"]], dtype=object)
    out = np.zeros(len(places), dtype=bool)
    for lv in dori.LEVELS:
        these = need == lv
        if these.any():
            out[these] = points_covered(x[these], y[these], seen.at(lv))
    return out


def place_kind_coverage(conn: Connection, scope: Scope, at: dt.date, *, planned: bool = False,
                        extra: pd.DataFrame | None = None, off: Sequence[str] = ()) -> pd.DataFrame:
    """Per key-place kind, for the places inside ``scope``: places, the level the kind requires, covered
    (seen at that level), covered %, the share seen at each DORI level (``detect_pct`` ..), target %, gap %."""
    columns = ["kind", "places", "required_level", "covered", "covered_pct", *[f"{lv}_pct" for lv in dori.LEVELS],
               "target_pct", "gap_pct"]
    places = features.places(conn, scope)
    if places.empty:
        return pd.DataFrame(columns=columns)
    crs = metric_crs_of(places)
    seen = views.camera_views(conn, cameras_on(conn, scope, at, planned=planned, extra=extra, off=off), crs)
    goals = targets(conn, scope)
    levels = required_levels(goals)
    places["seen"] = _places_seen(places, seen, crs, levels)
    for lv in dori.LEVELS:
        places[lv] = _places_seen(places, seen, crs, levels, level=lv)
    table = places.groupby("kind").agg(places=("seen", "size"), covered=("seen", "sum"),
                                       **{f"{lv}_pct": (lv, "mean") for lv in dori.LEVELS}).reset_index()
    table["required_level"] = table["kind"].map(lambda k: levels.get(k, "detect"))
    table["covered_pct"] = (table["covered"] / table["places"] * 100).round(2)
    for lv in dori.LEVELS:
        table[f"{lv}_pct"] = (table[f"{lv}_pct"] * 100).round(2)
    _against_targets(table, goals, "place_kind", "kind", "covered_pct")
    return table[columns]
