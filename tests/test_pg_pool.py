"""The dashboard's read connections to PostgreSQL are kept open between queries, and one the server dropped is
replaced, never handed out (db/postgres/pool.py)."""

from __future__ import annotations

from contextlib import closing

import psycopg
import pytest

from db import aggregates
from db.filters import Filters


def _pid(conn) -> int:
    return conn.execute("SELECT pg_backend_pid()").fetchone()[0]


def test_a_closed_read_connection_serves_the_next_query(pg_url):
    with closing(aggregates.open_db(pg_url)) as conn:
        first = _pid(conn)
    with closing(aggregates.open_db(pg_url)) as conn:
        assert _pid(conn) == first
        assert aggregates.day_totals(conn, Filters()).empty


def test_a_connection_the_server_dropped_is_replaced(pg_url):
    with closing(aggregates.open_db(pg_url)) as conn:
        dropped = _pid(conn)
    with psycopg.connect(pg_url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (dropped,))
    with closing(aggregates.open_db(pg_url)) as conn:
        assert _pid(conn) != dropped
        assert aggregates.outlets(conn).empty


def test_the_read_connections_stay_read_only(pg_url):
    with closing(aggregates.open_db(pg_url)) as conn, pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
        conn.execute("INSERT INTO topics (name, query) VALUES ('x', 'x')")


def test_the_read_connections_compile_no_query(pg_url):
    # PostgreSQL's JIT compiled the full corpus's aggregates for longer than they ran (docs/scale.md)
    with closing(aggregates.open_db(pg_url)) as conn:
        assert conn.execute("SHOW jit").fetchone()[0] == "off"
