"""Hotspots: Gi*, Local Moran's I, kernel density, emerging hot spots and year-on-year change."""

import streamlit as st

from geo.ui import hotspots, shape_report
from geo.ui.auth import require
from geo.ui.filters import current
from geo.ui.gridview import effective_focus
from geo.ui.i18n import t

require("view_maps")
st.title(t("hot.title"))
filters = current()
st.caption(t("hot.caption", start=filters.start, end=filters.end))
choice = hotspots.controls()
table = hotspots.show(choice, filters, effective_focus(filters.focus))
if table is not None:
    st.subheader(t("hot.card"))
    hotspots.area_section(table, filters)
    st.subheader(t("hot.table"))
    hotspots.export(table, choice["method"], choice["confidence"])
hotspots.backtest_section(choice["level"], filters, effective_focus(filters.focus))
shape_report.section("hot", filters)
