"""The PostgreSQL engine: its connection, schema, text search, leases (SQL that only PostgreSQL speaks).

This file imports no driver: SQLite users never pay for importing psycopg."""

from __future__ import annotations

URL_PREFIXES = ("postgresql://", "postgres://")


def is_url(target: object) -> bool:
    """Whether a --db value names a PostgreSQL database rather than a SQLite file."""
    return isinstance(target, str) and target.startswith(URL_PREFIXES)
