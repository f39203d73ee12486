"""Import: upload a file, watch the progress bar, read what was written and what was skipped."""

import streamlit as st

from geo.ui.i18n import t
from geo.ui.imports import ACCEPTED, LAYER_CHOICES, layer_label, presets, run_import, show_report, summary
from geo.ui.auth import require

user = require("import")
st.title(t("import.title"))
st.caption(t("import.caption"))
if user["scope"]:  # an import writes for the whole jurisdiction: not for an account limited to one area
    st.warning(t("import.scoped"))
    st.stop()
with st.form("import.form"):
    upload = st.file_uploader(t("import.file"), type=ACCEPTED, key="import.file", help=t("ui.upload.help"))
    left, right = st.columns(2)
    choice = left.selectbox(t("import.layer"), LAYER_CHOICES, format_func=layer_label, key="import.layer")
    preset = right.selectbox(t("import.preset"), presets(), key="import.preset",
                             format_func=lambda p: p or t("import.preset.none"))
    crs = left.text_input(t("import.crs"), placeholder="4326 / gcj02 / bd09", key="import.crs")
    code_field = right.text_input(t("import.code_field"), key="import.code_field")
    submitted = st.form_submit_button(t("import.submit"), type="primary")
if submitted:
    if upload is None:
        st.warning(t("import.no_file"))
    else:
        report = run_import(upload, choice, preset, crs, code_field, username=user["username"],
                            role=user.get("role"))
        if report is not None:
            st.success(summary(report, choice))
            show_report(report)
