"""newsradar's SQLite store: schema, connections, filters and export."""

from db.schema import SCHEMA_VERSION, SchemaError, connect, default_db_path, transaction

__all__ = ["SCHEMA_VERSION", "SchemaError", "connect", "default_db_path", "transaction"]
