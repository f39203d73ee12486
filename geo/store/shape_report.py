"""The figures of a report for a drawn shape (a polygon, or a point and a radius): the same figures
as an area report (:mod:`geo.store.reports`), for the part of the shape inside the account's scope.

Every count is read from the store through the reader's :class:`~geo.store.scope.Scope` (a required
argument): the shape is first cut to the scope's area (:func:`clip_to_scope`), so a leader of one
street who draws over two streets gets their street's part, and a shape wholly outside is refused.
Incidents are counted exactly: the grid cells wholly inside the shape from the rollups, the cells
the shape's edge crosses (and incidents outside every cell) point by point.

A shape smaller than a grid cell gets the shared screens' small-count rules
(:func:`geo.core.shape_privacy.protect_small_shape`): see that module for what is hidden.
"""

from __future__ import annotations

import datetime as dt
from typing import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import func, or_, select
from sqlalchemy.engine import Connection

from geo.core.crs import STORAGE_CRS
from geo.core.hotspots import hot_cells, is_hot
from geo.core.privacy import PUBLIC_K
from geo.core.shape_privacy import protect_small_shape
from geo.core.shapes import ShapeRefused, area_m2
from geo.core.timeutil import period_before, year_before
from geo.store import features, filters, ledger
from geo.store.frames import to_frame
from geo.store.models import Incident
from geo.store.reports import _change, campaign_indicators, ledger_figures
from geo.store.rollup import period_counts
from geo.store.schema import deployment_timezone
from geo.store.scope import Scope, require

INCIDENTS = Incident.__table__
LEVELS = ("community", "street", "district")  # the areas a campaign may name, smallest first


def scope_region(conn: Connection, scope: Scope):
    """The area of ``scope`` as one WGS 84 geometry (the union of the districts for the whole
    jurisdiction); None when the store holds no such area."""
    require(scope)
    if scope.everything:
        districts = features.areas_within(conn, scope, "district")
        return None if districts.empty else shapely.union_all(np.asarray(districts.geometry.values))
    outline = features.area_shape(conn, scope, scope.code)
    return None if outline.empty else outline.geometry.iloc[0]


def clip_to_scope(conn: Connection, scope: Scope, shape) -> tuple[object, bool]:
    """``(the part of shape inside the scope's area, whether anything was cut off)``;
    :class:`ShapeRefused` when no part of it lies inside."""
    region = scope_region(conn, scope)
    if region is None:
        raise ShapeRefused("no_scope_area")
    part = shapely.intersection(shapely.make_valid(region), shape)
    part = shapely.make_valid(part)
    polys = [g for g in getattr(part, "geoms", [part]) if g.geom_type in ("Polygon", "MultiPolygon") and not g.is_empty]
    part = shapely.union_all(polys) if polys else None
    if part is None or part.is_empty or part.area <= shape.area * 1e-9:
        raise ShapeRefused("outside")
    return part, part.area < shape.area * (1 - 1e-9)


def _edge_points(conn: Connection, scope: Scope, edge: list[str], shape, first: dt.date, last: dt.date,
                 categories: Sequence[str] | None) -> pd.DataFrame:
    """Incidents of local days first..last in the cells ``edge`` (and outside every cell) that lie in
    ``shape``: category, cell_code, day."""
    c = INCIDENTS.c
    where = [filters.rows(INCIDENTS, scope, days=(first, last), tz=deployment_timezone(conn), categories=categories),
             c.occurred_on.between(first, last)]
    places = [c.cell_code.is_(None), c.cell_code == ""]
    if edge:
        places.append(c.cell_code.in_(edge))
    stmt = select(c.category, c.cell_code, c.occurred_on, c.geom).where(*where, or_(*places))
    frame = to_frame(conn.execute(stmt), ["category", "cell_code", "day", "geom"])
    if frame.empty:
        return frame.drop(columns="geom")
    geoms = np.asarray(frame.pop("geom").to_numpy(), dtype=object)
    shapely.prepare(shape)
    inside = shapely.covers(shape, geoms)
    frame = frame[inside].copy()
    frame["cell_code"] = frame["cell_code"].fillna("")
    frame["day"] = pd.to_datetime(frame["day"]).dt.date
    return frame


def _covering_area(conn: Connection, scope: Scope, shape) -> list[str]:
    """The smallest area inside the scope holding the whole shape, and its ancestors (for the campaigns
    that concern the shape); the scope's own area and above when none below it does."""
    from geo.store.reports import _ancestors

    for level in LEVELS:
        areas = features.areas_within(conn, scope, level)
        if areas.empty:
            continue
        holds = shapely.covers(shapely.buffer(np.asarray(areas.geometry.values), 1e-9), shape)
        if holds.any():
            return _ancestors(conn, str(areas["code"].to_numpy()[holds][0]))
    return [] if scope.everything else _ancestors(conn, scope.code)


