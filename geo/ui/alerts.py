"""The alerts page: the account's inbox (acknowledge, snooze) and its subscriptions; the wall's count.

Reads and writes go through :mod:`geo.store.alerts` with the account's scope; nothing is cached, as an
inbox is one account's own (the wall's count is keyed by the wall account's scope, :func:`data.loader`).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from geo.core import alerts as rules
from geo.core import clock
from geo.store import alerts as store
from geo.store import features
from geo.store.scope import ACCOUNT_LEVELS
from geo.ui import data
from geo.ui.i18n import catalogue, current_language, t
from geo.ui.markup import plain

DONE_KEY = "alerts.show_done"
PICK_KEY = "alerts.pick"
ACK_KEY = "alerts.ack"
SNOOZE_DATE_KEY = "alerts.snooze_date"
SNOOZE_TIME_KEY = "alerts.snooze_time"
SNOOZE_KEY = "alerts.snooze"
SUB_AREA_KEY = "alerts.sub_area"
SUB_RULE_KEY = "alerts.sub_rule"
SUB_DAYS_KEY = "alerts.sub_days"
SUB_EMAIL_KEY = "alerts.sub_email"
SUB_HOOK_KEY = "alerts.sub_webhook"
SUB_SAVE_KEY = "alerts.sub_save"
UNSUB_PICK_KEY = "alerts.unsub_pick"
UNSUB_KEY = "alerts.unsub"
FLASH_KEY = "alerts.flash"  # "saved", shown once after the rerun that follows a write


def _label(prefix: str, value: str) -> str:
    key = f"{prefix}.{value}"
    return t(key) if key in catalogue() else value


def _write(action) -> bool:
    """Run a store write; a refusal is shown in words. True when it was saved (the caller reruns the page,
    which then says so: :func:`flash`)."""
    try:
        action()
    except (store.AlertRefused, ValueError) as exc:
        st.error(t("alerts.refused", reason=plain(exc)))
        return False
    st.session_state[FLASH_KEY] = True
    return True


def flash() -> None:
    """"Saved", once, after a write and its rerun."""
    if st.session_state.pop(FLASH_KEY, False):
        st.success(t("alerts.saved"))


def inbox(user: dict) -> None:
    """The account's alerts inside its scope, and the acknowledge / snooze controls."""
    done = st.toggle(t("alerts.show_done"), key=DONE_KEY)
    with data.session() as (conn, s):
        table = store.inbox(conn, s, user["username"], include_done=done)
    if table.empty:
        st.info(t("alerts.none"))
        return
    tz = data.timezone()
    shown = pd.DataFrame({
        t("alerts.col.id"): table["id"],
        t("alerts.col.rule"): [_label("alerts.rule", r) for r in table["rule"]],
        t("alerts.col.area"): table["area_code"],
        t("alerts.col.subject"): [_subject(v) for v in table["subject"]],
        t("alerts.col.condition"): [_label("alerts.cond", c) for c in table["condition"]],
        t("alerts.col.value"): [_figure(v) for v in table["value"]],
        t("alerts.col.threshold"): [_figure(v) for v in table["threshold"]],
        t("alerts.col.raised"): [_local(v, tz) for v in table["raised_at"]],
        t("alerts.col.status"): [_label("alerts.status", v) + ("" if a else f" ({t('alerts.cleared')})")
                                 for v, a in zip(table["status"], table["active"])],
        t("alerts.col.delivery"): [_label("alerts.delivery", v) for v in table["delivery"]],
    })
    st.dataframe(shown, hide_index=True, use_container_width=True)
    ids = table["id"].astype(int).tolist()
    pick = st.selectbox(t("alerts.pick"), ids, key=PICK_KEY,
                        format_func=lambda i: f"#{i} " + _summary(table[table["id"] == i].iloc[0]))
    a, b, c, d = st.columns([1, 1, 1, 1])
    if a.button(t("alerts.ack"), key=ACK_KEY, type="primary"):
        if _write(lambda: store.acknowledge(data.engine(), user["username"], data.scope(), pick)):
            st.rerun()
    now = clock.local_now(tz)
    day = b.date_input(t("alerts.snooze_date"), value=now.date() + dt.timedelta(days=1), key=SNOOZE_DATE_KEY)
    time = c.time_input(t("alerts.snooze_time"), value=dt.time(8, 0), key=SNOOZE_TIME_KEY)
    if d.button(t("alerts.snooze"), key=SNOOZE_KEY):
        until = dt.datetime.combine(day, time, tzinfo=ZoneInfo(tz))
        if _write(lambda: store.snooze(data.engine(), user["username"], data.scope(), pick, until)):
            st.rerun()


