"""Hot-spot analysis of the stored incidents: reads from the daily rollup (and, for the
kernel density, the incident points), computes with :mod:`geo.core`, returns one row per area.

Columns always include ``code, name, name_en, n_incidents, per_1000, per_km2``; each method adds
its own: ``gi_z, gi_p, gi_class`` (gistar), ``lisa_i, lisa_q, lisa_p`` (lisa), ``kde_mean`` (kde,
incidents per km²), ``emerging_class`` (emerging), ``n_last_year, yoy_pct, yoy_p, small`` (yoy:
against the same days a year before; pop: against the period of the same length just before;
``n_last_year`` is the earlier period's count either way, the test ``geo.core.trends.poisson_change``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from geo.core.crs import metric_crs_of, to_metric
from geo.core.density import Surface, default_bandwidth, kde
from geo.core.emerging import emerging
from geo.core.hotspots import gi_hot_spots, local_moran
from geo.core.timeutil import period_before, year_before
from geo.core.trends import poisson_change
from geo.core.weights import distance_band, queen
from geo.store import features, filters
from geo.store.areas import CODE_COLUMNS
from geo.store.frames import to_frame
from geo.store.models import IncidentDaily
from geo.store.scope import Scope
from geo.store.queries import counts_by_area
from geo.store.schema import deployment_timezone

DAILY = IncidentDaily.__table__
METHODS = ("gistar", "lisa", "kde", "emerging", "yoy", "pop", "count")  # in the order a reader is offered them
EARLIER = {"yoy": year_before, "pop": period_before}  # a change method -> the period it compares with
KDE_CELLS_PER_BANDWIDTH = 4  # grid cells per bandwidth: smooth enough, small enough
STEPS = ("week", "month")


@dataclass
class Options:
    categories: Sequence[str] | None = None
    neighbours: str = "queen"  # or "distance:METRES"
    fdr: bool = False
    bandwidth_m: float | None = None
    kernel: str = "quartic"
    step: str = "week"
    extra: dict = field(default_factory=dict)


def _areas(conn: Connection, scope: Scope, level: str) -> gpd.GeoDataFrame:
    gdf = features.areas_within(conn, scope, level)
    return gdf.reset_index(drop=True)


def weights_for(areas: gpd.GeoDataFrame, neighbours: str):
    """Queen contiguity, or a distance band between centroids (``distance:METRES``)."""
    if neighbours == "queen":
        return queen(areas.geometry.values)
    if neighbours.startswith("distance:"):
        metres = float(neighbours.split(":", 1)[1])
        if metres <= 0:
            raise ValueError("the distance band must be a positive number of metres")
        crs = metric_crs_of(areas)
        cent = areas.to_crs(crs).geometry.centroid
        return distance_band(cent.x.to_numpy(), cent.y.to_numpy(), metres)
    raise ValueError(f"unknown neighbours {neighbours!r}: queen or distance:METRES")


@dataclass(frozen=True)
class Result:
    """One analysis: its ``table`` (one row per area) and, for ``kde``, the density ``surface`` the
    table's means were taken from, in the metric ``crs`` (computed once, for the map and the table)."""

    table: gpd.GeoDataFrame
    surface: Surface | None = None
    crs: str | None = None


def run(conn: Connection, scope: Scope, level: str, method: str, start: dt.date, end: dt.date,
        options: Options | None = None) -> gpd.GeoDataFrame:
    """One row per area of ``level`` inside ``scope`` with the method's columns (see the module docstring)."""
    return analyse(conn, scope, level, method, start, end, options).table


