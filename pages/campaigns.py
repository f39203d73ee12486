"""Campaigns and reports: phases and indicator targets against actuals; area reports in one click."""

import streamlit as st

from geo.ui import campaigns
from geo.ui.auth import may, require
from geo.ui.filters import current
from geo.ui.i18n import t

user = require("view_reports")
st.title(t("campaign.title"))
filters = current()
st.subheader(t("campaign.section"))
campaigns.show()
if may("edit_campaigns"):
    with st.expander(t("campaign.actual")):
        campaigns.hand_actuals(user)
    with st.expander(t("campaign.edit")):
        campaigns.edit_form(user)
    with st.expander(t("campaign.new")):
        campaigns.create_form(user)
st.subheader(t("report.section"))
campaigns.report_section(filters.start, filters.end, user)
