"""The one owner of newsradar's SQLite schema: creation, migrations, connections."""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import platformdirs

from db import repair
from db.engine import POSTGRESQL, dialect
from db.postgres import is_url
from db.search import QuerySyntaxError, compile_query, fts_text
from db.text import fold

BUSY_TIMEOUT_S = 30.0

# a story's repeats as migration 18 counted them (migrations 18 and 21 keep their text; 27 is today's)
_REPEATS_INSERT_18 = ("INSERT INTO story_repeats (story_id, article_id, kind, source, label, outlet_id, day, prev) "
                      "SELECT * FROM (SELECT story_id, article_id, kind, source, label, outlet_id, day, lag(day) OVER "
                      "(PARTITION BY story_id, kind, source, label, outlet_id ORDER BY day, article_id) AS prev "
                      "FROM story_cells WHERE {stories}) AS c WHERE prev IS NOT NULL")
# a story's repeats (migration 27), recounted whole: by its triggers and by db/rollups.py. `prev` is the day of the
# nearest earlier article of the story in the cell, `prev_lang` of the nearest one in the article's own language
# ('' for none): what a one-language filter counts
_CELL_LAG = "lag(day) OVER (PARTITION BY story_id, kind, source, label, outlet_id{also} ORDER BY day, article_id)"


def _repeats_insert(languages: bool) -> str:
    """The insert of story_repeats' rows; without `languages` (stories told in one language) prev_lang is prev: one
    window to sort, not two (the second doubled what recounting cost)."""
    prev_lang = f", {_CELL_LAG.format(also=', language')} AS prev_lang" if languages else ""
    written = "coalesce(prev_lang, '')" if languages else "prev"
    return ("INSERT INTO story_repeats (story_id, article_id, kind, source, label, outlet_id, language, day, prev, "
            f"prev_lang) SELECT story_id, article_id, kind, source, label, outlet_id, language, day, prev, {written} "
            "FROM (SELECT story_id, article_id, "
            f"kind, source, label, outlet_id, language, day, {_CELL_LAG.format(also='')} AS prev{prev_lang} "
            "FROM story_cells WHERE {stories}) AS c WHERE prev IS NOT NULL")


REPEATS_INSERT = _repeats_insert(languages=True)
# db/rollups.py recounts an import's stories told in one language with this
REPEATS_INSERT_ONE_LANGUAGE = _repeats_insert(languages=False)


# migration 27's cells of a shared story's articles, with each article's language (db/postgres/schema.py's twin too:
# `zero` is an outlet id of 0, typed there)
STORY_CELLS = """CREATE VIEW story_cells AS
    SELECT r.story_id, r.article_id, 'all' AS kind, '' AS source, '' AS label, {zero} AS outlet_id,
        coalesce(r.language, '') AS language, r.day
    FROM shared_stories r
    UNION ALL SELECT r.story_id, r.article_id, 'outlet', '', '', coalesce(r.outlet_id, 0), coalesce(r.language, ''),
        r.day
    FROM shared_stories r
    UNION ALL SELECT r.story_id, r.article_id, 'source', coalesce(o.country, 'unknown'), '', 0,
        coalesce(r.language, ''), r.day
    FROM shared_stories r LEFT JOIN outlets o ON o.id = r.outlet_id
    UNION ALL SELECT r.story_id, r.article_id, 'country', '', ac.country, 0, coalesce(r.language, ''), r.day
    FROM shared_stories r JOIN article_countries ac ON ac.article_id = r.article_id
    UNION ALL SELECT r.story_id, r.article_id, 'source country', coalesce(o.country, 'unknown'), ac.country, 0,
        coalesce(r.language, ''), r.day
    FROM shared_stories r JOIN article_countries ac ON ac.article_id = r.article_id
    LEFT JOIN outlets o ON o.id = r.outlet_id;"""


def _recount_repeats(condition: str, insert: str = REPEATS_INSERT) -> str:
    """A trigger's statements that recount the repeats of the stories whose story_id matches `condition`."""
    stories = f"story_id {condition}"
    return f"DELETE FROM story_repeats WHERE {stories};\n        {insert.format(stories=stories)};"


# story_repeat_days kept by story_repeats' row triggers (migrations 18 and 21; 27 adds the language)
_REPEAT_DAYS_TRIGGERS = """DROP TRIGGER IF EXISTS story_repeat_days_insert;
    CREATE TRIGGER story_repeat_days_insert AFTER INSERT ON story_repeats{when} BEGIN
        INSERT INTO story_repeat_days (kind, source, label, outlet_id, day, prev, week, month, n)
        VALUES (new.kind, new.source, new.label, new.outlet_id, new.day, new.prev,
            date(new.day, '-6 days', 'weekday 1'), substr(new.day, 1, 7) || '-01', 1)
        ON CONFLICT DO UPDATE SET n = n + 1;
    END;
    DROP TRIGGER IF EXISTS story_repeat_days_delete;
    CREATE TRIGGER story_repeat_days_delete AFTER DELETE ON story_repeats{when} BEGIN
        UPDATE story_repeat_days SET n = n - 1 WHERE (kind, source, label, outlet_id, day, prev) =
            (old.kind, old.source, old.label, old.outlet_id, old.day, old.prev);
        DELETE FROM story_repeat_days WHERE (kind, source, label, outlet_id, day, prev) =
            (old.kind, old.source, old.label, old.outlet_id, old.day, old.prev) AND n = 0;
    END;"""
REPEAT_CELL = "kind, source, label, outlet_id, language, day, prev, prev_lang"
_REPEAT_DAYS_TRIGGERS_27 = (_REPEAT_DAYS_TRIGGERS
                            .replace("kind, source, label, outlet_id, day, prev", REPEAT_CELL)
                            .replace("new.kind, new.source, new.label, new.outlet_id, new.day, new.prev",
                                     "new.kind, new.source, new.label, new.outlet_id, new.language, new.day, "
                                     "new.prev, new.prev_lang")
                            .replace("old.kind, old.source, old.label, old.outlet_id, old.day, old.prev",
                                     "old.kind, old.source, old.label, old.outlet_id, old.language, old.day, "
                                     "old.prev, old.prev_lang"))
RECOUNTING = 2   # the bulk_load flag under which story_repeats' row triggers stand aside (migration 21)


def _repeats_triggers(insert: str, language: str) -> str:
    """The triggers that recount a story's repeats (with `insert`) as its articles, their countries or an outlet's
    country change; `language`: the shared_stories column that also moves an article's repeats, if any."""
    def recount(condition: str) -> str:
        return _recount_repeats(condition, insert)
    moved = f", {language}" if language else ""
    moved_when = f" OR old.{language} IS NOT new.{language}" if language else ""
    return f"""DROP TRIGGER IF EXISTS story_repeats_insert;
    CREATE TRIGGER story_repeats_insert AFTER INSERT ON shared_stories
    WHEN NOT EXISTS (SELECT 1 FROM bulk_load) BEGIN
        {recount('= new.story_id')}
    END;
    DROP TRIGGER IF EXISTS story_repeats_delete;
    CREATE TRIGGER story_repeats_delete AFTER DELETE ON shared_stories
    WHEN NOT EXISTS (SELECT 1 FROM bulk_load) BEGIN
        {recount('= old.story_id')}
    END;
    DROP TRIGGER IF EXISTS story_repeats_update;
    CREATE TRIGGER story_repeats_update AFTER UPDATE OF story_id, day, outlet_id{moved} ON shared_stories
    WHEN old.story_id != new.story_id OR old.day != new.day OR old.outlet_id IS NOT new.outlet_id{moved_when} BEGIN
        {recount('IN (old.story_id, new.story_id)')}
    END;
    DROP TRIGGER IF EXISTS story_repeats_country_insert;
    CREATE TRIGGER story_repeats_country_insert AFTER INSERT ON article_countries
    WHEN NOT EXISTS (SELECT 1 FROM bulk_load)
        AND EXISTS (SELECT 1 FROM shared_stories WHERE article_id = new.article_id) BEGIN
        {recount('= (SELECT story_id FROM shared_stories WHERE article_id = new.article_id)')}
    END;
    DROP TRIGGER IF EXISTS story_repeats_country_delete;
    CREATE TRIGGER story_repeats_country_delete AFTER DELETE ON article_countries
    WHEN EXISTS (SELECT 1 FROM shared_stories WHERE article_id = old.article_id) BEGIN
        {recount('= (SELECT story_id FROM shared_stories WHERE article_id = old.article_id)')}
    END;
    DROP TRIGGER IF EXISTS story_repeats_country_update;
    CREATE TRIGGER story_repeats_country_update AFTER UPDATE ON article_countries
    WHEN EXISTS (SELECT 1 FROM shared_stories WHERE article_id IN (old.article_id, new.article_id)) BEGIN
        {recount('IN (SELECT story_id FROM shared_stories WHERE article_id IN (old.article_id, new.article_id))')}
    END;
    DROP TRIGGER IF EXISTS story_repeats_outlet;
    CREATE TRIGGER story_repeats_outlet AFTER UPDATE OF country ON outlets
    WHEN old.country IS NOT new.country BEGIN
        {recount('IN (SELECT story_id FROM shared_stories WHERE outlet_id = new.id)')}
    END;"""

# Each entry upgrades the schema from version i to i + 1. Append, never edit a released one.
# the shared_stories rows of a newly grouped article and of its story's first article (migrations 17, 20 and 29,
# which writes the article's category too)
def _shared_rows(category: bool) -> tuple[str, str]:
    """The column list and the values from `articles a` of a shared_stories row."""
    column, value = (", category", ", a.category") if category else ("", "")
    return (f"article_id, story_id, day, week, month, outlet_id, language{column}",
            "a.id, new.story_id, substr(a.published, 1, 10),\n"
            "            coalesce(date(a.published, '-6 days', 'weekday 1'), substr(a.published, 1, 10)),\n"
            f"            substr(a.published, 1, 7) || '-01', a.outlet_id, a.language{value}")


