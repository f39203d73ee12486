"""The create form's likely-duplicate step: when a new item looks like open items already in the ledger
(same kind and category, close by, found within days: :mod:`geo.store.ledger_hygiene`), the store holds
it and this panel shows the candidates; the clerk links the new item to one of them or confirms it is
distinct, and only then is it saved."""

from __future__ import annotations

from typing import Callable

import pandas as pd
import streamlit as st

from geo.core import ledger as rules
from geo.store import ledger as store
from geo.store import ledger_hygiene
from geo.ui import data
from geo.ui.i18n import t
from geo.ui.ledger import refusal_text, status_label
from geo.ui.markup import plain

PENDING_KEY = "ledger.dupes.pending"  # (form key, fields, candidates frame as records): the held item
DISTINCT = "distinct"


def hold(form: str, fields: dict, held: ledger_hygiene.LikelyDuplicate) -> None:
    """Keep the new item's fields and its candidates for the panel (shown on the next run)."""
    st.session_state[PENDING_KEY] = (form, dict(fields), held.candidates.to_dict("records"))


def drop() -> None:
    st.session_state.pop(PENDING_KEY, None)


def pending(form: str) -> bool:
    held = st.session_state.get(PENDING_KEY)
    return bool(held) and held[0] == form


def _label(choice, by_id: dict) -> str:
    if choice == DISTINCT:
        return t("ledger.dupes.distinct")
    row = by_id[choice]
    return t("ledger.dupes.link", item=f"#{int(choice)} {plain(row['title'])}")


def panel(form: str, user: dict, created: Callable[[int, str], None]) -> None:
    """The held item's candidates and the choice; saving calls ``created(item_id, title)``."""
    if not pending(form):
        return
    _, fields, records = st.session_state[PENDING_KEY]
    found = pd.DataFrame(records)
    by_id = {int(r["id"]): r for r in records}
    with st.container(border=True, key="ledger-dupes"):
        st.warning(t("ledger.dupes.found", n=len(found), title=plain(fields["title"])))
        shown = found.assign(status=found["status"].map(status_label),
                             responsible_unit=found["responsible_unit"].fillna("—"))
        st.dataframe(shown.rename(columns=lambda c: t(f"ledger.dupes.col.{c}")), hide_index=True, width="stretch")
        choice = st.radio(t("ledger.dupes.choose"), [*by_id, DISTINCT], index=None,
                          format_func=lambda c: _label(c, by_id), key=f"{form}.dupes.choice")
        a, b = st.columns(2)
        save = a.button(t("ledger.dupes.save"), type="primary", key=f"{form}.dupes.save")
        if b.button(t("ledger.dupes.back"), key=f"{form}.dupes.back"):
            drop()
            st.rerun()
    if not save:
        return
    if choice is None:
        st.error(t("ledger.dupes.pick"))
        return
    try:
        item_id = store.create_item(data.engine(), user["username"], user["role"], scope=data.scope(),
                                    duplicate_of=None if choice == DISTINCT else int(choice),
                                    distinct_from=list(by_id) if choice == DISTINCT else None, **fields)
    except ledger_hygiene.LikelyDuplicate as again:  # another likely original appeared meanwhile: judge it too
        hold(form, fields, again)
        st.rerun()
    except (store.ItemRefused, rules.Refusal) as exc:
        st.error(t("ledger.refused", reason=refusal_text(exc)))
        return
    drop()
    created(item_id, fields["title"])