def _summary(row) -> str:
    return f"{_label('alerts.rule', row['rule'])} · {_subject(row['subject'])} · {_label('alerts.cond', row['condition'])}"


def _subject(value: str) -> str:
    """A cell or area code as it is; a ledger item as its number in words."""
    return t("alerts.item", n=value[5:]) if str(value).startswith("item:") else str(value)


def _figure(value) -> str:
    return "—" if value is None or pd.isna(value) else f"{float(value):g}"


def _local(value, tz: str) -> str:
    stamp = pd.Timestamp(value)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp
    return stamp.tz_convert(tz).strftime("%Y-%m-%d %H:%M")


def subscriptions(user: dict) -> None:
    """The account's subscriptions, a form to add (or change) one, and unsubscribing."""
    with data.session() as (conn, s):
        mine = store.subscriptions(conn, user["username"])
        areas = pd.concat([features.areas_within(conn, s, lv)[["code", "name", "name_en"]] for lv in ACCOUNT_LEVELS])
    if not mine.empty:
        st.dataframe(pd.DataFrame({
            t("alerts.col.rule"): [_label("alerts.rule", r) for r in mine["rule"]],
            t("alerts.col.area"): mine["area_code"],
            t("alerts.sub_days"): [_figure(v) for v in mine["due_days"]],
            t("alerts.sub_email"): mine["email"].fillna("—"),
            t("alerts.sub_webhook"): [_host(v) or "—" for v in mine["webhook"]],
        }), hide_index=True, use_container_width=True)
    english = current_language() == "en"
    names = {c: (e if english and isinstance(e, str) and e else n) for c, n, e in
             zip(areas["code"], areas["name"], areas["name_en"])}
    allowed = [r for r in rules.RULES if store.may_subscribe(user["role"], r)]
    if not names or not allowed:
        st.info(t("alerts.cannot_subscribe"))
        return
    with st.form("alerts.subscribe"):
        area = st.selectbox(t("alerts.sub_area"), list(names), key=SUB_AREA_KEY,
                            format_func=lambda c: f"{names[c]} ({c})")
        rule = st.selectbox(t("alerts.sub_rule"), allowed, key=SUB_RULE_KEY,
                            format_func=lambda r: t(f"alerts.rule.{r}"))
        days = st.number_input(t("alerts.sub_days"), 0, rules.MAX_DUE_DAYS, rules.DUE_DAYS, key=SUB_DAYS_KEY,
                               help=t("alerts.sub_days_help"))
        email = st.text_input(t("alerts.sub_email"), key=SUB_EMAIL_KEY, help=t("alerts.sub_email_help"))
        hook = st.text_input(t("alerts.sub_webhook"), key=SUB_HOOK_KEY, help=t("alerts.sub_webhook_help"))
        if st.form_submit_button(t("alerts.sub_save"), key=SUB_SAVE_KEY):
            if _write(lambda: store.subscribe(data.engine(), user["username"], user["role"], data.scope(), area, rule,
                                              due_days=int(days), email=email or None, webhook=hook or None)):
                st.rerun()
    if not mine.empty:
        labels = {int(i): f"{_label('alerts.rule', r)} · {c}" for i, r, c in zip(mine["id"], mine["rule"],
                                                                             mine["area_code"])}
        a, b = st.columns([3, 1])
        which = a.selectbox(t("alerts.unsub_pick"), list(labels), key=UNSUB_PICK_KEY, format_func=labels.get)
        if b.button(t("alerts.unsub"), key=UNSUB_KEY):
            if _write(lambda: store.unsubscribe(data.engine(), user["username"], data.scope(), which)):
                st.rerun()


def _host(url) -> str | None:
    """A webhook shown by its host only: its path may carry a token."""
    from urllib.parse import urlsplit

    return urlsplit(url).hostname if isinstance(url, str) and url else None


@data.loader(ttl=60, topics=("data", "ledger"))
def _open_alerts(conn, s) -> int:
    return store.open_count(conn, s)


def wall_band(k: int) -> str | None:
    """The wall's generalised count of open alerts inside its scope (None: fewer than ``k``)."""
    return rules.open_count_band(_open_alerts(), k)
