"""The dashboard's read-only SQLite connections are kept between queries (db/sqlite_pool.py): a kept one must
answer as a new one would."""

from __future__ import annotations

import os
import shutil
import sqlite3
from contextlib import closing

import pytest

from db import SCHEMA_VERSION, SchemaError, aggregates, connect, sqlite_pool


def _count(path) -> int:
    with closing(aggregates.open_db(path)) as conn:
        return conn.execute("SELECT count(*) FROM outlets").fetchone()[0]


def _add_outlet(path, name: str) -> None:
    with closing(connect(path)) as conn:
        conn.execute("INSERT INTO outlets (name) VALUES (?)", (name,))


def test_a_kept_connection_is_reused_and_sees_later_commits(tmp_path):
    path = tmp_path / "a.db"
    connect(path).close()
    first = aggregates.open_db(path)
    first.close()
    again = aggregates.open_db(path)
    assert again is first                      # kept, not opened anew
    again.close()
    _add_outlet(path, "Later outlet")
    assert _count(path) == 1                   # a commit made while it was idle


def test_a_file_replaced_at_the_same_path_is_read_anew(tmp_path):
    path, other = tmp_path / "a.db", tmp_path / "b.db"
    connect(path).close()
    connect(other).close()
    _add_outlet(other, "Only in b")
    assert _count(path) == 0                   # a's connection is now idle
    os.remove(path)
    shutil.copy(other, path)                   # another file at the same path
    assert _count(path) == 1


def test_a_connection_left_in_a_transaction_or_closed_twice_is_not_kept_twice(tmp_path):
    path = tmp_path / "a.db"
    connect(path).close()
    conn = aggregates.open_db(path)
    conn.execute("BEGIN")
    conn.close()                               # inside a transaction: closed for good
    assert aggregates.open_db(path) is not conn
    kept = aggregates.open_db(path)
    kept.close()
    kept.close()
    first, second = aggregates.open_db(path), aggregates.open_db(path)
    assert first is kept and second is not kept  # handed out once, not to two callers
    first.close()
    second.close()


def test_at_most_a_few_idle_connections_are_kept_over_all_files(tmp_path):
    paths = [tmp_path / f"{i}.db" for i in range(sqlite_pool.MAX_IDLE + 3)]
    for path in paths:
        connect(path).close()
        aggregates.open_db(path).close()
    assert len(sqlite_pool._IDLE) <= sqlite_pool.MAX_IDLE
    assert _count(paths[0]) == 0 and _count(paths[-1]) == 0


def test_a_database_newer_than_this_newsradar_is_refused_with_why(tmp_path):
    path = tmp_path / "a.db"
    connect(path).close()
    with closing(sqlite3.connect(path)) as raw:
        raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(SchemaError, match="newer than this newsradar"):
        aggregates.open_db(path)