def _shared_insert(when: str, category: bool = False) -> str:
    columns, values = _shared_rows(category)
    return f"""CREATE TRIGGER shared_stories_insert AFTER INSERT ON article_stories
    WHEN {when} BEGIN
        DELETE FROM shared_stories WHERE article_id IN (new.article_id, new.story_id);
        INSERT INTO shared_stories ({columns})
        SELECT {values} FROM articles a
        WHERE a.id IN (new.article_id, new.story_id);
    END;"""


def _shared_update(category: bool = False) -> str:
    """The trigger that moves an article's shared_stories rows when its story changes."""
    columns, values = _shared_rows(category)
    return f"""CREATE TRIGGER shared_stories_update AFTER UPDATE OF story_id ON article_stories BEGIN
        DELETE FROM shared_stories WHERE article_id = old.article_id;
        DELETE FROM shared_stories WHERE article_id = old.story_id AND story_id = old.story_id AND NOT EXISTS
            (SELECT 1 FROM article_stories WHERE story_id = old.story_id AND article_id != old.story_id);
        DELETE FROM shared_stories WHERE new.story_id != new.article_id
            AND article_id IN (new.article_id, new.story_id);
        INSERT INTO shared_stories ({columns})
        SELECT {values} FROM articles a
        WHERE new.story_id != new.article_id AND a.id IN (new.article_id, new.story_id);
    END;"""


# an article's category, day, outlet or language changed: what moves its counts in migrations 22 and 23's rollups
_ARTICLE_KEYS_CHANGED = """WHEN coalesce(old.category, '') != coalesce(new.category, '')
        OR substr(old.published, 1, 10) IS NOT substr(new.published, 1, 10)
        OR coalesce(old.outlet_id, 0) != coalesce(new.outlet_id, 0)
        OR coalesce(old.language, '') != coalesce(new.language, '')"""
# migration 23's view of each country tag with its article's category, day, outlet and language, and the first
# count of its rollup (db/postgres/schema.py's too)
CATEGORY_COUNTRIES = """CREATE VIEW category_countries AS
    SELECT coalesce(a.category, '') AS category, substr(a.published, 1, 10) AS day, ac.country,
        coalesce(a.outlet_id, 0) AS outlet_id, coalesce(a.language, '') AS language, ac.article_id
    FROM article_countries ac JOIN articles a ON a.id = ac.article_id;
    INSERT INTO daily_category_countries (category, day, country, outlet_id, language, n)
    SELECT category, day, country, outlet_id, language, count(*) FROM category_countries GROUP BY 1, 2, 3, 4, 5;"""

