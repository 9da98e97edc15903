"""The instance's settings: one TOML file plus environment variables, with safe production defaults.

    newsradar --config /etc/newsradar/newsradar.toml serve      (or NEWSRADAR_CONFIG=/etc/…)

Every key is listed in KEYS with its default and meaning; docs/configuration.md is written from it
(`newsradar config --docs`). A key `section.name` is set in the file as `name = …` under `[section]`
and in the environment as NEWSRADAR_SECTION_NAME (top-level keys: NEWSRADAR_NAME); the environment wins.
"""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

from db.engine import is_url
from db.schema import default_db_path

AUTH_MODES = ("none", "password", "proxy", "oidc")


class ConfigError(ValueError):
    """The configuration file or an environment variable holds something unusable."""


@dataclass(frozen=True)
class Key:
    name: str                 # dotted: "server.port"
    default: Any
    doc: str
    low: float | None = None  # numbers: the allowed range, both ends included (NaN and infinity never pass)
    high: float | None = None

    @property
    def env(self) -> str:
        return "NEWSRADAR_" + self.name.replace(".", "_").upper()

    @property
    def allowed(self) -> str:
        """What the key accepts, for messages and the docs: 'a whole number from 1 to 1024'."""
        kind = _type_name(self.default)
        return kind if self.low is None else f"{kind} from {_number(self.low)} to {_number(self.high)}"

    def parse(self, value: Any, where: str = "") -> Any:
        """`value` (from TOML, or text from the environment or a command line) as this key's type, in its range;
        otherwise ConfigError naming `where` (the file or variable), the key, the value and what is allowed."""
        value = _coerce(self, value, where)
        if self.low is not None and not self.low <= value <= self.high:   # also false for NaN
            named = where if where.endswith(self.name) else _at(where) + self.name   # the file's "path: key"
            raise ConfigError(f"{named} must be {self.allowed}, not {_number(value)}")
        return value


def _number(value: float) -> str:
    return repr(value) if isinstance(value, float) and not value.is_integer() else f"{value:g}"


