"""Who is using the dashboard and what they may do, for each auth.mode (no Streamlit here; see dashboard/signin.py).

none: everyone is the admin "local". password: accounts in the database (db/users.py). proxy: the identity
header set by a reverse proxy, believed only from auth.trusted_proxies. oidc: Streamlit's st.login, with the
provider from the configuration (oidc_secrets). Admins manage feeds, topics and users; analysts browse, save
views and export.
"""

from __future__ import annotations

import ipaddress
import os
import unicodedata
from collections.abc import Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass
from typing import Any

from db import connect
from db import users as user_store
from newsradar.config import Config

ADMIN, ANALYST = "admin", "analyst"
MAX_IDENTITY = 254           # the longest e-mail address


@dataclass(frozen=True)
class Identity:
    name: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN


LOCAL = Identity("local", ADMIN)


def role_of(identity: str, admins: Sequence[str]) -> str:
    """admin if the identity is listed in auth.admins (case does not matter in e-mail addresses), else analyst."""
    wanted = identity.casefold()
    return ADMIN if any(wanted == admin.strip().casefold() for admin in admins) else ANALYST


# proxy ------------------------------------------------------------------------------------------------------

def is_trusted(remote: str | None, networks: Sequence[str]) -> bool:
    """Whether a connection from `remote` may vouch for an identity. None is loopback (Streamlit's
    st.context.ip_address hides 127.0.0.1 and ::1); an unparsable address is never trusted."""
    candidates = ["127.0.0.1", "::1"] if remote is None else [remote]
    for text in candidates:
        try:
            address = ipaddress.ip_address(text.strip().split("%")[0])
        except ValueError:
            continue
        # ::ffff:10.0.0.1 is the IPv4 peer 10.0.0.1 on a dual-stack socket
        mapped = getattr(address, "ipv4_mapped", None)
        for network in networks:
            try:
                net = ipaddress.ip_network(network.strip(), strict=False)
            except ValueError:
                continue
            if address in net or (mapped is not None and mapped in net):
                return True
    return False


def client_address(headers: Mapping[str, Sequence[str]], remote: str | None, networks: Sequence[str]) -> str:
    """The address a sign-in counts against: the peer's, or behind trusted proxies (auth.trusted_proxies) the last
    X-Forwarded-For hop that is not one of them (earlier hops are whatever the client chose to send). An IPv6
    address stands for its /64, which one client usually holds whole."""
    address = "127.0.0.1" if remote is None else remote
    if is_trusted(remote, networks):
        hops = [hop.strip() for value in headers.get("x-forwarded-for", []) for hop in value.split(",")]
        for hop in reversed([hop for hop in hops if hop]):
            address = hop
            if not is_trusted(hop, networks):
                break
    return _address_key(address)


def _address_key(text: str) -> str:
    try:
        address = ipaddress.ip_address(text.strip().split("%")[0])
    except ValueError:
        return "unparsable"   # one count for every garbled address, so that inventing them gains nothing
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:
        return str(mapped)
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def clean_identity(value: str | None) -> str | None:
    """A header's or provider's identity as a name, or None if it is empty, too long or holds control characters."""
    value = (value or "").strip()
    if not value or len(value) > MAX_IDENTITY:
        return None
    if any(unicodedata.category(c)[0] == "C" for c in value):
        return None
    return value


def proxy_identity(config: Config, headers: Mapping[str, Sequence[str]], remote: str | None) -> Identity | None:
    """The identity in auth.proxy_header, if the connection comes from a trusted proxy and the header is there
    exactly once. `headers` maps lower-case names to every value sent."""
    if not is_trusted(remote, config["auth.trusted_proxies"]):
        return None
    values = headers.get(config["auth.proxy_header"].lower(), [])
    if len(values) != 1:   # absent, or repeated: which one would the proxy have meant?
        return None
    name = clean_identity(values[0])
    return Identity(name, role_of(name, config["auth.admins"])) if name else None


# oidc -------------------------------------------------------------------------------------------------------

def oidc_identity(config: Config, user: Mapping[str, Any]) -> Identity | None:
    """The signed-in OIDC user (st.user as a dict): the e-mail address, else the subject."""
    if not user.get("is_logged_in"):
        return None
    name = clean_identity(str(user.get("email") or user.get("sub") or ""))
    return Identity(name, role_of(name, config["auth.admins"])) if name else None


def oidc_secrets(config: Config) -> dict[str, str]:
    """The `[auth]` table of Streamlit's secrets.toml for st.login, from the configuration."""
    return {"redirect_uri": config["auth.oidc_redirect_uri"], "cookie_secret": config["auth.cookie_secret"],
            "client_id": config["auth.oidc_client_id"], "client_secret": config["auth.oidc_client_secret"],
            "server_metadata_url": config["auth.oidc_provider_url"]}


# password ---------------------------------------------------------------------------------------------------

def password_sign_in(path: str | os.PathLike, name: str, password: str,
                     address: str | None = None) -> tuple[Identity | None, str]:
    """Check a sign-in form sent from the client `address` (client_address): the identity, or None and the message
    to show."""
    with closing(connect(path)) as conn:
        result = user_store.verify(conn, name, password, address)
    if result.user is None:
        return None, result.message
    return Identity(result.user.name, result.user.role), result.message


def has_accounts(path: str | os.PathLike) -> bool:
    """Whether any account exists (the sign-in screen tells the operator how to create the first one)."""
    with closing(connect(path, readonly=True)) as conn:
        return user_store.any_users(conn)


def password_identity(path: str | os.PathLike, name: str) -> Identity | None:
    """A signed-in account as it is now: its current role, or None once it has been removed."""
    with closing(connect(path, readonly=True)) as conn:
        user = user_store.get_user(conn, name)
    return Identity(user.name, user.role) if user else None
