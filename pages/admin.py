"""Admin: accounts and the audit log (admins only; every change is audited)."""

import streamlit as st

from geo.ui import admin
from geo.ui.auth import require
from geo.ui.i18n import t

user = require("manage_users")
st.title(t("admin.title"))
admin.accounts_section(user["username"])
admin.display_keys_section(user["username"])
admin.audit_section()
