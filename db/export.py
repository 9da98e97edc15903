"""CSV export of the filtered articles: every matching row, streamed, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import sqlite3
from collections.abc import Iterator
from typing import TextIO

from db.filters import Filters

COLUMNS = ["published", "outlet", "source_country", "language", "title", "link", "description",
           "countries", "topics", "category", "date_note", "first_seen", "other_links"]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralize(value: object) -> str:
    """A cell a spreadsheet will show as text: formula-like starts get a leading apostrophe (OWASP)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _iso(stamp: str | None) -> str:
    return stamp.replace(" ", "T") + "Z" if stamp else ""


def export_rows(conn: sqlite3.Connection, filters: Filters) -> Iterator[list[str]]:
    """The export's rows, newest first, without the header."""
    where, params = filters.where()
    sql = ("SELECT a.published, o.name, o.country, a.language, a.title, a.link, a.description, "
           "(SELECT group_concat(country, ' ') FROM article_countries WHERE article_id = a.id), "
           "(SELECT group_concat(t.name, '; ') FROM article_topics at JOIN topics t ON t.id = at.topic_id "
           " WHERE at.article_id = a.id), a.category, a.date_flag, a.first_seen, "
           # the other URLs of the same story (schema 11): an export can be searched by any link of an article
           "(SELECT group_concat(link, ' ') FROM (SELECT link FROM article_links WHERE article_id = a.id "
           " ORDER BY norm_link)) "
           f"FROM articles a LEFT JOIN outlets o ON o.id = a.outlet_id WHERE {where} "
           "ORDER BY a.published DESC, a.id DESC")
    for row in conn.execute(sql, params):
        yield [neutralize(_iso(v) if i in (0, 11) else v) for i, v in enumerate(row)]


def write_csv(conn: sqlite3.Connection, filters: Filters, out: TextIO) -> int:
    """Write the header and every matching row to `out`; return the number of rows."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    count = 0
    for count, row in enumerate(export_rows(conn, filters), 1):  # noqa: B007 - count is the result
        writer.writerow(row)
    return count
