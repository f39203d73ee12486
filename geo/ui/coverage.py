"""The coverage page's work: measures per area, the map (views banded by DORI level, blind spots inside
key places), what-if cameras and the gap tables (targets and plans: :mod:`geo.ui.coverage_forms`)."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
import streamlit as st

from geo.core import dori
from geo.core.classify import SEQUENTIAL, classify
from geo.maps.bands import BAND_COLORS, BLIND_COLOR, BUILDING_COLOR, band_layer, blind_layer, buildings_layer
from geo.maps.layers import STATUS_COLORS, WHAT_IF_COLOR, camera_layer, legend, marker_layer
from geo.maps.views import measure_map
from geo.store import blindspots, coverage, views
from geo.ui import config, data
from geo.ui.filters import Filters, area_name
from geo.ui.i18n import labelled, t, t_or
from geo.ui.mapview import show_cell_map

MEASURES = ("area_covered_pct", *(f"{lv}_pct" for lv in dori.LEVELS), "incident_covered_pct", "places_covered_pct",
            "gap_pct")
EXTRA_COLUMNS = ["source_id", "lon", "lat", "heading", "fov", "range_m", "status", "kind", "resolution_h"]
EXTRA_KEY, OFF_KEY, CLICK_KEY = "cov.extra", "cov.off", "cov.last_click"
WHAT_IF = "what-if"  # the kind of a camera added on the map (not a real one)
PLAN_COLOR = "#7b3294"
MAP_HEIGHT = 580
WORST_PLACES = 20  # rows of the blind-spot table
BUILDINGS_DRAWN = 20_000  # footprints drawn under the views at most (a whole city's would weigh the page down)
GREENS = ("#f7fcf5", "#c7e9c0", "#74c476", "#31a354", "#006d2c")


class Shown(NamedTuple):
    """What the page shows for its inputs: per-area measures, per-kind coverage, the cameras (their
    views within range, WGS 84), the views' DORI bands and the blind spots inside key places."""

    table: gpd.GeoDataFrame
    kinds: pd.DataFrame
    cams: gpd.GeoDataFrame
    bands: gpd.GeoDataFrame
    blind: gpd.GeoDataFrame
    buildings: gpd.GeoDataFrame  # footprints in the areas' extent (none past BUILDINGS_DRAWN)


def _extra() -> pd.DataFrame:
    return pd.DataFrame(st.session_state.get(EXTRA_KEY, []), columns=EXTRA_COLUMNS)


@data.loader(ttl=data.TTL_SECONDS, show_spinner=False)
def _areas(conn, s, level, at, start, end, planned, under, extra_rows, off):
    extra = pd.DataFrame(list(extra_rows), columns=EXTRA_COLUMNS) if extra_rows else None
    if extra is not None:
        extra["resolution_h"] = pd.to_numeric(extra["resolution_h"], errors="coerce").astype(float)
    inside, off = s.narrow(conn, under), list(off)
    table = coverage.area_coverage(conn, inside, level, at, start, end, planned=planned, extra=extra, off=off)
    kinds = coverage.place_kind_coverage(conn, inside, at, planned=planned, extra=extra, off=off)
    goals = coverage.targets(conn, inside)
    by_kind = goals[goals["place_kind"].notna()].set_index("place_kind")["level"]
    kinds.insert(kinds.columns.get_loc("target_pct") + 1, "target_level", kinds["kind"].map(by_kind))
    cams = coverage.cameras_on(conn, inside, at, planned=planned, extra=extra, off=off)
    bands = blindspots.level_bands(conn, cams)
    if not cams.empty:  # the views (within range) the cameras are outlined by, cut by the buildings
        cams = cams.assign(geometry=views.drawn(conn, cams))
        cams = cams[cams.geometry.notna()].reset_index(drop=True)
    blind = blindspots.blind_spots(conn, inside, at, planned=planned, extra=extra, off=off)
    blds = views.buildings(conn, tuple(table.total_bounds)) if not table.empty else gpd.GeoDataFrame(geometry=[])
    return Shown(table, kinds, cams, bands, blind, blds if len(blds) <= BUILDINGS_DRAWN else blds.iloc[0:0])


def measures(level: str, at: dt.date, filters: Filters, planned: bool, under: str | None) -> Shown:
    rows = tuple(tuple(r) for r in _extra().itertuples(index=False))
    return _areas(level, at, filters.start, filters.end, planned, under, rows,
                  tuple(st.session_state.get(OFF_KEY, [])))


def level_name(level) -> str:
    """A DORI level (or "range") as a person reads it; "—" for none."""
    return "—" if level is None or level != level else t_or(f"dori.level.{level}", str(level))


