"""Coverage: camera coverage per area and key-place kind, targets and gaps, what-if cameras, new-camera plans."""

import streamlit as st

from geo.ui import coverage, coverage_forms
from geo.ui.auth import may, require
from geo.ui.filters import current
from geo.ui.gridview import effective_focus
from geo.ui.i18n import relabelled, t

user = require("view_maps")
st.title(t("cov.title"))
filters = current()
under = effective_focus(filters.focus)
a, b, c = st.columns([2, 2, 3])
level = a.selectbox(t("hot.level"), ("community", "grid", "street"), key=relabelled("cov.level"),
                    format_func=lambda lv: t(f"level.{lv}"))
at = b.date_input(t("cov.at"), value=filters.end, key="cov.at")
planned = c.toggle(t("cov.planned"), key="cov.planned")
measure = st.segmented_control(t("grid.measure"), coverage.MEASURES, key=relabelled("cov.measure"),
                               default="area_covered_pct",
                               format_func=lambda m: t(f"cov.measure.{m}")) or "area_covered_pct"
st.caption(t("cov.caption", at=at, start=filters.start, end=filters.end))
shown = coverage.measures(level, at, filters, planned, under)
st.caption(coverage.dori_caption(shown.cams))
plan = coverage_forms.current_plan(at, filters, under)  # only a plan run for this day, period and area
click = coverage.show_map(shown, measure, plan["table"] if plan else None)
coverage.what_if(click, shown.cams)
st.subheader(t("cov.gaps"))
coverage.gap_tables(shown)
if may("edit_targets"):
    st.subheader(t("cov.targets"))
    coverage_forms.targets_form(user, shown.table["code"].tolist(), shown.kinds["kind"].tolist())
if may("plan_cameras"):
    st.subheader(t("cov.plan"))
    coverage_forms.plan_form(at, filters, under)
