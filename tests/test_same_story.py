"""One article per story of an outlet: a second URL of the same story (another slug) is another link of it, stored by
the collector and the backfill alike, and merged in databases stored before (schema migration 11)."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from test_dashboard_rollups import assert_rollups_exact

from collectors.backfill import backfill
from collectors.normalize import clean_link, normalize_link
from collectors.store import Article, ensure_feed, store_articles
from dashboard.testing import build_sample_db
from db import connect, links, transaction
from db.export import COLUMNS, write_csv
from db.filters import Filters
from db.schema import MIGRATIONS

TVN = "https://tvn24.pl/najnowsze.xml"
FIRST = "https://tvn24.pl/pomorze/auto-wjechalo-do-basenu-portowego-nie-zyje-mezczyzna-6576428?source=rss"
SECOND = "https://tvn24.pl/pomorze/auto-wjechalo-do-basenu-portowego-nie-zyje-40-letni-mezczyzna-6576428"
TITLE = "Samochód wpadł do basenu portowego w Gdyni. Nie żyje mężczyzna"


def record(link: str, title: str = TITLE, published: str = "2023-01-01 10:32:20+00:00", feed: str = TVN,
           description: str = "Karambol w porcie") -> dict:
    return {"feed_url": feed, "title": title, "description": description, "link": link, "published": published,
            "language": "pl", "first_seen": "2023-12-31"}


def load(conn: sqlite3.Connection, tmp_path: Path, records: list[dict]) -> None:
    archive = tmp_path / "archive.jsonl"
    archive.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    backfill(conn, [archive], allow_private=True)


def count(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT count(*) FROM articles").fetchone()[0]


def exported(conn: sqlite3.Connection, filters: Filters | None = None) -> list[dict]:
    out = io.StringIO()
    write_csv(conn, filters or Filters(), out)
    return list(csv.DictReader(io.StringIO(out.getvalue())))


def test_a_second_slug_of_a_story_is_stored_once_and_keeps_its_link(conn, tmp_path):
    load(conn, tmp_path, [record(FIRST), record(SECOND, description="Karambol w porcie, 40-latek nie żyje")])
    assert count(conn) == 1
    first, second = links.article_for(conn, normalize_link(FIRST)), links.article_for(conn, normalize_link(SECOND))
    assert first is not None and first == second
    assert links.other_links(conn, first) == [SECOND]
    [row] = exported(conn)
    # the export cleans tracking parameters off every link (?source=rss)
    assert row["link"] == clean_link(FIRST) and row["other_links"] == clean_link(SECOND)
    assert COLUMNS[-1] == "other_links"
    assert [r["title"] for r in exported(conn, Filters.make(q="basenu"))] == [TITLE]   # found once by search


def test_re_collecting_a_feed_that_serves_the_second_url_makes_no_copy(conn, tmp_path):
    load(conn, tmp_path, [record(FIRST)])
    again = Article(normalize_link(SECOND), SECOND, TITLE, "", "2023-01-01 10:32:20", None, "pl")
    with transaction(conn):
        feed = ensure_feed(conn, "https://tvn24.pl/pomorze.xml", "tvn24.pl")   # the outlet the backfill named
        outlet = conn.execute("SELECT outlet_id FROM feeds WHERE id = ?", (feed,)).fetchone()[0]
        for _ in range(2):   # the next cycle serves it again
            assert store_articles(conn, feed, outlet, [again], "2023-01-01 11:00:00") == 0
    assert count(conn) == 1
    article = links.article_for(conn, normalize_link(SECOND))
    assert article == links.article_for(conn, normalize_link(FIRST))
    assert conn.execute("SELECT count(*) FROM article_feeds WHERE article_id = ?", (article,)).fetchone()[0] == 2


def test_copies_within_one_batch_and_across_a_minute_boundary_are_one_article(conn, tmp_path):
    load(conn, tmp_path, [record(FIRST, published="2023-10-31 09:00:59+00:00"),
                          record(SECOND, published="2023-10-31 09:01:00+00:00"),
                          record(SECOND + "?v=3", published="2023-10-31 09:01:00+00:00")])
    assert count(conn) == 1 and conn.execute("SELECT count(*) FROM article_links").fetchone()[0] == 2


def test_a_link_served_twice_in_one_batch_keeps_its_first_text(conn, tmp_path):
    """The batch's rows are stored several hundred at a time, but a link's first record still wins, as one by one."""
    load(conn, tmp_path, [record(FIRST, title="Pierwszy tytuł"), record(SECOND, title="Inny artykuł"),
                          record(FIRST, title="Drugi tytuł", published="2023-01-01 11:00:00+00:00")])
    assert count(conn) == 2
    stored = links.article_for(conn, normalize_link(FIRST))
    assert conn.execute("SELECT title FROM articles WHERE id = ?", (stored,)).fetchone()[0] == "Pierwszy tytuł"


@pytest.mark.parametrize(("second", "why"), [
    (record(SECOND, feed="https://www.rmf24.pl/feed"), "the same title from another outlet: a wire copy, kept"),
    (record(SECOND, published="2023-01-01 12:40:00+00:00"), "the same title two hours later: another story"),
    (record(SECOND, published="2023-01-01 10:34:00+00:00"), "more than a minute apart"),
    (record(SECOND, title="Samochód wpadł do basenu portowego w Gdyni"), "another title"),
    (record(SECOND, published=None), "no date: the time first seen says nothing about the story"),
])
def test_what_is_not_the_same_story(conn, tmp_path, second, why):
    load(conn, tmp_path, [record(FIRST), second])
    assert count(conn) == 2, why
    assert conn.execute("SELECT count(*) FROM article_links").fetchone()[0] == 0, why


@pytest.mark.parametrize("title", ["", "Live updates"])
def test_empty_and_recurring_titles_are_never_merged(conn, tmp_path, title):
    """An outlet's "Live updates" of another day makes the title a recurring one: two at the same time stay two."""
    load(conn, tmp_path, [record(FIRST + "&day=1", title=title, published="2022-12-30 10:32:20+00:00"),
                          record(FIRST, title=title), record(SECOND, title=title)])
    assert count(conn) == 3