def dori_caption(cams: gpd.GeoDataFrame) -> str:
    """How DORI is computed, the footprints of key places, and how many cameras shown have no resolution."""
    res = pd.to_numeric(cams["resolution_h"], errors="coerce") if "resolution_h" in cams else pd.Series(dtype=float)
    unknown = int((res.isna() | (res <= 0)).sum()) if len(cams) else 0
    radii = ", ".join(f"{t_or(f'place.{k}', k)} {m:g} m" for k, m in blindspots.FOOTPRINT_M.items())
    return t("cov.dori.caption", unknown=unknown, n=len(cams)) + " " + t("cov.blind.caption", radii=radii)


def show_map(shown: Shown, measure: str, plan: pd.DataFrame | None) -> dict | None:
    table, cams = shown.table.copy(), shown.cams
    table["label"] = [area_name(r) for r in table[["code", "name", "name_en"]].to_dict("records")]
    values = pd.to_numeric(table[measure], errors="coerce").to_numpy(dtype=float)
    classes = classify(values, colors=SEQUENTIAL if measure == "gap_pct" else GREENS)
    table["value"] = ["—" if np.isnan(v) else f"{v:.1f}%" for v in values]
    labels = {"measure": t(f"cov.measure.{measure}"), "no_data": t("legend.no_data"), "fullscreen": t("map.fullscreen"),
              "fullscreen_exit": t("map.fullscreen_exit")}
    basemap = config.basemap()
    present = [b for b in blindspots.BANDS if b in set(shown.bands["level"])]
    layers = [buildings_layer(shown.buildings, t("cov.layer.buildings"), basemap=basemap),
              band_layer(shown.bands, t("cov.layer.bands"), {b: level_name(b) for b in present}, basemap=basemap)]
    keys = [(t("cov.legend.band", level=level_name(b)), BAND_COLORS[b]) for b in present]
    what_if = cams["kind"].eq(WHAT_IF).to_numpy() if "kind" in cams else np.zeros(len(cams), dtype=bool)
    real, added = cams[~what_if], cams[what_if]
    if not real.empty:  # outlines in the status colour over the bands
        named = real.assign(status_text=real["status"].map(lambda v: t_or(f"camera.status.{v}", str(v))))
        layers.append(camera_layer(named, t("layer.cameras"), basemap=basemap, fill_opacity=0.0, weight=1.2,
                                   tooltip_fields={"source_id": t("field.code"), "status_text": t("field.status")}))
        keys += [(t(f"cov.legend.{s}"), STATUS_COLORS[s]) for s in ("online", "planned") if s in set(real["status"])]
    if not added.empty:  # views dashed, and a dot where each stands: never taken for a real camera
        named = added.assign(label=[t("cov.whatif.name", n=i + 1) for i in range(len(added))])
        layers.append(camera_layer(named, t("cov.legend.what_if"), basemap=basemap, what_if=True,
                                   tooltip_fields={"label": t("field.name")}))
        where = _extra().set_index("source_id").loc[named["source_id"], ["lon", "lat"]]
        dots = gpd.GeoDataFrame(named[["label", "kind"]].reset_index(drop=True),
                                geometry=gpd.points_from_xy(where["lon"], where["lat"]), crs=4326)
        layers.append(marker_layer(dots, t("cov.legend.what_if"), color_by="kind", colors={WHAT_IF: WHAT_IF_COLOR},
                                   radius=5, basemap=basemap, tooltip_fields={"label": t("field.name")}))
        keys.append((t("cov.legend.what_if"), WHAT_IF_COLOR))
    blind = _blind_shown(shown.blind)
    layers.append(blind_layer(blind, t("cov.layer.blind"), {"place": t("cov.blind.col.name"),
                                                             "kind_text": t("cov.blind.col.kind"),
                                                             "level_text": t("cov.blind.col.required_level"),
                                                             "share": t("cov.blind.col.blind_pct")}, basemap=basemap))
    if len(blind):
        keys.append((t("cov.legend.blind"), BLIND_COLOR))
    if len(shown.buildings):
        keys.append((t("cov.legend.buildings"), BUILDING_COLOR))
    if plan is not None and not plan.empty:
        sites = gpd.GeoDataFrame(plan.assign(status="planned"), geometry=gpd.points_from_xy(plan["lon"], plan["lat"]),
                                 crs=4326)
        layers.append(marker_layer(sites, t("cov.plan.sites"), color_by="status", colors={"planned": PLAN_COLOR},
                                   radius=7, basemap=basemap,
                                   tooltip_fields={"rank": "#", "cumulative_pct": t("cov.plan.cumulative")}))
        keys.append((t("cov.legend.plan", n=len(plan)), PLAN_COLOR))
    fmap = measure_map(table, classes, labels, tooltip_fields={"label": t("field.name"), "code": t("field.code"),
                                                               "value": t(f"cov.measure.{measure}")},
                       legend_labels=classes.labels("{:.1f}%"), basemap=basemap, fill_opacity=0.55,
                       layers=layers)
    if keys:
        legend(fmap.fmap, t("cov.legend.cameras"), [k for k, _ in keys], [c for _, c in keys], position="bottomleft")
    return show_cell_map(fmap, key="cov.map", height=MAP_HEIGHT, clicks=True)


