"""The connection type every db/ function takes, whichever engine is behind it, and how to tell the engines apart.

SQLite (a file path) is the embedded default; PostgreSQL (a postgresql:// URL, issue 14) is for teams. Code outside
db/ names `db.engine.Connection`, never a driver's class; db/ code that must speak one engine's SQL asks `dialect`.
"""

from __future__ import annotations

import os
import sqlite3
import sys
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, TypeAlias

from db.postgres import is_url

if TYPE_CHECKING:   # psycopg is imported only when a PostgreSQL database is opened
    from db.postgres.connection import PgConnection

Connection: TypeAlias = "sqlite3.Connection | PgConnection"
SQLITE, POSTGRESQL = "sqlite", "postgresql"

__all__ = ["Connection", "POSTGRESQL", "SQLITE", "database_errors", "dialect", "integrity_errors", "is_url",
           "insert_many", "retry_errors", "target", "values_lists", "week_start"]


def dialect(conn: Connection) -> str:
    """'sqlite' or 'postgresql'."""
    return getattr(conn, "dialect", SQLITE)


def location(conn: Connection) -> str:
    """Where the connection's database is, for another process to open it: PostgreSQL's URL, or SQLite's file ('' for
    one in memory)."""
    if dialect(conn) == POSTGRESQL:
        return conn.url
    return conn.execute("PRAGMA database_list").fetchone()[2]


def values_lists(rows: Sequence[Sequence], chunk: int = 500) -> Iterator[tuple[str, list]]:
    """Per `chunk` of `rows`: its VALUES list ("(?, ?), (?, ?)") and the parameters, for a statement that writes
    several hundred rows at once.

    Not executemany's one run of the statement per row: into a table with row triggers SQLite took three to five
    times as long so (the article_countries rows of 100,000 imported articles: 1.33 s, against 0.30 s)."""
    for start in range(0, len(rows), chunk):
        part = rows[start:start + chunk]
        marks = "(" + ", ".join("?" * len(part[0])) + ")"
        yield ", ".join([marks] * len(part)), [value for row in part for value in row]


def insert_many(conn: Connection, insert: str, rows: Sequence[Sequence], conflict: str = "") -> None:
    """`insert` ("INSERT INTO t (a, b)") of `rows` by values_lists, each list followed by `conflict`. Rows that
    conflict within a list meet `conflict` as they would one by one (on PostgreSQL, DO UPDATE must not meet the
    same key twice in one statement)."""
    for values, params in values_lists(rows):
        conn.execute(f"{insert} VALUES {values} {conflict}", params)


def week_start(stamp: str, engine: str) -> str:
    """SQL for the Monday (ISO day text) of the week of `stamp`, an SQL expression of an ISO day or time, on the
    engine `engine` (a stamp SQLite cannot read is its own week, as shared_stories has always kept it)."""
    if engine == POSTGRESQL:
        return f"week_of({stamp})"   # db/postgres/schema.py (migration 17)
    return f"coalesce(date({stamp}, '-6 days', 'weekday 1'), substr({stamp}, 1, 10))"


def target(value: str | os.PathLike) -> str | os.PathLike:
    """A --db value as given: a PostgreSQL URL stays a string (a Path would fold its '//'), anything else a path."""
    return value if is_url(value) else os.fspath(value)


def database_errors() -> tuple[type[Exception], ...]:
    """The exception classes a database may raise: sqlite3's, and psycopg's once it is loaded (evaluated in an
    `except` clause, this never imports the driver)."""
    psycopg = sys.modules.get("psycopg")
    return (sqlite3.DatabaseError, psycopg.Error) if psycopg else (sqlite3.DatabaseError,)


def integrity_errors() -> tuple[type[Exception], ...]:
    """The exception classes of a broken constraint (a name taken), on either engine."""
    psycopg = sys.modules.get("psycopg")
    return (sqlite3.IntegrityError, psycopg.errors.IntegrityError) if psycopg else (sqlite3.IntegrityError,)


def retry_errors() -> tuple[type[Exception], ...]:
    """The exception classes of a transaction the server gave up so that another could go on (PostgreSQL's deadlock
    or serialization failure, when two collectors store at once): run it again. SQLite waits instead (busy_timeout)."""
    psycopg = sys.modules.get("psycopg")
    return (psycopg.errors.DeadlockDetected, psycopg.errors.SerializationFailure) if psycopg else ()


def has_table(conn: Connection, name: str) -> bool:
    """Whether the database has the table `name` (a database from before the migration that adds it may be read)."""
    if dialect(conn) == POSTGRESQL:
        return conn.execute("SELECT to_regclass(?) IS NOT NULL", (name,)).fetchone()[0]
    return conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (name,)).fetchone() is not None
