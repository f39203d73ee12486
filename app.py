"""SafeGrid: the router. Page config, navigation and the shared sidebar; nothing else."""

import streamlit as st

from geo.ui.chrome import sidebar
from geo.ui.i18n import t

st.set_page_config(page_title=t("app.title"), page_icon="🗺️", layout="wide")
sidebar()
st.navigation([
    st.Page("pages/home.py", title=t("nav.home"), icon=":material/dashboard:", default=True),
    st.Page("pages/import_data.py", title=t("nav.import"), icon=":material/upload_file:", url_path="import"),
]).run()
