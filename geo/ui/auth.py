"""Log-on, the session guard and permission checks for pages.

Every page calls :func:`require` first, so a page opened by its URL checks again. A session
ends after ``SAFEGRID_IDLE_MINUTES`` without activity and ``SAFEGRID_MAX_SESSION_HOURS``
after log-on (the display-only wall account is exempt: it is meant to stay on), and at once when the
account is disabled, its password reset or its role or scope changed. Optional
single sign-on uses Streamlit's ``st.login`` when ``[auth]`` is configured in secrets; the
identity (its issuer and subject) must be linked to a local, enabled account, which gives the role and
scope.
"""

from __future__ import annotations

import datetime as dt
import secrets

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from geo.core import clock
from geo.core.auth import allowed, session_expired
from geo.store import accounts, audit
from geo.ui import config, data
from geo.ui.i18n import t

USER_KEY = "auth.user"
NOTICE_KEY = "auth.notice"
CLIENT_KEY = "auth.client"


def _now() -> dt.datetime:
    return clock.now_utc()


def current_user() -> dict | None:
    return st.session_state.get(USER_KEY)


def role() -> str | None:
    user = current_user()
    return user["role"] if user else None


def _start_session(account: accounts.Account, sso: bool = False, key: str | None = None) -> None:
    now = _now()
    st.session_state[USER_KEY] = {"username": account.username, "role": account.role, "scope": account.scope_code,
                                  "credential": account.credential, "started": now, "last_seen": now, "sso": sso,
                                  "key": key}


def kiosk_session(key: str) -> dict | None:
    """A wall session opened by a display key (``geo.store.displaykeys``), or None for a key that opens
    nothing (revoked, unknown, or its account disabled or no longer a wall account)."""
    from geo.store import displaykeys

    with data.engine().connect() as conn:
        account = displaykeys.account_for(conn, key)
    if account is None:
        st.session_state[NOTICE_KEY] = "revoked"
        return None
    with data.engine().begin() as conn:
        audit.record(conn, account.username, "logon.key", account.username)
    _start_session(account, key=key)
    return current_user()


def end_session(reason: str = "logoff") -> None:
    """Log off (audited) and forget the session's state, keeping only the language."""
    user = current_user()
    if user:
        try:
            with data.engine().begin() as conn:
                audit.record(conn, user["username"], "logoff", user["username"], detail=reason)
        except SQLAlchemyError:
            pass  # the session ends regardless; nothing is left open
    lang = st.session_state.get("app.lang")
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    if lang:
        st.session_state["app.lang"] = lang
    if reason != "logoff":
        st.session_state[NOTICE_KEY] = reason
    if user and user.get("sso") and _sso_configured():
        st.logout()  # else the identity cookie would sign the user straight back in


def check_session() -> dict | None:
    """The signed-in user after the time-out and account checks, or None (session ended)."""
    user = current_user()
    if not user:
        return None
    now = _now()
    if user["role"] != "wall":
        idle = dt.timedelta(minutes=config.get_int("SAFEGRID_IDLE_MINUTES", 1))
        longest = dt.timedelta(hours=config.get_int("SAFEGRID_MAX_SESSION_HOURS", 1))
        why = session_expired(user["started"], user["last_seen"], now, idle, longest)
        if why:
            end_session(why)
            return None
    try:
        with data.engine().connect() as conn:
            account = accounts.get(conn, user["username"])
    except SQLAlchemyError:  # the database is away: the session stands as it was (the wall shows it stale)
        user["last_seen"] = now
        return user
    if account is None or account.disabled:
        end_session("disabled")
        return None
    if user.get("key"):  # a kiosk: its key is checked on every run, the wall's timed refresh included
        from geo.store import displaykeys

        with data.engine().connect() as conn:
            if displaykeys.account_for(conn, user["key"]) is None:
                end_session("revoked")
                return None
    if account.credential != user.get("credential"):  # the password was reset since sign-in
        end_session("reset")
        return None
    if (account.role, account.scope_code) != (user["role"], user["scope"]):  # a permission change: sign in again
        end_session("permissions")
        return None
    user["last_seen"] = now
    return user


def may(permission: str) -> bool:
    """Whether the signed-in user holds ``permission``."""
    return allowed(role(), permission)


