"""Database file names are file names: characters special in a URI do not open another file."""

from __future__ import annotations

import pytest

from dashboard import queries
from db import connect


@pytest.mark.parametrize("name", ["news#1.db", "news?mode=rw.db", "news%3f.db", "my news.db", "zażółć.db"])
def test_the_dashboards_read_only_connection_opens_the_named_file(tmp_path, name):
    conn = connect(tmp_path / name)
    conn.execute("INSERT INTO outlets (name) VALUES ('Example')")
    conn.close()
    reader = queries.open_db(tmp_path / name)
    try:
        assert reader.execute("SELECT name FROM outlets").fetchall() == [("Example",)]
        with pytest.raises(Exception, match="readonly"):
            reader.execute("INSERT INTO outlets (name) VALUES ('Other')")
    finally:
        reader.close()
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(("-wal", "-shm"))) == [name]