MIGRATIONS: list[str] = [
    """
    CREATE TABLE outlets (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        country TEXT,            -- ISO 3166-1 alpha-2 of the outlet's home (the "source country")
        language TEXT            -- ISO 639-1
    );
    CREATE TABLE feeds (
        id INTEGER PRIMARY KEY,
        url TEXT NOT NULL UNIQUE,
        outlet_id INTEGER REFERENCES outlets(id),
        language TEXT,
        status TEXT NOT NULL DEFAULT 'active',   -- active | failing | gone | duplicate | disabled
        added_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%S', 'now')),
        etag TEXT,
        last_modified TEXT,
        body_hash TEXT,
        last_unconditional_at TEXT,
        interval_s INTEGER NOT NULL DEFAULT 3600,
        next_fetch_at TEXT,
        consecutive_errors INTEGER NOT NULL DEFAULT 0,
        last_fetch_at TEXT,
        last_success_at TEXT,
        last_new_at TEXT,
        last_error_kind TEXT,
        last_error TEXT,
        last_error_at TEXT,
        redirect_to TEXT,
        redirect_seen INTEGER NOT NULL DEFAULT 0,
        articles_seen INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE articles (
        id INTEGER PRIMARY KEY,
        norm_link TEXT NOT NULL UNIQUE,     -- identity: see collectors.normalize.normalize_link
        link TEXT NOT NULL,                 -- as the feed gave it, resolved, for display
        title TEXT NOT NULL DEFAULT '',     -- plain text
        description TEXT NOT NULL DEFAULT '',
        published TEXT NOT NULL,            -- UTC, 'YYYY-MM-DD HH:MM:SS'
        date_flag TEXT,                     -- NULL, 'missing' (first-seen used) or 'future' (clamped)
        first_seen TEXT NOT NULL,           -- UTC, when newsradar first stored it
        language TEXT,
        outlet_id INTEGER REFERENCES outlets(id)
    );
    CREATE INDEX articles_published ON articles(published);
    CREATE INDEX articles_outlet_published ON articles(outlet_id, published);
    CREATE TABLE article_feeds (
        article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
        feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
        guid TEXT,
        first_seen TEXT NOT NULL,
        PRIMARY KEY (article_id, feed_id)
    ) WITHOUT ROWID;
    CREATE INDEX article_feeds_feed ON article_feeds(feed_id);
    CREATE TABLE fetch_log (
        id INTEGER PRIMARY KEY,
        feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
        started_at TEXT NOT NULL,
        duration_ms INTEGER NOT NULL,
        http_status INTEGER,
        outcome TEXT NOT NULL,              -- ok | not_modified | error
        error_kind TEXT,  -- timeout|connection|http|not_a_feed|malformed|too_large|encoding|gone
        error TEXT,
        bytes INTEGER,
        items INTEGER,
        new_items INTEGER
    );
    CREATE INDEX fetch_log_feed_started ON fetch_log(feed_id, started_at);
    -- contentless: it indexes the folded text (collectors.text.fold: no case, no diacritics, l for ł),
    -- written by collectors.store.store_rows in one statement per batch of new articles (remade by migration 11)
    CREATE VIRTUAL TABLE articles_fts USING fts5(
        title, description, content='', tokenize='unicode61 remove_diacritics 2'
    );
    """,
    # 2: tags — countries in the story, subject category, watch topics
    """
    ALTER TABLE articles ADD COLUMN category TEXT;          -- IPTC Media Topics top-level code
    CREATE INDEX articles_category_published ON articles(category, published);
    CREATE TABLE article_countries (
        article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
        country TEXT NOT NULL,                              -- ISO 3166-1 alpha-2
        PRIMARY KEY (article_id, country)
    ) WITHOUT ROWID;
    CREATE INDEX article_countries_country ON article_countries(country, article_id);
    CREATE TABLE topics (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        query TEXT NOT NULL,                                -- db.search query language
        description TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%S', 'now')),
        updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%S', 'now'))
    );
    CREATE TABLE article_topics (
        topic_id INTEGER NOT NULL REFERENCES topics(id) ON DELETE CASCADE,
        article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
        PRIMARY KEY (topic_id, article_id)
    ) WITHOUT ROWID;
    CREATE INDEX article_topics_article ON article_topics(article_id);
    """,
    # 3: daily rollups for the dashboard — articles per day × outlet × language, and the same per country in the
    #    story and per topic — kept exact by triggers, so its charts need not scan every article (dashboard/queries.py)
    """
    CREATE TABLE daily_articles (
        day TEXT NOT NULL,                  -- substr(published, 1, 10)
        outlet_id INTEGER NOT NULL,         -- 0: no outlet
        language TEXT NOT NULL,             -- '': unknown
        n INTEGER NOT NULL,
        PRIMARY KEY (day, outlet_id, language)
    ) WITHOUT ROWID;
    CREATE TABLE daily_countries (
        day TEXT NOT NULL,
        country TEXT NOT NULL,
        outlet_id INTEGER NOT NULL,
        language TEXT NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (day, country, outlet_id, language)
    ) WITHOUT ROWID;
    CREATE TABLE daily_topics (
        day TEXT NOT NULL,
        topic_id INTEGER NOT NULL,
        outlet_id INTEGER NOT NULL,
        language TEXT NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (day, topic_id, outlet_id, language)
    ) WITHOUT ROWID;
    INSERT INTO daily_articles (day, outlet_id, language, n)
    SELECT substr(published, 1, 10), coalesce(outlet_id, 0), coalesce(language, ''), count(*)
    FROM articles GROUP BY 1, 2, 3;
    INSERT INTO daily_countries (day, country, outlet_id, language, n)
    SELECT substr(a.published, 1, 10), ac.country, coalesce(a.outlet_id, 0), coalesce(a.language, ''), count(*)
    FROM article_countries ac JOIN articles a ON a.id = ac.article_id GROUP BY 1, 2, 3, 4;
    INSERT INTO daily_topics (day, topic_id, outlet_id, language, n)
    SELECT substr(a.published, 1, 10), at.topic_id, coalesce(a.outlet_id, 0), coalesce(a.language, ''), count(*)
    FROM article_topics at JOIN articles a ON a.id = at.article_id GROUP BY 1, 2, 3, 4;
    -- a bulk import puts a row here inside its own transaction (no one else ever sees it) and updates the
    -- rollups once per batch (db/rollups.py) instead of once per row
    CREATE TABLE bulk_load (flag INTEGER);
    CREATE TRIGGER daily_articles_insert AFTER INSERT ON articles
    WHEN NOT EXISTS (SELECT 1 FROM bulk_load) BEGIN
        INSERT INTO daily_articles (day, outlet_id, language, n)
        VALUES (substr(new.published, 1, 10), coalesce(new.outlet_id, 0), coalesce(new.language, ''), 1)
        ON CONFLICT DO UPDATE SET n = n + 1;
    END;
    -- tags go first, while the article is still there to say which day, outlet and language they counted in
    CREATE TRIGGER daily_articles_delete BEFORE DELETE ON articles BEGIN
        DELETE FROM article_countries WHERE article_id = old.id;
        DELETE FROM article_topics WHERE article_id = old.id;
        UPDATE daily_articles SET n = n - 1 WHERE day = substr(old.published, 1, 10)
            AND outlet_id = coalesce(old.outlet_id, 0) AND language = coalesce(old.language, '');
    END;
    CREATE TRIGGER daily_articles_update AFTER UPDATE OF published, outlet_id, language ON articles
    WHEN substr(old.published, 1, 10) IS NOT substr(new.published, 1, 10)
        OR coalesce(old.outlet_id, 0) != coalesce(new.outlet_id, 0)
        OR coalesce(old.language, '') != coalesce(new.language, '')
    BEGIN
        UPDATE daily_articles SET n = n - 1 WHERE day = substr(old.published, 1, 10)
            AND outlet_id = coalesce(old.outlet_id, 0) AND language = coalesce(old.language, '');
        INSERT INTO daily_articles (day, outlet_id, language, n)
        VALUES (substr(new.published, 1, 10), coalesce(new.outlet_id, 0), coalesce(new.language, ''), 1)
        ON CONFLICT DO UPDATE SET n = n + 1;
        UPDATE daily_countries SET n = n - 1 WHERE day = substr(old.published, 1, 10)
            AND outlet_id = coalesce(old.outlet_id, 0) AND language = coalesce(old.language, '')
            AND country IN (SELECT country FROM article_countries WHERE article_id = new.id);
        INSERT INTO daily_countries (day, country, outlet_id, language, n)
        SELECT substr(new.published, 1, 10), country, coalesce(new.outlet_id, 0), coalesce(new.language, ''), 1
        FROM article_countries WHERE article_id = new.id
        ON CONFLICT DO UPDATE SET n = n + 1;
        UPDATE daily_topics SET n = n - 1 WHERE day = substr(old.published, 1, 10)
            AND outlet_id = coalesce(old.outlet_id, 0) AND language = coalesce(old.language, '')
            AND topic_id IN (SELECT topic_id FROM article_topics WHERE article_id = new.id);
        INSERT INTO daily_topics (day, topic_id, outlet_id, language, n)
        SELECT substr(new.published, 1, 10), topic_id, coalesce(new.outlet_id, 0), coalesce(new.language, ''), 1
        FROM article_topics WHERE article_id = new.id
        ON CONFLICT DO UPDATE SET n = n + 1;
    END;
    CREATE TRIGGER daily_countries_insert AFTER INSERT ON article_countries
    WHEN NOT EXISTS (SELECT 1 FROM bulk_load) BEGIN
        INSERT INTO daily_countries (day, country, outlet_id, language, n)
        SELECT substr(published, 1, 10), new.country, coalesce(outlet_id, 0), coalesce(language, ''), 1
        FROM articles WHERE id = new.article_id
        ON CONFLICT DO UPDATE SET n = n + 1;
    END;
    CREATE TRIGGER daily_countries_delete AFTER DELETE ON article_countries BEGIN
        UPDATE daily_countries SET n = n - 1 WHERE (day, country, outlet_id, language) =
            (SELECT substr(published, 1, 10), old.country, coalesce(outlet_id, 0), coalesce(language, '')
             FROM articles WHERE id = old.article_id);
    END;
    CREATE TRIGGER daily_countries_update AFTER UPDATE ON article_countries BEGIN
        UPDATE daily_countries SET n = n - 1 WHERE (day, country, outlet_id, language) =
            (SELECT substr(published, 1, 10), old.country, coalesce(outlet_id, 0), coalesce(language, '')
             FROM articles WHERE id = old.article_id);
        INSERT INTO daily_countries (day, country, outlet_id, language, n)
        SELECT substr(published, 1, 10), new.country, coalesce(outlet_id, 0), coalesce(language, ''), 1
        FROM articles WHERE id = new.article_id
        ON CONFLICT DO UPDATE SET n = n + 1;
    END;
    CREATE TRIGGER daily_topics_insert AFTER INSERT ON article_topics
    WHEN NOT EXISTS (SELECT 1 FROM bulk_load) BEGIN
        INSERT INTO daily_topics (day, topic_id, outlet_id, language, n)
        SELECT substr(published, 1, 10), new.topic_id, coalesce(outlet_id, 0), coalesce(language, ''), 1
        FROM articles WHERE id = new.article_id
        ON CONFLICT DO UPDATE SET n = n + 1;
    END;
    CREATE TRIGGER daily_topics_delete AFTER DELETE ON article_topics BEGIN
        UPDATE daily_topics SET n = n - 1 WHERE (day, topic_id, outlet_id, language) =
            (SELECT substr(published, 1, 10), old.topic_id, coalesce(outlet_id, 0), coalesce(language, '')
             FROM articles WHERE id = old.article_id);
    END;
    CREATE TRIGGER daily_topics_update AFTER UPDATE ON article_topics BEGIN
        UPDATE daily_topics SET n = n - 1 WHERE (day, topic_id, outlet_id, language) =
            (SELECT substr(published, 1, 10), old.topic_id, coalesce(outlet_id, 0), coalesce(language, '')
             FROM articles WHERE id = old.article_id);
        INSERT INTO daily_topics (day, topic_id, outlet_id, language, n)
        SELECT substr(published, 1, 10), new.topic_id, coalesce(outlet_id, 0), coalesce(language, ''), 1
        FROM articles WHERE id = new.article_id
        ON CONFLICT DO UPDATE SET n = n + 1;
    END;
    """,
    # 4: the article indexes also carry published, outlet, language and category, so that the dashboard's counts
    #    over a date range, an outlet or a category read only the index, never the wide article rows
    """
    DROP INDEX articles_published;
    CREATE INDEX articles_published ON articles(published, outlet_id, language, category);
    DROP INDEX articles_outlet_published;
    CREATE INDEX articles_outlet_published ON articles(outlet_id, published, language, category);
    DROP INDEX articles_category_published;
    CREATE INDEX articles_category_published ON articles(category, published, outlet_id, language);
    """,
    # v5: a hosted instance. Accounts (password sign-in), failed sign-ins (slowed down per name), the team's
    # saved views, and the runs of `newsradar serve` with the collector's heartbeat for the health check.
    """
    CREATE TABLE users (
        name TEXT PRIMARY KEY,
        role TEXT NOT NULL CHECK (role IN ('admin', 'analyst')),
        password_hash TEXT NOT NULL,
        created TEXT NOT NULL,
        updated TEXT NOT NULL
    );
    CREATE TABLE sign_in_failures (
        name TEXT PRIMARY KEY,
        failures INTEGER NOT NULL,
        last_failure TEXT NOT NULL
    );
    CREATE TABLE saved_views (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        owner TEXT NOT NULL,
        params TEXT NOT NULL,
        created TEXT NOT NULL
    );
    CREATE TABLE service_runs (
        id INTEGER PRIMARY KEY,
        pid INTEGER NOT NULL,
        started TEXT NOT NULL,
        heartbeat TEXT NOT NULL,
        collector_pid INTEGER,
        collector_started TEXT,
        collector_restarts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        stopped TEXT,
        stop_reason TEXT
    );
    """,
    # v6: for the dashboard's split by country in the story (dashboard/queries.py top_label_days, label_count):
    #    the country rollup also by country and outlet first, so that "which countries" is a probe per country and
    #    the articles per outlet and country (who covers whom) are summed without a sort; and its sum over outlets
    #    and languages (a fifth of its rows), for the views without a source filter. That sum is kept by triggers
    #    on daily_countries itself, so whatever keeps daily_countries (migration 3's triggers, the batch updates of
    #    db/rollups.py) keeps it too.
    """
    CREATE INDEX daily_countries_country ON daily_countries(country, outlet_id, day, language, n);
    CREATE TABLE daily_country_totals (
        day TEXT NOT NULL,
        country TEXT NOT NULL,
        n INTEGER NOT NULL,                 -- sum of daily_countries.n over outlets and languages
        PRIMARY KEY (day, country)
    ) WITHOUT ROWID;
    CREATE INDEX daily_country_totals_country ON daily_country_totals(country, day, n);
    INSERT INTO daily_country_totals (day, country, n)
    SELECT day, country, sum(n) FROM daily_countries GROUP BY 1, 2;
    CREATE TRIGGER daily_country_totals_insert AFTER INSERT ON daily_countries BEGIN
        INSERT INTO daily_country_totals (day, country, n) VALUES (new.day, new.country, new.n)
        ON CONFLICT DO UPDATE SET n = n + excluded.n;
    END;
    CREATE TRIGGER daily_country_totals_update AFTER UPDATE ON daily_countries BEGIN
        UPDATE daily_country_totals SET n = n - old.n WHERE day = old.day AND country = old.country;
        INSERT INTO daily_country_totals (day, country, n) VALUES (new.day, new.country, new.n)
        ON CONFLICT DO UPDATE SET n = n + excluded.n;
    END;
    CREATE TRIGGER daily_country_totals_delete AFTER DELETE ON daily_countries BEGIN
        UPDATE daily_country_totals SET n = n - old.n WHERE day = old.day AND country = old.country;
    END;
    """,
    # v7: the countries in the story of each topic's articles, per day, outlet and language, so that the Countries
    #    page and the headline of a single topic filter read this rollup instead of every article of the topic and
    #    its countries (dashboard/queries.py label_facts). It counts the (topic, country) pairs of an article (the
    #    view): a pair is counted when the second of its two tags is written, by these triggers or, inside a bulk
    #    load, by db/rollups.py; a tag takes its pairs with it when it goes. Tags are only inserted and deleted
    #    (collectors/tagging.py, db/topics.py): an UPDATE of one is refused rather than miscounted.
    #    daily_country_pairs does the same for the countries named beside each country (itself included), for a
    #    single country filter; an article's countries are written together, and each pair counted with the later.
    """
    CREATE TABLE daily_topic_countries (
        topic_id INTEGER NOT NULL,
        day TEXT NOT NULL,
        country TEXT NOT NULL,
        outlet_id INTEGER NOT NULL,
        language TEXT NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (topic_id, day, country, outlet_id, language)
    ) WITHOUT ROWID;
    CREATE VIEW topic_country_pairs AS
    SELECT at.topic_id, substr(a.published, 1, 10) AS day, ac.country, coalesce(a.outlet_id, 0) AS outlet_id,
        coalesce(a.language, '') AS language, ac.article_id
    FROM article_topics at JOIN article_countries ac ON ac.article_id = at.article_id
    JOIN articles a ON a.id = ac.article_id;
    INSERT INTO daily_topic_countries (topic_id, day, country, outlet_id, language, n)
    SELECT topic_id, day, country, outlet_id, language, count(*) FROM topic_country_pairs GROUP BY 1, 2, 3, 4, 5;
    CREATE TABLE daily_country_pairs (
        country TEXT NOT NULL,
        day TEXT NOT NULL,
        mentioned TEXT NOT NULL,            -- a country of the same articles, `country` itself included
        outlet_id INTEGER NOT NULL,
        language TEXT NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (country, day, mentioned, outlet_id, language)
    ) WITHOUT ROWID;
    CREATE VIEW country_pairs AS
    SELECT f.country, substr(a.published, 1, 10) AS day, ac.country AS mentioned, coalesce(a.outlet_id, 0) AS outlet_id,
        coalesce(a.language, '') AS language, ac.article_id
    FROM article_countries f JOIN article_countries ac ON ac.article_id = f.article_id
    JOIN articles a ON a.id = ac.article_id;
    INSERT INTO daily_country_pairs (country, day, mentioned, outlet_id, language, n)
    SELECT country, day, mentioned, outlet_id, language, count(*) FROM country_pairs GROUP BY 1, 2, 3, 4, 5;
    CREATE TRIGGER tag_pairs_topic_insert AFTER INSERT ON article_topics
    WHEN NOT EXISTS (SELECT 1 FROM bulk_load) BEGIN
        INSERT INTO daily_topic_countries SELECT topic_id, day, country, outlet_id, language, 1 FROM topic_country_pairs
        WHERE article_id = new.article_id AND topic_id = new.topic_id ON CONFLICT DO UPDATE SET n = n + 1;
    END;
    CREATE TRIGGER tag_pairs_country_insert AFTER INSERT ON article_countries
    WHEN NOT EXISTS (SELECT 1 FROM bulk_load) BEGIN
        INSERT INTO daily_topic_countries SELECT topic_id, day, country, outlet_id, language, 1 FROM topic_country_pairs
        WHERE article_id = new.article_id AND country = new.country ON CONFLICT DO UPDATE SET n = n + 1;
        INSERT INTO daily_country_pairs SELECT country, day, mentioned, outlet_id, language, 1 FROM country_pairs
        WHERE article_id = new.article_id AND new.country IN (country, mentioned) ON CONFLICT DO UPDATE SET n = n + 1;
    END;
    -- the deletes name every key column, so that each is a primary-key lookup (re-applying a topic deletes
    -- thousands of rows; a lookup by topic alone made that minutes)
    CREATE TRIGGER tag_pairs_topic_delete BEFORE DELETE ON article_topics BEGIN
        UPDATE daily_topic_countries SET n = n - 1 WHERE topic_id = old.topic_id
            AND day = (SELECT substr(published, 1, 10) FROM articles WHERE id = old.article_id)
            AND country IN (SELECT country FROM article_countries WHERE article_id = old.article_id)
            AND outlet_id = (SELECT coalesce(outlet_id, 0) FROM articles WHERE id = old.article_id)
            AND language = (SELECT coalesce(language, '') FROM articles WHERE id = old.article_id);
    END;
    CREATE TRIGGER tag_pairs_country_delete BEFORE DELETE ON article_countries BEGIN
        UPDATE daily_topic_countries SET n = n - 1
        WHERE topic_id IN (SELECT topic_id FROM article_topics WHERE article_id = old.article_id)
            AND day = (SELECT substr(published, 1, 10) FROM articles WHERE id = old.article_id)
            AND country = old.country
            AND outlet_id = (SELECT coalesce(outlet_id, 0) FROM articles WHERE id = old.article_id)
            AND language = (SELECT coalesce(language, '') FROM articles WHERE id = old.article_id);
        UPDATE daily_country_pairs SET n = n - 1
        WHERE country = old.country
            AND day = (SELECT substr(published, 1, 10) FROM articles WHERE id = old.article_id)
            AND mentioned IN (SELECT country FROM article_countries WHERE article_id = old.article_id)
            AND outlet_id = (SELECT coalesce(outlet_id, 0) FROM articles WHERE id = old.article_id)
            AND language = (SELECT coalesce(language, '') FROM articles WHERE id = old.article_id);
        UPDATE daily_country_pairs SET n = n - 1
        WHERE country IN (SELECT country FROM article_countries WHERE article_id = old.article_id
                          AND country != old.country)
            AND day = (SELECT substr(published, 1, 10) FROM articles WHERE id = old.article_id)
            AND mentioned = old.country
            AND outlet_id = (SELECT coalesce(outlet_id, 0) FROM articles WHERE id = old.article_id)
            AND language = (SELECT coalesce(language, '') FROM articles WHERE id = old.article_id);
    END;
    CREATE TRIGGER article_topics_no_update BEFORE UPDATE ON article_topics BEGIN
        SELECT RAISE(ABORT, 'a topic of an article is deleted and inserted, not updated');
    END;
    CREATE TRIGGER article_countries_no_update BEFORE UPDATE ON article_countries BEGIN
        SELECT RAISE(ABORT, 'a country of an article is deleted and inserted, not updated');
    END;
    -- (an update that keeps the day, outlet and language takes its pairs away and puts them back)
    CREATE TRIGGER tag_pairs_article_update AFTER UPDATE OF published, outlet_id, language ON articles BEGIN
        UPDATE daily_topic_countries SET n = n - 1 WHERE day = substr(old.published, 1, 10)
            AND outlet_id = coalesce(old.outlet_id, 0) AND language = coalesce(old.language, '')
            AND (topic_id, country) IN (SELECT topic_id, country FROM topic_country_pairs WHERE article_id = new.id);
        UPDATE daily_country_pairs SET n = n - 1 WHERE day = substr(old.published, 1, 10)
            AND outlet_id = coalesce(old.outlet_id, 0) AND language = coalesce(old.language, '')
            AND (country, mentioned) IN (SELECT country, mentioned FROM country_pairs WHERE article_id = new.id);
        INSERT INTO daily_topic_countries SELECT topic_id, day, country, outlet_id, language, 1 FROM topic_country_pairs
        WHERE article_id = new.id ON CONFLICT DO UPDATE SET n = n + 1;
        INSERT INTO daily_country_pairs SELECT country, day, mentioned, outlet_id, language, 1 FROM country_pairs
        WHERE article_id = new.id ON CONFLICT DO UPDATE SET n = n + 1;
    END;
    """,
    # 8: which tagger (category model, gazetteer, their code) made the stored tags; see collectors.tagging
    """
    CREATE TABLE tagger (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        fingerprint TEXT NOT NULL,
        since TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%S', 'now'))
    );
    INSERT INTO tagger (id, fingerprint) SELECT 1, 'unknown' WHERE EXISTS (SELECT 1 FROM articles);
    """,
    # 9: failed sign-ins counted per (name, client address) and per client address over all names (db/users.py):
    #    an attacker's failures slow the attacker's address, not the account's owner signing in from elsewhere
    """
    DROP TABLE sign_in_failures;
    CREATE TABLE sign_in_failures (
        name TEXT NOT NULL,
        address TEXT NOT NULL,
        failures INTEGER NOT NULL,
        last_failure TEXT NOT NULL,
        PRIMARY KEY (name, address)
    );
    CREATE TABLE sign_in_address_failures (
        address TEXT PRIMARY KEY,
        failures INTEGER NOT NULL,
        last_failure TEXT NOT NULL
    );
    """,
    # 10: every exit of a child of `newsradar serve` (db/service.py), so that the health report can tell a crash loop
    #     (3 exits within 10 minutes) from a single restart, and say how the child ended
    """
    CREATE TABLE service_exits (
        id INTEGER PRIMARY KEY,
        run_id INTEGER NOT NULL REFERENCES service_runs(id),
        child TEXT NOT NULL,     -- 'collector' or 'dashboard'
        exited TEXT NOT NULL,    -- UTC, when the supervisor saw the exit
        ran_s REAL NOT NULL,
        reason TEXT NOT NULL,    -- 'exit status 1', 'killed by SIGSEGV'
        stderr TEXT              -- the last line the child wrote to stderr, if any
    );
    CREATE INDEX service_exits_run ON service_exits(run_id, child, exited);
    """,
    # 11: saved views name their topics by id (db/views.py), so that a view follows a renamed topic and can say
    #     which of its topics was deleted: "topic": ["Karabakh"] becomes
    #     "topic_ref": [{"id": 3, "created": …, "name": "Karabakh"}]
    #     (id null where no topic has that name any more; its creation time tells it from a later topic given its id)
    """
    UPDATE saved_views SET params = json_set(json_remove(params, '$.topic'), '$.topic_ref', json((
        SELECT json_group_array(json_object('id', t.id, 'created', t.created_at, 'name', j.value))
        FROM json_each(saved_views.params, '$.topic') j LEFT JOIN topics t ON t.name = j.value)))
    WHERE json_type(params, '$.topic') = 'array';
    """,
    # 12: the full-text index reads every script (db/search.py): combining marks belong to words (Devanagari),
    #     letters of Chinese, Japanese and Thai are words of their own, and it is rebuilt from the articles with
    #     today's fold (Arabic and Persian letter variants, Turkish i, Greek accents); then every topic whose query
    #     still compiles is applied again over it (one that no longer does keeps its articles until edited)
    """
    DROP TABLE articles_fts;
    CREATE VIRTUAL TABLE articles_fts USING fts5(
        title, description, content='', tokenize="unicode61 remove_diacritics 2 categories 'L* N* Co M*'"
    );
    INSERT INTO articles_fts (rowid, title, description)
    SELECT id, fts_text(title), fts_text(description) FROM articles;
    CREATE TEMP TABLE reapplied AS SELECT id, fts_query(query) AS fts FROM topics WHERE fts_query(query) IS NOT NULL;
    DELETE FROM article_topics WHERE topic_id IN (SELECT id FROM reapplied);
    INSERT OR IGNORE INTO article_topics (topic_id, article_id)
    SELECT reapplied.id, articles_fts.rowid FROM reapplied, articles_fts WHERE articles_fts MATCH reapplied.fts;
    DROP TABLE reapplied;
    """,
    # 13: one article per story of an outlet. A second URL of the same outlet's story (the same non-empty title, real
    #     published times at most a minute apart, a title the outlet used on no other day within a month: another
    #     slug of one article) is another link of the stored article, not a second article; collectors/store.py
    #     stores it so.
    #     The copies stored before are merged into the first one stored (copies of copies too): their links and
    #     feeds move to it, their search entries and tags go, and the delete triggers take them out of the rollups.
    """
    CREATE TABLE article_links (
        norm_link TEXT PRIMARY KEY,         -- another identity of the article, never one in articles.norm_link
        link TEXT NOT NULL,                 -- as the feed gave it
        article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE
    ) WITHOUT ROWID;
    CREATE INDEX article_links_article ON article_links(article_id);
    CREATE TEMP TABLE same_story_pairs AS
    SELECT b.id AS copy, (SELECT min(a.id) FROM articles a WHERE a.outlet_id = b.outlet_id
        AND a.published BETWEEN datetime(b.published, '-60 seconds') AND datetime(b.published, '+60 seconds')
        AND a.title = b.title AND a.date_flag IS NULL) AS kept
    FROM articles b WHERE b.outlet_id IS NOT NULL AND b.title != '' AND b.date_flag IS NULL;
    DELETE FROM temp.same_story_pairs WHERE kept = copy;
    DELETE FROM temp.same_story_pairs WHERE EXISTS (SELECT 1 FROM articles a JOIN articles r
        ON r.outlet_id = a.outlet_id AND r.title = a.title
        AND (r.published BETWEEN datetime(a.published, '-30 days') AND datetime(a.published, '-1 day', '-1 second')
             OR r.published BETWEEN datetime(a.published, '+1 day', '+1 second') AND datetime(a.published, '+30 days'))
        WHERE a.id = kept);
    CREATE TEMP TABLE same_story AS
    WITH RECURSIVE root (copy, kept) AS (
        SELECT copy, kept FROM temp.same_story_pairs WHERE kept NOT IN (SELECT copy FROM temp.same_story_pairs)
        UNION ALL SELECT p.copy, r.kept FROM temp.same_story_pairs p JOIN root r ON p.kept = r.copy)
    SELECT copy, kept FROM root;
    INSERT INTO article_links (norm_link, link, article_id)
    SELECT a.norm_link, a.link, s.kept FROM temp.same_story s JOIN articles a ON a.id = s.copy;
    INSERT INTO article_feeds (article_id, feed_id, guid, first_seen)
    SELECT s.kept, f.feed_id, f.guid, f.first_seen FROM temp.same_story s JOIN article_feeds f ON f.article_id = s.copy
    WHERE true ON CONFLICT DO NOTHING;
    INSERT INTO articles_fts (articles_fts, rowid, title, description)
    SELECT 'delete', a.id, fts_text(a.title), fts_text(a.description)
    FROM temp.same_story s JOIN articles a ON a.id = s.copy;
    DELETE FROM articles WHERE id IN (SELECT copy FROM temp.same_story);
    DROP TABLE temp.same_story;
    DROP TABLE temp.same_story_pairs;
    """,
    # 14: collectors on several machines claim due feeds with a lease (db/leases.py): who holds it, and until when
    #     (UTC, 'YYYY-MM-DD HH:MM:SS'); a collector that dies holds it no longer than that. PostgreSQL's twin is in
    #     db/postgres/schema.py.
    """
    ALTER TABLE feeds ADD COLUMN claimed_by TEXT;
    ALTER TABLE feeds ADD COLUMN claimed_until TEXT;
    """,
    # 15: alert rules and what they sent (db/alerts.py). A rule watches a topic, a saved view or a query; each period
    #     it decided on (a spike's day, a digest's day or week, a batch of new matches) is one alert_periods row, and
    #     each message of it to one channel one alert_deliveries row, written before the message is sent and marked
    #     sent after, so that a restart neither repeats nor loses one
    """
    CREATE TABLE IF NOT EXISTS alert_rules (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        owner TEXT NOT NULL,                 -- who made it: its owner may change or remove it
        shared INTEGER NOT NULL DEFAULT 0,   -- the team's rule: only admins change it
        target TEXT NOT NULL CHECK (target IN ('topic', 'view', 'query')),
        topic_id INTEGER REFERENCES topics(id) ON DELETE SET NULL,
        view_id INTEGER REFERENCES saved_views(id) ON DELETE SET NULL,
        query TEXT NOT NULL DEFAULT '',      -- target query: the text; topic and view: their name when added
        kind TEXT NOT NULL CHECK (kind IN ('new', 'spike', 'daily', 'weekly')),
        channels TEXT NOT NULL,              -- JSON list: e-mail addresses and Apprise URLs
        sensitivity TEXT NOT NULL DEFAULT 'medium' CHECK (sensitivity IN ('low', 'medium', 'high')),
        skip_empty INTEGER NOT NULL DEFAULT 1,
        last_article_id INTEGER NOT NULL DEFAULT 0,   -- kind new: the newest article already announced
        created TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS alert_periods (
        rule_id INTEGER NOT NULL REFERENCES alert_rules(id) ON DELETE CASCADE,
        period TEXT NOT NULL,                -- 'spike:2023-09-19', 'daily:2023-09-19', 'weekly:2023-W38', 'new:…'
        outcome TEXT NOT NULL,               -- 'sent' or why not ('empty')
        decided TEXT NOT NULL,
        PRIMARY KEY (rule_id, period)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS alert_deliveries (
        id INTEGER PRIMARY KEY,
        rule_id INTEGER NOT NULL,
        period TEXT NOT NULL,
        channel TEXT NOT NULL,
        subject TEXT NOT NULL,
        body TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending',   -- pending | sending | sent | uncertain (died while sending)
        attempts INTEGER NOT NULL DEFAULT 0,
        created TEXT NOT NULL,
        next_attempt_at TEXT NOT NULL,
        sending_since TEXT,
        sent_at TEXT,
        last_error TEXT,
        UNIQUE (rule_id, period, channel),
        FOREIGN KEY (rule_id, period) REFERENCES alert_periods(rule_id, period) ON DELETE CASCADE
    );
    CREATE INDEX IF NOT EXISTS alert_deliveries_due ON alert_deliveries(status, next_attempt_at);
    """,
    # 16: stories (db/stories.py, collectors/stories.py): the articles of different outlets that report one event,
    #     named by the id of the story's first article. Grouped as articles arrive; the articles stored before have
    #     no row (each counts as a story of its own) until `newsradar stories rebuild`, which a migration does not
    #     run: grouping is Python, tens of seconds on a large database, and a migration runs inside whichever
    #     process opens the database first. Nothing else is needed to resume grouping: it rereads the recent
    #     articles and their stories.
    """
    DROP TABLE IF EXISTS article_stories;
    CREATE TABLE article_stories (
        article_id INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
        story_id INTEGER NOT NULL           -- the id of the story's first article (possibly itself)
    ) WITHOUT ROWID;
    CREATE INDEX article_stories_story ON article_stories(story_id);
    """,
    # 17: the articles of shared stories (two or more articles), with the day, outlet and language they count under,
    #     kept by triggers as article_stories changes. Counting each story once is the article count minus, per
    #     bucket and cell, a story's articles beyond its first there (db/aggregates.py story_excess): without
    #     a content filter these rows are read instead of every article and its story. A story's first article (the
    #     story's id) joins when a second article does, and leaves with the last other one.
    """
    DROP TABLE IF EXISTS shared_stories;
    CREATE TABLE shared_stories (
        article_id INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
        story_id INTEGER NOT NULL,
        day TEXT NOT NULL,
        week TEXT NOT NULL,                 -- the Monday of its week
        month TEXT NOT NULL,                -- the first of its month
        outlet_id INTEGER,
        language TEXT
    );
    CREATE INDEX shared_stories_day ON shared_stories(day, outlet_id, language);
    CREATE INDEX shared_stories_week ON shared_stories(week);
    CREATE INDEX shared_stories_month ON shared_stories(month);
    INSERT INTO shared_stories (article_id, story_id, day, week, month, outlet_id, language)
    SELECT a.id, s.story_id, substr(a.published, 1, 10),
            coalesce(date(a.published, '-6 days', 'weekday 1'), substr(a.published, 1, 10)),
            substr(a.published, 1, 7) || '-01', a.outlet_id, a.language
    FROM article_stories s JOIN articles a ON a.id = s.article_id
    WHERE s.story_id != s.article_id OR EXISTS (SELECT 1 FROM article_stories x WHERE x.story_id = s.article_id
                                                AND x.article_id != s.article_id);
    DROP TRIGGER IF EXISTS shared_stories_insert;
    -- delete, then insert: a trigger's OR REPLACE yields to the firing statement's policy (the grouping's upsert)
    """ + _shared_insert("new.story_id != new.article_id") + """
    DROP TRIGGER IF EXISTS shared_stories_delete;
    CREATE TRIGGER shared_stories_delete AFTER DELETE ON article_stories BEGIN
        DELETE FROM shared_stories WHERE article_id = old.article_id;
        DELETE FROM shared_stories WHERE article_id = old.story_id AND story_id = old.story_id AND NOT EXISTS
            (SELECT 1 FROM article_stories WHERE story_id = old.story_id AND article_id != old.story_id);
    END;
    DROP TRIGGER IF EXISTS shared_stories_update;
    """ + _shared_update() + """
    DROP TRIGGER IF EXISTS shared_stories_article;
    CREATE TRIGGER shared_stories_article AFTER UPDATE OF published, outlet_id, language ON articles BEGIN
        UPDATE shared_stories SET day = substr(new.published, 1, 10),
            week = coalesce(date(new.published, '-6 days', 'weekday 1'), substr(new.published, 1, 10)),
            month = substr(new.published, 1, 7) || '-01', outlet_id = new.outlet_id, language = new.language
        WHERE article_id = new.id;
    END;
    """,
    # 18: story repeats: counting stories without reading every article of a shared story. Within a cell (all
    #     articles; one outlet; one source country; one country named; one source country × country named) an
    #     article of a shared story is a repeat when an earlier article of its story (by day, then id) is in the
    #     same cell; `prev` is the day of the nearest such one. Over days from..to and per day, week or month, a
    #     cell's repeats (its articles beyond each story's first) are the articles of those days whose prev is on
    #     or after both `from` and the start of their bucket: the nearest earlier article is the latest one, so it is
    #     in the bucket and range if any is. story_repeats holds each story's repeats (recomputed whole when the
    #     story, an article's countries or an outlet's country change: a story has tens of articles at most);
    #     story_repeat_days sums them per cell, day and prev, and is what the dashboard reads (aggregates.py
    #     story_excess). Filters by outlet, source country or language change which article comes first in most
    #     cells: those still read shared_stories. In a bulk load (db/rollups.py) the triggers on new stories and new
    #     countries stand aside: its writers (stories.set_stories, rollups.add_countries, copy) recount each changed
    #     story once.
    f"""
    DROP VIEW IF EXISTS story_cells;
    CREATE VIEW story_cells AS
        SELECT r.story_id, r.article_id, 'all' AS kind, '' AS source, '' AS label, 0 AS outlet_id, r.day
        FROM shared_stories r
        UNION ALL SELECT r.story_id, r.article_id, 'outlet', '', '', coalesce(r.outlet_id, 0), r.day
        FROM shared_stories r
        UNION ALL SELECT r.story_id, r.article_id, 'source', coalesce(o.country, 'unknown'), '', 0, r.day
        FROM shared_stories r LEFT JOIN outlets o ON o.id = r.outlet_id
        UNION ALL SELECT r.story_id, r.article_id, 'country', '', ac.country, 0, r.day
        FROM shared_stories r JOIN article_countries ac ON ac.article_id = r.article_id
        UNION ALL SELECT r.story_id, r.article_id, 'source country', coalesce(o.country, 'unknown'), ac.country, 0,
            r.day
        FROM shared_stories r JOIN article_countries ac ON ac.article_id = r.article_id
        LEFT JOIN outlets o ON o.id = r.outlet_id;
    DROP TABLE IF EXISTS story_repeats;
    CREATE TABLE story_repeats (
        story_id INTEGER NOT NULL,
        article_id INTEGER NOT NULL,
        kind TEXT NOT NULL,                 -- all | outlet | source | country | source country
        source TEXT NOT NULL,               -- the outlet's country (kinds source, source country), else ''
        label TEXT NOT NULL,                -- the country named (kinds country, source country), else ''
        outlet_id INTEGER NOT NULL,         -- the outlet (kind outlet, 0: none), else 0
        day TEXT NOT NULL,
        prev TEXT NOT NULL                  -- the day of the nearest earlier article of the story in the cell
    );
    CREATE INDEX story_repeats_story ON story_repeats(story_id);
    CREATE INDEX IF NOT EXISTS shared_stories_story ON shared_stories(story_id);
    {_REPEATS_INSERT_18.format(stories="1 = 1")};
    DROP TABLE IF EXISTS story_repeat_days;
    CREATE TABLE story_repeat_days (
        kind TEXT NOT NULL,
        source TEXT NOT NULL,
        label TEXT NOT NULL,
        outlet_id INTEGER NOT NULL,
        day TEXT NOT NULL,
        prev TEXT NOT NULL,
        week TEXT NOT NULL,                 -- the Monday of day's week
        month TEXT NOT NULL,                -- the first of day's month
        n INTEGER NOT NULL,
        PRIMARY KEY (kind, source, label, outlet_id, day, prev)
    ) WITHOUT ROWID;
    INSERT INTO story_repeat_days (kind, source, label, outlet_id, day, prev, week, month, n)
    SELECT kind, source, label, outlet_id, day, prev, date(day, '-6 days', 'weekday 1'), substr(day, 1, 7) || '-01',
        count(*)
    FROM story_repeats GROUP BY kind, source, label, outlet_id, day, prev;
    {_REPEAT_DAYS_TRIGGERS.format(when="")}
    {_repeats_triggers(_REPEATS_INSERT_18, '')}
    """,
    # 19: how far each alert rule has been evaluated (newsradar/alerts.py), UTC 'YYYY-MM-DD HH:MM:SS', NULL before
    #     its first evaluation: after a gap (serve stopped, a replay that moved on by several days) the next
    #     evaluation checks every day since for spikes, up to 14 days back, and announces as new the articles of the
    #     gap that were stored before the last evaluation but published after it.
    """
    ALTER TABLE alert_rules ADD COLUMN evaluated_until TEXT;
    """,
    # 20: under a bulk load, a new article's row of shared_stories is written by db/stories.py set_stories for the
    #     whole batch at once: the row trigger rewrote the story's first article (five indexes) once per new member,
    #     about a third of the cost of storing a story
    """
    DROP TRIGGER IF EXISTS shared_stories_insert;
    """ + _shared_insert("new.story_id != new.article_id AND NOT EXISTS (SELECT 1 FROM bulk_load)") + """
    """,
    # 21: db/rollups.py recount_stories keeps story_repeat_days for a batch of stories with two statements (the
    #     repeats leaving, the repeats arriving) while it holds the RECOUNTING flag: the row triggers, one upsert per
    #     repeat written, were a third of what recounting a story cost
    _REPEAT_DAYS_TRIGGERS.format(when=f" WHEN NOT EXISTS (SELECT 1 FROM bulk_load WHERE flag = {RECOUNTING})"),
    # 22: articles per category, day, outlet and language, so that a view filtered by category alone (with any
    #     sources and dates) is summed from a rollup, not read article by article (db/aggregates.py article_facts).
    #     An article has one category: the rows of several categories add up exactly. The tagger sets a live
    #     article's category after storing it (an UPDATE); an import stores it with the article, and under a bulk
    #     load db/rollups.py add_articles counts the batch. (22 and 23 drop what they create first, as 16-18 do: they
    #     run again on a database whose version was set back.)
    """
    DROP TABLE IF EXISTS daily_categories;
    DROP TRIGGER IF EXISTS daily_categories_insert;
    DROP TRIGGER IF EXISTS daily_categories_delete;
    DROP TRIGGER IF EXISTS daily_categories_update;
    CREATE TABLE daily_categories (
        category TEXT NOT NULL,             -- '': none yet (not tagged)
        day TEXT NOT NULL,
        outlet_id INTEGER NOT NULL,
        language TEXT NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (category, day, outlet_id, language)
    ) WITHOUT ROWID;
    INSERT INTO daily_categories (category, day, outlet_id, language, n)
    SELECT coalesce(category, ''), substr(published, 1, 10), coalesce(outlet_id, 0), coalesce(language, ''), count(*)
    FROM articles GROUP BY 1, 2, 3, 4;
    CREATE TRIGGER daily_categories_insert AFTER INSERT ON articles
    WHEN NOT EXISTS (SELECT 1 FROM bulk_load) BEGIN
        INSERT INTO daily_categories (category, day, outlet_id, language, n)
        VALUES (coalesce(new.category, ''), substr(new.published, 1, 10), coalesce(new.outlet_id, 0),
                coalesce(new.language, ''), 1)
        ON CONFLICT DO UPDATE SET n = n + 1;
    END;
    CREATE TRIGGER daily_categories_delete AFTER DELETE ON articles BEGIN
        UPDATE daily_categories SET n = n - 1 WHERE category = coalesce(old.category, '')
            AND day = substr(old.published, 1, 10) AND outlet_id = coalesce(old.outlet_id, 0)
            AND language = coalesce(old.language, '');
    END;
    CREATE TRIGGER daily_categories_update AFTER UPDATE OF published, outlet_id, language, category ON articles
    """ + _ARTICLE_KEYS_CHANGED + """
    BEGIN
        UPDATE daily_categories SET n = n - 1 WHERE category = coalesce(old.category, '')
            AND day = substr(old.published, 1, 10) AND outlet_id = coalesce(old.outlet_id, 0)
            AND language = coalesce(old.language, '');
        INSERT INTO daily_categories (category, day, outlet_id, language, n)
        VALUES (coalesce(new.category, ''), substr(new.published, 1, 10), coalesce(new.outlet_id, 0),
                coalesce(new.language, ''), 1)
        ON CONFLICT DO UPDATE SET n = n + 1;
    END;
    """,
    # 23: the countries in the story of each category's articles, per day, outlet and language, so that a view
    #     filtered by categories alone is split by country, mapped and counted from a rollup (db/aggregates.py
    #     label_facts), as migration 7 does for one topic. A country row moves with its article's category, day,
    #     outlet and language; tags are only inserted and deleted (migration 7's refusal of updates).
    """
    DROP VIEW IF EXISTS category_countries;
    DROP TABLE IF EXISTS daily_category_countries;
    DROP TRIGGER IF EXISTS daily_category_countries_insert;
    DROP TRIGGER IF EXISTS daily_category_countries_delete;
    DROP TRIGGER IF EXISTS daily_category_countries_article;
    CREATE TABLE daily_category_countries (
        category TEXT NOT NULL,             -- '': none yet (not tagged)
        day TEXT NOT NULL,
        country TEXT NOT NULL,
        outlet_id INTEGER NOT NULL,
        language TEXT NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (category, day, country, outlet_id, language)
    ) WITHOUT ROWID;
    """ + CATEGORY_COUNTRIES + """
    CREATE TRIGGER daily_category_countries_insert AFTER INSERT ON article_countries
    WHEN NOT EXISTS (SELECT 1 FROM bulk_load) BEGIN
        INSERT INTO daily_category_countries (category, day, country, outlet_id, language, n)
        SELECT category, day, country, outlet_id, language, 1 FROM category_countries
        WHERE article_id = new.article_id AND country = new.country
        ON CONFLICT DO UPDATE SET n = n + 1;
    END;
    -- an article's countries go before the article itself (migration 3's delete trigger): it is still there
    CREATE TRIGGER daily_category_countries_delete AFTER DELETE ON article_countries BEGIN
        UPDATE daily_category_countries SET n = n - 1 WHERE (category, day, country, outlet_id, language) =
            (SELECT coalesce(category, ''), substr(published, 1, 10), old.country, coalesce(outlet_id, 0),
                    coalesce(language, '')
             FROM articles WHERE id = old.article_id);
    END;
    CREATE TRIGGER daily_category_countries_article AFTER UPDATE OF published, outlet_id, language, category
    ON articles
    """ + _ARTICLE_KEYS_CHANGED + """
    BEGIN
        UPDATE daily_category_countries SET n = n - 1 WHERE category = coalesce(old.category, '')
            AND day = substr(old.published, 1, 10) AND outlet_id = coalesce(old.outlet_id, 0)
            AND language = coalesce(old.language, '')
            AND country IN (SELECT country FROM article_countries WHERE article_id = new.id);
        INSERT INTO daily_category_countries (category, day, country, outlet_id, language, n)
        SELECT category, day, country, outlet_id, language, 1 FROM category_countries WHERE article_id = new.id
        ON CONFLICT DO UPDATE SET n = n + 1;
    END;
    """,
    # 24: shared_stories' week and month indexes go: no query filters on them, and a count per week or month
    #     walked the whole table in index order (a random read per row), twice as slow as reading it in order
    """
    DROP INDEX IF EXISTS shared_stories_week;
    DROP INDEX IF EXISTS shared_stories_month;
    """,
    # 25: articles per feed and publication day, for the Sources page's month of each feed (db/aggregates.py
    #     feed_day_counts): it read every link of the month's articles, 165 ms on PostgreSQL at 477k articles. An
    #     import's bulk load names the newest article before its batch (bulk_load.after_id, a column bulk_load gets
    #     here; the table never holds a committed row): db/rollups.py add_feed_links counts the links of the batch's
    #     new articles, the row trigger those of articles stored before (a row trigger for every link cost the 2023
    #     corpus's import 10-20 s). `db copy` leaves the table to the target's triggers (db/copy.py DERIVED), so a
    #     day emptied is deleted. An article's links go before it, while it can still say its day.
    """
    DROP TABLE IF EXISTS bulk_load;
    CREATE TABLE bulk_load (flag INTEGER, after_id INTEGER);
    DROP TABLE IF EXISTS daily_feeds;
    DROP TRIGGER IF EXISTS daily_feeds_insert;
    DROP TRIGGER IF EXISTS daily_feeds_delete;
    DROP TRIGGER IF EXISTS daily_feeds_article_deleting;
    DROP TRIGGER IF EXISTS daily_feeds_update;
    CREATE TABLE daily_feeds (
        day TEXT NOT NULL,
        feed_id INTEGER NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (day, feed_id)
    ) WITHOUT ROWID;
    INSERT INTO daily_feeds (day, feed_id, n)
    SELECT substr(a.published, 1, 10), af.feed_id, count(*) FROM article_feeds af
    JOIN articles a ON a.id = af.article_id GROUP BY 1, 2;
    CREATE TRIGGER daily_feeds_insert AFTER INSERT ON article_feeds
    WHEN NOT EXISTS (SELECT 1 FROM bulk_load WHERE new.article_id > after_id) BEGIN
        INSERT INTO daily_feeds (day, feed_id, n)
        SELECT substr(published, 1, 10), new.feed_id, 1 FROM articles WHERE id = new.article_id
        ON CONFLICT DO UPDATE SET n = n + 1;
    END;
    CREATE TRIGGER daily_feeds_delete AFTER DELETE ON article_feeds BEGIN
        UPDATE daily_feeds SET n = n - 1 WHERE feed_id = old.feed_id
            AND day = (SELECT substr(published, 1, 10) FROM articles WHERE id = old.article_id);
        DELETE FROM daily_feeds WHERE feed_id = old.feed_id AND n = 0
            AND day = (SELECT substr(published, 1, 10) FROM articles WHERE id = old.article_id);
    END;
    CREATE TRIGGER daily_feeds_article_deleting BEFORE DELETE ON articles BEGIN
        DELETE FROM article_feeds WHERE article_id = old.id;
    END;
    CREATE TRIGGER daily_feeds_update AFTER UPDATE OF published ON articles
    WHEN substr(old.published, 1, 10) IS NOT substr(new.published, 1, 10) BEGIN
        UPDATE daily_feeds SET n = n - 1 WHERE day = substr(old.published, 1, 10)
            AND feed_id IN (SELECT feed_id FROM article_feeds WHERE article_id = new.id);
        DELETE FROM daily_feeds WHERE day = substr(old.published, 1, 10) AND n = 0;
        INSERT INTO daily_feeds (day, feed_id, n)
        SELECT substr(new.published, 1, 10), feed_id, 1 FROM article_feeds WHERE article_id = new.id
        ON CONFLICT DO UPDATE SET n = n + 1;
    END;
    """,
    # 26: the shared stories' day index carries each article's story, so that counting stories by day, outlet and
    # language (a language or an outlet filter, which story_repeat_days cannot answer) reads no table row: the
    # stories of English articles per day 66 → 37 ms at 477k. (PostgreSQL's twin also covers articles by id.)
    """
    DROP INDEX IF EXISTS shared_stories_day;
    CREATE INDEX shared_stories_day ON shared_stories(day, outlet_id, language, story_id);
    """,
    # 27: story repeats per language as well: each repeat also keeps its article's language and `prev_lang`, the day
    #     of the nearest earlier article of its story in the cell in that language ('' for none). A filter on one
    #     language keeps or drops a cell's articles of that language whole, so story_repeat_days now answers it (with
    #     the outlet and source filters it answered before) rather than a read of the language's shared stories:
    #     the Countries page counting the stories of one source country's English articles 265 → 61 ms at 477k.
    #     A story told in two languages is one story in the cells of either language's filter alone; a filter on
    #     several languages still reads shared_stories.
    f"""
    DROP VIEW IF EXISTS story_cells;
    {STORY_CELLS.format(zero='0')}
    DROP TABLE IF EXISTS story_repeats;
    CREATE TABLE story_repeats (
        story_id INTEGER NOT NULL,
        article_id INTEGER NOT NULL,
        kind TEXT NOT NULL,
        source TEXT NOT NULL,
        label TEXT NOT NULL,
        outlet_id INTEGER NOT NULL,
        language TEXT NOT NULL,             -- the article's ('' for none)
        day TEXT NOT NULL,
        prev TEXT NOT NULL,
        prev_lang TEXT NOT NULL             -- as prev, among the story's articles in the same language ('': none)
    );
    CREATE INDEX story_repeats_story ON story_repeats(story_id);
    {REPEATS_INSERT.format(stories="1 = 1")};
    DROP TABLE IF EXISTS story_repeat_days;
    CREATE TABLE story_repeat_days (
        kind TEXT NOT NULL,
        source TEXT NOT NULL,
        label TEXT NOT NULL,
        outlet_id INTEGER NOT NULL,
        language TEXT NOT NULL,
        day TEXT NOT NULL,
        prev TEXT NOT NULL,
        prev_lang TEXT NOT NULL,
        week TEXT NOT NULL,
        month TEXT NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY ({REPEAT_CELL})
    ) WITHOUT ROWID;
    INSERT INTO story_repeat_days ({REPEAT_CELL}, week, month, n)
    SELECT {REPEAT_CELL}, date(day, '-6 days', 'weekday 1'), substr(day, 1, 7) || '-01', count(*)
    FROM story_repeats GROUP BY {REPEAT_CELL};
    {_REPEAT_DAYS_TRIGGERS_27.format(when=f" WHEN NOT EXISTS (SELECT 1 FROM bulk_load WHERE flag = {RECOUNTING})")}
    {_repeats_triggers(REPEATS_INSERT, "language")}
    """,
    # 28: PostgreSQL's only (its category index gives the articles' ids); SQLite's indexes carry the rowid already
    "",
    # 29: shared_stories keeps each article's category, so that a category's story counts read no article row (they
    #     read each matching shared article's row for its category before): the shared stories of sport, 20 → 8 ms
    #     at 477k (PostgreSQL 33 → 10)
    """
    ALTER TABLE shared_stories ADD COLUMN category TEXT;
    UPDATE shared_stories SET category = (SELECT category FROM articles WHERE id = shared_stories.article_id);
    CREATE INDEX IF NOT EXISTS shared_stories_category ON shared_stories(category);
    DROP TRIGGER IF EXISTS shared_stories_insert;
    """ + _shared_insert("new.story_id != new.article_id AND NOT EXISTS (SELECT 1 FROM bulk_load)", True) + """
    DROP TRIGGER IF EXISTS shared_stories_update;
    """ + _shared_update(True) + """
    DROP TRIGGER IF EXISTS shared_stories_article;
    CREATE TRIGGER shared_stories_article AFTER UPDATE OF published, outlet_id, language, category ON articles BEGIN
        UPDATE shared_stories SET day = substr(new.published, 1, 10),
            week = coalesce(date(new.published, '-6 days', 'weekday 1'), substr(new.published, 1, 10)),
            month = substr(new.published, 1, 7) || '-01', outlet_id = new.outlet_id, language = new.language,
            category = new.category
        WHERE article_id = new.id;
    END;
    """,
    # 30: a topic's daily counts by topic first (as daily_countries' by country), so that a topic's view reads its
    #     own cells, not every topic's: the outlet × day counts of one topic of twelve 22 → 13 ms at 477k
    """
    CREATE INDEX IF NOT EXISTS daily_topics_topic ON daily_topics(topic_id, outlet_id, day, language, n);
    """,
    # 31: titles and descriptions stored with a tag their feed cut short at the end lose it, as the collector now
    #     stores them (REPAIRS: the text rule is Python's, db/text.py uncut)
    "SELECT 1;",
    # 32: PostgreSQL's only (indexes for its story counts: db/postgres/schema.py); SQLite's read as fast without
    "",
    # 33: what the filters and the charts read of an article, by id, so that a text search's matches are looked up
    #     in this narrow index rather than in the rows (title and description): at 4.8M articles the per-outlet days
    #     of "inflation" in English 113 → 89 ms, the countries it names 105 → 76 ms (db/aggregates.py _facts_from).
    #     Ids only grow, so a new article's entry goes at the index's end. (PostgreSQL's twin: migration 26's
    #     articles_id_covering.)
    """
    CREATE INDEX IF NOT EXISTS articles_facts ON articles(id, published, outlet_id, language, category);
    """,
    # 34: PostgreSQL's only (its datetime() made one expression, which the planner inlines: db/postgres/schema.py)
    "",
    # 35: PostgreSQL's only (an article's countries kept in its row for a text search's counts, db/postgres/schema.py;
    # SQLite looks a match's countries up in article_countries in a third of PostgreSQL's time)
    "",
    # 36: PostgreSQL's only (its pairs of countries counted once per statement: its row triggers run after the whole
    # statement, and counted a pair inserted in one statement twice; SQLite's run row by row)
    "",
]

