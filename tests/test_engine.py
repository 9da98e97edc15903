"""Both engines behind one connection type: the same plain SQL, rows, transactions and exact rollups."""

from __future__ import annotations

import pytest

from db import SCHEMA_VERSION, connect, rollups, transaction
from db.engine import dialect
from db.postgres import schema as pg_schema
from db.postgres.connection import translate

ROLLUPS = {
    "daily_articles": "SELECT substr(published, 1, 10), coalesce(outlet_id, 0), coalesce(language, ''), count(*) "
                      "FROM articles GROUP BY 1, 2, 3",
    "daily_categories": "SELECT coalesce(category, ''), substr(published, 1, 10), coalesce(outlet_id, 0), "
                        "coalesce(language, ''), count(*) FROM articles GROUP BY 1, 2, 3, 4",
    "daily_category_countries": "SELECT coalesce(a.category, ''), substr(a.published, 1, 10), c.country, "
                                "coalesce(a.outlet_id, 0), coalesce(a.language, ''), count(*) FROM article_countries c "
                                "JOIN articles a ON a.id = c.article_id GROUP BY 1, 2, 3, 4, 5",
    "daily_countries": "SELECT substr(a.published, 1, 10), c.country, coalesce(a.outlet_id, 0), "
                       "coalesce(a.language, ''), count(*) FROM article_countries c JOIN articles a ON a.id = "
                       "c.article_id GROUP BY 1, 2, 3, 4",
    "daily_topics": "SELECT substr(a.published, 1, 10), t.topic_id, coalesce(a.outlet_id, 0), "
                    "coalesce(a.language, ''), count(*) FROM article_topics t JOIN articles a ON a.id = t.article_id "
                    "GROUP BY 1, 2, 3, 4",
    "daily_country_totals": "SELECT substr(a.published, 1, 10), c.country, count(*) FROM article_countries c "
                            "JOIN articles a ON a.id = c.article_id GROUP BY 1, 2",
    "daily_topic_countries": "SELECT topic_id, day, country, outlet_id, language, count(*) FROM topic_country_pairs "
                             "GROUP BY 1, 2, 3, 4, 5",
    "daily_country_pairs": "SELECT country, day, mentioned, outlet_id, language, count(*) FROM country_pairs "
                           "GROUP BY 1, 2, 3, 4, 5",
    "daily_feeds": "SELECT substr(a.published, 1, 10), f.feed_id, count(*) FROM article_feeds f "
                   "JOIN articles a ON a.id = f.article_id GROUP BY 1, 2",
}


@pytest.mark.parametrize(("sql", "expected"), [
    ("SELECT ? + ?", "SELECT %s + %s"),
    ("SELECT '?' || ?", "SELECT '?' || %s"),
    ("SELECT 'it''s ?', ?", "SELECT 'it''s ?', %s"),
    ("SELECT \"a?\" FROM t WHERE x LIKE '5%'", "SELECT \"a?\" FROM t WHERE x LIKE '5%%'"),
    ("SELECT 1 -- why?\n, ?", "SELECT 1 -- why?\n, %s"),
    ("SELECT 100 % ?", "SELECT 100 %% %s"),
    ("SELECT :norm, ':kept', x::text WHERE y = :norm_2", "SELECT %(norm)s, ':kept', x::text WHERE y = %(norm_2)s"),
])
def test_placeholders_are_translated_outside_quotes(sql, expected):
    assert translate(sql) == expected


def test_engine_names_its_dialect(engine, request):
    assert dialect(engine) == request.node.callspec.params["engine"]


def test_rows_read_by_position_and_name(engine):
    with transaction(engine):
        engine.execute("INSERT INTO outlets (name, country) VALUES (?, ?)", ("BBC's 50% ?", "GB"))
    row = engine.execute("SELECT name, country FROM outlets WHERE country = ?", ("GB",)).fetchone()
    assert (row[0], row["country"], list(row.keys())) == ("BBC's 50% ?", "GB", ["name", "country"])


