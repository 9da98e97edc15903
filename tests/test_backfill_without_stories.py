"""`newsradar backfill --no-stories` (and bench/backfill.py --stories-cost) imports without grouping stories; the
import must be the same otherwise, and `stories rebuild` groups the articles as the import would have."""

from __future__ import annotations

import gzip
import itertools
from pathlib import Path

from collectors.backfill import backfill
from collectors.feedlists import import_feeds, read_feed_list
from db import connect
from newsradar.cli import main

DATA = Path(__file__).resolve().parents[1] / "collectors" / "data"


def _import(tmp_path: Path, name: str, archive: Path, group_stories: bool):
    conn = connect(tmp_path / name)
    import_feeds(conn, read_feed_list(DATA / "sample-outlets.csv")[0])
    report = backfill(conn, [archive], group_stories=group_stories)
    return conn, report


def test_an_import_without_stories_stores_the_same_articles_and_a_rebuild_groups_them(tmp_path, capsys) -> None:
    archive = tmp_path / "slice.jsonl"
    with gzip.open(DATA / "sample-2023.jsonl.gz", "rt", encoding="utf-8") as src:
        archive.write_text("".join(itertools.islice(src, 1500)), encoding="utf-8")
    grouped, report = _import(tmp_path, "with.db", archive, group_stories=True)
    import_feeds(connect(tmp_path / "without.db"), read_feed_list(DATA / "sample-outlets.csv")[0])
    assert main(["--db", str(tmp_path / "without.db"), "backfill", "--no-stories", str(archive)]) == 0
    assert f"{report.new:,} new articles" in capsys.readouterr().out
    assert main(["--db", str(tmp_path / "without.db"), "stats"]) == 0
    assert f"ungrouped  {report.new:,} articles not grouped into stories" in capsys.readouterr().out
    plain = connect(tmp_path / "without.db")
    articles = "SELECT link, title, category FROM articles ORDER BY id"
    assert report.new > 1000
    assert plain.execute(articles).fetchall() == grouped.execute(articles).fetchall()
    assert plain.execute("SELECT count(*) FROM article_stories").fetchone()[0] == 0
    plain.close()
    assert main(["--db", str(tmp_path / "without.db"), "stories", "rebuild"]) == 0
    stories = "SELECT a.link, s.story_id FROM article_stories s JOIN articles a ON a.id = s.article_id ORDER BY a.id"
    assert connect(tmp_path / "without.db").execute(stories).fetchall() == grouped.execute(stories).fetchall()
