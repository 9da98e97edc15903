"""`newsradar dashboard`: streamlit with the production flags and the configured server."""

from __future__ import annotations

import os
import sys
import tomllib
from pathlib import Path

import pytest

from dashboard.serve import APP, streamlit_command
from db import connect, default_db_path
from newsradar import cli, config


@pytest.fixture
def execs(monkeypatch, tmp_path) -> list[tuple[str, list[str], dict[str, str]]]:
    """(path, args, env) of every os.execve call, which returns instead of replacing the process; the databases
    the tests name exist (the dashboard command refuses one that does not)."""
    for path in (tmp_path / "x.db", default_db_path()):
        connect(path).close()
    calls = []
    monkeypatch.setattr(os, "execve", lambda path, args, env: calls.append((path, args, env)))
    return calls


def test_dashboard_command_execs_streamlit_with_the_database(execs, tmp_path):
    assert cli.main(["--db", str(tmp_path / "x.db"), "dashboard", "--port", "8642"]) == 0
    (path, args, env), = execs
    assert path == sys.executable and args == streamlit_command(8642, config.load())
    assert args[3:5] == ["run", str(APP)] and "--server.headless" in args and "--server.fileWatcherType" in args
    assert args[args.index("--browser.gatherUsageStats") + 1] == "false"
    assert env["NEWSRADAR_DB"] == str((tmp_path / "x.db").resolve())
    assert args[args.index("--server.enableXsrfProtection") + 1] == "true"
    assert args[args.index("--server.address") + 1] == "127.0.0.1"


def test_the_dashboard_shows_a_postgresql_database_named_by_its_url(execs, pg_url):
    assert cli.main(["--db", pg_url, "dashboard", "--port", "8642"]) == 0
    (_, args, env), = execs
    assert env["NEWSRADAR_DB"] == pg_url and args[3:5] == ["run", str(APP)]   # the URL as given, not made a path


def test_dashboard_takes_the_server_settings_from_the_config_file(execs, tmp_path):
    settings = tmp_path / "newsradar.toml"
    settings.write_text('[server]\naddress = "0.0.0.0"\nport = 9100\nallowed_hosts = ["news.example.org"]\n')
    assert cli.main(["--config", str(settings), "dashboard"]) == 0
    args = execs[0][1]
    assert args[args.index("--server.port") + 1] == "9100" and args[args.index("--server.address") + 1] == "0.0.0.0"
    assert [args[i + 1] for i, a in enumerate(args) if a == "--server.allowedHosts"] == ["news.example.org"]


def test_oidc_mode_hands_streamlit_a_private_secrets_file(tmp_path):
    settings = tmp_path / "newsradar.toml"
    settings.write_text('[auth]\nmode = "oidc"\noidc_provider_url = "https://id.example.org/.well-known/openid-'
                        'configuration"\noidc_client_id = "newsradar"\noidc_client_secret = "s3cr\\"et"\n'
                        'oidc_redirect_uri = "https://news.example.org/oauth2callback"\ncookie_secret = "c" \n')
    args = streamlit_command(8501, config.load(settings, environ={}))
    secrets = Path(args[args.index("--secrets.files") + 1])
    assert secrets.stat().st_mode & 0o077 == 0, "other users can read the secrets"
    auth = tomllib.loads(secrets.read_text())["auth"]
    assert auth == {"redirect_uri": "https://news.example.org/oauth2callback", "cookie_secret": "c",
                    "client_id": "newsradar", "client_secret": 's3cr"et',
                    "server_metadata_url": "https://id.example.org/.well-known/openid-configuration"}


def test_the_dashboard_judges_the_peer_that_connected_not_x_forwarded_for(execs, monkeypatch, tmp_path):
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "*")
    assert cli.main(["--db", str(tmp_path / "x.db"), "dashboard"]) == 0
    assert execs[0][2]["FORWARDED_ALLOW_IPS"] == ""
