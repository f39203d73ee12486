"""The patrol-zones page's work: scorecards, a balanced proposal side by side, patrol plans."""

from __future__ import annotations

import io

import geopandas as gpd
import numpy as np
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from geo.core.classify import deviation_classes, deviation_pct
from geo.maps.views import measure_map
from geo.report import safefiles, sheets
from geo.store import patrol
from geo.ui import config, data
from geo.ui.filters import Filters, category_label
from geo.ui.downloads import offer
from geo.ui.i18n import labelled, t
from geo.ui.mapview import show_cell_map
from geo.ui.markup import plain
from geo.ui.progress import working

PROPOSAL_KEY = "zones.proposal"
SHIFTS = patrol.SHIFTS


SEVERITY_KEY = "zones.severity"


@data.loader(ttl=data.TTL_SECONDS, show_spinner=False)
def _scores(conn, s, start, end, zones_json, severity):
    from geo.store import features

    zones = gpd.read_file(io.StringIO(zones_json)) if zones_json else features.zones(conn, s)
    table, summary = patrol.zone_scores(conn, s, zones, start, end, severity=dict(severity))
    return zones, table, summary


def visible() -> bool:
    """Whether the signed-in account's scope may see patrol zones (``patrol.zones_visible``)."""
    return patrol.zones_visible(data.scope())


def severity() -> dict[str, float]:
    """Workload weights, one per incident category of the data, picked by the category's name: each
    starts at ``SAFEGRID_SEVERITY``'s weight (else 1) and is never negative. Applied together with
    the form's button; only weights other than 1 are returned (a weight of 1 is the default)."""
    try:
        preset = config.parse_weights(config.get("SAFEGRID_SEVERITY"))
    except ValueError:
        st.warning(t("zones.weights.bad_setting"))
        preset = {}
    codes = data.incident_categories()
    keys = {code: f"{SEVERITY_KEY}.{code}" for code in codes}
    now = {code: float(st.session_state.get(keys[code], preset.get(code, 1.0))) for code in codes}
    changed = sum(1 for w in now.values() if w != 1.0)
    with st.expander(t("zones.weights", n=changed) if changed else t("zones.weights.none")):
        with st.form(SEVERITY_KEY, border=False):
            st.caption(t("zones.weights.help"))
            cols = st.columns(4)
            for i, code in enumerate(codes):
                cols[i % 4].number_input(category_label(code), min_value=0.0, max_value=1000.0,
                                         value=float(preset.get(code, 1.0)), step=0.5, format="%.1f",
                                         key=keys[code])
            st.form_submit_button(t("zones.weights.apply"))
    # categories the setting names but the data lacks weigh nothing here; kept so the result is the setting's
    weights = {code: w for code, w in preset.items() if code not in keys and w != 1.0}
    weights.update({code: float(st.session_state[keys[code]]) for code in codes
                    if float(st.session_state[keys[code]]) != 1.0})
    return weights


def scores(filters: Filters, zones: gpd.GeoDataFrame | None = None, weights: dict | None = None):
    return _scores(filters.start, filters.end, None if zones is None else zones.to_json(),
                   tuple(sorted((weights or {}).items())))


def show(zones: gpd.GeoDataFrame, table: pd.DataFrame, summary: dict, key: str) -> None:
    st.caption(t("zones.balance", ratio=summary["max_min"], cv=summary["cv"]))
    gdf = zones[["code", "geometry"]].merge(table, on="code")
    values = gdf["workload"].to_numpy(dtype=float)
    # fixed classes of each zone's distance from the mean workload: a balanced plan looks balanced
    classes = deviation_classes(values)
    gdf["label"], gdf["value"] = gdf["code"], [f"{v:,.0f}" for v in values]
    gdf["deviation"] = ["—" if np.isnan(d) else f"{d:+.1f}%" for d in deviation_pct(values)]
    fmap = measure_map(gdf, classes, {"measure": t("zones.workload.legend", mean=f"{np.nanmean(values):,.0f}"),
                                      "no_data": t("legend.no_data")},
                       legend_labels=[t(f"legend.deviation.{k}") for k in classes.keys],
                       tooltip_fields={"label": t("field.code"), "value": t("zones.workload"),
                                       "deviation": t("zones.deviation")},
                       basemap=config.basemap(), fill_opacity=0.6)
    show_cell_map(fmap, key=key, height=420)
    st.bar_chart(table.set_index("code")["workload"], height=200)
    st.dataframe(scorecard(table), hide_index=True, width="stretch")


def scorecard(table: pd.DataFrame) -> pd.DataFrame:
    """The zone scores as shown: every share a percentage like the camera coverage beside it; headers
    in words, empty cells as a dash."""
    shown = table.assign(**{c: (table[c] * 100).round(1) for c in ("share", "hot_share") if c in table})
    return labelled(shown, "zones.col")


