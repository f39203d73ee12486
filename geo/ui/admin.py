"""The admin page's work: accounts (add, disable, enable, reset, role and scope) and the audit log."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from geo.core import clock
from geo.core.auth import PERMISSIONS, ROLES
from geo.report import safefiles
from geo.store import accounts, audit
from geo.ui import data
from geo.ui.downloads import offer
from geo.ui.i18n import labelled, t, t_or
from geo.ui.markup import plain


def _scopes() -> list[str]:
    options = [""]
    for level in ("district", "street", "community"):
        options += data.shapes(level, None)["code"].tolist()
    return options


FLASH_KEY = "admin.flash"
# the create form's role: the one that may do least (never admin); the scope is always chosen
LEAST_ROLE = min(ROLES, key=lambda r: (len(PERMISSIONS[r]), ROLES.index(r)))


def _scope_label(code: str) -> str:
    if not code:
        return t("auth.scope.all")
    trail = data.path(code)
    name = trail[-1].get("name") if trail else None
    return f"{name} ({code})" if name else code


def _times(frame: pd.DataFrame, columns, tz: str) -> pd.DataFrame:
    """UTC instants shown in the deployment's zone (the headers name it); empty shows as "—"."""
    out = frame.copy()
    for col in columns:
        stamps = pd.to_datetime(out[col], utc=True, errors="coerce")
        out[col] = stamps.dt.tz_convert(tz).dt.strftime("%Y-%m-%d %H:%M:%S").astype(object).where(stamps.notna(), "—")
    return out


def accounts_section(actor: str) -> None:
    st.subheader(t("admin.accounts"))
    if st.session_state.get(FLASH_KEY):
        st.success(st.session_state.pop(FLASH_KEY))
    with data.engine().connect() as conn:
        rows = accounts.list_accounts(conn)
    table = pd.DataFrame(rows, columns=["username", "role", "scope_code", "disabled", "failed_logons", "locked_until",
                                        "created_at"])
    tz = data.timezone()
    shown = _times(table, ("locked_until", "created_at"), tz).assign(
        role=table["role"].map(lambda r: t(f"role.{r}")),
        scope_code=table["scope_code"].map(lambda c: _scope_label(c) if isinstance(c, str) else t("auth.scope.all")))
    zone = clock.zone_label(tz)
    st.dataframe(shown.rename(columns={c: t(f"admin.col.{c}", zone=zone) for c in shown.columns}), hide_index=True,
                 width="stretch")
    with st.form("admin.add", clear_on_submit=True):
        st.markdown(f"**{t('admin.add')}**")
        a, b, c, d = st.columns(4)
        username = a.text_input(t("auth.username"), key="admin.add.username")
        password = b.text_input(t("auth.password"), type="password", key="admin.add.password")
        role = c.selectbox(t("admin.role"), ROLES, key="admin.add.role", index=ROLES.index(LEAST_ROLE),
                           format_func=lambda r: t(f"role.{r}"))
        # the whole jurisdiction is the widest scope: not a default, it is chosen like any area
        scope = d.selectbox(t("admin.scope"), _scopes(), key="admin.add.scope", index=None,
                            placeholder=t("admin.choose"), format_func=_scope_label)
        if st.form_submit_button(t("admin.add.submit")):
            if scope is None:
                st.error(t("admin.choose.scope"))
                return
            _apply(lambda: accounts.add(data.engine(), actor, username, password, role, scope or None),
                   t("admin.done.add", user=username))
    if table.empty:
        return
    change_section(actor, table)


def change_section(actor: str, table: pd.DataFrame) -> None:
    """Change one account: picked first, then a form bound to it (its keys carry the name) that says
    which account it changes; no action, role or scope wider than the account's own is preselected."""
    names = table["username"].tolist()
    st.markdown(f"**{t('admin.change')}**")
    who = st.selectbox(t("admin.change.pick"), names, key="admin.change.user", index=None,
                       placeholder=t("admin.choose"))
    if who is None:
        return
    row = table.set_index("username").loc[who]
    current_scope = row["scope_code"] if isinstance(row["scope_code"], str) else ""
    scopes = _scopes()
    if current_scope not in scopes:
        scopes.append(current_scope)
    key = f"admin.change.{who}"
    with st.form(key, clear_on_submit=True):
        st.markdown(t("admin.change.for", user=plain(who), role=t(f"role.{row['role']}"),
                      scope=plain(_scope_label(current_scope)),
                      state=t("admin.state.disabled" if row["disabled"] else "admin.state.enabled")))
        b, c, d = st.columns(3)
        # nothing destructive or privileged is preselected: the action and the role are chosen each time
        action = b.selectbox(t("admin.action"), ("disable", "enable", "reset", "permissions"), key=f"{key}.action",
                             index=None, placeholder=t("admin.choose"), format_func=lambda x: t(f"admin.action.{x}"))
        password = c.text_input(t("admin.new_password"), type="password", key=f"{key}.password")
        role = d.selectbox(t("admin.role"), ROLES, key=f"{key}.role", index=None, placeholder=t("admin.choose"),
                           format_func=lambda r: t(f"role.{r}"))
        scope = d.selectbox(t("admin.scope"), scopes, key=f"{key}.scope", index=scopes.index(current_scope),
                            format_func=_scope_label)
        if st.form_submit_button(t("admin.change.submit", user=plain(who))):
            if action is None or (action == "permissions" and role is None):
                st.error(t("admin.choose.action" if action is None else "admin.choose.role"))
                return
            eng = data.engine()
            work = {"disable": lambda: accounts.disable(eng, actor, who),
                    "enable": lambda: accounts.enable(eng, actor, who),
                    "reset": lambda: accounts.reset_password(eng, actor, who, password),
                    "permissions": lambda: accounts.set_role(eng, actor, who, role, scope or None)}[action]
            _apply(work, t("admin.done.change", user=who))


