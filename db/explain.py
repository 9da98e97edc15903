"""What a period's coverage was about, read against the window before it: stories, texts, outlets and countries.

Every read takes the filters without their dates and two adjacent windows, `before` = [before, start) and `now` =
[start, end), so that a story, an outlet or a country can be compared with itself. newsradar/explain.py ranks and
scores what these return (the terms are tokenized there, above the SQL layer). The SQL runs on both engines.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

from db.engine import Connection
from db.filters import Filters, where_in
from db.stories import JOIN_STORY, STORY, of_stories
from db.text import format_utc


@dataclass(frozen=True)
class StoryChange:
    story: int
    title: str           # the headline of the story's first matching article in [start, end) (a Polish view: a
                         # Polish headline); newsradar.explain tells it by its typical headline there instead
    link: str            # that article's (and then the typical headline's)
    outlet: str          # the outlet that had the story first in the period among the matching ones
    published: str       # when it had it, UTC
    now: int             # matching articles in [start, end)
    before: int          # matching articles in the window before
    outlets: int         # outlets with a matching article in [start, end)
    began: str = ""      # its first matching report's time in both windows, UTC (before `published`: an earlier one)


@dataclass(frozen=True)
class Change:
    label: str
    now: int
    before: int


def _windows(conn: Connection, filters: Filters, before: dt.datetime, start: dt.datetime,
             end: dt.datetime) -> tuple[str, list, list]:
    """The filters' condition (without their dates) over [before, end), its parameters, and the bounds of `now`
    repeated for the CASE that counts it."""
    where, params = where_in(conn, dataclasses.replace(filters, date_from=None, date_to=None))
    return (f"{where} AND a.published >= ? AND a.published < ?", [*params, format_utc(before), format_utc(end)],
            [format_utc(start)])


def story_changes(conn: Connection, filters: Filters, before: dt.datetime, start: dt.datetime, end: dt.datetime,
                  limit: int = 10, scale: float = 1.0) -> list[StoryChange]:
    """The stories with matching articles in [start, end): the `limit` largest there and the 2 × `limit` that grew most
    against [before, start) (its count times `scale`, the ratio of the windows' lengths), each with its first matching
    article in [start, end): the view's own (a story's other articles may be in other languages or outlets; an
    ungrouped article is a story of its own), and the period's (the offensive's story on the day of the ceasefire is
    told by the ceasefire's headline)."""
    where, params, now = _windows(conn, filters, before, start, end)
    rows = conn.execute(
        f"WITH hit AS (SELECT a.id, a.published, a.outlet_id, {STORY} AS story FROM articles a "
        f"             LEFT JOIN outlets o ON o.id = a.outlet_id {JOIN_STORY} WHERE {where}), "
        "sizes AS (SELECT story, sum(CASE WHEN published >= ? THEN 1 ELSE 0 END) AS now, "
        "                 sum(CASE WHEN published < ? THEN 1 ELSE 0 END) AS before, "
        "                 count(DISTINCT CASE WHEN published >= ? THEN outlet_id END) AS outlets, "
        "                 min(CASE WHEN published >= ? THEN published END) AS first, min(published) AS began "
        "          FROM hit GROUP BY story), "
        "grown AS (SELECT * FROM sizes WHERE now > 0), "
        "chosen AS (SELECT story FROM (SELECT story FROM grown ORDER BY now DESC, outlets DESC, story LIMIT ?) big "
        "           UNION SELECT story FROM (SELECT story FROM grown ORDER BY now - before * ? DESC, now DESC, story "
        "                                    LIMIT ?) fast), "
        "named AS (SELECT g.*, (SELECT min(h.id) FROM hit h WHERE h.story = g.story AND h.published = g.first) "
        "          AS article FROM grown g JOIN chosen c ON c.story = g.story) "
        "SELECT g.story, f.title, f.link, coalesce(o.name, ''), f.published, g.now, g.before, g.outlets, g.began "
        "FROM named g JOIN articles f ON f.id = g.article "
        "LEFT JOIN outlets o ON o.id = f.outlet_id ORDER BY g.now DESC, g.story",
        [*params, *now, *now, *now, *now, limit, scale, 2 * limit]).fetchall()
    return [StoryChange(*row) for row in rows]


def story_titles(conn: Connection, filters: Filters, stories: list[int], start: dt.datetime,
                 end: dt.datetime) -> list[tuple[int, str, str]]:
    """(story, title, link) of the matching articles of `stories` in [start, end) that have a title, first published
    first. Read through the stories' members, not by testing the story of every match."""
    if not stories:
        return []
    # a few members looked at: each one's countries and topics tested (correlated), not all of a country's collected
    where, params = where_in(conn, dataclasses.replace(filters, date_from=None, date_to=None), correlated=True)
    marks = ", ".join("?" * len(stories))
    return [(row[0], row[1], row[2]) for row in conn.execute(
        f"SELECT {STORY}, a.title, a.link FROM articles a LEFT JOIN outlets o ON o.id = a.outlet_id {JOIN_STORY} "
        f"WHERE {where} AND a.published >= ? AND a.published < ? AND a.title != '' AND {of_stories(marks)} "
        "ORDER BY a.published, a.id", [*params, format_utc(start), format_utc(end), *stories, *stories])]


def texts(conn: Connection, filters: Filters, before: dt.datetime, start: dt.datetime,
          end: dt.datetime) -> list[tuple[bool, str, str, str]]:
    """(in `now`?, language, title, description) of every matching article of both windows."""
    where, params, now = _windows(conn, filters, before, start, end)
    return [(bool(row[0]), row[1], row[2], row[3]) for row in conn.execute(
        "SELECT CASE WHEN a.published >= ? THEN 1 ELSE 0 END, coalesce(a.language, ''), a.title, a.description "
        f"FROM articles a LEFT JOIN outlets o ON o.id = a.outlet_id WHERE {where}", [*now, *params])]


_BY = {"outlet": "coalesce(o.name, '')", "country": "coalesce(o.country, '')"}


def changes(conn: Connection, filters: Filters, before: dt.datetime, start: dt.datetime, end: dt.datetime,
            by: str, scale: float = 1.0) -> list[Change]:
    """Matching articles per outlet, or per outlet's (source) country, in each window; the biggest rise over the
    window before (times `scale`) first."""
    where, params, now = _windows(conn, filters, before, start, end)
    rows = conn.execute(
        f"SELECT label, now, before FROM (SELECT {_BY[by]} AS label, "
        "sum(CASE WHEN a.published >= ? THEN 1 ELSE 0 END) AS now, "
        "sum(CASE WHEN a.published < ? THEN 1 ELSE 0 END) AS before "
        f"FROM articles a LEFT JOIN outlets o ON o.id = a.outlet_id WHERE {where} GROUP BY {_BY[by]}) t "
        "ORDER BY now - before * ? DESC, now DESC, label", [*now, *now, *params, scale]).fetchall()
    return [Change(*row) for row in rows]
