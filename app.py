"""SafeGrid: the router. Page config, log-on, navigation and the shared sidebar; nothing else.

``?wall=1`` opens the wall display alone: full screen, no sidebar, no navigation.
Only the pages the signed-in role may use are listed; each page checks again itself.
"""

import streamlit as st

from geo.ui.auth import check_session, kiosk_session, logon_form, may, sidebar_account
from geo.ui.chrome import sidebar
from geo.ui.i18n import t
from geo.ui.runlog import script_run

with script_run():  # server time per run, logged only when SAFEGRID_RUN_LOG is set
    WALL = st.query_params.get("wall") == "1"
    st.set_page_config(page_title=t("app.title"), page_icon="🗺️", layout="wide",
                       initial_sidebar_state="collapsed" if WALL else "auto")
    user = check_session()
    if user is None and WALL and st.query_params.get("key"):  # a kiosk: its display key signs the wall in
        user = kiosk_session(st.query_params["key"])
    if user is None:
        if not WALL:
            sidebar(with_filters=False)
        st.navigation([st.Page(logon_form, title=t("auth.title"), url_path="logon")], position="hidden").run()
        st.stop()

    PAGES = [  # (file, title key, icon, url path, permission)
        ("pages/home.py", "nav.home", ":material/dashboard:", "", "view_maps"),
        ("pages/grid_map.py", "nav.grid", ":material/grid_on:", "grid", "view_maps"),
        ("pages/hotspots.py", "nav.hotspots", ":material/local_fire_department:", "hotspots", "view_maps"),
        ("pages/coverage.py", "nav.coverage", ":material/videocam:", "coverage", "view_maps"),
        ("pages/zones.py", "nav.zones", ":material/local_police:", "zones", "view_maps"),
        ("pages/ledger.py", "nav.ledger", ":material/assignment:", "ledger", "view_ledger"),
        ("pages/alerts.py", "nav.alerts", ":material/notifications:", "alerts", "view_maps"),
        ("pages/campaigns.py", "nav.campaigns", ":material/flag:", "campaigns", "view_reports"),
        ("pages/wall.py", "nav.wall", ":material/tv:", "wall", "view_wall"),
        ("pages/import_data.py", "nav.import", ":material/upload_file:", "import", "import"),
        ("pages/admin.py", "nav.admin", ":material/admin_panel_settings:", "admin", "manage_users"),
    ]
    if WALL or user["role"] == "wall":  # a display-only account sees the wall and nothing else
        st.navigation([st.Page("pages/wall.py", title=t("nav.wall"), default=True)], position="hidden").run()
    else:
        sidebar(with_filters=may("view_maps"))
        with st.sidebar:
            sidebar_account()
        # Every other role reads maps, so the overview (no url path) is always there as the default.
        st.navigation([st.Page(path, title=t(title), icon=icon, **({"url_path": url} if url else {"default": True}))
                       for path, title, icon, url, perm in PAGES if may(perm)]).run()