def test_lastrowid_is_the_new_rows_id_even_inside_a_transaction(engine):
    with transaction(engine):
        assert engine.execute("INSERT INTO topics (name, query) VALUES ('a', 'a')").lastrowid == 1
        engine.execute("INSERT INTO outlets (name) VALUES ('x')")
        assert engine.execute("INSERT INTO outlets (name) VALUES ('y')").lastrowid == 2
    assert engine.execute("SELECT count(*) FROM outlets").fetchone()[0] == 2


@pytest.mark.parametrize("modifiers", [(), ("-60 seconds",), ("+60 seconds",), ("-30 days",),
                                       ("-1 day", "-1 second"), ("+1 day", "+1 second"), ("-30 days", "+1 second")])
def test_datetime_arithmetic_is_sqlites_on_both(engine, modifiers):
    marks = "".join(", ?" for _ in modifiers)
    row = engine.execute(f"SELECT datetime(?{marks})", ("2023-03-01 00:00:30", *modifiers)).fetchone()
    assert row[0] == {(): "2023-03-01 00:00:30", ("-60 seconds",): "2023-02-28 23:59:30",
                      ("+60 seconds",): "2023-03-01 00:01:30", ("-30 days",): "2023-01-30 00:00:30",
                      ("-1 day", "-1 second"): "2023-02-28 00:00:29",
                      ("+1 day", "+1 second"): "2023-03-02 00:00:31",
                      ("-30 days", "+1 second"): "2023-01-30 00:00:31"}[modifiers]


def test_named_parameters(engine):
    row = engine.execute("SELECT :a || :b || :a AS s", {"a": "x", "b": "y"}).fetchone()
    assert row["s"] == "xyx"


def test_failed_transaction_leaves_nothing(engine):
    with pytest.raises(Exception), transaction(engine):   # noqa: B017 (the engines raise their own driver's class)
        engine.execute("INSERT INTO outlets (name) VALUES (?)", ("A",))
        engine.execute("INSERT INTO outlets (name) VALUES (?)", ("A",))
    assert engine.execute("SELECT count(*) FROM outlets").fetchone()[0] == 0


