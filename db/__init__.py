"""newsradar's SQLite store: schema, connections, filters and export."""

from db.schema import SCHEMA_VERSION, SchemaError, connect, default_db_path

__all__ = ["SCHEMA_VERSION", "SchemaError", "connect", "default_db_path"]
