"""Settings: defaults, the TOML file, the environment on top, and clear errors; the docs list every key."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsradar import cli, config

REPO = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "newsradar.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_are_safe_for_production():
    settings = config.load(environ={})
    assert settings["auth.mode"] == "none" and settings["allow_private_networks"] is False
    assert settings["server.address"] == "127.0.0.1" and "localhost" in settings["server.allowed_hosts"]


def test_the_file_sets_keys_in_sections(tmp_path):
    path = write(tmp_path, 'db = "/srv/news.db"\n[server]\nport = 9000\n[auth]\nmode = "password"\n')
    settings = config.load(path, environ={})
    assert (settings["db"], settings["server.port"], settings["auth.mode"]) == ("/srv/news.db", 9000, "password")
    assert settings.path == path and settings.db_path == Path("/srv/news.db")


@pytest.mark.parametrize(("variable", "value", "key", "expected"), [
    ("NEWSRADAR_SERVER_PORT", "9100", "server.port", 9100),
    ("NEWSRADAR_AUTH_MODE", "proxy", "auth.mode", "proxy"),
    ("NEWSRADAR_AUTH_ADMINS", "ann@example.org, bo@example.org", "auth.admins", ["ann@example.org", "bo@example.org"]),
    ("NEWSRADAR_ALLOW_PRIVATE", "1", "allow_private_networks", True),
    ("NEWSRADAR_ALLOW_PRIVATE_NETWORKS", "false", "allow_private_networks", False),
    ("NEWSRADAR_COLLECTOR_DEADLINE_S", "7.5", "collector.deadline_s", 7.5),
])
def test_the_environment_wins_over_the_file(tmp_path, variable, value, key, expected):
    path = write(tmp_path, '[server]\nport = 9000\n[auth]\nmode = "password"\nadmins = ["x"]\n')
    assert config.load(path, environ={variable: value})[key] == expected


@pytest.mark.parametrize(("text", "environ", "message"), [
    ("[server]\nprot = 1\n", {}, "unknown key 'server.prot'"),
    ("[server]\nport = 'eighty'\n", {}, "expected a whole number"),
    ("[auth]\nmode = 'ldap'\n", {}, "auth.mode must be one of"),
    ("[auth]\nmode = 'oidc'\n", {}, "needs auth.oidc_provider_url"),
    ("port = [\n", {}, "newsradar.toml"),
    ("", {"NEWSRADAR_ALLOW_PRIVATE": "maybe"}, "expected 1/0"),
    ("", {"NEWSRADAR_SERVER_PORT": "x"}, "NEWSRADAR_SERVER_PORT: expected a whole number"),
])
def test_bad_settings_are_refused_with_a_message_that_names_them(tmp_path, text, environ, message):
    with pytest.raises(config.ConfigError, match=message):
        config.load(write(tmp_path, text), environ=environ)


def test_a_missing_file_given_explicitly_is_an_error_but_the_default_may_be_absent(tmp_path, monkeypatch):
    with pytest.raises(config.ConfigError, match="no configuration file"):
        config.load(tmp_path / "nope.toml", environ={})
    monkeypatch.setenv("NEWSRADAR_CONFIG", str(tmp_path / "absent.toml"))
    assert config.load(environ={})["server.port"] == 8501


def test_the_cli_reports_a_bad_config_in_one_line(tmp_path, capsys):
    assert cli.main(["--config", str(write(tmp_path, "[auth]\nmode = 'ldap'\n")), "stats"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("newsradar: error: auth.mode must be one of") and err.count("\n") == 1


def test_the_cli_shows_the_settings_without_secrets(tmp_path, capsys):
    path = write(tmp_path, "[auth]\nmode = 'oidc'\noidc_provider_url = 'https://id.example.org'\n"
                 "oidc_client_id = 'c'\noidc_client_secret = 'hunter2'\noidc_redirect_uri = 'https://n/cb'\n"
                 "cookie_secret = 'also-secret'\n")
    assert cli.main(["--config", str(path), "config"]) == 0
    out = capsys.readouterr().out
    assert 'auth.mode = "oidc"' in out and "hunter2" not in out and "also-secret" not in out


def test_the_configuration_docs_are_current_and_list_every_key():
    docs = (REPO / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert docs == config.docs_markdown(), "run: newsradar config --docs > docs/configuration.md"
    assert all(f"`{key.name}`" in docs and f"`{key.env}`" in docs for key in config.KEYS)
