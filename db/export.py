"""CSV export of the filtered articles: every matching row, streamed, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import sqlite3
from collections.abc import Iterator
from typing import TextIO

from db.completeness import Gap, completeness, scope_of
from db.filters import Filters, where_in
from db.links import clean_link
from db.stories import JOIN_STORY, STORY

COLUMNS = ["published", "outlet", "source_country", "language", "title", "link", "description",
           "countries", "topics", "category", "date_note", "first_seen", "story", "other_links"]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralize(value: object) -> str:
    """A cell a spreadsheet will show as text: formula-like starts get a leading apostrophe (OWASP)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _iso(stamp: str | None) -> str:
    return stamp.replace(" ", "T") + "Z" if stamp else ""


def export_rows(conn: sqlite3.Connection, filters: Filters) -> Iterator[list[str]]:
    """The export's rows, newest first, without the header; links without their tracking parameters (the stored
    link keeps them, as the feed gave it; this is the one place both the CLI and the dashboard export through)."""
    where, params = where_in(conn, filters)
    sql = ("SELECT a.published, o.name, o.country, a.language, a.title, a.link, a.description, "
           "(SELECT group_concat(country, ' ') FROM article_countries WHERE article_id = a.id), "
           "(SELECT group_concat(t.name, '; ') FROM article_topics at JOIN topics t ON t.id = at.topic_id "
           " WHERE at.article_id = a.id), a.category, a.date_flag, a.first_seen, "
           # the story's id (schema 16): rows with one value report one event; count them once
           f"{STORY}, "
           # the other URLs of the same article (schema 13): an export can be searched by any link of an article
           "(SELECT group_concat(link, ' ') FROM (SELECT link FROM article_links WHERE article_id = a.id "
           " ORDER BY norm_link) l) "
           f"FROM articles a LEFT JOIN outlets o ON o.id = a.outlet_id {JOIN_STORY} WHERE {where} "
           "ORDER BY a.published DESC, a.id DESC")
    for row in conn.execute(sql, params):
        yield [neutralize(_cell(i, v)) for i, v in enumerate(row)]


def _cell(column: int, value):
    """Times in ISO 8601; the link and the other links without tracking parameters."""
    if column in (0, 11):
        return _iso(value)
    if column == 5 and value:
        return clean_link(value)
    if column == 13 and value:
        return " ".join(clean_link(link) for link in value.split(" "))
    return value


def write_csv(conn: sqlite3.Connection, filters: Filters, out: TextIO) -> int:
    """Write the header and every matching row to `out`; return the number of rows."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    count = 0
    for count, row in enumerate(export_rows(conn, filters), 1):  # noqa: B007 - count is the result
        writer.writerow(row)
    return count


INCOMPLETE_COLUMNS = ["day", "outlet", "articles", "usual", "reason"]


def incomplete_days(conn: sqlite3.Connection, filters: Filters) -> list[Gap]:
    """The days of the filters' dates (all: none given) on which collection of their outlets was incomplete."""
    return completeness(conn, scope_of(filters)).within(filters.date_from, filters.date_to)


def write_incomplete_days(gaps: list[Gap], out: TextIO) -> None:
    """One CSV row per outlet and incomplete day: reason failed (every fetch failed), none or low (far below usual)."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(INCOMPLETE_COLUMNS)
    writer.writerows([g.day.isoformat(), neutralize(g.name), g.n, round(g.expected, 1), g.reason] for g in gaps)


def incomplete_summary(gaps: list[Gap]) -> str:
    """One line: how many days were incomplete, and the first few of them ('' when none)."""
    days = sorted({g.day.isoformat() for g in gaps})
    if not days:
        return ""
    shown = ", ".join(days[:8]) + (f" and {len(days) - 8} more" if len(days) > 8 else "")
    return f"collection was incomplete on {len(days):,} day{'s' if len(days) > 1 else ''} of this export: {shown}"
