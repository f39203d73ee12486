"""The hotspots page's work: run the chosen method (cached per scope), map it, export it."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import streamlit as st

from geo.core.classify import SEQUENTIAL, change_classes, classify, density_classes
from geo.core.emerging import CATEGORIES
from geo.core.forecast import MIN_BACKTEST_DAYS, backtest_split
from geo.core.hotspots import strongest_first
from geo.maps.layers import CLEAR, png_overlay
from geo.maps.views import class_map, measure_map
from geo.report import safefiles
from geo.store import analysis
from geo.ui import charts, config, data, playback
from geo.ui.filters import Filters, area_name
from geo.ui.downloads import offer
from geo.ui.i18n import labelled, relabelled, t
from geo.ui.mapview import show_cell_map
from geo.ui.markup import plain

METHODS = analysis.METHODS
LEVEL_KEY, METHOD_KEY, CONF_KEY, FDR_KEY = "hot.level", "hot.method", "hot.confidence", "hot.fdr"
NEIGHBOURS_KEY, BANDWIDTH_KEY, STEP_KEY, KERNEL_KEY = "hot.neighbours", "hot.bandwidth", "hot.step", "hot.kernel"
GI_CLASSES = ("hot_99", "hot_95", "hot_90", "ns", "cold_90", "cold_95", "cold_99")
LISA_CLASSES = ("1", "2", "3", "4")
CODED = {"gi_class": "hot.class", "lisa_q": "hot.lisa", "emerging_class": "hot.emerging", "small": "hot.small"}
NEIGHBOURS = ("queen", "distance")
MAP_HEIGHT = 600


@data.loader(show_spinner=False)
def _run(conn, s, level, method, start, end, cats, neighbours, fdr, bandwidth, step, under, kernel):
    inside = s.narrow(conn, under)
    options = analysis.Options(categories=list(cats) or None, neighbours=neighbours, fdr=fdr,
                               bandwidth_m=bandwidth, step=step, kernel=kernel)
    result = analysis.analyse(conn, inside, level, method, start, end, options)
    return result.table, result.surface, result.crs


def run(level: str, method: str, filters: Filters, neighbours: str, fdr: bool, bandwidth: float | None,
        step: str, under: str | None, kernel: str = "quartic"):
    return _run(level, method, filters.start, filters.end, tuple(filters.categories), neighbours, fdr, bandwidth, step,
                under, kernel)


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
    kind = e.selectbox(t("hot.neighbours"), NEIGHBOURS, key=NEIGHBOURS_KEY, help=t("hot.neighbours.help"),
                       format_func=lambda k: t(f"hot.neighbours.{k}"))
    neighbours = "queen"
    if kind == "distance":
        metres = e.number_input(t("hot.neighbours.metres"), min_value=50, max_value=5000, value=800, step=50,
                                key=NEIGHBOURS_KEY + ".m")
        neighbours = f"distance:{int(metres)}"
    bandwidth = f.number_input(t("hot.bandwidth"), min_value=0, max_value=5000, value=0, step=50,
                               key=BANDWIDTH_KEY, help=t("hot.bandwidth.help"))
    step = "month" if method == "emerging" and st.toggle(t("hot.monthly"), key=STEP_KEY) else "week"
    kernel = st.radio(t("hot.kernel"), ("quartic", "gaussian"), key=relabelled(KERNEL_KEY), horizontal=True,
                      format_func=lambda k: t(f"hot.kernel.{k}")) if method == "kde" else "quartic"
    return {"method": method, "level": level, "confidence": confidence, "fdr": fdr, "neighbours": neighbours,
            "bandwidth": float(bandwidth) or None, "step": step, "kernel": kernel, "playback": playback.controls("hot")}


def _labels(table: pd.DataFrame) -> list[str]:
    return [area_name(r) for r in table[["code", "name", "name_en"]].to_dict("records")]


KDE_OPACITY = 0.7  # the density picture and its legend's swatches


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
              "fullscreen_exit": t("map.fullscreen_exit"), "no_data": t("legend.no_data")}
    made = playback.prepare(table, choice["level"], filters, choice["playback"], under=under) \
        if choice.get("playback") else None
    if made:  # incidents per step in place of the method's picture; every step's counts go to the browser
        classes, legend_labels, timeline = made
        fmap = measure_map(table, classes, {**labels, "measure": t("measure.per_step")},
                           tooltip_fields={**tips, "value": t("measure.per_step")}, legend_labels=legend_labels,
                           outline=outline, basemap=config.basemap())
        fmap.timeline = timeline
    elif method == "gistar":
        table["shown"] = shown_classes(table, choice["confidence"])
        table["z"] = table["gi_z"].map(lambda v: f"{v:+.2f}")
        fmap = class_map(table, "shown", labels, class_labels={c: t(f"hot.class.{c}") for c in GI_CLASSES},
                         tooltip_fields={**tips, "z": t("hot.col.gi_z")}, outline=outline, basemap=config.basemap())
    elif method == "lisa":
        table["shown"] = shown_classes(table, choice["confidence"], "lisa")
        fmap = class_map(table, "shown", labels,
                         class_labels={**{q: t(f"hot.lisa.{q}") for q in LISA_CLASSES}, "ns": t("hot.class.ns")},
                         tooltip_fields=tips, outline=outline, basemap=config.basemap())
    elif method == "emerging":
        fmap = class_map(table, "emerging_class", labels,
                         class_labels={c: t(f"hot.emerging.{c}") for c in CATEGORIES},
                         tooltip_fields=tips, outline=outline, basemap=config.basemap())
    elif method in ("yoy", "pop"):
        # fixed classes of change (never below -100 %), "new" where there was nothing before
        classes = change_classes(table["n_incidents"].to_numpy(dtype=float),
                                 table["n_last_year"].fillna(0).to_numpy(dtype=float))
        table["value"] = change_text(table["n_incidents"], table["n_last_year"].fillna(0), table["yoy_p"],
                                     table["small"], choice["confidence"])
        fmap = measure_map(table, classes, labels, tooltip_fields={**tips, "value": t(f"hot.method.{method}")},
                           legend_labels=[t(f"legend.change.{k}") for k in classes.keys], outline=outline,
                           basemap=config.basemap())
    elif method == "kde":
        # the density picture carries the colour: its classes are the legend's, pixel for pixel;
        # the areas are outlines whose tooltips give their mean density
        density = density_classes(surface.values)
        fmt = "{:,.1f}"
        table["value"] = [fmt.format(v) for v in table["kde_mean"]]
        legend_labels = density.labels(fmt) + [t("legend.clear", value=fmt.format(density.lower))]
        fmap = measure_map(table, classify(np.zeros(len(table))), labels,
                           tooltip_fields={**tips, "value": t(f"hot.method.{method}")},
                           legend_labels=legend_labels, legend_colors=list(density.colors) + [CLEAR],
                           legend_opacity=KDE_OPACITY, outline=outline, basemap=config.basemap(),
                           overlay=_overlay(surface, crs, density), fill_opacity=0.0)
    else:
        values = pd.to_numeric(table["n_incidents"], errors="coerce").to_numpy(dtype=float)
        classes = classify(values, colors=SEQUENTIAL)
        table["value"] = ["—" if np.isnan(v) else f"{v:,.0f}" for v in values]
        fmap = measure_map(table, classes, labels, tooltip_fields={**tips, "value": t(f"hot.method.{method}")},
                           legend_labels=classes.labels(), outline=outline, basemap=config.basemap())
    show_cell_map(fmap, key="hot.map", height=MAP_HEIGHT)
    if method in ("yoy", "pop"):
        st.caption(t("hot.yoy.note"))
    return table


def shown_classes(table: pd.DataFrame, confidence: int, method: str = "gistar") -> list[str]:
    """The class each area is shown in at ``confidence`` (%): Gi* classes below it become "ns";
    LISA quadrants count only where significant."""
    if method == "lisa":
        alpha = 1 - confidence / 100
        return [str(q) if p < alpha else "ns" for q, p in zip(table["lisa_q"], table["lisa_p"])]
    keep = {90: GI_CLASSES, 95: ("hot_99", "hot_95", "cold_95", "cold_99"), 99: ("hot_99", "cold_99")}[confidence]
    return [c if c in keep else "ns" for c in table["gi_class"]]


def change_text(now: pd.Series, before: pd.Series, p: pd.Series, small: pd.Series, confidence: int) -> list[str]:
    """A change as a reader takes it: "+12%", "new" where there was nothing before, "—" where neither
    period had any; * marks a significant change, (!) a fragile one."""
    out = []
    for a, b, pv, tiny in zip(now, before, p, small):
        text = "—" if a == 0 and b == 0 else (t("legend.change.new") if b == 0 else f"{(a - b) / b * 100:+.0f}%")
        if b > 0 or a > 0:
            text += (" *" if pv < 1 - confidence / 100 else "") + (" (!)" if tiny else "")
        out.append(text)
    return out


def _overlay(surface, crs, classes):
    """The density surface as an image over its extent (corners taken to WGS 84), coloured by ``classes``."""
    minx, miny, maxx, maxy = surface.bounds
    corners = gpd.GeoSeries(gpd.points_from_xy([minx, maxx], [miny, maxy]), crs=crs).to_crs(4326)
    return png_overlay(surface.values, (corners.x.min(), corners.y.min(), corners.x.max(), corners.y.max()),
                       t("hot.kde.surface"), classes, opacity=KDE_OPACITY)


TABLE_COLUMNS = {  # what the results table shows for each method, after code, name and incidents
    "gistar": ("class", "gi_z", "gi_p"), "lisa": ("class", "lisa_i", "lisa_p"), "kde": ("kde_mean",),
    "emerging": ("class",), "yoy": ("n_last_year", "change", "yoy_p"), "pop": ("n_last_year", "change", "yoy_p"),
    "count": ("per_1000", "per_km2"),
}


DECIMALS = {"gi_z": 2, "lisa_i": 3, "kde_mean": 2, "per_1000": 2, "per_km2": 2, "n_last_year": 0}


def p_text(p: float) -> str:
    """A p-value as a reader takes it: "<0.001" rather than 0 or 1e-08."""
    if p != p:
        return "—"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def results_table(table: pd.DataFrame, method: str, confidence: int = 95) -> pd.DataFrame:
    """The results as a reader scans them: strongest first, headers and classes in words."""
    table = table.assign(shown=shown_classes(table, confidence, "lisa")) if method == "lisa" else table
    ordered = strongest_first(table, method, "shown" if method == "lisa" else None)
    out = pd.DataFrame({t("field.code"): ordered["code"].to_numpy(), t("field.name"): _labels(ordered),
                        t("measure.n_incidents"): ordered["n_incidents"].to_numpy()})
    for column in TABLE_COLUMNS.get(method, ()):
        if column == "class":
            codes = {"gistar": ordered.get("gi_class"), "lisa": ordered.get("shown"),
                     "emerging": ordered.get("emerging_class")}[method]
            prefix = {"gistar": "hot.class", "lisa": "hot.lisa", "emerging": "hot.emerging"}[method]
            values = [t("hot.class.ns") if c == "ns" else t(f"{prefix}.{c}") for c in codes.astype(str)]
        elif column == "change":
            values = change_text(ordered["n_incidents"], ordered["n_last_year"].fillna(0), ordered["yoy_p"],
                                 ordered["small"], confidence)
        elif column in ("gi_p", "lisa_p", "yoy_p"):
            values = [p_text(v) for v in ordered[column]]
        else:
            values = ordered[column].round(DECIMALS.get(column, 3)).to_numpy()
        header = t(f"hot.col.{column}.{method}") if column == "n_last_year" else t(f"hot.col.{column}")
        out[header] = values
    return out


def export(table: pd.DataFrame, method: str, confidence: int = 95) -> None:
    """The results table on screen (strongest first, in words), and CSV, GeoJSON and Excel downloads
    of it (code first, the analysis's own column names; formulas defused)."""
    columns = [c for c in ["code", "name", "name_en", "n_incidents", "per_1000", "per_km2", "gi_z", "gi_p", "gi_class",
                           "lisa_i", "lisa_q", "lisa_p", "kde_mean", "emerging_class", "n_last_year", "yoy_pct",
                           "yoy_p", "small"] if c in table]
    sort = {"gistar": "gi_z", "lisa": "lisa_i", "kde": "kde_mean", "yoy": "yoy_pct",
            "pop": "yoy_pct"}.get(method, "n_incidents")
    flat = pd.DataFrame(table[columns]).sort_values(sort, ascending=False, na_position="last")
    # people read the table and its CSV/Excel copies: headers, classes and names in their language
    readable = flat.assign(name=_labels(flat)).drop(columns=["name_en"], errors="ignore")
    readable = labelled(readable, "hot.col", CODED)
    st.dataframe(results_table(table, method, confidence), hide_index=True, width="stretch", height=300)
    a, b, c = st.columns(3)
    geo = gpd.GeoDataFrame(table[columns + ["geometry"]], geometry="geometry", crs=4326)  # for GIS: codes kept
    files = [(a, "csv", safefiles.csv_bytes(readable)), (b, "geojson", geo.to_json(drop_id=True)),
             (c, "xlsx", safefiles.xlsx_bytes(readable))]
    for col, kind, payload in files:
        offer(t(f"hot.export.{kind}"), payload, f"hotspots_{method}.{kind}", key=f"hot.export.{kind}",
              what=f"hotspots:{method}", rows=len(flat), where=col)


@data.loader(show_spinner=False)
def _backtest(conn, s, level, train_start, test_start, test_end, cats, under):
    return analysis.backtest(conn, s.narrow(conn, under), level, train_start, test_start, test_end,
                             analysis.Options(categories=list(cats) or None))


def backtest_section(level: str, filters: Filters, under: str | None) -> None:
    """Weekly backtest: the last quarter of the period is predicted week by week from what came before."""
    with st.expander(t("hot.backtest")):
        try:
            test_start = backtest_split(filters.start, filters.end)
        except ValueError:
            st.info(t("hot.backtest.short", days=MIN_BACKTEST_DAYS))
            return
        st.caption(t("hot.backtest.caption", train=filters.start, test=test_start, end=filters.end))
        if st.button(t("hot.backtest.run"), key="hot.backtest.run"):
            table = _backtest(level, filters.start, test_start, filters.end, tuple(filters.categories), under)
            st.dataframe(backtest_table(table), hide_index=True, width="stretch")


def backtest_table(table: pd.DataFrame) -> pd.DataFrame:
    """The backtest in one unit: every share a percentage (unit in the header), PAI a plain ratio."""
    return pd.DataFrame({
        t("hot.backtest.method"): table["method"].map(lambda m: t(f"hot.forecast.{m}")),
        t("hot.backtest.share"): (table["share"] * 100).round(0).astype(int),
        t("hot.backtest.area"): (table["area_share"] * 100).round(1),
        t("hot.backtest.hit"): (table["hit_rate"] * 100).round(1),
        t("hot.backtest.pai"): table["pai"].round(2),
        t("hot.backtest.weeks"): table["steps"],
    })


@data.loader(show_spinner=False)
def _rhythm(conn, s, code, start, end, cats):
    from geo.core.trends import hour_weekday_table
    from geo.store import features
    from geo.store.schema import deployment_timezone

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
    rhythm = _rhythm(code, filters.start, filters.end, tuple(filters.categories))
    if card is None or rhythm is None:
        st.warning(t("card.unknown", code=plain(code)))
        return
    left, right = st.columns([1, 1.4])
    with left:
        st.markdown(f"**{t('card.monthly')}**")
        charts.monthly_line(card["monthly"], height=220)
    with right:
        st.markdown(f"**{t('hot.card.rhythm')}**")
        shown = rhythm.rename(index={i: t(f"weekday.{i}") for i in range(7)})
        st.dataframe(shown, width="stretch",
                     height=300)
