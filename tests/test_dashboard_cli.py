"""`newsradar dashboard`: streamlit with the production flags and the configured server."""

from __future__ import annotations

import os
import sys

from dashboard.serve import APP, streamlit_command
from newsradar import cli, config


def test_dashboard_command_execs_streamlit_with_the_database(monkeypatch, tmp_path):
    calls = []
    monkeypatch.setattr(os, "execve", lambda path, args, env: calls.append((path, args, env)))
    assert cli.main(["--db", str(tmp_path / "x.db"), "dashboard", "--port", "8642"]) == 0
    (path, args, env), = calls
    assert path == sys.executable and args == streamlit_command(8642, config.load())
    assert args[3:5] == ["run", str(APP)] and "--server.headless" in args and "--server.fileWatcherType" in args
    assert args[args.index("--browser.gatherUsageStats") + 1] == "false"
    assert env["NEWSRADAR_DB"] == str((tmp_path / "x.db").resolve())
    assert args[args.index("--server.enableXsrfProtection") + 1] == "true"
    assert args[args.index("--server.address") + 1] == "127.0.0.1"


def test_dashboard_takes_the_server_settings_from_the_config_file(monkeypatch, tmp_path):
    calls = []
    monkeypatch.setattr(os, "execve", lambda path, args, env: calls.append(args))
    settings = tmp_path / "newsradar.toml"
    settings.write_text('[server]\naddress = "0.0.0.0"\nport = 9100\nallowed_hosts = ["news.example.org"]\n')
    assert cli.main(["--config", str(settings), "dashboard"]) == 0
    args = calls[0]
    assert args[args.index("--server.port") + 1] == "9100" and args[args.index("--server.address") + 1] == "0.0.0.0"
    assert [args[i + 1] for i, a in enumerate(args) if a == "--server.allowedHosts"] == ["news.example.org"]