SCHEMA_VERSION = len(MIGRATIONS)
# the Python half of a migration, run in its transaction after its SQL (on both engines: db/postgres/schema.py)
REPAIRS: dict[int, Callable[[Any], int]] = {31: repair.cut_tags}


class SchemaError(RuntimeError):
    """The database cannot be used by this version of newsradar."""


def default_db_path() -> Path | str:
    """`NEWSRADAR_DB`, else newsradar.db in the user's data directory (a postgresql:// URL is returned as is)."""
    env = os.environ.get("NEWSRADAR_DB")
    if is_url(env):
        return env
    if env:
        return Path(env)
    return Path(platformdirs.user_data_dir("newsradar")) / "newsradar.db"


def connect(path: str | os.PathLike, readonly: bool = False, migrate: bool = True,
            factory: type[sqlite3.Connection] = sqlite3.Connection) -> sqlite3.Connection:
    """Open the database in WAL mode with a busy timeout, creating or upgrading its schema (a postgresql:// URL:
    that PostgreSQL database, see db/postgres/schema.py). `factory`: the SQLite connection's class."""
    if is_url(path):
        return _connect_postgres(str(path), readonly, migrate)
    path = Path(path)
    if readonly:
        # as_uri() percent-encodes: a '#', '?' or '%' in the file name must not cut or alter the URI
        conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S,
                               isolation_level=None, check_same_thread=False, factory=factory)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None, factory=factory)
    conn.row_factory = sqlite3.Row
    conn.create_function("fold", 1, _fold, deterministic=True)
    conn.create_function("fts_text", 1, _fts_text, deterministic=True)
    conn.create_function("fts_query", 1, _fts_query, deterministic=True)
    conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
    conn.execute("PRAGMA foreign_keys = ON")
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise SchemaError(f"{path} is not a newsradar database ({exc})") from exc
    if version > SCHEMA_VERSION:
        conn.close()
        raise SchemaError(
            f"{path} has schema version {version}, newer than this newsradar understands "
            f"({SCHEMA_VERSION}); upgrade newsradar to open it")
    if not readonly:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        if migrate and version < SCHEMA_VERSION:
            _migrate(conn, version)
    return conn