def _article(conn, id_: int, published: str, outlet: int | None, language: str | None,
             category: str | None = None) -> None:
    conn.execute("INSERT INTO articles (id, norm_link, link, published, first_seen, outlet_id, language, category) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                 (id_, f"l{id_}", f"l{id_}", published, published, outlet, language, category))


def _rollups_exact(conn) -> None:
    for table, truth in ROLLUPS.items():
        kept = {tuple(r[:-1]): r[-1] for r in conn.execute(f"SELECT * FROM {table}").fetchall() if r[-1]}
        assert kept == {tuple(r[:-1]): r[-1] for r in conn.execute(truth).fetchall()}, table


def _link(conn, pairs: list[tuple[int, int]]) -> None:
    for article, feed in pairs:   # as a collector links: a link stored already is left as it is
        conn.execute("INSERT INTO article_feeds (article_id, feed_id, first_seen) VALUES (?, ?, '2023-09-20') "
                     "ON CONFLICT DO NOTHING", (article, feed))


def test_rollups_stay_exact_through_inserts_updates_and_deletes(engine):
    with transaction(engine):
        engine.execute("INSERT INTO outlets (id, name) VALUES (1, 'A'), (2, 'B')")
        engine.execute("INSERT INTO feeds (id, url, outlet_id) VALUES (1, 'http://a.example/rss', 1), "
                       "(2, 'http://b.example/rss', 2), (3, 'http://b.example/atom', 2)")
        engine.execute("INSERT INTO topics (id, name, query) VALUES (1, 't1', 'x'), (2, 't2', 'y')")
        for i in range(1, 7):
            outlet = 1 + i % 2 if i != 5 else None
            _article(engine, i, f"2023-09-{10 + i % 3} 12:00:00", outlet, "en" if i % 2 else None,
                     "politics" if i % 3 else None)
        for i, country in ((1, "AZ"), (1, "AM"), (2, "AZ"), (3, "RU"), (4, "AZ"), (4, "RU"), (6, "AM")):
            engine.execute("INSERT INTO article_countries (article_id, country) VALUES (?, ?)", (i, country))
        for topic, i in ((1, 1), (1, 2), (2, 4), (1, 4), (2, 6)):
            engine.execute("INSERT INTO article_topics (topic_id, article_id) VALUES (?, ?)", (topic, i))
        _link(engine, [(1, 1), (1, 2), (2, 2), (3, 3), (4, 2), (4, 3), (5, 1), (6, 3), (2, 2)])
    _rollups_exact(engine)
    with transaction(engine):
        engine.execute("UPDATE articles SET published = '2023-10-01 00:00:00', outlet_id = 2 WHERE id IN (1, 4)")
        engine.execute("UPDATE articles SET language = 'de' WHERE id = 6")
        engine.execute("UPDATE articles SET category = 'sport' WHERE id IN (2, 6)")
        engine.execute("UPDATE articles SET category = 'politics' WHERE id = 2")
        engine.execute("UPDATE articles SET category = NULL, published = '2023-10-02 00:00:00' WHERE id = 6")
    _rollups_exact(engine)
    with transaction(engine):
        engine.execute("DELETE FROM article_countries WHERE article_id = 4 AND country = 'RU'")
        engine.execute("DELETE FROM article_topics WHERE topic_id = 1 AND article_id = 2")
        engine.execute("DELETE FROM articles WHERE id IN (1, 3)")
        engine.execute("DELETE FROM article_feeds WHERE article_id = 5")
        engine.execute("DELETE FROM feeds WHERE id = 3")           # its links go with it
    _rollups_exact(engine)
    assert engine.execute("SELECT count(*) FROM daily_feeds WHERE n = 0").fetchone()[0] == 0   # emptied days go


def test_batch_rollups_of_a_bulk_load_are_exact(engine):
    """Inside bulk_load the triggers stand aside and db/rollups.py counts each batch, on either engine."""
    with transaction(engine):
        engine.execute("INSERT INTO topics (id, name, query) VALUES (1, 't1', 'x')")
        engine.execute("INSERT INTO feeds (id, url) VALUES (1, 'http://a.example/rss'), (2, 'http://b.example/rss')")
        _article(engine, 1, "2023-09-10 12:00:00", None, "en")
        engine.execute("INSERT INTO article_countries (article_id, country) VALUES (1, 'AZ')")
    for first in (2, 5):
        with transaction(engine), rollups.bulk_load(engine, after_id=first - 1):
            for i in range(first, first + 3):   # as a backfill writes: countries, counted; then topics, counted
                _article(engine, i, f"2023-09-1{i % 2} 12:00:00", None, "en", "sport" if i % 2 else None)
                engine.execute("INSERT INTO article_countries (article_id, country) VALUES (?, 'AZ'), (?, 'AM')",
                               (i, i))
            rollups.add_articles(engine, first - 1)
            rollups.add_countries(engine, first, first + 2)
            for i in range(first, first + 3):
                engine.execute("INSERT INTO article_topics (topic_id, article_id) VALUES (1, ?)", (i,))
            rollups.add_topics(engine, first - 1)
            # an import links its new articles, counted per batch, and ones stored before, counted by their trigger
            _link(engine, [(first - 1, 2)] + [(i, 1) for i in range(first, first + 3)])
            rollups.add_feed_links(engine, first - 1)
    _rollups_exact(engine)


def test_tags_are_never_updated(engine):
    with transaction(engine):
        _article(engine, 1, "2023-09-10 12:00:00", None, "en")
        engine.execute("INSERT INTO article_countries (article_id, country) VALUES (1, 'AZ')")
    with pytest.raises(Exception, match="deleted and inserted, not updated"), transaction(engine):  # noqa: B017
        engine.execute("UPDATE article_countries SET country = 'AM'")


def test_postgres_schema_reaches_every_sqlite_version():
    """Every SQLite migration has its PostgreSQL twin (db/postgres/schema.py), so both engines mean one schema."""
    assert max(pg_schema.MIGRATIONS) == SCHEMA_VERSION


def test_second_connect_finds_the_schema_migrated(pg_url):
    conn = connect(pg_url)
    assert pg_schema.version(conn) == SCHEMA_VERSION
    conn.close()


def test_postgres_database_newer_than_newsradar_is_refused(pg_url):
    from db import SchemaError

    conn = connect(pg_url)
    conn.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    conn.close()
    with pytest.raises(SchemaError, match="newer than this newsradar"):
        connect(pg_url)