def shape_report_data(conn: Connection, scope: Scope, shape, start: dt.date, end: dt.date, today: dt.date, *,
                      categories: Sequence[str] | None = None, with_ledger: bool = True, k: int = PUBLIC_K,
                      name: str = "", configured_epsg: int | None = None) -> dict:
    """Everything a shape report shows, in the form of :func:`geo.store.reports.report_data` (so
    :mod:`geo.report.area_report` prints it), plus ``shape``: kind-free facts about the cut shape
    (``area_m2``, ``clipped``, ``small``, ``cell_m2``) and ``k``.

    ``shape``: a checked WGS 84 polygon (:mod:`geo.core.shapes`); ``categories``: incidents of these
    only (None: every category; the ledger is not filtered by them); ``with_ledger=False`` leaves
    every ledger figure out."""
    require(scope)
    if end < start:
        raise ValueError(f"the period ends ({end}) before it starts ({start})")
    part, clipped = clip_to_scope(conn, scope, shape)
    cats_filter = list(categories) if categories else None

    cells = features.areas_within(conn, scope, "grid")
    geoms = np.asarray(cells.geometry.values, dtype=object)
    touched = shapely.intersects(geoms, part) & ~shapely.touches(geoms, part) if len(cells) else np.zeros(0, bool)
    cells = cells[touched].reset_index(drop=True)
    inner = shapely.covers(part, np.asarray(cells.geometry.values, dtype=object)) if len(cells) else np.zeros(0, bool)
    inner_codes = set(cells.loc[inner, "code"])
    edge_codes = sorted(set(cells["code"]) - inner_codes)

    spans = {"period": (start, end), "last_year": year_before(start, end)}
    d28 = (end - dt.timedelta(days=27), end)
    spans.update({"d28": d28, "prev28": period_before(*d28), "d28_last_year": year_before(*d28)})
    first, last = min(a for a, _ in spans.values()), max(b for _, b in spans.values())
    points = _edge_points(conn, scope, edge_codes, part, first, last, cats_filter)

    def counted(a: dt.date, b: dt.date) -> pd.DataFrame:
        d = period_counts(scope, a, b, categories=cats_filter).c
        rolled = to_frame(conn.execute(select(d.category, d.cell_code, func.sum(d.n).label("n"))
                                       .group_by(d.category, d.cell_code)), ["category", "cell_code", "n"])
        rolled = rolled[rolled["cell_code"].isin(inner_codes)]
        pts = points[(points["day"] >= a) & (points["day"] <= b)]
        edge = pts.groupby(["category", "cell_code"]).size().reset_index(name="n")
        out = pd.concat([rolled, edge], ignore_index=True)
        out["n"] = out["n"].astype(int)
        return out.groupby(["category", "cell_code"], as_index=False)["n"].sum()

    period, last_year = counted(*spans["period"]), counted(*spans["last_year"])
    n = {"period": int(period["n"].sum()), "period_last_year": int(last_year["n"].sum())}
    n.update({key: int(counted(*spans[key])["n"].sum()) for key in ("d28", "prev28", "d28_last_year")})
    n["yoy_pct"] = _change(n["period"], n["period_last_year"])
    n["d28_vs_prev_pct"] = _change(n["d28"], n["prev28"])
    n["d28_yoy_pct"] = _change(n["d28"], n["d28_last_year"])

    cats = pd.DataFrame({"n": period.groupby("category")["n"].sum(),
                         "last_year": last_year.groupby("category")["n"].sum()}).fillna(0).astype(int)
    cats["change_pct"] = [_change(a, b) for a, b in zip(cats["n"], cats["last_year"])]
    cats = cats.sort_values("n", ascending=False).reset_index(names="category")

    cells = cells.copy()
    cells["geometry"] = shapely.intersection(np.asarray(cells.geometry.values, dtype=object), part)
    cells = gpd.GeoDataFrame(cells, geometry="geometry", crs=STORAGE_CRS)
    cells["n"] = cells["code"].map(period.groupby("cell_code")["n"].sum()).fillna(0).astype(int)
    cells["class"] = hot_cells(cells["n"].to_numpy(dtype=float), cells.geometry.values)[2] if len(cells) >= 3 \
        else "ns"
    hot = cells[is_hot(cells["class"])].sort_values("n", ascending=False)[["code", "name", "n", "class"]]

    items = ledger.items(conn, scope, today)
    if len(items):
        items = items[shapely.covers(part, np.asarray(items.geometry.values, dtype=object))]
    history = ledger.events(conn, scope)
    if not with_ledger:
        items, history = items.iloc[0:0], history.iloc[0:0]
    history = history[history["item_id"].isin(items["id"])]
    led, units, open_items = ledger_figures(items, history, start, end, today)

    cell_m2 = [area_m2(g, configured_epsg) for g in features.areas_within(conn, scope, "grid")
               .set_index("code").loc[sorted(set(cells["code"]))].geometry] if len(cells) else []
    size = area_m2(part, configured_epsg)
    facts = {"area_m2": size, "clipped": clipped, "cell_m2": float(np.median(cell_m2)) if cell_m2 else None}
    facts["small"] = facts["cell_m2"] is None or size < facts["cell_m2"]
    data = {"area": {"code": "shape", "name": name, "level": "shape"}, "start": start, "end": end, "today": today,
            "d28": d28, "counts": n, "categories": cats, "cells": cells, "hot": hot.reset_index(drop=True),
            "ledger": led, "units": units, "open_items": open_items,
            "indicators": campaign_indicators(conn, scope, _covering_area(conn, scope, part), start, end, today),
            "outline": gpd.GeoDataFrame({"code": ["shape"]}, geometry=[part], crs=STORAGE_CRS),
            "shape": facts, "k": k, "categories_filter": tuple(cats_filter or ())}
    if facts["small"]:
        data = protect_small_shape(data, k)
    data["categories"] = data["categories"].head(10)
    return data
