"""Streamlit glue for signing in: who is here (dashboard/access.py decides), the sign-in screen, sign-out.

app.py calls require_identity() before anything shows data; the callbacks in state.py call current() to learn
who is acting, so that a refused role cannot act through a widget the page did not show.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from dashboard import access, failures
from dashboard.access import Identity
from dashboard.labels import md_escape
from db import default_db_path
from newsradar import config as settings
from newsradar.config import Config, ConfigError

ACCOUNT_KEY = "_account"          # password mode: the signed-in name, in this browser tab's session only
MESSAGE_KEY = "_signin_message"


# what Streamlit knows about the request (small functions, so that tests can stand in for a proxy or a provider)

def request_context() -> tuple[dict[str, list[str]], str | None]:
    """The WebSocket request's headers (lower-case names, every value) and the peer address (None: loopback)."""
    headers = st.context.headers
    return {name.lower(): headers.get_all(name) for name in headers}, st.context.ip_address


def oidc_user() -> dict[str, Any]:
    """st.user as a dict (is_logged_in, email, sub, …)."""
    return dict(st.user.to_dict())


def load_config() -> Config:
    """The instance's settings; a broken configuration stops the app with its message (and shows nothing)."""
    try:
        return settings.load()
    except ConfigError as exc:
        st.error(f"The configuration cannot be used: {md_escape(exc)}", icon=":material/error:")
        st.stop()
        raise  # not reached: st.stop() ends the run


def current(config: Config | None = None) -> Identity | None:
    """Who is using this session now, without showing anything; None: nobody is signed in."""
    config = config or load_config()
    mode = config["auth.mode"]
    if mode == "none":
        return access.LOCAL
    if mode == "proxy":
        headers, remote = request_context()
        return access.proxy_identity(config, headers, remote)
    if mode == "oidc":
        return access.oidc_identity(config, oidc_user())
    name = st.session_state.get(ACCOUNT_KEY)
    # looked up on every run: a removed account or a changed role takes effect at the next click
    return access.password_identity(str(default_db_path()), name) if name else None


def _sign_in() -> None:
    """Callback of the sign-in form."""
    ss = st.session_state
    path = str(default_db_path())
    try:   # a wrong password is recorded, so signing in writes to the database
        headers, remote = request_context()
        address = access.client_address(headers, remote, load_config()["auth.trusted_proxies"])
        who, message = access.password_sign_in(path, ss.get("signin_name", ""), ss.get("signin_password", ""),
                                                address)
    except Exception as exc:   # a callback's exception would reach the sign-in screen as a traceback
        who, message = None, failures.explain(exc, "Cannot sign in now")
    ss["signin_password"] = ""
    if who is None:
        ss[MESSAGE_KEY] = message
    else:
        ss[ACCOUNT_KEY] = who.name
        ss.pop(MESSAGE_KEY, None)


def sign_out() -> None:
    """Callback: forget the password sign-in of this session."""
    st.session_state.pop(ACCOUNT_KEY, None)


def _sign_in_screen(config: Config) -> None:
    st.title("newsradar")
    mode = config["auth.mode"]
    if mode == "password":
        message = st.session_state.pop(MESSAGE_KEY, None)
        if message:
            st.error(md_escape(message), icon=":material/lock:")
        if not access.has_accounts(str(default_db_path())):
            st.info("No accounts yet. On the server, create the first admin with "
                    "`newsradar users add NAME --role admin`.", icon=":material/person_add:")
        with st.form("sign_in", border=True, width=420):
            st.text_input("Name", key="signin_name", autocomplete="username")
            st.text_input("Password", key="signin_password", type="password", autocomplete="current-password")
            st.form_submit_button("Sign in", type="primary", icon=":material/login:", on_click=_sign_in)
    elif mode == "oidc":
        st.info("Sign in with your organisation's account to see the dashboard.", icon=":material/lock:")
        st.button("Sign in", type="primary", icon=":material/login:", on_click=st.login)
    else:
        st.warning("Not signed in. This dashboard takes your identity from the sign-in proxy in front of it, and "
                   "this request did not come through it (or carried no identity). Open the dashboard through its "
                   "public address.", icon=":material/lock:")


def require_identity(config: Config, keep_page: Callable[[], object] = lambda: None) -> Identity:
    """The signed-in user under `config` (load_config()); otherwise call keep_page() (which must not show anything),
    show only the sign-in screen and stop the run."""
    who = current(config)
    if who is None:
        keep_page()
        _sign_in_screen(config)
        st.stop()
    return who


def account_box(who: Identity, mode: str) -> None:
    """Sidebar: who is signed in, and the way out (`mode`: the configured auth.mode)."""
    if mode == "none":
        return   # a local instance has no accounts to show
    st.divider()
    st.caption(f"Signed in as **{md_escape(who.name)}** ({who.role})")
    if mode == "password":
        st.button("Sign out", key="sign_out", icon=":material/logout:", on_click=sign_out, width="stretch")
    elif mode == "oidc":
        st.button("Sign out", key="sign_out", icon=":material/logout:", on_click=st.logout, width="stretch")
    else:
        st.caption("Sign out through your organisation's sign-in page.")