def _through_the_router() -> None:
    """Run the router (app.py) if this page was started without it.

    Until some session of a fresh server has run app.py (whose ``st.navigation`` tells Streamlit the app
    routes itself), Streamlit takes the ``pages/`` folder for an old-style multipage app and runs a
    page asked for by its address on its own: no sign-in form, no navigation. That is what a browser
    gets that reconnects to a freshly (re)started server, or to the other server behind the proxy when
    its own one died. Tell Streamlit once, for the whole server, and run again through app.py, which
    signs the session in (sign-in form, display key). A session already signed in goes on: its page
    works alone, and its run holds the widget values (a click) a rerun would drop.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        if current_user() is None:
            st.rerun()


def require(permission: str) -> dict:
    """Stop the page unless the signed-in user holds ``permission`` (denials are audited)."""
    _through_the_router()
    user = current_user()
    if user is None:
        st.warning(t("auth.signin_first"))
        st.stop()
    if not allowed(user["role"], permission):
        with data.engine().begin() as conn:
            audit.record(conn, user["username"], "page", permission, "denied")
        st.error(t("auth.denied"))
        st.stop()
    return user


def logon_form() -> None:
    """The log-on page: user name and password, and single sign-on when configured."""
    st.title(t("auth.title"))
    if data.overview() is None:
        st.warning(t("home.no_schema"))
        st.stop()
    notice = st.session_state.pop(NOTICE_KEY, None)
    if notice:
        st.info(t(f"auth.ended.{notice}"))
    with st.form("auth.form"):
        username = st.text_input(t("auth.username"), key="auth.username")
        password = st.text_input(t("auth.password"), type="password", key="auth.password")
        submitted = st.form_submit_button(t("auth.submit"), type="primary")
    if submitted:
        account, _ = accounts.authenticate(data.engine(), username.strip(), password, client=_client())
        if account is None:  # one message, whatever the reason (the audit log keeps it)
            st.error(t("auth.fail"))
        else:
            _start_session(account)
            st.rerun()
    _single_sign_on()


def _client() -> str:
    """What failed sign-ins of this browser are counted under: its address, or, when Streamlit knows none
    (a local connection, or a proxy on the same machine, where every user would share one count), a
    random token of this browser session. Only a keyed hash of it is stored (``geo.store.lockout``)."""
    address = getattr(st.context, "ip_address", None)
    if address:
        return f"address:{address}"
    if CLIENT_KEY not in st.session_state:
        st.session_state[CLIENT_KEY] = secrets.token_hex(16)
    return f"session:{st.session_state[CLIENT_KEY]}"


def _sso_configured() -> bool:
    try:
        return "auth" in st.secrets
    except (FileNotFoundError, KeyError, AttributeError):
        return False
    except Exception:  # no secrets file at all
        return False


def _single_sign_on() -> None:
    if not _sso_configured():
        return
    user = getattr(st, "user", None)
    if user is not None and getattr(user, "is_logged_in", False):
        issuer, subject = str(user.get("iss") or ""), str(user.get("sub") or "")
        with data.engine().connect() as conn:  # by issuer and subject: a user name or an e-mail can be reused
            account = accounts.for_identity(conn, issuer, subject)
        name = account.username if account else f"{issuer}#{subject}"[:64]
        with data.engine().begin() as conn:
            audit.record(conn, name or "-", "logon.sso", name, "ok" if account and not account.disabled else "denied")
        if account and not account.disabled:
            _start_session(account, sso=True)
            st.rerun()
        st.error(t("auth.fail.sso"))
        return
    if st.button(t("auth.sso"), key="auth.sso"):
        st.login()


def sidebar_account() -> None:
    user = current_user()
    if not user:
        return
    scope = t("auth.scope.all")
    if user["scope"]:  # the area by name and code, as everywhere (a bare code says little to a person)
        trail = data.path(user["scope"])
        name = trail[-1].get("name") if trail else None
        scope = f"{name} ({user['scope']})" if name else user["scope"]
    st.caption(t("auth.signed_in", user=user["username"], role=t(f"role.{user['role']}"), scope=scope))
    if st.button(t("auth.logoff"), key="auth.logoff"):
        end_session("logoff")
        st.rerun()
