"""The coverage page's work: measures per area, targets, what-if cameras and new-camera plans."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import streamlit as st

from geo.core.classify import SEQUENTIAL, classify
from geo.core.coverage import camera_views
from geo.core.crs import metric_crs_of
from geo.maps.layers import STATUS_COLORS, WHAT_IF_COLOR, camera_layer, legend, marker_layer
from geo.maps.views import measure_map
from geo.report import safefiles
from geo.store import camera_plan, coverage
from geo.ui import config, data
from geo.ui.filters import Filters, area_name
from geo.ui.downloads import offer
from geo.ui.i18n import labelled, t, t_or
from geo.ui.mapview import show_cell_map
from geo.ui.markup import plain
from geo.ui.progress import finished, working

MEASURES = ("area_covered_pct", "incident_covered_pct", "places_covered_pct", "gap_pct")
EXTRA_KEY, OFF_KEY, CLICK_KEY, PLAN_KEY = "cov.extra", "cov.off", "cov.last_click", "cov.plan.result"
WHAT_IF = "what-if"  # the kind of a camera added on the map (not a real one)
PLAN_COLOR = "#7b3294"
MAP_HEIGHT = 580


def _extra() -> pd.DataFrame:
    rows = st.session_state.get(EXTRA_KEY, [])
    return pd.DataFrame(rows, columns=["source_id", "lon", "lat", "heading", "fov", "range_m", "status", "kind"])


@data.loader(ttl=data.TTL_SECONDS, show_spinner=False)
def _areas(conn, s, level, at, start, end, planned, under, extra_rows, off):
    extra = pd.DataFrame(list(extra_rows), columns=["source_id", "lon", "lat", "heading", "fov", "range_m", "status",
                                                     "kind"]) if extra_rows else None
    inside = s.narrow(conn, under)
    table = coverage.area_coverage(conn, inside, level, at, start, end, planned=planned, extra=extra,
                                   off=list(off))
    kinds = coverage.place_kind_coverage(conn, inside, at, planned=planned, extra=extra, off=list(off))
    cams = coverage.cameras_on(conn, inside, at, planned=planned, extra=extra, off=list(off))
    if not table.empty and not cams.empty:
        cams = cams.assign(geometry=camera_views(cams, metric_crs_of(table)).to_crs(4326).values)
    return table, kinds, cams


def measures(level: str, at: dt.date, filters: Filters, planned: bool, under: str | None):
    rows = tuple(tuple(r) for r in _extra().itertuples(index=False))
    return _areas(level, at, filters.start, filters.end, planned, under, rows,
                  tuple(st.session_state.get(OFF_KEY, [])))


def _context(at: dt.date, filters: Filters, under: str | None) -> tuple:
    """What a plan was computed for, besides its own form: the day, the incident period and the area."""
    return at, filters.start, filters.end, under


def current_plan(at: dt.date, filters: Filters, under: str | None) -> dict | None:
    """The plan of the last run, if it was run for what the page shows now; a plan of other inputs is
    dropped (never drawn over a map it was not computed for)."""
    saved = st.session_state.get(PLAN_KEY)
    if not isinstance(saved, dict) or saved.get("context") != _context(at, filters, under):
        st.session_state.pop(PLAN_KEY, None)
        return None
    return saved


def show_map(table: gpd.GeoDataFrame, cams: gpd.GeoDataFrame, measure: str, plan: pd.DataFrame | None) -> dict | None:
    table = table.copy()
    table["label"] = [area_name(r) for r in table[["code", "name", "name_en"]].to_dict("records")]
    values = pd.to_numeric(table[measure], errors="coerce").to_numpy(dtype=float)
    palette = SEQUENTIAL if measure == "gap_pct" else ("#f7fcf5", "#c7e9c0", "#74c476", "#31a354", "#006d2c")
    classes = classify(values, colors=palette)
    table["value"] = ["—" if np.isnan(v) else f"{v:.1f}%" for v in values]
    labels = {"measure": t(f"cov.measure.{measure}"), "no_data": t("legend.no_data"), "fullscreen": t("map.fullscreen"),
              "fullscreen_exit": t("map.fullscreen_exit")}
    layers, keys = [], []
    what_if = cams["kind"].eq(WHAT_IF).to_numpy() if "kind" in cams else np.zeros(len(cams), dtype=bool)
    real, added = cams[~what_if], cams[what_if]
    if not real.empty:
        shown = real.assign(status_text=real["status"].map(lambda v: t_or(f"camera.status.{v}", str(v))))
        layers.append(camera_layer(shown, t("layer.cameras"), basemap=config.basemap(),
                                   tooltip_fields={"source_id": t("field.code"), "status_text": t("field.status")}))
        keys += [(t(f"cov.legend.{s}"), STATUS_COLORS[s]) for s in ("online", "planned") if s in set(real["status"])]
    if not added.empty:  # views dashed, and a dot where each stands: never taken for a real camera
        named = added.assign(label=[t("cov.whatif.name", n=i + 1) for i in range(len(added))])
        layers.append(camera_layer(named, t("cov.legend.what_if"), basemap=config.basemap(), what_if=True,
                                   tooltip_fields={"label": t("field.name")}))
        where = _extra().set_index("source_id").loc[named["source_id"], ["lon", "lat"]]
        dots = gpd.GeoDataFrame(named[["label", "kind"]].reset_index(drop=True),
                                geometry=gpd.points_from_xy(where["lon"], where["lat"]), crs=4326)
        layers.append(marker_layer(dots, t("cov.legend.what_if"), color_by="kind", colors={WHAT_IF: WHAT_IF_COLOR},
                                   radius=5, basemap=config.basemap(), tooltip_fields={"label": t("field.name")}))
        keys.append((t("cov.legend.what_if"), WHAT_IF_COLOR))
    if plan is not None and not plan.empty:
        sites = gpd.GeoDataFrame(plan.assign(status="planned"), geometry=gpd.points_from_xy(plan["lon"], plan["lat"]),
                                 crs=4326)
        layers.append(marker_layer(sites, t("cov.plan.sites"), color_by="status", colors={"planned": PLAN_COLOR},
                                   radius=7, basemap=config.basemap(),
                                   tooltip_fields={"rank": "#", "cumulative_pct": t("cov.plan.cumulative")}))
        keys.append((t("cov.legend.plan", n=len(plan)), PLAN_COLOR))
    fmap = measure_map(table, classes, labels, tooltip_fields={"label": t("field.name"), "code": t("field.code"),
                                                               "value": t(f"cov.measure.{measure}")},
                       legend_labels=classes.labels("{:.1f}%"), basemap=config.basemap(), fill_opacity=0.55,
                       layers=layers)
    if keys:
        legend(fmap.fmap, t("cov.legend.cameras"), [k for k, _ in keys], [c for _, c in keys], position="bottomleft")
    return show_cell_map(fmap, key="cov.map", height=MAP_HEIGHT, clicks=True)


def what_if(click: dict | None, cams: gpd.GeoDataFrame) -> None:
    """Add a camera where the map was clicked (heading, angle and range from the inputs); switch cameras off."""
    a, b, c, d = st.columns(4)
    adding = a.toggle(t("cov.whatif.add"), key="cov.adding")
    heading = b.number_input(t("cov.whatif.heading"), 0, 359, 0, key="cov.heading")
    fov = c.number_input(t("cov.whatif.fov"), 10, 360, 360, key="cov.fov")
    reach = d.number_input(t("cov.whatif.range"), 10, 500, 80, key="cov.range")
    if adding and click and st.session_state.get(CLICK_KEY) != (click["lat"], click["lng"]):
        st.session_state[CLICK_KEY] = (click["lat"], click["lng"])
        rows = st.session_state.setdefault(EXTRA_KEY, [])
        rows.append((f"{WHAT_IF} {len(rows) + 1}", round(click["lng"], 6), round(click["lat"], 6), float(heading),
                     float(fov), float(reach), "online", WHAT_IF))
        st.rerun()
    real = cams[cams["kind"].ne(WHAT_IF)] if "kind" in cams else cams
    existing = sorted(real["source_id"].dropna().astype(str))
    st.multiselect(t("cov.whatif.off"), existing, key=OFF_KEY, placeholder=t("ui.choose"))
    if st.session_state.get(EXTRA_KEY):
        st.caption(t("cov.whatif.added", n=len(st.session_state[EXTRA_KEY])))
        if st.button(t("cov.whatif.clear"), key="cov.clear"):
            st.session_state[EXTRA_KEY] = []
            st.rerun()


def gap_tables(table: gpd.GeoDataFrame, kinds: pd.DataFrame) -> None:
    shown = pd.DataFrame(table.drop(columns="geometry"))
    shown["name"] = [area_name(r) for r in shown[["code", "name", "name_en"]].to_dict("records")]
    shown = shown.drop(columns=["name_en"]).sort_values(["gap_pct", "area_covered_pct"], ascending=[False, True])
    st.dataframe(labelled(shown, "cov.col"), hide_index=True, width="stretch", height=260)
    st.dataframe(labelled(kinds, "cov.col", {"kind": "place"}), hide_index=True, width="stretch")


def targets_form(user: dict, levels_codes: list[str], kinds: list[str]) -> None:
    flash = st.session_state.pop("cov.flash", None)
    if flash:
        st.success(flash)
    with st.form("cov.target"):
        a, b, c, d = st.columns(4)
        what = a.selectbox(t("cov.target.for"), ["area:" + c for c in levels_codes] + ["kind:" + k for k in kinds],
                           key="cov.target.what", format_func=_target_label)
        pct = b.number_input(t("cov.target.pct"), 0.0, 100.0, 60.0, step=5.0, key="cov.target.pct")
        due = c.date_input(t("cov.target.due"), value=None, key="cov.target.due")
        if d.form_submit_button(t("cov.target.save")):
            kind, code = what.split(":", 1)
            try:
                coverage.set_target(data.engine(), user["username"], pct, scope=data.scope(),
                                    area_code=code if kind == "area" else None,
                                    place_kind=code if kind == "kind" else None, due_on=due)
            except ValueError as exc:
                st.error(plain(exc))
                return
            st.cache_data.clear()  # gaps change at once
            st.session_state["cov.flash"] = t("cov.target.saved", what=_target_label(what), pct=f"{pct:g}")
            st.rerun()


def _target_label(what: str) -> str:
    """A coverage target's subject as a person reads it: an area's name and code, or a place kind."""
    kind, code = what.split(":", 1)
    if kind == "kind":
        return t_or(f"place.{code}", code)
    trail = data.path(code)
    return f"{area_name(trail[-1])} ({code})" if trail else code


def plan_form(at: dt.date, filters: Filters, under: str | None) -> pd.DataFrame | None:
    """The plan form, and the last run's plan (the one the map draws: see :func:`current_plan`)."""
    with st.form("cov.plan"):
        a, b, c = st.columns(3)
        mode = a.radio(t("cov.plan.mode"), ("add", "target"), key="cov.plan.mode", horizontal=True,
                       format_func=lambda m: t(f"cov.plan.mode.{m}"))
        amount = a.number_input(t("cov.plan.amount"), 1.0, 500.0, 10.0, key="cov.plan.amount")
        radius = b.number_input(t("cov.whatif.range"), 10.0, 500.0, 150.0, key="cov.plan.radius")
        fov = b.number_input(t("cov.whatif.fov"), 10.0, 360.0, 360.0, key="cov.plan.fov")
        demand = c.selectbox(t("cov.plan.demand"), camera_plan.DEMANDS, key="cov.plan.demand",
                             format_func=lambda d: t(f"cov.plan.demand.{d}"))
        use_exact = c.toggle(t("cov.plan.exact"), key="cov.plan.exact")
        go = st.form_submit_button(t("cov.plan.run"), type="primary")
    if go:
        try:
            with working("cov.plan.running", keep="cov.plan.done") as progress, data.session() as (conn, s):
                table, summary = camera_plan.plan(conn, s, at, filters.start, filters.end, progress=progress,
                                               add=int(amount) if mode == "add" else None,
                                               target_pct=amount if mode == "target" else None, area=under,
                                               radius=radius, fov=fov, demand=demand, use_exact=use_exact)
        except ValueError as exc:
            st.error(plain(exc))
            return None
        # keyed to what it was run for; the rerun draws the map (above this form) with this plan, not the last
        st.session_state[PLAN_KEY] = {"context": _context(at, filters, under), "table": table, "summary": summary}
        st.rerun()
    finished("cov.plan.done")  # the run's closed progress box, shown again after the rerun
    saved = current_plan(at, filters, under)
    if not saved:
        return None
    table, summary = saved["table"], saved["summary"]
    gap = "" if summary["gap"] is None else t("cov.plan.gap", gap=f"{summary['gap']:.2%}")
    st.success(t("cov.plan.summary", n=len(table), before=summary["covered_before_pct"],
                 after=summary["covered_after_pct"], solver=t(f"cov.plan.solver.{summary['solver']}")) + gap)
    readable = labelled(table, "cov.plan.col")  # the table and its CSV/Excel copies; GeoJSON keeps the codes
    st.dataframe(readable, hide_index=True, width="stretch", height=220)
    geo = gpd.GeoDataFrame(table, geometry=gpd.points_from_xy(table["lon"], table["lat"]), crs=4326)
    a, b, c = st.columns(3)
    n = len(table)
    offer("CSV", safefiles.csv_bytes(readable), "camera_plan.csv", key="cov.plan.csv", what="camera_plan", rows=n, where=a)
    offer("GeoJSON", geo.to_json(drop_id=True), "camera_plan.geojson", key="cov.plan.geojson", what="camera_plan",
          rows=n, where=b)
    offer("Excel", safefiles.xlsx_bytes(readable), "camera_plan.xlsx", key="cov.plan.xlsx", what="camera_plan", rows=n,
          where=c)
    return table
