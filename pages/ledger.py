"""The ledger: screened hazards, disputes and security gaps, their rectification and oversight."""

import streamlit as st

from geo.ui import ledger, ledger_card, ledger_form, oversight
from geo.ui.auth import may, require
from geo.ui.filters import current
from geo.ui.i18n import t

user = require("view_ledger")
st.title(t("ledger.title"))
filters = current()
# keyed and tracked, so the add tab's "open" can bring the items tab forward; every tab still runs
items_tab, oversight_tab, add_tab = st.tabs([t("ledger.tab.items"), t("ledger.tab.oversight"), t("ledger.tab.add")],
                                            key=ledger.TABS_KEY, on_change="rerun")
with items_tab:
    query = ledger.query_from_widgets(filters.focus, filters.start, filters.end)
    frame = ledger.items(query)
    ledger.table_and_map(frame)
    ledger_card.card(frame)
    if may("export"):
        ledger.downloads(frame)
with oversight_tab:
    oversight.show(query)
with add_tab:
    if may("edit_ledger"):
        ledger_form.created_notice()
        ledger_form.pick_map()
        ledger_form.item_form(None, user)
        if may("import"):
            oversight.bulk_import(user)
    else:
        st.info(t("ledger.read_only"))
