"""Alerts: the account's inbox (acknowledge, snooze) and its subscriptions to alert rules."""

import streamlit as st

from geo.ui import alerts
from geo.ui.i18n import t
from geo.ui.auth import require

user = require("view_maps")
st.title(t("alerts.title"))
alerts.flash()
st.subheader(t("alerts.inbox"))
alerts.inbox(user)
st.subheader(t("alerts.subs"))
st.caption(t("alerts.band_note"))
alerts.subscriptions(user)
