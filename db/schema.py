"""The one owner of newsradar's SQLite schema: creation, migrations, connections."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import platformdirs

BUSY_TIMEOUT_S = 30.0

# Each entry upgrades the schema from version i to i + 1. Append, never edit a released one.
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
    CREATE VIRTUAL TABLE articles_fts USING fts5(
        title, description, content='articles', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2'
    );
    -- no insert trigger: collectors.store.store_rows indexes each batch of new rows in one statement,
    -- twice as fast as a per-row trigger on a bulk import
    CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, title, description)
        VALUES ('delete', old.id, old.title, old.description);
    END;
    CREATE TRIGGER articles_fts_update AFTER UPDATE OF title, description ON articles BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, title, description)
        VALUES ('delete', old.id, old.title, old.description);
        INSERT INTO articles_fts(rowid, title, description) VALUES (new.id, new.title, new.description);
    END;
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)


class SchemaError(RuntimeError):
    """The database cannot be used by this version of newsradar."""


def default_db_path() -> Path:
    """`NEWSRADAR_DB`, else newsradar.db in the user's data directory."""
    env = os.environ.get("NEWSRADAR_DB")
    if env:
        return Path(env)
    return Path(platformdirs.user_data_dir("newsradar")) / "newsradar.db"


def connect(path: str | os.PathLike, readonly: bool = False, migrate: bool = True) -> sqlite3.Connection:
    """Open the database in WAL mode with a busy timeout, creating or upgrading its schema."""
    path = Path(path)
    if readonly:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S,
                               isolation_level=None, check_same_thread=False)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    conn.row_factory = sqlite3.Row
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
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {target}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise


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
