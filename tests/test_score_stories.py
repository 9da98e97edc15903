"""scripts/score_stories.py scores the stories a database stores (`--db`), as the README says it does."""

from __future__ import annotations

import json
import subprocess
import sys
from contextlib import closing
from pathlib import Path

from collectors.backfill import backfill
from db import connect

ROOT = Path(__file__).resolve().parent.parent
HEADLINE = "Azerbaijan and Armenia sign a border agreement in Almaty"


def record(feed: str, link: str, title: str, published: str) -> str:
    return json.dumps({"feed_url": feed, "title": title, "description": "", "link": link,
                       "published": published, "language": "en"}) + "\n"


def test_the_scores_of_a_databases_stories(tmp_path):
    archive = tmp_path / "a.jsonl"
    archive.write_text(
        record("https://one.example/rss", "https://one.example/a", HEADLINE, "2023-05-01 10:00:00+00:00")
        + record("https://two.example/rss", "https://two.example/b", HEADLINE, "2023-05-01 12:00:00+00:00")
        + record("https://two.example/rss", "https://two.example/c", "Heavy rain floods the north of Italy",
                 "2023-05-01 13:00:00+00:00"), encoding="utf-8")
    with closing(connect(tmp_path / "n.db")) as conn:
        backfill(conn, [archive], tag=False, allow_private=True)
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text(json.dumps({"a": "https://one.example/a", "b": "https://two.example/b", "same": True,
                                 "kind": "random"}) + "\n"
                     + json.dumps({"a": "https://one.example/a", "b": "https://two.example/c", "same": False,
                                   "kind": "random"}) + "\n", encoding="utf-8")
    run = subprocess.run([sys.executable, ROOT / "scripts" / "score_stories.py", "--db", tmp_path / "n.db",
                          "--pairs", pairs], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("3 articles in 2 stories; 1 stories of two or more articles hold 2; largest 2\n")
    assert "all           pairs    2 (not found 0): precision 1.000 recall 1.000" in run.stdout
    assert "identical headlines of two or more outlets: 1 (2 articles); 1 in one story" in run.stdout
