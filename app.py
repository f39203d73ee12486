"""SafeGrid: the router. Page config, navigation and the shared sidebar; nothing else.

``?wall=1`` opens the wall display alone: full screen, no sidebar, no navigation.
"""

import streamlit as st

from geo.ui.chrome import sidebar
from geo.ui.i18n import t

WALL = st.query_params.get("wall") == "1"
st.set_page_config(page_title=t("app.title"), page_icon="🗺️", layout="wide",
                   initial_sidebar_state="collapsed" if WALL else "auto")
wall = st.Page("pages/wall.py", title=t("nav.wall"), icon=":material/tv:", url_path="wall")
if WALL:
    st.navigation([wall], position="hidden").run()
else:
    sidebar()
    st.navigation([
        st.Page("pages/home.py", title=t("nav.home"), icon=":material/dashboard:", default=True),
        st.Page("pages/grid_map.py", title=t("nav.grid"), icon=":material/grid_on:", url_path="grid"),
        wall,
        st.Page("pages/import_data.py", title=t("nav.import"), icon=":material/upload_file:", url_path="import"),
    ]).run()
