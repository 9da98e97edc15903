"""How the dashboard is started in production and in the browser tests: the `streamlit run` command line."""

from __future__ import annotations

import sys
from pathlib import Path

from newsradar.config import Config

APP = Path(__file__).with_name("app.py")
DEFAULT_PORT = 8501
# headless, no telemetry, no file watching (a deployed app does not edit itself), XSRF and CORS protection on,
# static serving for the map
FLAGS = ["--server.headless", "true", "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
         "--server.enableXsrfProtection", "true", "--server.enableCORS", "true",
         "--server.enableStaticServing", "true", "--server.maxUploadSize", "20", "--client.toolbarMode", "viewer"]


def streamlit_command(port: int = DEFAULT_PORT, config: Config | None = None) -> list[str]:
    """`python -m streamlit run dashboard/app.py` with the production flags on `port` (and the configured server)."""
    command = [sys.executable, "-m", "streamlit", "run", str(APP), *FLAGS, "--server.port", str(port)]
    if config is not None:
        command += ["--server.address", config["server.address"]]
        for host in config["server.allowed_hosts"]:
            command += ["--server.allowedHosts", host]
        if config["server.base_url_path"]:
            command += ["--server.baseUrlPath", config["server.base_url_path"]]
    return command