KEYS: tuple[Key, ...] = (
    Key("db", "", "SQLite database file, or a postgresql:// URL (docs/postgresql.md). Empty: newsradar.db in the user "
        "data directory."),
    Key("allow_private_networks", False,
        "Let feed URLs point at private, loopback or link-local addresses (also after redirects). Keep false on a "
        "hosted instance; NEWSRADAR_ALLOW_PRIVATE=1 is an alias."),
    Key("server.address", "127.0.0.1", "Address the dashboard listens on. Loopback: put nginx or Caddy in front."),
    Key("server.port", 8501, "Dashboard port.", 1, 65535),
    Key("server.allowed_hosts", ["localhost", "127.0.0.1", "::1"],
        "Host names the browser may use to reach the dashboard (WebSocket Host check against DNS rebinding). "
        "Add the public name, e.g. news.example.org."),
    Key("server.base_url_path", "", "Path prefix when served under a sub-path, e.g. newsradar."),
    Key("server.health_port", 8502, "Port of the health endpoint (GET /health, JSON) run by `newsradar serve`; "
        "0 turns it off.", 0, 65535),
    Key("auth.mode", "none", "Sign-in: none (local use), password (accounts in the database), proxy (identity "
        "header from a reverse proxy) or oidc (Streamlit's st.login)."),
    Key("auth.proxy_header", "X-Forwarded-Email", "proxy mode: the header holding the signed-in identity."),
    Key("auth.trusted_proxies", ["127.0.0.1/32", "::1/128"],
        "Addresses (CIDR) of the reverse proxies in front. proxy mode: the identity header is accepted only from "
        "them. password mode: sign-in failures are counted against the X-Forwarded-For client of a request from "
        "them, against the connecting address otherwise."),
    Key("auth.admins", [], "proxy and oidc modes: identities (e-mail or user name) with the admin role; "
        "everyone else who signs in is an analyst."),
    Key("auth.oidc_provider_url", "", "oidc mode: the provider's server_metadata_url "
        "(…/.well-known/openid-configuration)."),
    Key("auth.oidc_client_id", "", "oidc mode: client id."),
    Key("auth.oidc_client_secret", "", "oidc mode: client secret (prefer the environment variable)."),
    Key("auth.oidc_redirect_uri", "", "oidc mode: https://<host>/oauth2callback."),
    Key("auth.cookie_secret", "", "oidc mode: secret that signs the sign-in cookie (random, 32+ characters)."),
    Key("collector.concurrency", 16, "Feeds fetched at once.", 1, 1024),
    Key("collector.per_host", 2, "Requests at once to one host.", 1, 64),
    Key("collector.deadline_s", 20.0, "Seconds one feed's fetch may take in all.", 0.5, 3600),
    Key("collector.lease_s", 300.0, "Seconds a collector holds the feeds it claimed without storing one; then another "
        "collector (on PostgreSQL, several share the feeds) takes them over.", 5, 86_400),
    Key("collector.restart_backoff_max_s", 300.0, "`serve`: longest wait before restarting a crashed collector.",
        1, 86_400),
    Key("alerts.smtp_host", "", "Mail server for alert e-mails. Empty: e-mail alerts wait, pending (and reported by "
        "the health check), until it is set."),
    Key("alerts.smtp_port", 587, "Mail server port (587 with starttls, 465 with tls, 25 without).", 1, 65535),
    Key("alerts.smtp_from", "newsradar@localhost", "From address of alert e-mails."),
    Key("alerts.smtp_user", "", "User name at the mail server; empty: no sign-in."),
    Key("alerts.smtp_password", "", "Password at the mail server (prefer the environment variable)."),
    Key("alerts.smtp_tls", "starttls", "none, starttls (upgrade the connection) or tls (TLS from the start)."),
    Key("alerts.base_url", "", "The dashboard's address as readers reach it, for the links in alerts "
        "(https://news.example.org/). Empty: http://server.address:server.port/."),
    Key("alerts.interval_s", 60.0, "`serve`: seconds between two evaluations of the alert rules.", 5, 86_400),
    Key("alerts.clock", "system", "What \"now\" is for the alert rules: system (the machine's clock) or articles "
        "(the start of the UTC day of the newest stored article, never later than the machine's clock): for `serve` "
        "over a replay of past news, which then sends each replayed day's spike alert and digest once the replay "
        "has moved past that day."),
    Key("alerts.new_batch_min", 60, "Alerts on new matches: at most one message per rule in this many minutes.",
        1, 10_080),
)
SMTP_TLS = ("none", "starttls", "tls")
ALERT_CLOCKS = ("system", "articles")
KEYS_BY_NAME = {key.name: key for key in KEYS}
ENV_ALIASES = {"NEWSRADAR_ALLOW_PRIVATE": "allow_private_networks"}


@dataclass(frozen=True)
class Config:
    values: dict[str, Any]
    path: Path | None = None

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    @property
    def db_path(self) -> Path | str:
        value = self.values["db"]
        return (value if is_url(value) else Path(value)) if value else default_db_path()


def default_path() -> Path:
    """$NEWSRADAR_CONFIG, else newsradar.toml in the user config directory (it need not exist)."""
    env = os.environ.get("NEWSRADAR_CONFIG")
    return Path(env) if env else Path(platformdirs.user_config_dir("newsradar")) / "newsradar.toml"


def load(path: str | os.PathLike | None = None, environ: dict[str, str] | None = None) -> Config:
    """Defaults, then the TOML file (if it exists), then the environment."""
    environ = os.environ if environ is None else environ
    file = Path(path) if path else default_path()
    values = {key.name: key.default for key in KEYS}
    if file.is_file():
        values.update(_read_file(file))
    elif path:
        raise ConfigError(f"no configuration file {file}")
    for key in KEYS:
        if key.env in environ:
            values[key.name] = _from_env(key, environ[key.env])
    for alias, name in ENV_ALIASES.items():
        if alias in environ and KEYS_BY_NAME[name].env not in environ:
            values[name] = _from_env(KEYS_BY_NAME[name], environ[alias])
    _check(values)
    return Config(values, file if file.is_file() else None)


