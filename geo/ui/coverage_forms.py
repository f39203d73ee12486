"""The coverage page's forms: coverage targets (with the DORI level they count at) and new-camera plans
(by level and resolution)."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import pandas as pd
import streamlit as st

from geo.core import dori
from geo.report import safefiles
from geo.store import camera_plan, coverage
from geo.ui import data
from geo.ui.coverage import level_name
from geo.ui.downloads import offer
from geo.ui.filters import Filters, area_name
from geo.ui.i18n import labelled, t, t_or
from geo.ui.markup import plain
from geo.ui.progress import finished, working

PLAN_KEY = "cov.plan.result"
DEFAULT = "default"  # a target's level left to its subject: an area's share within range, a kind's required level
TARGET_LEVELS = (DEFAULT, *dori.LEVELS)


def target_level(what: str, chosen: str) -> str | None:
    """The level a target for ``what`` ("area:CODE" or "kind:KIND") is saved with: ``chosen``, or for
    :data:`DEFAULT` none for an area (its share within range) and the kind's ``dori.REQUIRED_LEVEL``."""
    if chosen != DEFAULT:
        return chosen
    kind, code = what.split(":", 1)
    return dori.REQUIRED_LEVEL.get(code, "detect") if kind == "kind" else None


def targets_form(user: dict, levels_codes: list[str], kinds: list[str]) -> None:
    flash = st.session_state.pop("cov.flash", None)
    if flash:
        st.success(flash)
    with st.form("cov.target"):
        a, b, c, d, e = st.columns(5)
        what = a.selectbox(t("cov.target.for"), ["area:" + c for c in levels_codes] + ["kind:" + k for k in kinds],
                           key="cov.target.what", format_func=_target_label)
        pct = b.number_input(t("cov.target.pct"), 0.0, 100.0, 60.0, step=5.0, key="cov.target.pct")
        chosen = c.selectbox(t("cov.target.level"), TARGET_LEVELS, key="cov.target.level",
                             format_func=lambda lv: t("cov.target.level.default") if lv == DEFAULT else level_name(lv),
                             help=t("cov.target.level.help"))
        due = d.date_input(t("cov.target.due"), value=None, key="cov.target.due")
        if e.form_submit_button(t("cov.target.save")):
            kind, code = what.split(":", 1)
            level = target_level(what, chosen)
            try:
                coverage.set_target(data.engine(), user["username"], pct, scope=data.scope(),
                                    area_code=code if kind == "area" else None,
                                    place_kind=code if kind == "kind" else None, due_on=due, level=level)
            except ValueError as exc:
                st.error(plain(exc))
                return
            st.cache_data.clear()  # gaps change at once
            st.session_state["cov.flash"] = t("cov.target.saved", what=_target_label(what), pct=f"{pct:g}",
                                              level=level_name(level or "range"))
            st.rerun()


def _target_label(what: str) -> str:
    """A coverage target's subject as a person reads it: an area's name and code, or a place kind."""
    kind, code = what.split(":", 1)
    if kind == "kind":
        return t_or(f"place.{code}", code)
    trail = data.path(code)
    return f"{area_name(trail[-1])} ({code})" if trail else code


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


def plan_level(chosen: str, demand: str) -> str:
    """The level a plan counts at: "required" (each key place at its kind's level) means "detect" for
    demand other than key places."""
    return "detect" if chosen == "required" and demand != "places" else chosen


def plan_form(at: dt.date, filters: Filters, under: str | None) -> pd.DataFrame | None:
    """The plan form, and the last run's plan (the one the map draws: see :func:`current_plan`)."""
    with st.form("cov.plan"):
        a, b, c, d = st.columns(4)
        mode = a.radio(t("cov.plan.mode"), ("add", "target"), key="cov.plan.mode", horizontal=True,
                       format_func=lambda m: t(f"cov.plan.mode.{m}"))
        amount = a.number_input(t("cov.plan.amount"), 1.0, 500.0, 10.0, key="cov.plan.amount")
        radius = b.number_input(t("cov.whatif.range"), 10.0, 500.0, 150.0, key="cov.plan.radius")
        fov = b.number_input(t("cov.whatif.fov"), 10.0, 360.0, 360.0, key="cov.plan.fov")
        demand = c.selectbox(t("cov.plan.demand"), camera_plan.DEMANDS, key="cov.plan.demand",
                             format_func=lambda d: t(f"cov.plan.demand.{d}"))
        use_exact = c.toggle(t("cov.plan.exact"), key="cov.plan.exact")
        chosen = d.selectbox(t("cov.plan.level"), camera_plan.LEVELS, key="cov.plan.level",
                             format_func=lambda lv: t("cov.plan.level.required") if lv == "required" else level_name(lv))
        pixels = d.number_input(t("cov.whatif.resolution"), 0, 16384, 0, step=160, key="cov.plan.resolution",
                                help=t("cov.whatif.resolution.help"))
        go = st.form_submit_button(t("cov.plan.run"), type="primary")
    if go:
        level = plan_level(chosen, demand)
        if level not in ("required", "detect") and not pixels:
            st.error(t("cov.plan.need_resolution", level=level_name(level)))
            return None
        try:
            with working("cov.plan.running", keep="cov.plan.done") as progress, data.session() as (conn, s):
                table, summary = camera_plan.plan(conn, s, at, filters.start, filters.end, progress=progress,
                                                  add=int(amount) if mode == "add" else None,
                                                  target_pct=amount if mode == "target" else None, area=under,
                                                  radius=radius, fov=fov, demand=demand, use_exact=use_exact,
                                                  level=level, resolution_h=float(pixels) if pixels else None)
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
    level = summary.get("level", "detect")
    st.success(t("cov.plan.summary", n=len(table), before=summary["covered_before_pct"],
                 after=summary["covered_after_pct"], solver=t(f"cov.plan.solver.{summary['solver']}")) + gap +
               t("cov.plan.at_level", level=t("cov.plan.level.required") if level == "required" else level_name(level)))
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
