"""Repairs of what an older version stored wrong, each run once by a schema migration (db/schema.py, both engines)."""

from __future__ import annotations

from db.engine import POSTGRESQL, Connection, dialect
from db.text import uncut


def cut_tags(conn: Connection) -> int:
    """Titles and descriptions stored with a tag their feed cut short at the end (1,840 descriptions of the 2023
    corpus: "… regimes. <a href="https://www.theguardi"), made the text the collector stores today, with their search
    entries and topics. Returns how many articles changed. Their countries and category stay as they were tagged
    (the tagger is not db/'s): `newsradar retag` recomputes them."""
    rows = conn.execute("SELECT id, title, description FROM articles "
                        "WHERE title LIKE '%<%' OR description LIKE '%<%'").fetchall()
    mended = [(r[0], r[1], r[2], uncut(r[1]), uncut(r[2])) for r in rows]
    changed = [row for row in mended if row[3:] != row[1:3]]
    if not changed:
        return 0
    if dialect(conn) == POSTGRESQL:
        from db.postgres.text import tsvector

        conn.executemany("UPDATE articles SET title = ?, description = ?, search = CAST(? AS tsvector) WHERE id = ?",
                         [(title, text, tsvector(title, text), i) for i, _, _, title, text in changed])
    else:   # the index holds no text of its own (content=''): an entry is deleted by giving what it was made of
        conn.executemany("INSERT INTO articles_fts (articles_fts, rowid, title, description) "
                         "VALUES ('delete', ?, fts_text(?), fts_text(?))", [row[:3] for row in changed])
        conn.executemany("UPDATE articles SET title = ?, description = ? WHERE id = ?",
                         [(title, text, i) for i, _, _, title, text in changed])
        conn.executemany("INSERT INTO articles_fts (rowid, title, description) VALUES (?, fts_text(?), fts_text(?))",
                         [(i, title, text) for i, _, _, title, text in changed])
    from db import topics  # it imports db.schema, which runs this

    topics.reapply(conn, [row[0] for row in changed])
    return len(changed)
