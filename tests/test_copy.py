"""`newsradar db copy`: SQLite into PostgreSQL and back, resumable, checked by counts, the same export after."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from dashboard.testing import build_sample_db
from db import connect, transaction
from db.copy import TABLES, CopyError, copy
from db.export import export_rows
from db.filters import Filters

REPO = Path(__file__).resolve().parents[1]


class Interrupted(Exception):
    pass


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    return build_sample_db(tmp_path_factory.mktemp("copy") / "sample.db", every=40)


def _counts(conn) -> dict[str, int]:
    return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in (*TABLES, "daily_country_totals")}


def test_round_trip_gives_the_same_export(sample, pg_url, tmp_path):
    back = tmp_path / "back.db"
    with closing(connect(sample)) as source, closing(connect(pg_url)) as pg, closing(connect(back)) as again:
        copy(source, pg)
        copy(pg, again)
        for q in ("", "russia* OR ukrain*", '"prime minister"'):
            assert list(export_rows(again, Filters.make(q=q))) == list(export_rows(source, Filters.make(q=q)))
        assert _counts(again) == _counts(pg) == _counts(source)


def test_interrupted_copy_goes_on_without_duplicates(sample, pg_url):
    copied: list[int] = []

    def stop_after_three(table: str, rows: int) -> None:
        copied.append(rows)
        if len(copied) == 3:
            raise Interrupted

    with closing(connect(sample)) as source, closing(connect(pg_url)) as pg:
        with pytest.raises(Interrupted):
            copy(source, pg, batch=100, progress=stop_after_three)
        first = sum(copied)
        resumed: list[int] = []
        copy(source, pg, batch=100, progress=lambda table, rows: resumed.append(rows))
        assert _counts(pg) == _counts(source)
        assert first + sum(resumed) == sum(_counts(source).values()) - _counts(source)["daily_country_totals"]


def test_cli_copies_postgresql_back_into_a_new_sqlite_file(sample, pg_url, tmp_path):
    with closing(connect(sample)) as source, closing(connect(pg_url)) as pg:
        copy(source, pg)
    done = subprocess.run([sys.executable, "-m", "newsradar", "db", "copy", pg_url, str(tmp_path / "back.db")],
                          capture_output=True, text=True, cwd=REPO, timeout=300)
    assert done.returncode == 0, done.stderr
    with closing(connect(sample)) as source, closing(connect(tmp_path / "back.db")) as back:
        assert _counts(back) == _counts(source)


def test_new_rows_after_a_copy_get_new_ids(sample, pg_url):
    with closing(connect(sample)) as source, closing(connect(pg_url)) as pg:
        copy(source, pg)
        with transaction(pg):
            new = pg.execute("INSERT INTO outlets (name) VALUES ('New') RETURNING id").fetchone()[0]
        assert new == source.execute("SELECT max(id) FROM outlets").fetchone()[0] + 1


def test_copy_into_itself_is_refused(pg_url):
    with closing(connect(pg_url)) as one, closing(connect(pg_url)) as other, pytest.raises(CopyError, match="same"):
        copy(one, other)


def test_cli_copies_and_reports_counts(sample, pg_url):
    done = subprocess.run([sys.executable, "-m", "newsradar", "db", "copy", str(sample), pg_url],
                          capture_output=True, text=True, cwd=REPO, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "every table has as many rows" in done.stderr
    with closing(connect(sample)) as source, closing(connect(pg_url)) as pg:
        assert _counts(pg) == _counts(source)


@pytest.mark.parametrize("source", ["missing.db", "postgresql://nobody@127.0.0.1:1/none"])
def test_cli_refuses_a_source_it_cannot_open_in_one_line(source, tmp_path):
    done = subprocess.run([sys.executable, "-m", "newsradar", "db", "copy", source, str(tmp_path / "t.db")],
                          capture_output=True, text=True, cwd=tmp_path, timeout=60,
                          env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 2
    assert done.stderr.startswith("newsradar: ") and done.stderr.count("\n") == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "t.db").exists() or source.startswith("postgresql")


def test_cli_refuses_a_source_older_than_the_target_and_says_how_to_upgrade_it(sample, tmp_path):
    # the source is opened read only, so never migrated: an older one lacks the tables the copy writes
    old = tmp_path / "old.db"
    with closing(connect(sample)) as conn:
        conn.execute(f"VACUUM INTO '{old}'")
    with closing(sqlite3.connect(old)) as raw:
        raw.execute("DROP VIEW category_countries")
        raw.execute("DROP TABLE daily_category_countries")
        raw.execute("PRAGMA user_version = 22")
        raw.commit()
    target = tmp_path / "target.db"
    command = [sys.executable, "-m", "newsradar", "db", "copy", str(old), str(target)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO, timeout=300)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "schema version 22" in done.stderr and "--db SOURCE stats" in done.stderr
    upgrade = subprocess.run([sys.executable, "-m", "newsradar", "--db", str(old), "stats"], capture_output=True,
                             text=True, cwd=REPO, timeout=300)
    assert upgrade.returncode == 0, upgrade.stderr
    again = subprocess.run(command, capture_output=True, text=True, cwd=REPO, timeout=300)
    assert again.returncode == 0, again.stderr
    with closing(connect(old)) as source, closing(connect(target)) as copied:
        assert _counts(copied) == _counts(source)
