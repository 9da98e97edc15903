"""Storing articles on both engines: exactly once, second URLs linked, tags, rollups and stories written, and a
backfill that gives the same counts and the same export on SQLite and PostgreSQL (issue 14)."""

from __future__ import annotations

import json
import threading
from contextlib import closing
from pathlib import Path

import pytest
from test_engine import _rollups_exact

from collectors import stories, tagging
from collectors.backfill import BackfillReport, backfill, backfill_file
from collectors.normalize import normalize_link
from collectors.store import Article, ensure_feed, store_articles
from db import connect, feeds, tags, topics, transaction
from db.export import export_rows
from db.filters import Filters, where_in
from db.stories import summary


def article(link: str, title: str = "Title", published: str = "2023-09-20 10:00:00",
            description: str = "") -> Article:
    return Article(normalize_link(link), link, title, description, published, None, "en")


def store(conn, items: list[Article], url: str = "https://x.example/rss") -> int:
    with transaction(conn):
        feed = ensure_feed(conn, url, "X", "GB", "en")
        return store_articles(conn, feed, feeds.outlet_of(conn, feed), items, "2023-09-20 10:05:00")


def count(conn, table: str) -> int:
    return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_the_same_items_stored_twice_are_stored_once(engine):
    items = [article(f"https://x.example/{i}", f"Story {i}") for i in range(5)]
    assert store(engine, items) == 5
    assert store(engine, items + [article("https://x.example/new", "Another")]) == 1
    assert count(engine, "articles") == 6
    assert count(engine, "article_feeds") == 6


def test_the_same_article_in_two_feeds_is_stored_once_and_linked_to_both(engine):
    assert store(engine, [article("https://x.example/a?at_medium=RSS")], "https://x.example/world.xml") == 1
    assert store(engine, [article("https://x.example/a#top")], "https://x.example/tech.xml") == 0
    assert count(engine, "articles") == 1
    assert count(engine, "article_feeds") == 2


@pytest.mark.parametrize("batches", [1, 2], ids=["one batch", "two batches"])
def test_a_second_url_of_the_same_story_becomes_a_link_of_the_stored_article(engine, batches):
    first = article("https://x.example/story-slug", "Port crash kills one", "2023-09-20 10:00:00")
    second = article("https://x.example/story-slug-2", "Port crash kills one", "2023-09-20 10:00:40")
    new = store(engine, [first, second]) if batches == 1 else store(engine, [first]) + store(engine, [second])
    assert new == 1
    assert [tuple(r) for r in engine.execute("SELECT norm_link FROM article_links")] == [(second.norm_link,)]
    assert count(engine, "article_feeds") == 1


def test_a_search_finds_the_stored_articles(engine):
    store(engine, [article("https://x.example/1", "Karabakh talks resume"), article("https://x.example/2", "Other")])
    where, params = Filters.make(q="karabakh").where(dialect=getattr(engine, "dialect", "sqlite"))
    rows = engine.execute(f"SELECT a.title FROM articles a LEFT JOIN outlets o ON o.id = a.outlet_id WHERE {where}",
                          params).fetchall()
    assert [r[0] for r in rows] == ["Karabakh talks resume"]


def test_a_topic_tags_the_matching_articles_of_each_new_batch(engine):
    with transaction(engine):
        topics.save_topic(engine, topics.Topic("Karabakh", "karabakh OR title:stepanakert"))
    store(engine, [article("https://x.example/1", "Karabakh talks resume"), article("https://x.example/2", "Other")])
    store(engine, [article("https://x.example/3", "Other news", description="Karabakh refugees"),
                   article("https://x.example/4", "Stepanakert empties"),
                   article("https://x.example/5", "Weather", description="Stepanakert")])
    tagged = engine.execute("SELECT a.link FROM article_topics t JOIN articles a ON a.id = t.article_id "
                            "ORDER BY a.link").fetchall()
    assert [r[0] for r in tagged] == [f"https://x.example/{i}" for i in (1, 3, 4)]


