"""A PostgreSQL database named by --db, $NEWSRADAR_DB or the db setting: the commands run on it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _newsradar(*args: str, **env: str) -> subprocess.CompletedProcess:
    """The command, without the test's $NEWSRADAR_DB (the environment would win over a settings file)."""
    base = {k: v for k, v in os.environ.items() if k != "NEWSRADAR_DB"}
    return subprocess.run([sys.executable, "-m", "newsradar", *args], capture_output=True, text=True, timeout=300,
                          cwd=REPO, env={**base, **env})


def test_db_flag_seeds_and_lists_a_postgresql_database(pg_url):
    seeded = _newsradar("--db", pg_url, "seed")
    assert seeded.returncode == 0, seeded.stderr
    listed = _newsradar("--db", pg_url, "topics", "list")
    assert listed.returncode == 0 and "Russia" in listed.stdout, listed.stderr


def test_environment_names_the_database(pg_url):
    _newsradar("--db", pg_url, "seed")
    stats = _newsradar("stats", NEWSRADAR_DB=pg_url)
    assert stats.returncode == 0, stats.stderr
    assert "100 active" in stats.stdout


def test_setting_names_the_database(pg_url, tmp_path):
    settings = tmp_path / "newsradar.toml"
    settings.write_text(f'db = "{pg_url}"\n', encoding="utf-8")
    _newsradar("--db", pg_url, "seed")
    feeds = _newsradar("--config", str(settings), "feeds", "list")
    assert feeds.returncode == 0, feeds.stderr
    assert "https://www.repubblica.it/rss/homepage/rss2.0.xml" in feeds.stdout


def test_backup_of_a_postgresql_database_points_to_pg_dump_in_one_line(tmp_path):
    done = _newsradar("--db", "postgresql://nobody@127.0.0.1:1/none", "backup", str(tmp_path / "copy.db"))
    assert done.returncode == 2
    assert done.stderr.startswith("newsradar: error: ") and "pg_dump" in done.stderr
    assert done.stderr.count("\n") == 1
    assert not (tmp_path / "copy.db").exists()


def test_demo_does_not_load_the_sample_into_a_configured_postgresql_database(tmp_path):
    """Only a database named with --db: the environment's or the settings' is the team's own."""
    url = "postgresql://nobody@127.0.0.1:1/none"
    settings = tmp_path / "newsradar.toml"
    settings.write_text(f'db = "{url}"\n', encoding="utf-8")
    for done in (_newsradar("demo", NEWSRADAR_DB=url), _newsradar("--config", str(settings), "demo")):
        assert done.returncode == 2, done.stderr
        assert done.stderr.startswith("newsradar: error: ") and "--db postgresql://" in done.stderr
        assert done.stderr.count("\n") == 1


@pytest.mark.slow
def test_demo_loads_the_sample_into_a_postgresql_database(pg_url):
    done = _newsradar("--db", pg_url, "demo")
    assert done.returncode == 0, done.stderr
    assert "24,788 records read" in done.stdout and f"newsradar --db {pg_url} stats" in done.stdout
    stats = _newsradar("--db", pg_url, "stats")
    assert stats.returncode == 0 and "articles" in stats.stdout, stats.stderr
    assert "articles   0" not in stats.stdout


@pytest.mark.slow
def test_backfill_retag_and_stories_rebuild_run_on_postgresql(pg_url, sample_slice):
    archive = sample_slice(300)
    for command in (["backfill", str(archive)], ["retag"], ["stories", "rebuild"], ["stats"]):
        done = _newsradar("--db", pg_url, *command)
        assert done.returncode == 0, (command, done.stderr)
    assert "300 records read" in _newsradar("--db", pg_url, "backfill", str(archive)).stdout
