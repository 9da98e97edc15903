"""CSV export of the filtered articles: every matching row, streamed, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import sqlite3
from collections.abc import Iterator
from typing import TextIO

from db.filters import Filters, check_query

COLUMNS = ["published", "outlet", "source_country", "language", "title", "link", "description",
           "date_note", "first_seen"]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralize(value: object) -> str:
    """A cell a spreadsheet will show as text: formula-like starts get a leading apostrophe (OWASP)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _iso(stamp: str | None) -> str:
    return stamp.replace(" ", "T") + "Z" if stamp else ""


def export_rows(conn: sqlite3.Connection, filters: Filters) -> Iterator[list[str]]:
    """The export's rows, newest first, without the header; a bad query raises before any row."""
    check_query(conn, filters.q)
    return _rows(conn, filters)


def _rows(conn: sqlite3.Connection, filters: Filters) -> Iterator[list[str]]:
    where, params = filters.where()
    sql = ("SELECT a.published, o.name, o.country, a.language, a.title, a.link, a.description, a.date_flag, "
           f"a.first_seen FROM articles a LEFT JOIN outlets o ON o.id = a.outlet_id WHERE {where} "
           "ORDER BY a.published DESC, a.id DESC")
    for row in conn.execute(sql, params):
        published, outlet, country, language, title, link, description, flag, first_seen = row
        yield [neutralize(v) for v in (_iso(published), outlet, country, language, title, link, description,
                                       flag, _iso(first_seen))]


def write_csv(conn: sqlite3.Connection, filters: Filters, out: TextIO) -> int:
    """Write the header and every matching row to `out`; return the number of rows."""
    rows = export_rows(conn, filters)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    count = 0
    for count, row in enumerate(rows, 1):  # noqa: B007 - count is the result
        writer.writerow(row)
    return count