def test_tags_and_rollups_are_written(engine):
    store(engine, [article("https://x.example/az", "Azerbaijan summons Russian ambassador",
                           description="Baku protests to Moscow")])
    countries = {r[0] for r in engine.execute("SELECT country FROM article_countries")}
    assert {"AZ", "RU"} <= countries
    assert engine.execute("SELECT category FROM articles").fetchone()[0]
    assert engine.execute("SELECT sum(n) FROM daily_articles").fetchone()[0] == 1
    assert engine.execute("SELECT sum(n) FROM daily_countries").fetchone()[0] == len(countries)
    assert tagging.tagger_status(engine)["current"]


def test_a_retag_batch_forgets_only_its_own_articles_countries(engine):
    """An article with an id among the batch's that the batch did not read (a collector's, committed after the
    batch was read: PostgreSQL hands ids out before the rows commit) keeps its countries."""
    store(engine, [article(f"https://x.example/{i}", f"Azerbaijan and Russia talk, round {i}") for i in range(3)])
    first, middle, last = [row[0] for row in engine.execute("SELECT id FROM articles ORDER BY id")]
    with transaction(engine):
        tags.keep_only_countries(engine, [first, last], [(first, "AZ")])
    assert sorted(map(tuple, engine.execute("SELECT DISTINCT article_id, country FROM article_countries "
                                            "WHERE article_id != ? ORDER BY 1, 2", (middle,)))) == [(first, "AZ")]
    assert {r[0] for r in engine.execute("SELECT country FROM article_countries WHERE article_id = ?",
                                         (middle,))} == {"AZ", "RU"}


def test_an_article_naming_two_countries_counts_their_pair_once(engine):
    """A collector writes an article's countries in one statement; the pair of them is one pair (PostgreSQL's row
    triggers, run after the whole statement, each saw the other row and counted it twice)."""
    store(engine, [article(f"https://x.example/{i}", f"Azerbaijan and Russia talk, round {i}") for i in range(3)])
    assert engine.execute("SELECT n FROM daily_country_pairs WHERE country = 'AZ' AND mentioned = 'RU'"
                          ).fetchone()[0] == 3
    _rollups_exact(engine)


def test_retag_and_stories_rebuild_run(engine):
    store(engine, [article(f"https://x.example/{i}", f"Azerbaijan story {i}") for i in range(3)])
    assert tagging.retag(engine) == 3
    stories.rebuild(engine)
    assert summary(engine).ungrouped == 0


@pytest.fixture(scope="module")
def archive(sample_slice) -> Path:
    return sample_slice(3000)


TABLES = ("articles", "article_links", "article_feeds", "article_countries", "article_topics", "feeds", "outlets",
          "article_stories")


@pytest.mark.slow
def test_a_backfill_gives_the_same_counts_and_export_on_both_engines(archive, db_path, pg_url):
    results = []
    for target in (db_path, pg_url):
        with closing(connect(target)) as conn:
            topics.seed_defaults(conn)
            report = backfill(conn, [archive], allow_private=True)
            counts = {table: count(conn, table) for table in TABLES}
            counts["daily_articles"] = conn.execute("SELECT sum(n) FROM daily_articles").fetchone()[0]
            results.append((report.summary(), counts, list(export_rows(conn, Filters())),
                            [found(conn, Filters.make(q=q)) for q in SEARCHES],
                            [found(conn, Filters.make(topics=[t])) for t in TOPICS]))
            # the import matched the topics in memory: the engine's own search of each topic's query agrees
            for row in topics.list_topics(conn):
                assert found(conn, Filters.make(topics=[row["name"]])) == found(conn, Filters.make(q=row["query"]))
    (sqlite_report, sqlite_counts, sqlite_rows, sqlite_found, sqlite_topics), (pg_report, pg_counts, pg_rows,
                                                                              pg_found, pg_topics) = results
    assert sqlite_report == pg_report
    assert sqlite_counts == pg_counts and sqlite_counts["articles"] > 2000
    assert sqlite_rows == pg_rows
    assert all(sqlite_found) and all(sqlite_topics)
    assert pg_found == sqlite_found   # the import's text index (written with each row on PostgreSQL) finds the same
    assert pg_topics == sqlite_topics


