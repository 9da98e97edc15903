"""Acceptance: a collector or backfill killed with SIGKILL and restarted ends with exactly the right articles."""

from __future__ import annotations

import gzip
import itertools
import json
import random
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from collectors.feedlists import import_feeds, read_feed_list
from collectors.normalize import normalize_link
from db import connect

SAMPLE = Path(__file__).resolve().parents[1] / "collectors" / "data" / "sample-2023.jsonl.gz"
BACKFILL_LINES = 8000

pytestmark = pytest.mark.slow   # a long file: started first (conftest.py)


def newsradar(db: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "newsradar", "--db", str(db), *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def stored(db: Path) -> int:
    try:
        with connect(db, readonly=True) as conn:
            return conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    except Exception:  # noqa: BLE001 - not yet created or mid-migration
        return 0


def kill_at_random(db: Path, args: list[str], rng: random.Random, low: float, high: float,
                   after_first_commit: bool = False) -> bool:
    """Start the command and SIGKILL it after a random delay; True if it was still running."""
    proc = newsradar(db, *args)
    if after_first_commit:
        start = stored(db)
        while stored(db) == start and proc.poll() is None:
            time.sleep(0.02)
    time.sleep(rng.uniform(low, high))
    running = proc.poll() is None
    proc.kill()
    proc.wait()
    return running


def check_database(db: Path) -> Counter:
    conn = connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        fts = conn.execute("SELECT count(*) FROM articles_fts").fetchone()[0]
        articles = Counter(r[0] for r in conn.execute("SELECT norm_link FROM articles"))
        assert fts == sum(articles.values()), "FTS index out of step with the articles"
        # every link, whether an article's own or another URL of the same story (article_links), counted once
        return articles + Counter(r[0] for r in conn.execute("SELECT norm_link FROM article_links"))
    finally:
        conn.close()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_collector_killed_and_restarted(replay, tmp_path, seed):
    rng = random.Random(seed)
    replay.set_day("2023-09-21")
    db = tmp_path / "crash.db"
    with connect(db) as conn:
        import_feeds(conn, read_feed_list(replay.opml_file(tmp_path, faults=False))[0])
    expected = {normalize_link(link) for links in replay.served().values() for link in links}
    args = ["collect", "--once", "--force", "--per-host", "8"]
    kills = sum(kill_at_random(db, args, rng, 0.3, 2.5) for _ in range(3))
    assert kills >= 1, "the collector finished before any kill: the test proves nothing"
    final = newsradar(db, *args)
    assert final.wait(timeout=120) == 0, final.stderr.read().decode()
    articles = check_database(db)
    assert set(articles) == expected
    assert max(articles.values()) == 1


@pytest.mark.parametrize("seed", [1, 2])
def test_backfill_killed_and_restarted(tmp_path, seed):
    rng = random.Random(seed)
    db = tmp_path / "crash.db"
    with connect(db) as conn:
        import_feeds(conn, read_feed_list(SAMPLE.with_name("sample-outlets.csv"))[0])
    # a third of the sample in files of 1,000 lines: each file is committed, so a kill soon after the first commit
    # lands mid-import on a fast machine too (one file made two commits, and a kill could miss both)
    with gzip.open(SAMPLE, "rt", encoding="utf-8") as fh:
        lines = list(itertools.islice(fh, BACKFILL_LINES))
    archives = [tmp_path / f"slice-{start}.jsonl" for start in range(0, BACKFILL_LINES, 1000)]
    for start, archive in zip(range(0, BACKFILL_LINES, 1000), archives, strict=True):
        archive.write_text("".join(lines[start:start + 1000]), encoding="utf-8")
    expected = {normalize_link(json.loads(line)["link"]) for line in lines}
    command = ["backfill", *map(str, archives)]
    assert kill_at_random(db, command, rng, 0.0, 0.2, after_first_commit=True)
    assert 0 < len(check_database(db)) < len(expected), "the kill must land in the middle of the import"
    kill_at_random(db, command, rng, 0.3, 2.0)
    final = newsradar(db, *command)
    assert final.wait(timeout=120) == 0, final.stderr.read().decode()
    articles = check_database(db)
    assert set(articles) == expected
    assert max(articles.values()) == 1
