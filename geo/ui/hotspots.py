"""The hotspots page's work: run the chosen method (cached per scope), map it, export it."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from geo.core.classify import DIVERGING, SEQUENTIAL, classify, diverging
from geo.core.emerging import CATEGORIES
from geo.core.timeutil import year_before
from geo.core.trends import poisson_change
from geo.maps.layers import png_overlay
from geo.maps.views import class_map, measure_map
from geo.report import safefiles
from geo.store import analysis
from geo.ui import config, data
from geo.ui.filters import Filters, area_name
from geo.ui.downloads import offer
from geo.ui.i18n import current_language, relabelled, t
from geo.ui.markup import plain

METHODS = ("gistar", "lisa", "kde", "emerging", "yoy", "pop", "count")
LEVEL_KEY, METHOD_KEY, CONF_KEY, FDR_KEY = "hot.level", "hot.method", "hot.confidence", "hot.fdr"
NEIGHBOURS_KEY, BANDWIDTH_KEY, STEP_KEY, KERNEL_KEY = "hot.neighbours", "hot.bandwidth", "hot.step", "hot.kernel"
GI_CLASSES = ("hot_99", "hot_95", "hot_90", "ns", "cold_90", "cold_95", "cold_99")
LISA_CLASSES = ("1", "2", "3", "4")
MAP_HEIGHT = 600


@st.cache_data(ttl=data.TTL_SECONDS, show_spinner=False)
def _run(url, scope, level, method, start, end, cats, neighbours, fdr, bandwidth, step, under, kernel):
    with data.reading(url, scope) as (conn, s):
        inside = s.narrow(conn, under)
        options = analysis.Options(categories=list(cats) or None, neighbours=neighbours, fdr=fdr,
                                   bandwidth_m=bandwidth, step=step, kernel=kernel)
        table = analysis.run(conn, inside, level, method if method not in ("yoy", "pop") else "count", start, end,
                             options)
        if method == "kde":
            surface, crs = analysis.density_surface(conn, inside, start, end, options, table)
            return table, surface, crs
        if method in ("yoy", "pop"):
            length = end - start + dt.timedelta(days=1)
            earlier = year_before(start, end) if method == "yoy" else (start - length, start - dt.timedelta(days=1))
            before = analysis.run(conn, inside, level, "count", *earlier, options)
            table = table.merge(before[["code", "n_incidents"]].rename(columns={"n_incidents": "n_last_year"}),
                                on="code", how="left")
            tests = [poisson_change(a, b) for a, b in zip(table["n_incidents"], table["n_last_year"].fillna(0))]
            table["yoy_pct"] = [c for c, _, _ in tests]
            table["yoy_p"] = [round(p, 6) for _, p, _ in tests]
            table["small"] = [s for _, _, s in tests]
        return table, None, None


def run(level: str, method: str, filters: Filters, neighbours: str, fdr: bool, bandwidth: float | None,
        step: str, under: str | None, kernel: str = "quartic"):
    return _run(*data._key(), level, method, filters.start, filters.end, tuple(filters.categories), neighbours, fdr,
                bandwidth, step, under, kernel)


def controls() -> dict:
    method = st.segmented_control(t("hot.method"), METHODS, key=relabelled(METHOD_KEY), default="gistar",
                                  format_func=lambda m: t(f"hot.method.{m}")) or "gistar"
    b, c = st.columns(2)
    level = b.selectbox(t("hot.level"), ("grid", "community", "street"), key=relabelled(LEVEL_KEY),
                        format_func=lambda lv: t(f"level.{lv}"))
    confidence = c.selectbox(t("hot.confidence"), (90, 95, 99), index=1, key=CONF_KEY,
                             format_func=lambda v: f"{v} %")
    d, e, f = st.columns([2, 2, 3])
    fdr = d.toggle(t("hot.fdr"), key=FDR_KEY)
    neighbours = e.text_input(t("hot.neighbours"), value="queen", key=NEIGHBOURS_KEY,
                              help=t("hot.neighbours.help")).strip() or "queen"
    bandwidth = f.number_input(t("hot.bandwidth"), min_value=0, max_value=5000, value=0, step=50,
                               key=BANDWIDTH_KEY, help=t("hot.bandwidth.help"))
    step = "month" if method == "emerging" and st.toggle(t("hot.monthly"), key=STEP_KEY) else "week"
    kernel = st.radio(t("hot.kernel"), ("quartic", "gaussian"), key=relabelled(KERNEL_KEY), horizontal=True,
                      format_func=lambda k: t(f"hot.kernel.{k}")) if method == "kde" else "quartic"
    return {"method": method, "level": level, "confidence": confidence, "fdr": fdr, "neighbours": neighbours,
            "bandwidth": float(bandwidth) or None, "step": step, "kernel": kernel}


def _labels(table: pd.DataFrame) -> list[str]:
    return [area_name(r) for r in table[["code", "name", "name_en"]].to_dict("records")]


def show(choice: dict, filters: Filters, under: str | None) -> pd.DataFrame | None:
    """Run and draw; returns the table for the ranking and the export (None on bad input)."""
    try:
        table, surface, crs = run(choice["level"], choice["method"], filters, choice["neighbours"], choice["fdr"],
                                  choice["bandwidth"], choice["step"], under, choice["kernel"])
    except ValueError as exc:
        st.error(plain(exc))
        return None
    table = table.copy()
    table["label"] = _labels(table)
    method = choice["method"]
    tips = {"label": t("field.name"), "code": t("field.code"), "n": t("measure.n_incidents")}
    table["n"] = table["n_incidents"].astype(str)
    outline = data.outline(under) if under else None
    labels = {"measure": t(f"hot.method.{method}"), "outline": t("grid.outline"), "fullscreen": t("map.fullscreen"),
              "fullscreen_exit": t("map.fullscreen_exit")}
    if method == "gistar":
        keep = {90: GI_CLASSES, 95: ("hot_99", "hot_95", "cold_95", "cold_99"), 99: ("hot_99", "cold_99")}
        table["shown"] = [c if c in keep[choice["confidence"]] else "ns" for c in table["gi_class"]]
        table["z"] = table["gi_z"].map(lambda v: f"{v:+.2f}")
        fmap = class_map(table, "shown", labels, class_labels={c: t(f"hot.class.{c}") for c in GI_CLASSES},
                         tooltip_fields={**tips, "z": "Gi* z"}, outline=outline, basemap=config.basemap())
    elif method == "lisa":
        alpha = 1 - choice["confidence"] / 100
        table["shown"] = [str(q) if p < alpha else "ns" for q, p in zip(table["lisa_q"], table["lisa_p"])]
        fmap = class_map(table, "shown", labels,
                         class_labels={**{q: t(f"hot.lisa.{q}") for q in LISA_CLASSES}, "ns": t("hot.class.ns")},
                         tooltip_fields=tips, outline=outline, basemap=config.basemap())
    elif method == "emerging":
        fmap = class_map(table, "emerging_class", labels,
                         class_labels={c: t(f"hot.emerging.{c}") for c in CATEGORIES},
                         tooltip_fields=tips, outline=outline, basemap=config.basemap())
    else:
        column = {"kde": "kde_mean", "yoy": "yoy_pct", "pop": "yoy_pct", "count": "n_incidents"}[method]
        values = pd.to_numeric(table[column], errors="coerce").to_numpy(dtype=float)
        change = method in ("yoy", "pop")
        classes = diverging(values, colors=DIVERGING) if change else classify(values, colors=SEQUENTIAL)
        fmt = "{:+.0f}%" if change else ("{:,.1f}" if method == "kde" else "{:,.0f}")
        table["value"] = ["—" if np.isnan(v) else fmt.format(v) for v in values]
        if change:
            table["value"] = [v + (" *" if p < 1 - choice["confidence"] / 100 else "") + (" (!)" if s else "")
                              for v, p, s in zip(table["value"], table["yoy_p"], table["small"])]
        fmap = measure_map(table, classes, labels, tooltip_fields={**tips, "value": t(f"hot.method.{method}")},
                           legend_labels=classes.labels(fmt), outline=outline, basemap=config.basemap(),
                           overlay=_overlay(surface, crs) if surface is not None else None,
                           fill_opacity=0.08 if surface is not None else 0.75)  # the surface shows through
    st_folium(fmap, key=f"hot.map.{method}.{choice['level']}.{current_language()}", height=MAP_HEIGHT,
              use_container_width=True, returned_objects=[])
    if method in ("yoy", "pop"):
        st.caption(t("hot.yoy.note"))
    return table


def _overlay(surface, crs):
    """The density surface as an image over its extent (corners taken to WGS 84)."""
    minx, miny, maxx, maxy = surface.bounds
    corners = gpd.GeoSeries(gpd.points_from_xy([minx, maxx], [miny, maxy]), crs=crs).to_crs(4326)
    return png_overlay(surface.values, (corners.x.min(), corners.y.min(), corners.x.max(), corners.y.max()),
                       t("hot.kde.surface"))


def export(table: pd.DataFrame, method: str) -> None:
    """CSV, GeoJSON and Excel downloads of the table (code first; formulas defused)."""
    columns = [c for c in ["code", "name", "name_en", "n_incidents", "per_1000", "per_km2", "gi_z", "gi_p", "gi_class",
                           "lisa_i", "lisa_q", "lisa_p", "kde_mean", "emerging_class", "n_last_year", "yoy_pct",
                           "yoy_p", "small"] if c in table]
    flat = pd.DataFrame(table[columns])
    sort = {"gistar": "gi_z", "lisa": "lisa_i", "kde": "kde_mean", "yoy": "yoy_pct",
            "pop": "yoy_pct"}.get(method, "n_incidents")
    st.dataframe(flat.sort_values(sort, ascending=False, na_position="last"), hide_index=True, width="stretch",
                 height=300)
    a, b, c = st.columns(3)
    geo = gpd.GeoDataFrame(table[columns + ["geometry"]], geometry="geometry", crs=4326)
    files = [(a, "csv", safefiles.csv_bytes(flat)), (b, "geojson", geo.to_json(drop_id=True)),
             (c, "xlsx", safefiles.xlsx_bytes(flat))]
    for col, kind, payload in files:
        offer(t(f"hot.export.{kind}"), payload, f"hotspots_{method}.{kind}", key=f"hot.export.{kind}",
              what=f"hotspots:{method}", rows=len(flat), where=col)


@st.cache_data(ttl=data.TTL_SECONDS, show_spinner=False)
def _backtest(url, scope, level, train_start, test_start, test_end, cats, under):
    with data.reading(url, scope) as (conn, s):
        return analysis.backtest(conn, s.narrow(conn, under), level, train_start, test_start, test_end,
                                 analysis.Options(categories=list(cats) or None))


def backtest_section(level: str, filters: Filters, under: str | None) -> None:
    """Weekly backtest: the last quarter of the period is predicted week by week from what came before."""
    with st.expander(t("hot.backtest")):
        span = (filters.end - filters.start).days
        test_start = filters.start + dt.timedelta(days=int(span * 0.75))
        test_start -= dt.timedelta(days=test_start.weekday())  # a Monday
        st.caption(t("hot.backtest.caption", train=filters.start, test=test_start, end=filters.end))
        if span < 28:
            st.info(t("hot.backtest.short"))
            return
        if st.button(t("hot.backtest.run"), key="hot.backtest.run"):
            table = _backtest(*data._key(), level, filters.start, test_start, filters.end, tuple(filters.categories),
                              under)
            shown = table.assign(method=table["method"].map(lambda m: t(f"hot.forecast.{m}")),
                                 share=(table["share"] * 100).round().astype(int).astype(str) + " %")
            st.dataframe(shown.rename(columns={"method": t("hot.backtest.method"), "share": t("hot.backtest.share"),
                                               "hit_rate": t("hot.backtest.hit"), "pai": "PAI",
                                               "area_share": t("hot.backtest.area"), "steps": t("hot.backtest.weeks")}),
                         hide_index=True, width="stretch")


@st.cache_data(ttl=data.TTL_SECONDS, show_spinner=False)
def _rhythm(url, scope, code, start, end, cats):
    from geo.core.trends import hour_weekday_table
    from geo.store import features
    from geo.store.schema import deployment_timezone

    with data.reading(url, scope) as (conn, s):
        if not s.contains(conn, code):
            return None
        tz = deployment_timezone(conn)
        pts = features.incident_points(conn, s.narrow(conn, code), start, end, tz, categories=list(cats) or None)
    return hour_weekday_table(pts["occurred_at"].dt.tz_convert(tz).dt.tz_localize(None))


def area_section(table: pd.DataFrame, filters: Filters) -> None:
    """One area's card: its monthly series and its hour-of-day x weekday rhythm."""
    codes = table.sort_values("n_incidents", ascending=False)["code"].tolist()
    if not codes:
        return
    names = dict(zip(table["code"], table["label"]))
    code = st.selectbox(t("hot.card.area"), codes, key="hot.card.code", format_func=lambda c: f"{names[c]} · {c}")
    card = data.card(code, filters.start, filters.end, filters.categories)
    rhythm = _rhythm(*data._key(), code, filters.start, filters.end, tuple(filters.categories))
    if card is None or rhythm is None:
        st.warning(t("card.unknown", code=plain(code)))
        return
    left, right = st.columns([1, 1.4])
    with left:
        st.markdown(f"**{t('card.monthly')}**")
        monthly = card["monthly"].rename(columns={"month": t("card.month"), "n": t("card.incidents")})
        st.line_chart(monthly, x=t("card.month"), y=t("card.incidents"), height=220)
    with right:
        st.markdown(f"**{t('hot.card.rhythm')}**")
        shown = rhythm.rename(index={i: t(f"weekday.{i}") for i in range(7)})
        st.dataframe(shown, width="stretch",
                     height=300)
