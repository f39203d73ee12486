"""Grid map: the areas in focus coloured by a measure; click to drill down, click a cell for its card."""

import streamlit as st

from geo.ui import data, gridview, shape_report
from geo.ui.filters import current
from geo.ui.i18n import t
from geo.ui.auth import require

require("view_maps")
st.title(t("grid.title"))
if data.overview() is None or not data.overview()["tables"]["areas"]:
    st.warning(t("home.no_schema"))
    st.stop()
filters = current()
st.caption(t("grid.caption", start=filters.start, end=filters.end))
gridview.breadcrumbs(filters.focus)
measure, method, mode = gridview.measure_controls()
left, right = st.columns([3, 1.3])
with left:
    clicked = gridview.show_grid_map(filters, measure, method, mode)
    st.multiselect(t("grid.layers"), gridview.layers_allowed(), key=gridview.LAYERS_KEY,
                   format_func=lambda name: t(f"layer.{name}"), placeholder=t("ui.choose"))
with right:
    gridview.search_box()
    cell = st.session_state.get(gridview.CELL_KEY)
    if cell:
        gridview.show_card(cell, filters)
    else:
        st.info(t("grid.hint"))
if clicked:
    gridview.handle_click(clicked)
st.subheader(t("grid.ranking"))
gridview.ranking(filters, measure, mode)
shape_report.section("grid", filters)
