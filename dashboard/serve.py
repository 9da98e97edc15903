"""How the dashboard is started in production and in the browser tests: the `streamlit run` command line."""

from __future__ import annotations

import sys
from pathlib import Path

APP = Path(__file__).with_name("app.py")
DEFAULT_PORT = 8501
# headless, no telemetry, no file watching (a deployed app does not edit itself), and static serving for the map
FLAGS = ["--server.headless", "true", "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
         "--server.enableStaticServing", "true", "--server.maxUploadSize", "20", "--client.toolbarMode", "viewer"]


def streamlit_command(port: int = DEFAULT_PORT) -> list[str]:
    """`python -m streamlit run dashboard/app.py` with the production flags on `port`."""
    return [sys.executable, "-m", "streamlit", "run", str(APP), *FLAGS, "--server.port", str(port)]