def display_keys_section(actor: str) -> None:
    """Kiosk addresses for wall accounts: issue, rotate, revoke; the keys listed by hint only."""
    from urllib.parse import quote

    from geo.store import displaykeys

    st.subheader(t("admin.keys"))
    with data.engine().connect() as conn:
        walls = [r["username"] for r in accounts.list_accounts(conn) if r["role"] == "wall" and not r["disabled"]]
    if not walls:
        st.caption(t("admin.keys.none"))
        return
    a, b = st.columns([1, 2])
    who = a.selectbox(t("auth.username"), walls, key="admin.keys.user")
    base = b.text_input(t("admin.keys.base"), value="http://127.0.0.1:8501", key="admin.keys.base")
    c, d, e = st.columns(3)
    made = None
    try:
        if c.button(t("admin.keys.issue"), key="admin.keys.issue"):
            made = displaykeys.issue(data.engine(), actor, who)
        if d.button(t("admin.keys.rotate"), key="admin.keys.rotate"):
            made = displaykeys.rotate(data.engine(), actor, who)
        if e.button(t("admin.keys.revoke"), key="admin.keys.revoke"):
            st.success(t("admin.keys.revoked", n=displaykeys.revoke(data.engine(), actor, who), user=who))
    except displaykeys.KeyRefused as exc:
        st.error(plain(exc))
    if made:  # shown once: only its hash is kept
        st.success(t("admin.keys.made", user=who))
        st.code(f"{base.rstrip('/')}/?wall=1&key={quote(made)}", language=None)
    with data.engine().connect() as conn:  # read after the buttons: the list shows what they just did
        keys = pd.DataFrame(displaykeys.list_keys(conn),
                            columns=["username", "hint", "created_at", "created_by", "revoked_at"])
    if not keys.empty:
        shown = keys.assign(hint=keys["hint"] + "…", revoked_at=keys["revoked_at"].astype(object).where(
            keys["revoked_at"].notna(), "—"))
        st.dataframe(shown.rename(columns={c: t(f"admin.keys.col.{c}") for c in keys.columns}), hide_index=True,
                     width="stretch")


def _apply(work, done: str) -> None:
    try:
        work()
    except accounts.AccountError as exc:
        st.error(t(f"admin.refused.{exc.reason}", **exc.values) if exc.reason else str(exc))
        return
    st.session_state[FLASH_KEY] = done
    st.rerun()  # the table and the pickers above show the change at once


def audit_action_label(action: str) -> str:
    """An audit action in words: ``ledger.rectify`` -> the catalogue's ``audit.action.ledger.rectify``."""
    return t_or(f"audit.action.{action}", action)


def audit_section() -> None:
    st.subheader(t("admin.audit"))
    a, b, c = st.columns(3)
    who = a.text_input(t("admin.audit.user"), key="admin.audit.user")
    action = b.text_input(t("admin.audit.action"), key="admin.audit.action")
    days = c.number_input(t("admin.audit.days"), min_value=1, max_value=3650, value=30, key="admin.audit.days")
    start = clock.now_utc() - dt.timedelta(days=int(days))
    with data.engine().connect() as conn:
        rows = audit.entries(conn, username=who.strip() or None, action=action.strip() or None, start=start)
    tz = data.timezone()
    at_header = t("admin.col.at", zone=clock.zone_label(tz))
    readable = _times(rows, ("at",), tz).assign(
        action=rows["action"].map(audit_action_label),
        outcome=rows["outcome"].map(lambda o: t_or(f"audit.outcome.{o}", str(o))),
        object=rows["object"].map(lambda o: t_or(f"audit.object.{o}", o) if o else o)).rename(columns={"at": at_header})
    readable = labelled(readable, "admin.col", keep=(at_header,))
    st.dataframe(readable, hide_index=True, width="stretch")
    offer(t("admin.audit.export"), safefiles.csv_bytes(readable), "audit_log.csv", key="admin.audit.download",
          what="audit_log", rows=len(rows))
