"""Patrol zones: scorecards, a balanced proposal from grid cells, and patrol plans per shift."""

import streamlit as st

from geo.ui import patrol
from geo.ui.auth import may, require
from geo.ui.filters import current
from geo.ui.i18n import t

user = require("view_maps")
st.title(t("zones.title"))
filters = current()
st.caption(t("zones.caption", start=filters.start, end=filters.end))
if not patrol.visible():
    st.info(t("zones.scope_too_small"))
    st.stop()
weights = patrol.severity()
zones, table, summary = patrol.scores(filters, weights=weights)
if zones.empty:
    st.info(t("zones.none"))
    st.stop()
patrol.show(zones, table, summary, "zones.map.current")
if may("edit_zones"):
    st.subheader(t("zones.proposal"))
    patrol.propose_section(filters, zones["code"].tolist(), weights)
    st.subheader(t("zones.sketch"))
    patrol.sketch_section(user, zones)
st.subheader(t("zones.plan"))
patrol.plan_section(zones, filters)
