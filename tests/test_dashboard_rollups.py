"""Migrations 3, 6, 7, 22, 23 and 25: the daily rollups stay equal to the articles through any kind of write."""

from __future__ import annotations

import re
import sqlite3
from contextlib import closing

import pytest

from collectors.tagging import retag
from dashboard.testing import add_articles, build_sample_db
from db import connect, topics, transaction
from db.schema import MIGRATIONS

ROLLUPS = {
    "daily_articles": ("SELECT day, outlet_id, language, n FROM daily_articles WHERE n != 0",
                       "SELECT substr(published, 1, 10), coalesce(outlet_id, 0), coalesce(language, ''), count(*) "
                       "FROM articles GROUP BY 1, 2, 3"),
    "daily_categories": ("SELECT category, day, outlet_id, language, n FROM daily_categories WHERE n != 0",
                         "SELECT coalesce(category, ''), substr(published, 1, 10), coalesce(outlet_id, 0), "
                         "coalesce(language, ''), count(*) FROM articles GROUP BY 1, 2, 3, 4"),
    "daily_category_countries": ("SELECT category, day, country, outlet_id, language, n FROM daily_category_countries "
                                 "WHERE n != 0",
                                 "SELECT coalesce(a.category, ''), substr(a.published, 1, 10), ac.country, "
                                 "coalesce(a.outlet_id, 0), coalesce(a.language, ''), count(*) "
                                 "FROM article_countries ac JOIN articles a ON a.id = ac.article_id "
                                 "GROUP BY 1, 2, 3, 4, 5"),
    "daily_countries": ("SELECT day, country, outlet_id, language, n FROM daily_countries WHERE n != 0",
                        "SELECT substr(a.published, 1, 10), ac.country, coalesce(a.outlet_id, 0), "
                        "coalesce(a.language, ''), count(*) FROM article_countries ac "
                        "JOIN articles a ON a.id = ac.article_id GROUP BY 1, 2, 3, 4"),
    "daily_country_totals": ("SELECT day, country, n FROM daily_country_totals WHERE n != 0",
                             "SELECT substr(a.published, 1, 10), ac.country, count(*) FROM article_countries ac "
                             "JOIN articles a ON a.id = ac.article_id GROUP BY 1, 2"),
    "daily_topics": ("SELECT day, topic_id, outlet_id, language, n FROM daily_topics WHERE n != 0",
                     "SELECT substr(a.published, 1, 10), at.topic_id, coalesce(a.outlet_id, 0), "
                     "coalesce(a.language, ''), count(*) FROM article_topics at "
                     "JOIN articles a ON a.id = at.article_id GROUP BY 1, 2, 3, 4"),
    "daily_topic_countries": ("SELECT topic_id, day, country, outlet_id, language, n FROM daily_topic_countries "
                              "WHERE n != 0",
                              "SELECT at.topic_id, substr(a.published, 1, 10), ac.country, coalesce(a.outlet_id, 0), "
                              "coalesce(a.language, ''), count(*) FROM article_topics at "
                              "JOIN article_countries ac ON ac.article_id = at.article_id "
                              "JOIN articles a ON a.id = at.article_id GROUP BY 1, 2, 3, 4, 5"),
    "daily_country_pairs": ("SELECT country, day, mentioned, outlet_id, language, n FROM daily_country_pairs "
                            "WHERE n != 0",
                            "SELECT f.country, substr(a.published, 1, 10), ac.country, coalesce(a.outlet_id, 0), "
                            "coalesce(a.language, ''), count(*) FROM article_countries f "
                            "JOIN article_countries ac ON ac.article_id = f.article_id "
                            "JOIN articles a ON a.id = f.article_id GROUP BY 1, 2, 3, 4, 5"),
    "daily_feeds": ("SELECT day, feed_id, n FROM daily_feeds WHERE n != 0",
                    "SELECT substr(a.published, 1, 10), af.feed_id, count(*) FROM article_feeds af "
                    "JOIN articles a ON a.id = af.article_id GROUP BY 1, 2"),
}


def assert_rollups_exact(conn: sqlite3.Connection) -> None:
    for table, (kept, recomputed) in ROLLUPS.items():
        assert conn.execute(f"SELECT count(*) FROM {table} WHERE n < 0").fetchone()[0] == 0, table
        assert sorted(map(tuple, conn.execute(kept))) == sorted(map(tuple, conn.execute(recomputed))), table


@pytest.fixture
def sample(tmp_path):
    path = build_sample_db(tmp_path / "sample.db", every=80)
    conn = connect(path)
    yield conn
    conn.close()


def test_a_backfill_and_new_articles_are_counted(sample):
    assert_rollups_exact(sample)
    assert sample.execute("SELECT sum(n) FROM daily_articles").fetchone()[0] > 300
    assert sample.execute("SELECT count(DISTINCT category) FROM daily_categories WHERE n > 0").fetchone()[0] > 3
    assert sample.execute("SELECT sum(n) FROM daily_countries").fetchone()[0] > 0
    assert sample.execute("SELECT sum(n) FROM daily_topics").fetchone()[0] > 0
    assert sample.execute("SELECT sum(n) FROM daily_topic_countries").fetchone()[0] > 0
    assert sample.execute("SELECT sum(n) FROM daily_country_pairs WHERE country != mentioned").fetchone()[0] > 0
    add_articles(sample, "https://new.example/rss", [
        ("Russia and Ukraine talk about grain in Istanbul", "https://new.example/a1", "2023-09-20 08:00:00"),
        ("Elections in Poland: the campaign ends", "https://new.example/a2", "2023-09-21 09:00:00"),
        ("Elections in Poland: the campaign ends", "https://new.example/a2", "2023-09-21 09:00:00")],  # a duplicate
        outlet="New Outlet", country="PL")
    assert_rollups_exact(sample)