def propose_section(filters: Filters, current_codes: list[str], weights: dict | None = None) -> None:
    with st.form("zones.propose"):
        a, b = st.columns(2)
        k = a.number_input(t("zones.k"), 2, 100, max(2, len(current_codes) or 12), key="zones.k")
        fixed = b.multiselect(t("zones.fixed"), current_codes, key="zones.fixed", placeholder=t("ui.choose"))
        go = st.form_submit_button(t("zones.propose"), type="primary")
    if go:
        try:
            with working("zones.proposing") as progress, data.session() as (conn, s):
                st.session_state[PROPOSAL_KEY] = patrol.propose_zones(conn, s, int(k), filters.start, filters.end,
                                                                       fixed=fixed, severity=weights, progress=progress)
        except ValueError as exc:
            st.error(plain(exc))
    saved = st.session_state.get(PROPOSAL_KEY)
    if not saved:
        return
    proposal, changes = saved
    moved = int((changes["old_zone"] != changes["new_zone"]).sum())
    st.info(t("zones.changed", n=moved, total=len(changes)))
    zones, table, summary = scores(filters, proposal.assign(team=None, staff=np.nan), weights)
    show(zones, table, summary, "zones.map.proposed")
    a, b = st.columns(2)
    offer("GeoJSON", proposal.to_json(drop_id=True), "zones_proposed.geojson", key="zones.geojson",
          what="zone_proposal", rows=len(proposal), where=a)
    book = {t("zones.sheet.zones"): labelled(table, "zones.col"), t("zones.sheet.cells"): labelled(changes, "zones.change")}
    offer("Excel", safefiles.xlsx_bytes(book), "zones_proposed.xlsx", key="zones.xlsx",
          what="zone_proposal", rows=len(proposal), where=b)


def plan_section(zones: gpd.GeoDataFrame, filters: Filters) -> None:
    with data.session() as (conn, s):
        plan = patrol.patrol_plan(conn, s, zones, filters.start, filters.end, SHIFTS)
    code = st.selectbox(t("zones.zone"), zones["code"].tolist(), key="zones.plan.zone")
    mine = plan[plan["zone"] == code]
    shown = mine.assign(shift=mine["shift"].map(lambda s: t(f"zones.shift.{s}")))
    st.dataframe(labelled(shown, "zones.plan"), hide_index=True, width="stretch")
    a, b = st.columns(2)
    readable = plan.assign(shift=plan["shift"].map(lambda s: t(f"zones.shift.{s}")))
    offer(t("zones.plan.excel"), sheets.patrol_workbook(labelled(readable, "zones.plan"), t("zones.plan.zone"),
                                                        t("zones.plan.shift")), "patrol_plan.xlsx", key="zones.plan.xlsx",
          what="patrol_plan", rows=len(plan), where=a)
    if b.button(t("zones.plan.pdf_make"), key="zones.plan.pdf_make"):
        with working("zones.plan.pdf_making") as progress:
            st.session_state["zones.plan.pdf"] = _sheets_pdf(plan, zones, filters, progress)
    if st.session_state.get("zones.plan.pdf"):
        offer(t("zones.plan.pdf"), st.session_state["zones.plan.pdf"], "patrol_sheets.pdf", key="zones.plan.pdf.get",
              what="patrol_plan", where=b)


def _sheets_pdf(plan: pd.DataFrame, zones: gpd.GeoDataFrame, filters: Filters, progress=None) -> bytes:
    labels = {key: t(f"sheet.{key}") for key in sheets.LABELS}
    return sheets.patrol_sheets(plan, zones, data.shapes("grid", None), SHIFTS, f"{filters.start} - {filters.end}",
                                labels=labels, shift_names={s: t(f"zones.shift.{s}") for s in SHIFTS},
                                progress=progress)


SKETCH_KEY = "zones.sketch"


def sketch_section(user: dict, zones: gpd.GeoDataFrame) -> None:
    """Draw a zone (polygon or rectangle) and save it under a code once it passes the checks."""
    import shapely.geometry

    from geo.maps.views import sketch_map

    district = data.shapes("district", None)
    labels = {"district": t("layer.district"), "zones": t("layer.zones"),
              "zone_tips": {"code": t("field.code"), "team": t("field.team")},
              "fullscreen": t("map.fullscreen"), "fullscreen_exit": t("map.fullscreen_exit")}
    out = st_folium(sketch_map(district, zones, labels, basemap=config.basemap()), key="zones.sketch.map",
                    height=460, use_container_width=True, returned_objects=["last_active_drawing"])
    drawn = (out or {}).get("last_active_drawing")
    if drawn and drawn.get("geometry", {}).get("type") in ("Polygon", "MultiPolygon"):
        st.session_state[SKETCH_KEY] = drawn["geometry"]
    sketch = st.session_state.get(SKETCH_KEY)
    if not sketch:
        st.caption(t("zones.sketch.hint"))
        return
    with st.form("zones.sketch.form"):
        a, b, c, d, e = st.columns(5)
        code = a.text_input(t("field.code"), key="zones.sketch.code")
        name = b.text_input(t("field.name"), key="zones.sketch.name")
        team = c.text_input(t("field.team"), key="zones.sketch.team")
        shift = d.text_input(t("zones.sketch.shift"), key="zones.sketch.shift")
        staff = e.number_input(t("zones.col.staff"), 0, 500, 6, key="zones.sketch.staff")
        if st.form_submit_button(t("zones.sketch.save"), type="primary"):
            try:
                patrol.save_zone(data.engine(), user["username"], code, shapely.geometry.shape(sketch),
                                 scope=data.scope(), name=name or None, team=team or None, shift=shift or None, staff=int(staff))
            except patrol.ZoneRefused as exc:
                st.error(t("zones.sketch.refused", reason=plain(exc)))
                return
            st.session_state.pop(SKETCH_KEY, None)
            st.cache_data.clear()
            st.success(t("zones.sketch.saved", code=plain(code)))
