"""The ledger's open item: its fields, history and workflow actions, and its edit form (the card
reads the item as it is now, never from the cache)."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import pandas as pd
import streamlit as st

from geo.core import clock
from geo.core import ledger as rules
from geo.store import ledger as store
from geo.ui import data
from geo.ui.auth import current_user
from geo.ui.i18n import t, t_or
from geo.ui.ledger import (FLASH_KEY, ITEM_KEY, SEEN_KEY, category_label, date_or_none, fresh_item, item_name,
                           kind_label, refresh, refusal_text, status_label)
from geo.ui.ledger_fix import correction_form, facts
from geo.ui.ledger_form import item_form
from geo.ui.markup import plain


def _history(item_id: int) -> pd.DataFrame:
    with data.session() as (conn, scoped):
        return store.history(conn, scoped, item_id)


def _audit_read(item_id: int) -> None:
    from geo.store import audit

    user = current_user() or {}
    with data.engine().begin() as conn:
        audit.record(conn, user.get("username", "-"), "ledger.read", str(item_id))


def card(frame: gpd.GeoDataFrame) -> None:
    """The open item: fields, history, workflow actions the role may take, and the edit form.

    The card shows the item in ``ITEM_KEY`` whether or not the filters still list it (after an action
    it stays on the changed item, saying so when the list no longer holds it). The version the user has
    seen is kept from the moment the card opens; actions and edits are made against it, so a change made
    meanwhile by someone else is refused, not overwritten.
    """
    item_id = st.session_state.get(ITEM_KEY)
    rows = fresh_item(int(item_id)) if item_id is not None else frame.iloc[0:0]
    if rows.empty:
        st.caption(t("ledger.pick_hint"))
        return
    item = rows.iloc[0]
    item_id, version = int(item["id"]), int(item["version"])
    seen_id, seen = st.session_state.get(SEEN_KEY) or (None, None)
    if seen_id != item_id:
        seen = version
        st.session_state[SEEN_KEY] = (item_id, version)
        _audit_read(item_id)
    user = current_user() or {}
    with st.container(border=True):
        st.subheader(item_name(item))
        if item_id not in set(frame["id"].astype(int)):
            st.caption(":material/filter_alt_off: " + t("ledger.not_in_filter"))
        flash = st.session_state.get(FLASH_KEY)
        if flash and flash[0] == item_id:
            st.success(flash[1])
            del st.session_state[FLASH_KEY]
        if seen != version:
            st.warning(t("ledger.changed_meanwhile", seen=seen, now=version))
            if st.button(t("ledger.reload"), key=f"ledger.reload.{item_id}"):
                st.session_state[SEEN_KEY] = (item_id, version)
                st.rerun()
        flag = f" · :red[{t('ledger.overdue_days', n=int(item['overdue_days']))}]" if item["overdue"] else ""
        st.markdown(f"**{status_label(item['status'])}**{flag} · {kind_label(item['kind'])} · "
                    f"{plain(category_label(item['category']))} · {t('ledger.unit')}: "
                    f"{plain(item['responsible_unit']) or '—'}")
        st.caption(t("ledger.dates", found=item["found_on"], deadline=date_or_none(item["deadline"]) or "—",
                     recheck=date_or_none(item["recheck_on"]) or "—", cell=item["cell_code"] or "—", version=version))
        if item["description"]:
            st.markdown(plain(item["description"]))
        facts(item)
        hist = _history(item_id)
        for col in ("from_status", "to_status"):
            hist[col] = hist[col].map(lambda s: status_label(s) if isinstance(s, str) and s else "—")
        hist["action"] = hist["action"].map(lambda a: t_or(f"ledger.act.{a}", a))
        hist["at"] = pd.to_datetime(hist["at"], utc=True).dt.tz_convert(data.timezone()).dt.strftime("%Y-%m-%d %H:%M")
        hist["note"] = hist["note"].fillna("—")
        zone = clock.zone_label(data.timezone())
        st.dataframe(hist.rename(columns=lambda c: t(f"ledger.hist.{c}", zone=zone)), hide_index=True,
                     width="stretch")
        _actions(item, user, seen)
        correction_form(item, user, seen)
        if user.get("role") in rules.EDIT_ROLES and item["status"] in rules.OPEN:
            with st.expander(t("ledger.edit", item=item_name(item))):
                item_form(item, user, seen)


def _actions(item, user: dict, seen: int) -> None:
    """The workflow form of this item: keyed by its id and the version the user has seen, so it names and
    acts on this item only, and starts with an empty note after the user's own change or a reload (a
    change by someone else meanwhile leaves it as it is: submitting it is refused as stale)."""
    allowed = rules.actions_for(item["status"], user.get("role"))
    if not allowed:
        return
    item_id = int(item["id"])
    base = f"ledger.act.{item_id}.{seen}"
    with st.form(base, clear_on_submit=True):
        st.markdown(f"**{t('ledger.act.for', item=item_name(item))}**")
        a, b, c = st.columns([1, 2, 1])
        # the natural next step is offered first; a destructive one (cancel) is never preselected
        action = a.selectbox(t("ledger.action"), allowed, format_func=lambda x: t(f"ledger.act.{x}"),
                             index=None if allowed[0] in rules.DESTRUCTIVE else 0, placeholder=t("ledger.choose"),
                             key=f"{base}.action")
        note = b.text_input(t("ledger.note"), key=f"{base}.note")
        recheck = c.date_input(t("ledger.recheck_on"), value=data.today() + dt.timedelta(days=rules.RECHECK_DAYS),
                               key=f"{base}.recheck")
        if not st.form_submit_button(t("ledger.apply"), type="primary"):
            return
    if action is None:
        st.error(t("ledger.choose.action"))
        return
    try:
        version = store.act(data.engine(), user["username"], user["role"], item_id, seen, action,
                            note=note or None, recheck_on=recheck if action == "rectify" else None,
                            today=data.today(), scope=data.scope())
    except store.StaleEdit:
        st.error(t("ledger.stale"))
        refresh()
        return
    except (rules.WorkflowRefused, store.ItemRefused) as exc:
        st.error(t("ledger.refused", reason=refusal_text(exc)))
        return
    st.session_state[SEEN_KEY] = (item_id, version)
    st.session_state[FLASH_KEY] = (item_id, t("ledger.done", item=item_name(item), action=t(f"ledger.act.{action}")))
    refresh()
    st.rerun()