def _read_file(file: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{file}: {exc}") from exc
    flat: dict[str, Any] = {}
    for name, value in data.items():
        if isinstance(value, dict):
            flat.update({f"{name}.{sub}": v for sub, v in value.items()})
        else:
            flat[name] = value
    for name, value in flat.items():
        key = KEYS_BY_NAME.get(name)
        if key is None:
            raise ConfigError(f"{file}: unknown key {name!r} (see docs/configuration.md)")
        flat[name] = key.parse(value, f"{file}: {name}")
    return flat


def _from_env(key: Key, text: str) -> Any:
    if isinstance(key.default, list):
        value: Any = [part.strip() for part in text.split(",") if part.strip()]
    elif isinstance(key.default, bool):
        if text.strip().lower() not in ("1", "true", "yes", "on", "0", "false", "no", "off", ""):
            raise ConfigError(f"{key.env}={text!r}: expected 1/0, true/false, yes/no or on/off")
        value = text.strip().lower() in ("1", "true", "yes", "on")
    else:
        value = text
    return key.parse(value, key.env)


def _coerce(key: Key, value: Any, where: str) -> Any:
    """The value as the key's type (int and float from text too), or a ConfigError that names `where`."""
    kind = type(key.default)
    try:
        if kind is bool and isinstance(value, bool) or kind is str and isinstance(value, str):
            return value
        if kind is list and isinstance(value, list) and all(isinstance(v, str) for v in value):
            return value
        if kind is float and isinstance(value, int | float | str) and not isinstance(value, bool):
            return float(value)
        if kind is int and isinstance(value, float) and value.is_integer():
            return int(value)
        if kind is int and isinstance(value, int | str) and not isinstance(value, bool):
            return int(value)
    except ValueError:
        pass
    raise ConfigError(f"{_at(where)}expected {key.allowed}, got {value!r}")


def _at(where: str) -> str:
    return f"{where}: " if where else ""


def _type_name(default: Any) -> str:
    return {bool: "true or false", int: "a whole number", float: "a number", str: "text",
            list: "a list of text"}[type(default)]


def _check(values: dict[str, Any]) -> None:
    if values["alerts.smtp_tls"] not in SMTP_TLS:
        raise ConfigError(f"alerts.smtp_tls must be one of {', '.join(SMTP_TLS)}, not {values['alerts.smtp_tls']!r}")
    if values["alerts.clock"] not in ALERT_CLOCKS:
        raise ConfigError(f"alerts.clock must be one of {', '.join(ALERT_CLOCKS)}, not {values['alerts.clock']!r}")
    if values["auth.mode"] not in AUTH_MODES:
        raise ConfigError(f"auth.mode must be one of {', '.join(AUTH_MODES)}, not {values['auth.mode']!r}")
    if values["auth.mode"] == "oidc":
        missing = [n for n in ("auth.oidc_provider_url", "auth.oidc_client_id", "auth.oidc_client_secret",
                               "auth.oidc_redirect_uri", "auth.cookie_secret") if not values[n]]
        if missing:
            raise ConfigError("auth.mode = oidc needs " + ", ".join(missing))


def docs_markdown() -> str:
    """docs/configuration.md: every key with its environment variable, default and meaning."""
    lines = ["# Configuration", "", __doc__.split("\n\n", 1)[1].strip(), "",
             "| key | environment | default | allowed | meaning |", "|---|---|---|---|---|"]
    for key in KEYS:
        default = json.dumps(key.default, ensure_ascii=False)
        lines.append(f"| `{key.name}` | `{key.env}` | `{default}` | {key.allowed} | {key.doc} |")
    return "\n".join(lines) + "\n"