def analyse(conn: Connection, scope: Scope, level: str, method: str, start: dt.date, end: dt.date,
            options: Options | None = None) -> Result:
    """:func:`run`, with the density surface of a ``kde`` kept (:class:`Result`).

    Neighbours, densities and significance are computed from the areas and incidents inside the scope.
    """
    options = options or Options()
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}: {', '.join(METHODS)}")
    areas = _areas(conn, scope, level)
    counts, _ = counts_by_area(conn, scope, level, start, end, options.categories)
    table = areas[["code", "geometry"]].merge(counts, on="code", how="left")
    table["n_incidents"] = table["n_incidents"].fillna(0).astype(int)
    y = table["n_incidents"].to_numpy(dtype=float)
    surface = crs = None
    if method in ("gistar", "lisa", "emerging"):
        w = weights_for(areas, options.neighbours)
    if method == "gistar":
        z, p, classes = gi_hot_spots(y, w, fdr=options.fdr)
        table["gi_z"], table["gi_p"], table["gi_class"] = z.round(6), p.round(8), classes
    elif method == "lisa":
        local_i, quad, p = local_moran(y, w)
        table["lisa_i"], table["lisa_q"], table["lisa_p"] = local_i.round(6), quad, p
    elif method == "kde":
        surface, crs = density_surface(conn, scope, start, end, options, areas)
        table["kde_mean"] = mean_per_area(surface, areas.to_crs(crs).geometry.values).round(3)
    elif method == "emerging":
        cube, _ = cell_cube(conn, scope, level, start, end, options.step, options.categories, table["code"].tolist())
        cats, _ = emerging(cube, w)
        table["emerging_class"] = cats
    elif method in EARLIER:
        table = changes(conn, scope, level, EARLIER[method](start, end), table, options)
    return Result(gpd.GeoDataFrame(table, geometry="geometry", crs=areas.crs), surface, crs)


def changes(conn: Connection, scope: Scope, level: str, earlier: tuple[dt.date, dt.date], table: pd.DataFrame,
            options: Options) -> pd.DataFrame:
    """``table`` (per area, with ``n_incidents``) with the ``earlier`` period's count (``n_last_year``) and
    the Poisson test of the change (``yoy_pct``, ``yoy_p``, ``small``: too few incidents to trust)."""
    before, _ = counts_by_area(conn, scope, level, *earlier, options.categories)
    table = table.assign(n_last_year=table["code"].map(before.set_index("code")["n_incidents"]).fillna(0).astype(int))
    tests = [poisson_change(a, b) for a, b in zip(table["n_incidents"], table["n_last_year"])]
    return table.assign(yoy_pct=[c for c, _, _ in tests], yoy_p=[round(p, 6) for _, p, _ in tests],
                        small=[s for _, _, s in tests])


def density_surface(conn: Connection, scope: Scope, start: dt.date, end: dt.date, options: Options,
                    areas: gpd.GeoDataFrame) -> tuple[Surface, str]:
    """The KDE surface of the period's incidents inside ``scope`` (metric CRS) over the areas' extent."""
    pts = features.incident_points(conn, scope, start, end, deployment_timezone(conn), categories=options.categories)
    crs = metric_crs_of(areas)
    extent = areas.to_crs(crs).total_bounds
    if pts.empty:
        cell = 100.0
        shape = (max(1, int((extent[3] - extent[1]) / cell)), max(1, int((extent[2] - extent[0]) / cell)))
        return Surface(np.zeros(shape), extent[0], extent[1], cell), crs
    x, y = to_metric(pts["lon"], pts["lat"], crs)
    h = options.bandwidth_m or default_bandwidth(x, y)
    return kde(x, y, h, h / KDE_CELLS_PER_BANDWIDTH, bounds=tuple(extent), name=options.kernel), crs


def mean_per_area(surface: Surface, polygons_m: np.ndarray) -> np.ndarray:
    """Mean of the surface over each polygon (grid-cell centres inside it; its centroid if none)."""
    rows, cols = surface.values.shape
    cx = surface.x0 + (np.arange(cols) + 0.5) * surface.cell
    cy = surface.y0 + (np.arange(rows) + 0.5) * surface.cell
    gx, gy = np.meshgrid(cx, cy)
    gx, gy, gv = gx.ravel(), gy.ravel(), surface.values.ravel()
    tree = shapely.STRtree(shapely.points(gx, gy))
    out = np.zeros(len(polygons_m))
    poly_idx, pt_idx = tree.query(polygons_m, predicate="contains")
    sums = np.bincount(poly_idx, weights=gv[pt_idx], minlength=len(polygons_m))
    n = np.bincount(poly_idx, minlength=len(polygons_m))
    out[n > 0] = sums[n > 0] / n[n > 0]
    empty = np.flatnonzero(n == 0)
    if len(empty):
        c = shapely.centroid(polygons_m[empty])
        out[empty] = np.nan_to_num(surface.at(shapely.get_x(c), shapely.get_y(c)))
    return out


