"""On the open item's card: its duplicate links and escalation, and the correction of its category or
responsible unit (a step with a reason, kept in its history: :mod:`geo.store.ledger_hygiene`)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from geo.core import ledger as rules
from geo.core import ledger_hygiene as hygiene
from geo.store import ledger as store
from geo.store import ledger_hygiene
from geo.ui import data
from geo.ui.i18n import t
from geo.ui.ledger import (FLASH_KEY, SEEN_KEY, category_label, item_name, known_units, open_item, refresh,
                           refusal_text, status_label)
from geo.ui.markup import plain


def _copies(item_id: int) -> pd.DataFrame:
    with data.session() as (conn, scoped):
        return ledger_hygiene.linked_copies(conn, scoped, item_id)


def facts(item) -> None:
    """What hygiene says of the item: the original it duplicates, the copies linked to it, its escalation."""
    item_id = int(item["id"])
    original = item.get("duplicate_of")
    if original is not None and not pd.isna(original):
        a, b = st.columns([4, 1], vertical_alignment="center")
        a.info(":material/link: " + t("ledger.dupes.of", id=int(original)))
        b.button(t("ledger.open", id=int(original)), key=f"ledger.dupes.open.{item_id}", on_click=open_item,
                 args=(int(original),))
    copies = _copies(item_id)
    if len(copies):
        listed = ", ".join(f"#{int(r.id)} {plain(r.title)} ({status_label(r.status)})" for r in copies.itertuples())
        st.caption(":material/content_copy: " + t("ledger.dupes.copies", n=len(copies), items=listed))
    if bool(item.get("escalated")):
        st.error(":material/priority_high: " + t("ledger.escalated", date=item["escalated_on"],
                                                  days=ledger_hygiene.settings().escalate_days,
                                                  street=plain(item["street_code"] or "—")))


def correction_form(item, user: dict, seen: int) -> None:
    """Correct the category and/or the responsible unit, with the reason (a clerk, a leader or an admin)."""
    if user.get("role") not in hygiene.CORRECT_ROLES:
        return
    item_id = int(item["id"])
    base = f"ledger.correct.{item_id}.{seen}"
    with st.expander(t("ledger.correct", item=item_name(item))):
        with st.form(base, clear_on_submit=True):
            cats = list(rules.CATEGORIES)
            now_cat = item["category"] if isinstance(item["category"], str) and item["category"] else None
            if now_cat and now_cat not in cats:
                cats.append(now_cat)
            units = list(known_units())
            now_unit = item["responsible_unit"] if isinstance(item["responsible_unit"], str) else None
            if now_unit and now_unit not in units:
                units.append(now_unit)
            a, b = st.columns(2)
            category = a.selectbox(t("ledger.category"), cats, index=cats.index(now_cat) if now_cat else None,
                                   format_func=category_label, placeholder=t("ledger.choose"), key=f"{base}.category")
            unit = b.selectbox(t("ledger.unit"), units, index=units.index(now_unit) if now_unit else None,
                               placeholder=t("ledger.choose"), key=f"{base}.unit")
            reason = st.text_input(t("ledger.correct.reason"), key=f"{base}.reason")
            if not st.form_submit_button(t("ledger.correct.go"), type="primary"):
                return
    changes = {k: v for k, v, was in (("category", category, now_cat), ("responsible_unit", unit, now_unit))
               if v is not None and v != was}
    try:
        version = ledger_hygiene.correct_item(data.engine(), user["username"], user["role"], item_id, seen,
                                              reason=reason, scope=data.scope(), **changes)
    except store.StaleEdit:
        st.error(t("ledger.stale"))
        refresh()
        return
    except rules.Refusal as exc:
        st.error(t("ledger.refused", reason=refusal_text(exc)))
        return
    st.session_state[SEEN_KEY] = (item_id, version)
    st.session_state[FLASH_KEY] = (item_id, t("ledger.correct.done", item=item_name(item)))
    refresh()
    st.rerun()
