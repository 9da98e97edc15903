"""PostgreSQL keeps each article's countries in its row as well (migration 35), for a text search's counts: whatever
writes or removes country tags (the collector's tagger, a retag, an import, `db copy`, an article's deletion), the
row says what article_countries says."""

from __future__ import annotations

import threading
import time
from contextlib import closing
from pathlib import Path

import pytest

from collectors.backfill import backfill
from collectors.normalize import normalize_link
from collectors.store import Article, ensure_feed, store_articles
from db import aggregates, connect, feeds, tags, topics, transaction
from db.copy import copy
from db.filters import Filters


@pytest.fixture
def pg(pg_url):
    with closing(connect(pg_url)) as conn:
        yield conn


def kept(conn) -> dict[int, list[str] | None]:
    return {row[0]: row[1] for row in conn.execute("SELECT id, countries FROM articles ORDER BY id")}


def tagged(conn) -> dict[int, list[str] | None]:
    """Each article's countries as article_countries has them, in byte order; None for none."""
    found: dict[int, list[str]] = {}
    for article_id, country in conn.execute("SELECT article_id, country FROM article_countries"):
        found.setdefault(article_id, []).append(country)
    return {row[0]: sorted(found[row[0]]) if row[0] in found else None
            for row in conn.execute("SELECT id FROM articles ORDER BY id")}


def store(conn, title: str, description: str, link: str = "https://x.example/az") -> int:
    with transaction(conn):
        feed = ensure_feed(conn, "https://x.example/rss", "X", "GB", "en")
        store_articles(conn, feed, feeds.outlet_of(conn, feed), [Article(
            normalize_link(link), link, title, description, "2023-09-20 10:00:00", None, "en")], "2023-09-20 10:05:00")
    return conn.execute("SELECT id FROM articles WHERE norm_link = ?", (normalize_link(link),)).fetchone()[0]


def test_the_collectors_tags_are_kept_in_the_row_at_no_extra_write(pg, pg_url):
    store(pg, "Weather turns cold", "Snow is expected tomorrow", "https://x.example/weather")
    plain = written(pg_url, pg, 1)
    article = store(pg, "Azerbaijan summons Russian ambassador", "Baku protests to Moscow")
    assert {"AZ", "RU"} <= set(kept(pg)[article])
    assert kept(pg) == tagged(pg)
    # the countries go with the tagger's write of the row (its category): an article with countries costs no more
    # writes of its row than one without
    assert written(pg_url, pg, 2) == (2, 2 * plain[1])


def test_changed_tags_change_the_row_and_no_tags_leave_it_empty(pg):
    article = store(pg, "Azerbaijan summons Russian ambassador", "Baku protests to Moscow")
    with transaction(pg):   # as a retag does: the countries it no longer finds go, the new ones come
        tags.keep_only_countries(pg, [article], [(article, "PL")])
        tags.write(pg, ([], [(article, "PL")], []))
    assert kept(pg)[article] == ["PL"]
    with transaction(pg):
        tags.keep_only_countries(pg, [article], [])
    assert kept(pg)[article] is None
    assert kept(pg) == tagged(pg)


def test_a_second_tagging_with_fewer_countries_keeps_the_row_as_the_table(pg):
    """A tagger that finds fewer countries for an article already tagged (one of an older version, say) adds none
    and removes none: the table keeps them all, and so must the row."""
    article = store(pg, "Azerbaijan summons Russian ambassador", "Baku protests to Moscow")
    with transaction(pg):
        tags.write(pg, ([("politics", article)], [(article, "AZ")], []))
    assert {"AZ", "RU"} <= set(kept(pg)[article])
    assert kept(pg) == tagged(pg)


def test_two_transactions_adding_countries_to_one_article_are_both_kept(pg, pg_url):
    """The second waits for the first's lock on the row; when it goes on, it must count the first's countries."""
    article = store(pg, "Weather turns cold", "Snow is expected tomorrow", "https://x.example/weather")
    with closing(connect(pg_url)) as first, closing(connect(pg_url)) as second:
        first.execute("BEGIN")
        first.execute("INSERT INTO article_countries (article_id, country) VALUES (?, 'PL')", (article,))
        waiting = second.execute("SELECT pg_backend_pid()").fetchone()[0]
        thread = threading.Thread(target=lambda: second.execute(
            "INSERT INTO article_countries (article_id, country) VALUES (?, 'DE')", (article,)))
        thread.start()
        for _ in range(200):   # until the second is blocked on the first's lock
            if pg.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = ?", (waiting,)).fetchone()[0] \
                    == "Lock":
                break
            time.sleep(0.05)
        else:
            raise AssertionError("the second transaction never waited for the first")
        first.execute("COMMIT")
        thread.join(30)
    assert kept(pg) == tagged(pg) == {article: ["DE", "PL"]}


def test_an_article_with_countries_can_be_deleted(pg):
    """Its country rows go first (a trigger of articles); keeping its row up to date then would fail the delete."""
    article = store(pg, "Azerbaijan summons Russian ambassador", "Baku protests to Moscow")
    other = store(pg, "Poland votes", "Warsaw counts the ballots", "https://x.example/pl")
    with transaction(pg):
        pg.execute("DELETE FROM articles WHERE id = ?", (article,))
    assert list(kept(pg)) == [other]
    assert kept(pg) == tagged(pg) and kept(pg)[other]


@pytest.fixture(scope="module")
def archive(sample_slice) -> Path:
    return sample_slice(600)


def written(url: str, conn, inserted: int) -> tuple[int, int]:
    """(rows inserted, rows updated) in articles so far, from the server's statistics once `conn`'s are flushed
    (they are sent when its backend is idle: read until the `inserted` rows are counted)."""
    conn.execute("SELECT pg_stat_force_next_flush()")
    with closing(connect(url)) as reader:
        for _ in range(100):
            reader.execute("SELECT pg_stat_clear_snapshot()")
            counts = reader.execute("SELECT n_tup_ins, n_tup_upd FROM pg_stat_user_tables "
                                    "WHERE relname = 'articles' AND schemaname = current_schema()").fetchone()
            if counts[0] >= inserted:
                return counts
            time.sleep(0.05)
    raise AssertionError(f"the statistics never counted {inserted} inserted articles")


def test_an_import_writes_the_countries_with_each_row(pg, pg_url, archive):
    """Not after: a second write of an article's row writes it again in every index of articles (its GIN index too)."""
    topics.seed_defaults(pg)
    report = backfill(pg, [archive], allow_private=True)
    rows = kept(pg)
    assert len(rows) > 500 and sum(1 for countries in rows.values() if countries) > 100
    assert rows == tagged(pg)
    assert written(pg_url, pg, report.new) == (report.new, 0)


def test_a_copy_from_sqlite_brings_the_countries_into_the_rows(pg, archive, db_path):
    with closing(connect(db_path)) as source:
        backfill(source, [archive], allow_private=True)
        copy(source, pg)
    assert kept(pg) == tagged(pg) and any(kept(pg).values())


def test_a_text_searchs_countries_are_those_of_its_matches(pg, archive):
    backfill(pg, [archive], allow_private=True)
    search = Filters.make(q="ukrain* OR russia*")
    counted = aggregates.search_counts(pg, search).outlet_countries
    named = aggregates.outlet_labels(pg, search, "country")   # from article_countries
    assert len(counted) > 5
    assert (counted.sort_values(["outlet_id", "label"], ignore_index=True).astype({"n": "int64"})
            .equals(named.sort_values(["outlet_id", "label"], ignore_index=True).astype({"n": "int64"})))