def _connect_postgres(url: str, readonly: bool, migrate: bool):
    from db.postgres import schema as pg_schema

    conn = pg_schema.connect(url, readonly, SCHEMA_VERSION if migrate and not readonly else None)
    version = pg_schema.version(conn)
    if version > SCHEMA_VERSION:
        conn.close()
        raise SchemaError(f"the database has schema version {version}, newer than this newsradar understands "
                          f"({SCHEMA_VERSION}); upgrade newsradar to open it")
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE … COMMIT, rolled back on any error (the connection is in autocommit mode; PostgreSQL has no
    IMMEDIATE: its writers lock rows, not the database)."""
    conn.execute("BEGIN" if is_url(getattr(conn, "url", None)) else "BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def begin(conn: sqlite3.Connection) -> None:
    """Open a write transaction by hand, for a loader that commits every batch (else use `transaction`)."""
    conn.execute("BEGIN" if is_url(getattr(conn, "url", None)) else "BEGIN IMMEDIATE")


def commit(conn: sqlite3.Connection) -> None:
    conn.execute("COMMIT")


def rollback(conn: sqlite3.Connection) -> None:
    """Roll back the transaction in flight, if there is one."""
    if conn.in_transaction:
        conn.execute("ROLLBACK")


def _fold(value: str | None) -> str:
    return fold(value) if value else ""


def _fts_text(value: str | None) -> str:
    return fts_text(value) if value else ""


def _fts_query(query: str | None) -> str | None:
    """The compiled FTS5 expression of a stored query, or NULL if it is not valid (any more)."""
    try:
        return compile_query(query or "")
    except QuerySyntaxError:
        return None


def schema_version(conn: sqlite3.Connection) -> int:
    """The schema version the database is at (on either engine)."""
    if dialect(conn) == POSTGRESQL:
        from db.postgres import schema as pg_schema

        return pg_schema.version(conn)
    return conn.execute("PRAGMA user_version").fetchone()[0]


def _migrate(conn: sqlite3.Connection, version: int) -> None:
    """Apply every migration after `version`, each in its own transaction."""
    for target in range(version + 1, SCHEMA_VERSION + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            current = conn.execute("PRAGMA user_version").fetchone()[0]
            if current >= target:  # another process migrated meanwhile
                conn.execute("COMMIT")
                continue
            for statement in _split_sql(MIGRATIONS[target - 1]):
                if not _column_exists(conn, statement):
                    conn.execute(statement)
            if target in REPAIRS:
                REPAIRS[target](conn)
            conn.execute(f"PRAGMA user_version = {target}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise


_ADD_COLUMN = re.compile(r"ALTER TABLE (\w+) ADD COLUMN (\w+)\b", re.IGNORECASE)


def _column_exists(conn: sqlite3.Connection, statement: str) -> bool:
    """Whether `statement` adds a column the table has already (SQLite has no ADD COLUMN IF NOT EXISTS): a database
    set back to an older version by hand keeps the columns that later migrations added."""
    match = _ADD_COLUMN.match(statement.strip())
    return bool(match) and conn.execute("SELECT 1 FROM pragma_table_info(?) WHERE name = ?",
                                        match.groups()).fetchone() is not None


def _split_sql(script: str) -> list[str]:
    """Split a migration into statements (executescript would commit our transaction)."""
    statements, buf = [], []
    for line in script.splitlines():
        buf.append(line)
        chunk = "\n".join(buf)
        if sqlite3.complete_statement(chunk):
            statements.append(chunk.strip())
            buf = []
    if "\n".join(buf).strip():
        statements.append("\n".join(buf).strip())
    return statements
