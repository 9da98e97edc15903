"""How the dashboard is started in production and in the browser tests: the `streamlit run` command line."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

from dashboard.access import oidc_secrets
from newsradar.config import Config

APP = Path(__file__).with_name("app.py")
DEFAULT_PORT = 8501
# headless, no telemetry, no file watching (a deployed app does not edit itself), XSRF and CORS protection on,
# static serving for the map, and an error the app did not catch shown without its message or traceback (which
# name the server's files; the log keeps them)
FLAGS = ["--server.headless", "true", "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
         "--server.enableXsrfProtection", "true", "--server.enableCORS", "true",
         "--server.enableStaticServing", "true", "--server.maxUploadSize", "20", "--client.toolbarMode", "viewer",
         "--client.showErrorDetails", "none",
         # the app sets URL-bound widgets from code (a saved view, a link's chart settings) on purpose
         "--global.disableWidgetStateDuplicationWarning", "true"]


def streamlit_command(port: int = DEFAULT_PORT, config: Config | None = None) -> list[str]:
    """`python -m streamlit run dashboard/app.py` with the production flags on `port` (and the configured server)."""
    command = [sys.executable, "-m", "streamlit", "run", str(APP), *FLAGS, "--server.port", str(port)]
    if config is not None:
        command += ["--server.address", config["server.address"]]
        for host in config["server.allowed_hosts"]:
            command += ["--server.allowedHosts", host]
        if config["server.base_url_path"]:
            command += ["--server.baseUrlPath", config["server.base_url_path"]]
        if config["auth.mode"] == "oidc":
            command += ["--secrets.files", str(write_oidc_secrets(config))]
    return command


def streamlit_env(environ: Mapping[str, str]) -> dict[str, str]:
    """The dashboard's environment: the peer address is the connection's own, never one from X-Forwarded-For.

    The web server would otherwise take the client address a local nginx forwards, and proxy sign-in
    (auth.trusted_proxies) must judge the proxy that actually connected.
    """
    return {**environ, "FORWARDED_ALLOW_IPS": ""}


def streamlit_process(port: int, config: Config | None, environ: Mapping[str, str],
                      db: str | os.PathLike | None = None) -> tuple[list[str], dict[str, str]]:
    """streamlit_command() and streamlit_env() of `environ`, with `db` (if given) as NEWSRADAR_DB."""
    env = streamlit_env(environ)
    if db is not None:
        env["NEWSRADAR_DB"] = str(db)
    return streamlit_command(port, config), env


def write_oidc_secrets(config: Config) -> Path:
    """Streamlit's secrets.toml with the [auth] table for st.login, readable by this user only."""
    folder = Path(tempfile.mkdtemp(prefix="newsradar-secrets-"))   # mode 0700
    path = folder / "secrets.toml"
    lines = ["[auth]", *(f"{key} = {json.dumps(value)}" for key, value in oidc_secrets(config).items())]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")
    return path