def sample_with_copies(path: Path, copies: int = 12) -> tuple[Path, list[tuple[int, str, int]]]:
    """The sample database as schema 10 left it: `copies` articles stored a second time under another URL (with their
    tags, search entries and feeds), and one more copy of one of them."""
    build_sample_db(path, every=80)
    made = []
    with closing(connect(path)) as conn, transaction(conn):
        originals = conn.execute("SELECT id FROM articles WHERE id IN (SELECT article_id FROM article_countries) "
                                 "AND title != '' ORDER BY id LIMIT ?", (copies,)).fetchall()
        for n, (original,) in enumerate([*originals, originals[0]]):
            copy = conn.execute(
                "INSERT INTO articles (norm_link, link, title, description, published, date_flag, first_seen, "
                "language, outlet_id, category) SELECT norm_link || ?, link || ?, title, description, "
                "datetime(published, ?), date_flag, first_seen, language, outlet_id, category FROM articles "
                "WHERE id = ? RETURNING id, norm_link", (f"-copy{n}", f"-copy{n}", f"+{n % 3} seconds", original)
            ).fetchone()
            made.append((copy[0], copy[1], original))
            conn.execute("INSERT INTO articles_fts (rowid, title, description) SELECT ?, fold(title), "
                         "fold(description) FROM articles WHERE id = ?", (copy[0], original))
            for table, column in (("article_countries", "country"), ("article_topics", "topic_id")):
                conn.execute(f"INSERT INTO {table} (article_id, {column}) SELECT ?, {column} FROM {table} "
                             "WHERE article_id = ?", (copy[0], original))
            conn.execute("INSERT INTO article_feeds (article_id, feed_id, guid, first_seen) SELECT ?, feed_id, guid, "
                         "first_seen FROM article_feeds WHERE article_id = ?", (copy[0], original))
        conn.execute("DROP TABLE article_links")
        conn.execute("PRAGMA user_version = 10")
    return path, made


def test_the_migration_merges_stored_copies_keeps_every_link_and_the_rollups_exact(tmp_path):
    path, copies = sample_with_copies(tmp_path / "old.db")
    with closing(sqlite3.connect(path)) as raw:
        before = raw.execute("SELECT count(*) FROM articles").fetchone()[0]
        everything = [r[0] for r in raw.execute("SELECT norm_link FROM articles")]
    with closing(connect(path)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        assert count(conn) == before - len(copies)
        assert all(links.article_for(conn, identity) is not None for identity in everything)
        assert [links.article_for(conn, identity) for _, identity, _ in copies] == [kept for *_, kept in copies]
        assert_rollups_exact(conn)
        # no search entry of a removed copy is left: every match is a stored article
        matched = conn.execute("SELECT count(*) FROM articles_fts WHERE articles_fts MATCH 'a* OR e* OR i*'").fetchone()
        assert matched[0] == conn.execute("SELECT count(*) FROM articles WHERE id IN (SELECT rowid FROM articles_fts "
                                          "WHERE articles_fts MATCH 'a* OR e* OR i*')").fetchone()[0]
        assert conn.execute("SELECT count(*) FROM article_feeds WHERE article_id NOT IN (SELECT id FROM articles)"
                            ).fetchone()[0] == 0
