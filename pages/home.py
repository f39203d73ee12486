"""Overview: what is in the database, and the district boundary with its grid cells."""

import streamlit as st

from geo.ui import data
from geo.ui.i18n import t
from geo.ui.mapview import show_boundary_map
from geo.ui.auth import require

require("view_maps")
st.title(t("home.title"))
info = data.overview()
if info is None:
    st.warning(t("home.no_schema"))
    st.stop()
st.caption(t("home.caption", db=data.database_label(), tz=info["timezone"]))
cols = st.columns(len(info["tables"]))
for col, (table, n) in zip(cols, info["tables"].items()):
    col.metric(t(f"count.{table}"), f"{n:,}")
cols = st.columns(len(info["levels"]))
for col, (level, n) in zip(cols, info["levels"].items()):
    col.metric(t(f"level.{level}"), f"{n:,}")
if info["latest"]:
    st.caption(t("home.latest", day=info["latest"]))
if not info["tables"]["areas"]:
    st.info(t("home.empty"))
    st.stop()

st.subheader(t("home.map"))
show_boundary_map(key="home.map")