def test_a_collector_storing_during_an_import_is_counted_once(pg_url, sample_slice):
    """PostgreSQL lets a collector store while an import runs. Each batch of the import counts every article after
    its first id into the rollups itself; a collector's article among them (counted by its own triggers) would be
    counted twice. The collector waits for the batch instead, and every rollup stays exact."""
    stop, stored = threading.Event(), []

    def collect() -> None:
        with closing(connect(pg_url)) as other:
            while not stop.is_set():
                n = len(stored)
                store(other, [article(f"https://y.example/{n}", f"Azerbaijan and Russia talk, day {n}")],
                      "https://y.example/rss")
                stored.append(n)
                stop.wait(0.02)   # a collector's pace, not a busy loop: the other test worker's browser waits on CPU

    with closing(connect(pg_url)) as conn:
        collector = threading.Thread(target=collect)
        collector.start()
        try:
            report = BackfillReport()
            backfill_file(conn, sample_slice(600), report, batch=50, allow_private=True)
        finally:
            stop.set()
            collector.join(60)
        assert report.new > 500 and len(stored) > 3
        assert count(conn, "articles") == report.new + len(stored)
        _rollups_exact(conn)


SEARCHES = ("ukrain*", '"prime minister"', "title:election*", "polska OR łódź", "inflation -bank")
TOPICS = ("Russia–Ukraine war", "Elections")


def found(conn, filters: Filters) -> set[str]:
    where, params = where_in(conn, filters, False)
    return {row[0] for row in conn.execute(
        f"SELECT a.norm_link FROM articles a LEFT JOIN outlets o ON o.id = a.outlet_id WHERE {where}", params)}


def test_a_link_served_twice_in_an_import_is_found_by_the_text_stored(engine, tmp_path):
    """The second record of a link (another version of the text) is already stored: the search and the tags are of
    the first, the one stored, on both engines."""
    records = [{"feed_url": "https://x.example/rss", "link": "https://x.example/wagner", "published":
                "2023-05-07T10:00:00Z", "title": "Wagner leader reverses course", "description": description}
               for description in ("Prigozhin stays in Bakhmut", "Kyiv says Ukrainian forces advance near Warsaw")]
    archive = tmp_path / "twice.jsonl"
    archive.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    report = backfill(engine, [archive], allow_private=True)
    assert (report.new, report.read) == (1, 2)
    assert found(engine, Filters.make(q="bakhmut")) == {"x.example/wagner"}
    assert found(engine, Filters.make(q="ukrain* OR warsaw")) == set()
    assert "PL" not in {r[0] for r in engine.execute("SELECT country FROM article_countries")}


def test_a_link_whose_first_record_becomes_another_url_of_a_story_is_tagged_by_the_record_stored(engine, tmp_path):
    """Of a link's two records in one import, the first is the same story as an article stored just before it (its
    outlet, title and minute), so the second is the one stored: the search and the countries are of its text."""
    records = [{"feed_url": "https://x.example/rss", "link": f"https://x.example/{link}", "published": published,
                "title": title, "description": description} for link, published, title, description in [
        ("other", "2023-05-07T10:00:00Z", "Wagner leader reverses course", "Prigozhin stays in Bakhmut"),
        ("wagner", "2023-05-07T10:00:10Z", "Wagner leader reverses course", "Prigozhin stays in Bakhmut"),
        ("wagner", "2023-05-07T12:00:00Z", "Kyiv forces advance near Warsaw", "Ukrainian troops in Poland")]]
    archive = tmp_path / "story.jsonl"
    archive.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    backfill(engine, [archive], allow_private=True)
    stored = engine.execute("SELECT id, title FROM articles WHERE norm_link = 'x.example/wagner'").fetchone()
    assert stored[1] == "Kyiv forces advance near Warsaw"
    assert found(engine, Filters.make(q="warsaw")) == {"x.example/wagner"}
    assert found(engine, Filters.make(q="bakhmut")) == {"x.example/other"}
    countries = {r[0] for r in engine.execute("SELECT country FROM article_countries WHERE article_id = ?",
                                              (stored[0],))}
    assert "PL" in countries
