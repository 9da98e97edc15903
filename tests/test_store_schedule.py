"""The database layer and the feed schedule: migrations, exactly-once storage, backoff, Retry-After."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest

from collectors import schedule
from collectors.fetch import parse_retry_after
from collectors.normalize import normalize_link
from collectors.store import Article, ensure_feed, store_articles
from db import SCHEMA_VERSION, SchemaError, connect, transaction


def article(link: str, title: str = "Title") -> Article:
    return Article(normalize_link(link), link, title, "", "2023-09-20 10:00:00", None, "en")


def test_new_database_is_wal_with_current_schema(db_path):
    conn = connect(db_path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000


def test_older_database_is_upgraded(db_path):
    sqlite3.connect(db_path).execute("CREATE TABLE unrelated (x)").connection.commit()  # version 0
    conn = connect(db_path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == 0


def test_newer_database_is_refused(db_path):
    raw = sqlite3.connect(db_path)
    raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    raw.close()
    with pytest.raises(SchemaError, match="newer"):
        connect(db_path)


def test_same_article_in_two_feeds_of_one_outlet_is_stored_once_and_linked_to_both(conn):
    with transaction(conn):
        world = ensure_feed(conn, "https://bbc.example/world.xml", "BBC", "GB", "en")
        tech = ensure_feed(conn, "https://bbc.example/tech.xml", "BBC", "GB", "en")
        outlet = conn.execute("SELECT outlet_id FROM feeds WHERE id = ?", (world,)).fetchone()[0]
        assert store_articles(conn, world, outlet, [article("https://bbc.example/a?at_medium=RSS")], "t") == 1
        assert store_articles(conn, tech, outlet, [article("https://bbc.example/a#top")], "t") == 0
    assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == 1
    assert {r[0] for r in conn.execute("SELECT feed_id FROM article_feeds")} == {world, tech}


def test_restoring_adds_nothing_and_keeps_the_fts_index_in_step(conn):
    rows = [article(f"https://x.example/{i}", f"Karabakh story {i}") for i in range(5)]
    with transaction(conn):
        feed = ensure_feed(conn, "https://x.example/rss", "X")
        assert store_articles(conn, feed, None, rows, "t") == 5
        assert store_articles(conn, feed, None, rows + [article("https://x.example/new", "Karabakh")], "t") == 1
    assert conn.execute("SELECT count(*) FROM articles_fts WHERE articles_fts MATCH 'karabakh'").fetchone()[0] == 6


def test_a_failed_transaction_stores_nothing(conn):
    with pytest.raises(RuntimeError), transaction(conn):
        feed = ensure_feed(conn, "https://x.example/rss", "X")
        store_articles(conn, feed, None, [article("https://x.example/1")], "t")
        raise RuntimeError("crash between insert and commit")
    assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM articles_fts").fetchone()[0] == 0


@pytest.mark.parametrize("interval, items, new, expected", [
    (3600, 20, 0, 5400),        # nothing new: poll less often
    (3600, 20, 15, 1800),       # mostly new: poll more often
    (3600, 20, 5, 3600),
    (600, 20, 20, 600),         # never below 10 minutes
    (86400, 20, 0, 86400),      # never above a day
])
def test_next_interval(interval, items, new, expected):
    assert schedule.next_interval(interval, items, new) == expected


@pytest.mark.parametrize("errors, retry_after, expected", [
    (1, None, 1800), (3, None, 5400), (100, None, 86400), (1, 7200.0, 7200), (1, 10.0, 1800),
])
def test_error_delay(errors, retry_after, expected):
    assert schedule.error_delay(errors, retry_after) == expected


@pytest.mark.parametrize("header, expected", [
    ("120", 120.0), ("999999", 86400.0), ("Wed, 20 Sep 2023 12:10:00 GMT", 600.0), ("soon", None), (None, None),
])
def test_retry_after(header, expected):
    now = dt.datetime(2023, 9, 20, 12, 0, tzinfo=dt.UTC)
    assert parse_retry_after(header, now) == expected
