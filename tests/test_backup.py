"""`newsradar backup FILE`: an online copy that is consistent while articles keep arriving."""

from __future__ import annotations

import shutil
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from db import backup as backup_module
from db import connect, transaction
from newsradar.cli import main

STORY = "A long enough description to fill pages. " * 25


def add_story(conn: sqlite3.Connection, n: int) -> None:
    """One article, its feed link and (by trigger) its daily count, in one transaction like the collector's."""
    with transaction(conn):
        cursor = conn.execute(
            "INSERT INTO articles (norm_link, link, title, description, published, first_seen, language, outlet_id) "
            "VALUES (?, ?, ?, ?, ?, ?, 'en', 1)",
            (f"example.org/{n}", f"https://example.org/{n}", f"Story {n}", STORY, f"2023-09-{n % 28 + 1:02d} 12:00:00",
             "2023-09-30 00:00:00"))
        conn.execute("INSERT INTO article_feeds (article_id, feed_id, first_seen) VALUES (?, 1, ?)",
                     (cursor.lastrowid, "2023-09-30 00:00:00"))


@pytest.fixture(scope="module")
def filled_template(tmp_path_factory) -> Path:
    """The 1,500-article database, built once for the module (closed, so its WAL is folded into the file)."""
    path = tmp_path_factory.mktemp("filled") / "newsradar.db"
    conn = connect(path)
    conn.execute("INSERT INTO outlets (id, name) VALUES (1, 'Example')")
    conn.execute("INSERT INTO feeds (id, url, outlet_id) VALUES (1, 'https://example.org/rss', 1)")
    for n in range(1500):
        add_story(conn, n)
    conn.close()
    return path


@pytest.fixture
def filled(filled_template: Path, db_path: Path) -> Path:
    """A fresh copy of the template at db_path (a test relies on its name)."""
    shutil.copyfile(filled_template, db_path)
    return db_path


class Writer(threading.Thread):
    """Inserts articles through its own connection until stopped, as a running collector would."""

    def __init__(self, path: Path):
        super().__init__(daemon=True)
        self.path, self.stop, self.written = path, threading.Event(), 0

    def run(self) -> None:
        conn = connect(self.path)
        n = 100_000
        while not self.stop.is_set():
            add_story(conn, n)
            n, self.written = n + 1, self.written + 1
        conn.close()


def consistency(path: Path) -> tuple[int, int, int, int, int]:
    """articles, feed links, the daily rollup's total, the highest id, what integrity_check says."""
    with sqlite3.connect(path) as conn:
        return (*conn.execute("SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM article_feeds), "
                              "(SELECT sum(n) FROM daily_articles), (SELECT max(id) FROM articles)").fetchone(),
                conn.execute("PRAGMA integrity_check").fetchone()[0])


def test_backup_while_articles_keep_arriving_is_a_consistent_snapshot(capsys, monkeypatch, filled, tmp_path):
    monkeypatch.setattr(backup_module, "PAGES_PER_STEP", 8)  # hundreds of steps, writes between them
    writer = Writer(filled)
    writer.start()
    while writer.written < 20:
        time.sleep(0.01)
    during = writer.written
    target = tmp_path / "copy.db"
    code = main(["--db", str(filled), "backup", str(target)])
    written_during_backup = writer.written - during
    writer.stop.set()
    writer.join()
    out = capsys.readouterr().out
    articles, links, rolled_up, top_id, integrity = consistency(target)
    assert code == 0 and written_during_backup > 0
    assert integrity == "ok" and articles == links == rolled_up == top_id  # whole transactions only
    assert 1500 + during <= articles < 1500 + writer.written
    assert out == f"backup {target}: {articles:,} articles, {target.stat().st_size / 1e6:,.1f} MB, integrity ok\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("copy")) == ["copy.db"]


def test_the_copy_is_a_plain_database_that_opens_as_newsradars(capsys, filled, tmp_path):
    target = tmp_path / "copy.db"
    assert main(["--db", str(filled), "backup", str(target)]) == 0
    with sqlite3.connect(target) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one self-contained file
    capsys.readouterr()
    assert main(["--db", str(target), "stats"]) == 0
    assert "articles   1,500" in capsys.readouterr().out
    assert connect(target).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_an_existing_file_is_kept_unless_forced(capsys, filled, tmp_path):
    target = tmp_path / "yesterday.db"
    target.write_bytes(b"yesterday's backup")
    assert main(["--db", str(filled), "backup", str(target)]) == 2
    assert capsys.readouterr().err == f"newsradar: error: {target} exists; use --force to replace it\n"
    assert target.read_bytes() == b"yesterday's backup"
    assert main(["--db", str(filled), "backup", str(target), "--force"]) == 0
    assert consistency(target)[0] == 1500


def test_an_interrupted_backup_leaves_no_part_file_and_the_old_copy(filled, tmp_path):
    target = tmp_path / "copy.db"
    target.write_bytes(b"older copy")

    def interrupt(done: int, total: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        backup_module.backup(filled, target, force=True, progress=interrupt)
    assert target.read_bytes() == b"older copy"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("copy")) == ["copy.db"]


@pytest.mark.parametrize("where, says", [
    (lambda t, db: t / "missing-dir" / "copy.db",
     "cannot write {t}/missing-dir/copy.db: there is no folder {t}/missing-dir"),
    (lambda t, db: t, "{t} is a directory; give a file name"),
    (lambda t, db: db, "{db} is the database itself; give another file"),
    (lambda t, db: t / "sub" / ".." / db.name, "{t}/sub/../newsradar.db is the database itself; give another file"),
    (lambda t, db: Path(f"{db}-wal"), "{db}-wal is the database itself; give another file"),
])
def test_a_bad_target_is_one_line_and_exit_2(capsys, filled, tmp_path, where, says):
    (tmp_path / "sub").mkdir()
    target = where(tmp_path, filled)
    before = filled.read_bytes()
    assert main(["--db", str(filled), "backup", str(target), "--force"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err == "newsradar: error: " + says.format(t=tmp_path, db=filled) + "\n"
    assert filled.read_bytes() == before


def test_no_database_is_one_line_and_creates_nothing(capsys, tmp_path):
    assert main(["--db", str(tmp_path / "none.db"), "backup", str(tmp_path / "copy.db")]) == 2
    assert capsys.readouterr().err == f"newsradar: error: no database at {tmp_path / 'none.db'}\n"
    assert list(tmp_path.iterdir()) == []