def test_retag_and_topic_changes_keep_the_counts(sample):
    retag(sample)
    assert_rollups_exact(sample)
    with transaction(sample):
        topics.save_topic(sample, topics.Topic("Climate", "climate OR flood*"), old_name="Climate")
        topics.save_topic(sample, topics.Topic("Poland", "poland OR polsk* OR warsaw"))
    assert_rollups_exact(sample)
    with transaction(sample):
        topics.remove_topic(sample, "Poland")
    assert_rollups_exact(sample)


def test_edited_and_deleted_articles_move_their_counts(sample):
    ids = [r[0] for r in sample.execute("SELECT article_id FROM article_countries GROUP BY article_id LIMIT 6")]
    other_outlet = sample.execute("SELECT max(id) FROM outlets").fetchone()[0]
    with transaction(sample):
        sample.execute("UPDATE articles SET published = '2023-08-01 12:00:00' WHERE id = ?", (ids[0],))
        sample.execute("UPDATE articles SET outlet_id = ?, language = 'de' WHERE id = ?", (other_outlet, ids[1]))
        sample.execute("UPDATE articles SET outlet_id = NULL, language = NULL WHERE id = ?", (ids[2],))
        sample.execute("UPDATE articles SET title = 'only the title changed' WHERE id = ?", (ids[3],))
        sample.execute("UPDATE articles SET category = 'sport' WHERE id = ?", (ids[4],))
        sample.execute("UPDATE articles SET category = NULL, published = '2023-08-03 10:00:00' WHERE id = ?", (ids[5],))
    assert_rollups_exact(sample)
    with transaction(sample):
        sample.execute(f"DELETE FROM articles WHERE id IN ({ids[4]}, {ids[5]}, {ids[0]})")
        sample.execute("DELETE FROM article_countries WHERE article_id = ?", (ids[1],))
    assert_rollups_exact(sample)
    assert sample.execute("SELECT count(*) FROM article_countries WHERE article_id = ?", (ids[4],)).fetchone()[0] == 0


def test_articles_with_topics_and_countries_move_their_pairs(sample):
    ids = [r[0] for r in sample.execute("SELECT at.article_id FROM article_topics at JOIN article_countries ac "
                                        "ON ac.article_id = at.article_id GROUP BY at.article_id LIMIT 7")]
    assert len(ids) == 7
    other_outlet = sample.execute("SELECT max(id) FROM outlets").fetchone()[0]
    other_topic = sample.execute("SELECT max(id) FROM topics").fetchone()[0]
    with transaction(sample):
        sample.execute("UPDATE articles SET published = '2023-08-02 12:00:00' WHERE id = ?", (ids[0],))
        sample.execute("UPDATE articles SET outlet_id = ?, language = 'de' WHERE id = ?", (other_outlet, ids[1]))
        sample.execute("UPDATE articles SET published = substr(published, 1, 10) || ' 23:59' WHERE id = ?", (ids[4],))
        sample.execute("DELETE FROM article_countries WHERE article_id = ? AND country = (SELECT min(country) "
                       "FROM article_countries WHERE article_id = ?)", (ids[2], ids[2]))
        sample.execute("INSERT OR IGNORE INTO article_topics (topic_id, article_id) VALUES (?, ?)",
                       (other_topic, ids[3]))
        sample.execute("DELETE FROM article_countries WHERE article_id = ?", (ids[4],))
        sample.execute("DELETE FROM article_topics WHERE article_id = ?", (ids[5],))
        sample.execute("DELETE FROM articles WHERE id = ?", (ids[6],))
        sample.execute("INSERT INTO article_countries (article_id, country) VALUES (?, 'YY')", (ids[5],))
        sample.execute("INSERT INTO article_topics (topic_id, article_id) VALUES (?, ?)", (other_topic, ids[4]))
        sample.execute("INSERT INTO article_countries (article_id, country) VALUES (?, 'XX')", (ids[4],))
    assert_rollups_exact(sample)
    for sql in ("UPDATE article_countries SET country = 'ZZ' WHERE article_id = ?",
                "UPDATE article_topics SET topic_id = topic_id + 100 WHERE article_id = ?"):
        with pytest.raises(sqlite3.IntegrityError, match="deleted and inserted, not updated"):
            sample.execute(sql, (ids[0],))
    assert_rollups_exact(sample)


def test_the_migration_counts_an_existing_database(tmp_path):
    path = build_sample_db(tmp_path / "old.db", every=80)
    later = re.findall(r"CREATE (TABLE|TRIGGER|VIEW) (\w+)", "\n".join(MIGRATIONS[2:]))
    with closing(sqlite3.connect(path)) as conn:  # back to what schema version 2 had
        for kind, name in later:
            conn.execute(f"DROP {kind} IF EXISTS {name}")
        conn.execute("PRAGMA user_version = 2")
        conn.commit()
    with closing(connect(path)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] >= 3
        assert_rollups_exact(conn)