def _blind_shown(blind: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The blind spots with a shape, with their tooltip's text in the page's language."""
    drawn = blind[blind.geometry.notna()].copy() if not blind.empty else blind.copy()
    drawn["place"] = [area_name({"code": r["source_id"], "name": r["name"], "name_en": r["name_en"]})
                      for r in drawn[["source_id", "name", "name_en"]].to_dict("records")]
    drawn["kind_text"] = [t_or(f"place.{k}", str(k)) for k in drawn["kind"]]
    drawn["level_text"] = [level_name(lv) for lv in drawn["required_level"]]
    drawn["share"] = [f"{v:.1f}%" for v in drawn["blind_pct"]]
    return drawn


def what_if(click: dict | None, cams: gpd.GeoDataFrame) -> None:
    """Add a camera where the map was clicked (heading, angle, range and resolution from the inputs);
    switch cameras off."""
    a, b, c, d, e = st.columns(5)
    adding = a.toggle(t("cov.whatif.add"), key="cov.adding")
    heading = b.number_input(t("cov.whatif.heading"), 0, 359, 0, key="cov.heading")
    fov = c.number_input(t("cov.whatif.fov"), 10, 360, 360, key="cov.fov")
    reach = d.number_input(t("cov.whatif.range"), 10, 500, 80, key="cov.range")
    pixels = e.number_input(t("cov.whatif.resolution"), 0, 16384, 0, step=160, key="cov.resolution",
                            help=t("cov.whatif.resolution.help"))
    if adding and click and st.session_state.get(CLICK_KEY) != (click["lat"], click["lng"]):
        st.session_state[CLICK_KEY] = (click["lat"], click["lng"])
        rows = st.session_state.setdefault(EXTRA_KEY, [])
        rows.append((f"{WHAT_IF} {len(rows) + 1}", round(click["lng"], 6), round(click["lat"], 6), float(heading),
                     float(fov), float(reach), "online", WHAT_IF, float(pixels) if pixels else None))
        st.rerun()
    real = cams[cams["kind"].ne(WHAT_IF)] if "kind" in cams else cams
    existing = sorted(real["source_id"].dropna().astype(str))
    st.multiselect(t("cov.whatif.off"), existing, key=OFF_KEY, placeholder=t("ui.choose"))
    if st.session_state.get(EXTRA_KEY):
        st.caption(t("cov.whatif.added", n=len(st.session_state[EXTRA_KEY])))
        if st.button(t("cov.whatif.clear"), key="cov.clear"):
            st.session_state[EXTRA_KEY] = []
            st.rerun()


def gap_tables(shown: Shown) -> None:
    """Per area (worst gap first), per key-place kind, and the key places with the largest blind share."""
    levels = {"target_level": "dori.level", "required_level": "dori.level"}
    table = pd.DataFrame(shown.table.drop(columns="geometry"))
    table["name"] = [area_name(r) for r in table[["code", "name", "name_en"]].to_dict("records")]
    table = table.drop(columns=["name_en"]).sort_values(["gap_pct", "area_covered_pct"], ascending=[False, True])
    st.dataframe(labelled(table, "cov.col", levels), hide_index=True, width="stretch", height=260)
    st.dataframe(labelled(shown.kinds, "cov.col", {"kind": "place", **levels}), hide_index=True, width="stretch")
    st.subheader(t("cov.blind.title"))
    worst = shown.blind[shown.blind["blind_pct"] > 0].head(WORST_PLACES)
    if worst.empty:
        st.caption(t("cov.blind.none"))
        return
    rows = pd.DataFrame(worst.drop(columns="geometry"))
    rows["name"] = [area_name({"code": r["source_id"], "name": r["name"], "name_en": r["name_en"]})
                    for r in rows[["source_id", "name", "name_en"]].to_dict("records")]
    rows = rows[["name", "kind", "required_level", "ground_m2", "blind_m2", "blind_pct"]]
    st.dataframe(labelled(rows, "cov.blind.col", {"kind": "place", "required_level": "dori.level"}), hide_index=True,
                 width="stretch")