def cell_cube(conn: Connection, scope: Scope, level: str, start: dt.date, end: dt.date, step: str,
              categories: Sequence[str] | None, codes: list[str]) -> tuple[np.ndarray, list[dt.date]]:
    """Counts inside ``scope`` per area (rows, in ``codes`` order) and step (columns: weeks from
    Monday, or months)."""
    if step not in STEPS:
        raise ValueError(f"unknown step {step!r}: week or month")
    d = DAILY.c
    key = d[CODE_COLUMNS[level]]
    stmt = select(key, d.day, func.sum(d.n)).where(
        filters.rows(DAILY, scope, days=(start, end), categories=categories)).group_by(key, d.day)
    frame = to_frame(conn.execute(stmt), ["code", "day", "n"])
    days = pd.to_datetime(frame["day"])
    period = "W-SUN" if step == "week" else "M"
    frame["step"] = days.dt.to_period(period).dt.start_time
    steps = pd.period_range(pd.Timestamp(start), pd.Timestamp(end), freq=period).start_time
    cube = frame.pivot_table(index="code", columns="step", values="n", aggfunc="sum", fill_value=0)
    cube = cube.reindex(index=codes, columns=steps, fill_value=0)
    return cube.to_numpy(dtype=float), [d.date() for d in steps]


def backtest(conn: Connection, scope: Scope, level: str, train_start: dt.date, test_start: dt.date, test_end: dt.date,
             options: Options | None = None) -> pd.DataFrame:
    """Weekly backtest of the forecast methods (see :func:`geo.core.forecast.backtest`).

    Methods: ``baseline`` (last week's counts), ``kde`` (quartic density of all incidents before
    the tested week, mean per cell) and ``near_repeat`` (self-exciting score). Weeks start on
    Monday; ``train_start`` .. the week before ``test_start`` is the first history.
    """
    from geo.core.forecast import backtest as run_backtest
    from geo.core.forecast import baseline, near_repeat
    from geo.core.weights import row_standardise

    options = options or Options()
    areas = _areas(conn, scope, level)
    codes = areas["code"].tolist()
    cube, steps = cell_cube(conn, scope, level, train_start, test_end, "week", options.categories, codes)
    first_test = next((i for i, s in enumerate(steps) if s >= test_start), len(steps))
    crs = metric_crs_of(areas)
    metric = areas.to_crs(crs)
    area = metric.area.to_numpy()
    w = row_standardise(queen(areas.geometry.values))
    pts = features.incident_points(conn, scope, train_start, test_end, deployment_timezone(conn),
                                   categories=options.categories)
    px, py = to_metric(pts["lon"], pts["lat"], crs)
    local_day = pts["occurred_at"].dt.tz_convert(deployment_timezone(conn)).dt.date.to_numpy()
    bandwidth = options.bandwidth_m or 300.0
    extent = tuple(metric.total_bounds)
    polygons = metric.geometry.values

    def kde_score(history: np.ndarray, step: int) -> np.ndarray:
        before = local_day < steps[step]
        if not before.any():
            return np.zeros(len(codes))
        surface = kde(px[before], py[before], bandwidth, bandwidth / KDE_CELLS_PER_BANDWIDTH, bounds=extent)
        return mean_per_area(surface, polygons)

    scorers = {"baseline": lambda h, s: baseline(h), "kde": kde_score,
               "near_repeat": lambda h, s: near_repeat(h, w)}
    return run_backtest(cube, area, first_test, scorers)
