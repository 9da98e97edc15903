"""Every count the dashboard draws, in SQL: the aggregates its figures, series and tables are shaped from.

Everything is filtered, aggregated and paged in the database; pandas only ever holds aggregates or one page
(dashboard/queries.py shapes them). Filtered by db.filters.Filters.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import os
import re
from contextlib import closing
from typing import Literal

import pandas as pd

from db import sqlite_pool
from db.completeness import Completeness, Scope, completeness
from db.engine import POSTGRESQL, Connection, dialect, has_table, is_url, location, week_start
from db.filters import FIELDS, Filters, day_after, where_in
from db.schema import connect
from db.search import compile_query
from db.stories import JOIN_STORY, STORY, StoryRow, of_stories

FROM = "FROM articles a LEFT JOIN outlets o ON o.id = a.outlet_id"
# the same, with the outlet looked up for each article: SQLite cannot then reach the articles through their outlets
# (the `+`), and walks them newest first along articles_published (see walk_newest)
FROM_NEWEST = "FROM articles a LEFT JOIN outlets o ON o.id = +a.outlet_id"
DAY = "substr(a.published, 1, 10)"
OTHER = "other"
UNKNOWN = "unknown"
# raw facts: one row per matching article (and per country / topic of it), columns day, outlet_id, language, [label,] n
_RAW_COLUMNS = f"{DAY} AS day, a.outlet_id AS outlet_id, a.language AS language"
# (+ac.country: an expression, so SQLite never walks the country index to group by it, one lookup per article)
_RAW_LABEL = {"country": ("+ac.country", " JOIN article_countries ac ON ac.article_id = a.id"),
              "topic": ("+t.name", " JOIN article_topics at ON at.article_id = a.id "
                                  "JOIN topics t ON t.id = at.topic_id")}
# the same facts pre-counted per day, outlet and language by the triggers of db/schema.py migration 3
_ROLLUP = {"article": "SELECT r.day, r.outlet_id, r.language, r.n FROM daily_articles r",
           "country": "SELECT r.day, r.outlet_id, r.language, r.country AS label, r.n FROM daily_countries r",
           "category": "SELECT r.day, r.outlet_id, r.language, r.n FROM daily_categories r",   # migration 22
           # the countries of one or more categories' articles (migration 23)
           "category country": "SELECT r.day, r.outlet_id, r.language, r.country AS label, r.n "
                               "FROM daily_category_countries r",
           "topic": "SELECT r.day, r.outlet_id, r.language, t.name AS label, r.n FROM daily_topics r "
                    "JOIN topics t ON t.id = r.topic_id",
           # the countries of one topic's articles, and the countries named beside one country (migration 7)
           "topic country": "SELECT r.day, r.outlet_id, r.language, r.country AS label, r.n "
                            "FROM daily_topic_countries r",
           "country country": "SELECT r.day, r.outlet_id, r.language, r.mentioned AS label, r.n "
                              "FROM daily_country_pairs r"}


ARTICLE_COLUMNS = ["published", "outlet", "source", "title", "link", "countries", "topics", "category",
                   "description", "date_flag"]
FEED_COLUMNS = ["id", "outlet", "country", "language", "url", "status", "last_success_at", "last_error_kind",
                "last_error", "last_error_at"]


def open_db(path: str | os.PathLike) -> Connection:
    """A short-lived read-only connection (one per query function call) that returns plain tuples, kept open
    between calls (db/sqlite_pool.py, db/postgres/pool.py)."""
    if is_url(path):
        from db.postgres.pool import open_readonly

        conn = open_readonly(str(path))
    else:
        conn = sqlite_pool.open_readonly(path)
    conn.row_factory = None  # sqlite3.Row costs a third more on the bigger aggregates
    return conn


def ensure_db(path: str | os.PathLike) -> None:
    """Create the database or bring its schema up to date, so that an empty or new file can be shown."""
    connect(path).close()


def _marks(values: tuple | list) -> str:
    return ", ".join("?" * len(values))


def _plain(conn: Connection, sql: str) -> str:
    """`sql` without SQLite's planner hints on PostgreSQL: unary plus on a column (`+ac.country`, which PostgreSQL
    refuses on text and would group apart from the column) and INDEXED BY (PostgreSQL's planner picks the index).
    A sum of rollup counts adds them as integers there: PostgreSQL sums bigints as numeric, twice as slow to
    add up, and the driver hands a numeric over one Python call per value (a third of fetching a year of days ×
    outlets); the sum of integers is a bigint. (A count is one cell's articles, far below 2**31.)"""
    if dialect(conn) != POSTGRESQL:
        return sql
    sql = re.sub(r"\bsum\(((?:r\.)?n)\)", r"sum(CAST(\1 AS integer))", sql)
    return re.sub(r" INDEXED BY \w+", "", re.sub(r"(?<![\w)'])\+(?=[a-z])", "", sql))


def _rows(conn: Connection, sql: str, params: list, columns: list[str]) -> pd.DataFrame:
    rows = conn.execute(_plain(conn, sql), params).fetchall()
    plain = getattr(conn, "row_factory", None) is None   # PostgreSQL's connection returns plain tuples
    return pd.DataFrame(rows if plain else [tuple(r) for r in rows], columns=columns)


def _columns(conn: Connection, sql: str, params: list, columns: list[str]) -> pd.DataFrame:
    """_rows for many rows (days × lines): the same frame, its rows in no set order (`sql` has no ORDER BY).

    They come back as one row of JSON arrays, a column each, which the drivers parse in C: 20-40k rows of a few
    values each as tuples cost a page 10-30 ms more in the driver and pandas, and their allocations set off Python's
    full garbage collections (35 ms in a benchmark's process, every third visit at 4.8M articles)."""
    names = [f"c{i}" for i in range(len(columns))]
    return _frame_of(conn.execute(f"WITH found({', '.join(names)}) AS ({_plain(conn, sql)}) "
                                  f"{_json_arrays(conn, names, 'found')}", params).fetchone(), columns)


def _json_arrays(conn: Connection, columns: list[str], source: str) -> str:
    """SQL of one row: each of `columns` of `source` (a table, or a subquery with its alias) as a JSON array."""
    aggregate = "json_agg" if dialect(conn) == POSTGRESQL else "json_group_array"
    return f"SELECT {', '.join(f'{aggregate}({c})' for c in columns)} FROM {source}"


def _frame_of(arrays: tuple | list, columns: list[str]) -> pd.DataFrame:
    """A frame of `columns` from their JSON arrays (text on SQLite, parsed already on PostgreSQL; NULL or [] for no
    rows)."""
    values = [json.loads(v) if isinstance(v, str) else v for v in arrays]
    return pd.DataFrame(dict(zip(columns, values, strict=True)) if values[0] else [], columns=columns)


def sources_only(filters: Filters) -> Filters:
    """The same outlets, languages, source countries and dates, without the content filters (the denominator)."""
    return dataclasses.replace(filters, q="", countries=(), topics=(), categories=(), countries_all=False)


def has_content_filter(filters: Filters) -> bool:
    """Whether anything but the sources and dates narrows the articles."""
    return filters != sources_only(filters)


def has_rollups(conn: Connection, table: str = "daily_articles") -> bool:
    """Whether the database keeps the daily rollup tables (schema migration 3), or the rollup `table`."""
    return has_table(conn, table)


def one_tag(filters: Filters) -> Literal["topic", "country", None]:
    """Which kind of tag, if the only content filter is a single topic or country (its countries are rolled up:
    migration 7)."""
    if filters.q or filters.categories or len(filters.topics) + len(filters.countries) != 1:
        return None
    return "topic" if filters.topics else "country"


def content_only(filters: Filters, *fields: str) -> bool:
    """Whether the content filters (those sources_only drops) are among `fields`: the sources and dates aside."""
    return dataclasses.replace(sources_only(filters), **{f: getattr(filters, f) for f in fields}) == filters


def only_categories(filters: Filters) -> bool:
    """Whether categories are the only content filter (an article has one: their rollup rows add up exactly)."""
    return bool(filters.categories) and content_only(filters, "categories")


def two_countries(filters: Filters) -> bool:
    """Whether two countries in the story (any or all of them) are the only content filter: the pair rollup
    (migration 7) counts the articles naming both, so either mode is summed from rollups exactly."""
    return len(filters.countries) == 2 and content_only(filters, "countries", "countries_all")


def rolled_up(filters: Filters) -> bool:
    """Whether article_facts reads the matching articles from a rollup (if the database has them): then the totals
    per day or per outlet are cheap queries of their own; else one scan per query, so both come from outlet_days."""
    return (not has_content_filter(filters) or one_tag(filters) is not None or only_categories(filters)
            or two_countries(filters))


# facts: what every count below is summed from ------------------------------------------------------------------

def _rollup_where(filters: Filters) -> tuple[list[str], list]:
    """Conditions on a rollup row `r` for the source-side filters (dates, outlets, source countries, languages)."""
    clauses, params = [], []
    for field in FIELDS:
        value = getattr(filters, field.name)
        if field.rollup and value:
            if isinstance(value, tuple):
                clauses.append(field.rollup.format(marks=_marks(value)))
                params.extend(value)
            else:  # a day
                clauses.append(field.rollup)
                params.append(value.isoformat())
    return clauses, params


def _rollup(base: str, filters: Filters, extra: str | None = None, extra_params: tuple = ()) -> tuple[str, list]:
    clauses, params = _rollup_where(filters)
    if extra:
        clauses.append(extra)
        params.extend(extra_params)
    return f"{base} WHERE {' AND '.join(clauses) or '1 = 1'}", params


@functools.lru_cache(maxsize=512)
def _sizes(path: str, filters: Filters) -> tuple[int, int]:
    """(articles of the filtered sources and dates, articles tagged with the filtered countries or topics)."""
    with closing(open_db(path)) as conn:
        in_range = int(day_totals(conn, sources_only(filters))["n"].sum())  # count_articles: always rolled up
        tagged = sum(_tagged(path, country) for country in filters.countries)
        if filters.topics:
            tagged += conn.execute(f"SELECT count(*) FROM article_topics WHERE topic_id IN (SELECT id FROM topics "
                                   f"WHERE name IN ({_marks(filters.topics)}))", filters.topics).fetchone()[0]
    return in_range, tagged


def correlate(conn: Connection, filters: Filters, first: int | None = None, matches: int = 0,
              shared: bool = False) -> bool:
    """Whether SQLite should test each article's countries/topics (EXISTS) rather than collect them first (IN).

    EXISTS costs about one probe per article looked at: every article of the dates (with `shared`, every article of
    a shared story there), or, newest first until the `first` rows are found among `matches`, about first × dates'
    articles / matches. IN costs about one step per tagged article. The sizes are counted once per filter set (a
    stale count only costs speed)."""
    if not (filters.countries or filters.topics) or filters.q or dialect(conn) == POSTGRESQL:
        return False  # PostgreSQL plans IN and EXISTS alike (a semi-join) and chooses by its own statistics
    path = location(conn)
    if not path:
        return False
    in_range, tagged = _sizes(path, filters)
    looked_at = in_range if first is None else first * in_range / max(matches, 1)
    return looked_at * (_shared_part(path) if shared else 1.0) < tagged


@functools.lru_cache(maxsize=64)
def _shared_part(path: str) -> float:
    """The part of all articles that are in a shared story (a third of the 2023 corpus), counted once."""
    with closing(open_db(path)) as conn:
        shared = conn.execute("SELECT count(*) FROM shared_stories").fetchone()[0]
        total = int(day_totals(conn, Filters())["n"].sum())
    return shared / total if total else 1.0


def walk_newest(conn: Connection, filters: Filters, first: int, matches: int) -> bool:
    """Whether the `first` newest of `matches` articles of an outlet or source-country filter are found sooner by
    walking every article of the dates newest first than through the outlets' index, which reads all the outlets'
    articles of the dates and sorts them (a topic × Polish sources page at 4.8M articles: 1.5M probes, 400 ms).
    The walk looks at about first × the dates' articles / matches."""
    if not (filters.outlets or filters.source_countries) or not matches or dialect(conn) == POSTGRESQL:
        return False
    if len(filters.outlets) == 1 and not filters.source_countries:
        return False      # one outlet's articles are in articles_outlet_published newest first already
    path = location(conn)
    if not path:
        return False
    in_range, _ = _sizes(path, filters)
    dated = _sizes(path, Filters(date_from=filters.date_from, date_to=filters.date_to))[0]
    return first * dated / matches < in_range


def _facts_from(conn: Connection, filters: Filters) -> str:
    """FROM for a query that reads only what articles_facts holds of the matching articles (migration 33): SQLite
    looks a text search's matches up in it, not in their wide rows. Other filters read the rows through their own
    indexes, and PostgreSQL's planner picks its twin itself."""
    if filters.q and dialect(conn) != POSTGRESQL and has_table(conn, "articles_facts"):
        return FROM.replace("articles a", "articles a INDEXED BY articles_facts", 1)
    return FROM


def article_facts(conn: Connection, filters: Filters) -> tuple[str, list]:
    """SQL of (day, outlet_id, language, n) rows summing to the matching articles, from a rollup when possible."""
    if has_rollups(conn) and rolled_up(filters):
        tag = one_tag(filters)
        if tag == "country":
            return _rollup(_ROLLUP["country"], filters, "r.country = ?", filters.countries)
        if tag == "topic":
            return _rollup(_ROLLUP["topic"], filters, "t.name = ?", filters.topics)
        if two_countries(filters):
            return _two_countries(filters)
        if not only_categories(filters):
            return _rollup(_ROLLUP["article"], filters)
        if has_rollups(conn, "daily_categories"):
            return _rollup(_ROLLUP["category"], filters, f"r.category IN ({_marks(filters.categories)})",
                           filters.categories)
    where, params = where_in(conn, filters, correlate(conn, filters))
    return f"SELECT {_RAW_COLUMNS}, 1 AS n {_facts_from(conn, filters)} WHERE {where}", params


def _two_countries(filters: Filters) -> tuple[str, list]:
    """Facts of the articles naming both countries (all of them) or either (any: each country's articles, less those
    naming both, counted once in each country's rows)."""
    both, params = _rollup("SELECT r.day, r.outlet_id, r.language, r.n FROM daily_country_pairs r", filters,
                           "r.country = ? AND r.mentioned = ?", filters.countries)
    if filters.countries_all:
        return both, params
    either, either_params = _rollup("SELECT r.day, r.outlet_id, r.language, r.n FROM daily_countries r", filters,
                                    f"r.country IN ({_marks(filters.countries)})", filters.countries)
    less = both.replace("r.n FROM", "-r.n FROM", 1)
    return f"{either} UNION ALL {less}", either_params + params


def _either_country_labels(conn: Connection, filters: Filters) -> tuple[str, list]:
    """label_facts of either of two countries: the countries named beside each (the pair rollup), less those of
    the articles naming both, which the two counted twice (read from the articles: the rarer country's, each
    probed for the other)."""
    each, params = _rollup(_ROLLUP["country country"], filters, f"r.country IN ({_marks(filters.countries)})",
                           filters.countries)
    rare, common = _rarer_first(conn, filters.countries)
    where, source_params = where_in(conn, sources_only(filters))
    label, join = _RAW_LABEL["country"]
    then = "JOIN" if dialect(conn) == POSTGRESQL else "CROSS JOIN"   # SQLite: in this order
    # the rollup's conventions: no outlet is 0, no language ''
    twice = (f"SELECT {DAY}, coalesce(a.outlet_id, 0), coalesce(a.language, ''), {label}, -1 "
             f"FROM article_countries b1 {then} article_countries b2 ON b2.article_id = b1.article_id "
             f"AND b2.country = ? {then} articles a ON a.id = b1.article_id LEFT JOIN outlets o ON o.id = a.outlet_id"
             f"{join} WHERE b1.country = ? AND {where}")
    return f"{each} UNION ALL {twice}", [*params, common, rare, *source_params]


def _rarer_first(conn: Connection, countries: tuple[str, ...]) -> list[str]:
    """`countries` with the fewest tagged articles first (PostgreSQL's planner orders its joins itself)."""
    path = None if dialect(conn) == POSTGRESQL else location(conn)
    return sorted(countries, key=lambda country: _tagged(path, country)) if path else list(countries)


@functools.lru_cache(maxsize=512)
def _tagged(path: str, country: str) -> int:
    """How many articles name `country` (counted once per file and country: a stale count only costs speed)."""
    with closing(open_db(path)) as conn:
        return conn.execute("SELECT count(*) FROM article_countries WHERE country = ?", (country,)).fetchone()[0]


def label_facts(conn: Connection, filters: Filters, kind: str) -> tuple[str, list]:
    """SQL of (day, outlet_id, language, label, n) rows: matching articles per country in the story or topic."""
    if has_rollups(conn) and not has_content_filter(filters):
        return _rollup(_ROLLUP[kind], filters)
    tag = one_tag(filters)
    if kind == "country" and only_categories(filters) and has_rollups(conn, "daily_category_countries"):
        return _rollup(_ROLLUP["category country"], filters, f"r.category IN ({_marks(filters.categories)})",
                       filters.categories)
    pairs = kind == "country" and has_rollups(conn, "daily_country_pairs")
    if pairs and two_countries(filters) and not filters.countries_all:
        return _either_country_labels(conn, filters)
    if pairs and tag:
        if tag == "topic":
            return _rollup(_ROLLUP["topic country"], filters, "r.topic_id = (SELECT id FROM topics WHERE name = ?)",
                           filters.topics)
        return _rollup(_ROLLUP["country country"], filters, "r.country = ?", filters.countries)
    where, params = where_in(conn, filters, correlate(conn, filters))
    label, join = _RAW_LABEL[kind]
    return f"SELECT {_RAW_COLUMNS}, {label} AS label, 1 AS n {_facts_from(conn, filters)}{join} WHERE {where}", params


# the aggregates everything else is computed from: one SQL query each ---------------------------------------

def outlet_days(conn: Connection, filters: Filters) -> pd.DataFrame:
    """Matching articles per day and outlet: columns day (ISO text), outlet_id (0: none), n."""
    facts, params = article_facts(conn, filters)
    # grouped by the columns themselves (no outlet is 0): a rollup is summed along its key or index, without a sort
    return _columns(conn, f"SELECT day, coalesce(outlet_id, 0), sum(n) FROM ({facts}) AS f GROUP BY day, outlet_id "
                          "HAVING sum(n) > 0", params, ["day", "outlet_id", "n"])


def label_days(conn: Connection, filters: Filters, kind: str = "country",
               labels: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Matching articles per day and country in the story (or topic): columns day, label, n.

    An article counts once in each of its countries or topics; `labels` keeps only those."""
    facts, params = label_facts(conn, filters, kind)
    sql = f"SELECT day, label, sum(n) FROM ({facts}) AS f"
    if labels is not None:
        sql += f" WHERE label IN ({_marks(labels)})"
        params = [*params, *labels]
    return _rows(conn, sql + " GROUP BY 1, 2 HAVING sum(n) > 0 ORDER BY 1, 2", params, ["day", "label", "n"])


def outlet_labels(conn: Connection, filters: Filters, kind: str = "country") -> pd.DataFrame:
    """Matching articles per outlet and country in the story (or topic): columns outlet_id, label, n."""
    facts, params = label_facts(conn, filters, kind)
    # all days: grouped by the columns themselves (no outlet is 0), the rollup is summed along its country index
    # without a sort; a range of days is read along its key instead (+label: not grouped along the index). The
    # articles themselves are read along the filter's own index (+outlet_id), not along the outlet index whole.
    label = "+label" if filters.date_from or filters.date_to else "label"
    return _rows(conn, f"SELECT coalesce(outlet_id, 0), label, sum(n) FROM ({facts}) AS f "
                       f"GROUP BY {_by_outlet(facts)}, {label} HAVING sum(n) > 0", params, ["outlet_id", "label", "n"])


def _by_outlet(facts: str) -> str:
    """GROUP BY term for the outlet of `facts`: a rollup's (_ROLLUP) rows are grouped by the column itself (along its
    index where it has one); articles by +outlet_id, so that SQLite reads them along the filter's own index, not
    along the outlet index whole (every article) to save a sort."""
    return "outlet_id" if facts.startswith("SELECT r.") else "+outlet_id"


def label_count(conn: Connection, filters: Filters, kind: str = "country") -> int:
    """How many different countries in the story (or topics) the matching articles have."""
    if kind == "country" and has_rollups(conn) and not has_content_filter(filters):
        # one probe per country (migration 5's country-first indexes) instead of reading every rollup row: walk the
        # distinct countries, and ask for each whether a row of the filtered dates (and sources) names it
        clauses, params = _rollup_where(filters)
        table = ("daily_countries" if filters.outlets or filters.source_countries or filters.langs else
                 "daily_country_totals")
        exists = " AND ".join(["r.country = c.x", "r.n > 0", *clauses])
        sql = (_walk_countries(table) +
               f"SELECT count(*) FROM c WHERE c.x IS NOT NULL AND EXISTS (SELECT 1 FROM {table} r WHERE {exists})")
        return conn.execute(_plain(conn, sql), params).fetchone()[0]
    pairs = _tag_pairs(conn, filters) if kind == "country" else None
    if pairs:
        return conn.execute(_plain(conn, pairs[0]), pairs[1]).fetchone()[0]
    facts, params = label_facts(conn, filters, kind)
    if (kind == "country" and not facts.startswith("SELECT r.") and filters.countries
            and dataclasses.replace(filters, countries=()) == Filters()):
        # only countries filter: the countries named beside them, from the tags alone (no article row is read)
        pairs = ("SELECT DISTINCT ac.country FROM article_countries f JOIN article_countries ac "
                 f"ON ac.article_id = f.article_id WHERE f.country IN ({_marks(filters.countries)})")
        return conn.execute(_count_of(pairs), filters.countries).fetchone()[0]
    return conn.execute(_plain(conn, _count_of(f"SELECT DISTINCT label FROM ({facts}) AS f WHERE n > 0")),
                        params).fetchone()[0]


@dataclasses.dataclass(frozen=True)
class SearchCounts:
    """A text search's matches counted three ways, as outlet_days, label_days and outlet_labels (countries) give them:
    `days` (day, outlet_id, n), `country_days` (day, label, n), `outlet_countries` (outlet_id, label, n)."""
    days: pd.DataFrame
    country_days: pd.DataFrame
    outlet_countries: pd.DataFrame


def search_counts(conn: Connection, filters: Filters) -> SearchCounts:
    """outlet_days, label_days and outlet_labels (countries) of a text search's filters from one read of its matches.

    Each of those reads the matches again: at 4.8M articles "inflation" in English is 42,000 matches, whose rows
    PostgreSQL visits in 100–110 ms and SQLite looks up in 80, and every page over a text search wants the matches
    per day and outlet and their countries one way or another. The matches are read once (a materialized CTE), then
    counted per day and outlet, their countries per day and per outlet."""
    where, params = where_in(conn, filters, correlate(conn, filters))
    # PostgreSQL keeps each article's countries in its row (migration 35), which the read of the matches visits
    # anyway; SQLite looks them up in article_countries (a third of PostgreSQL's time for the same probes)
    if dialect(conn) == POSTGRESQL:
        kept, countries = "a.countries", "SELECT a.day, a.outlet_id, unnest(a.countries) AS label FROM m a"
    else:
        label, join = _RAW_LABEL["country"]
        kept, countries = "a.id", f"SELECT a.day, a.outlet_id, {label} AS label FROM m a{join}"
    # each grouping comes back as one row of JSON arrays (_columns), the three side by side
    def arrays(columns: str, source: str) -> str:
        return _json_arrays(conn, [*columns.split(", "), "n"],
                            f"(SELECT {columns}, count(*) AS n FROM {source} GROUP BY {columns}) AS g")
    sql = (f"WITH m AS MATERIALIZED (SELECT {kept}, {DAY} AS day, coalesce(a.outlet_id, 0) AS outlet_id "
           f"{_facts_from(conn, filters)} WHERE {where}), c AS MATERIALIZED ({countries}) "
           f"SELECT * FROM ({arrays('day, outlet_id', 'm')}) AS d, ({arrays('day, label', 'c')}) AS l, "
           f"({arrays('outlet_id, label', 'c')}) AS o")
    values = conn.execute(_plain(conn, sql), params).fetchone()

    def counted(first: int, columns: list[str]) -> pd.DataFrame:
        return _frame_of(values[first:first + 3], columns).astype({"n": "int64"})
    # in the order of the aggregates they stand for: outlet_days and outlet_labels none, label_days by day and label
    return SearchCounts(counted(0, ["day", "outlet_id", "n"]),
                        counted(3, ["day", "label", "n"]).sort_values(["day", "label"], ignore_index=True),
                        counted(6, ["outlet_id", "label", "n"]))


def _tag_pairs(conn: Connection, filters: Filters) -> tuple[str, list] | None:
    """SQL counting the countries in the story of articles naming any of the filter's countries (or having any of its
    topics), when that and the sources and dates are the only filters: the distinct countries of the pair rollups
    (migration 7) of those countries (topics) in the filtered days and sources are exactly theirs, however many."""
    # (countries_all is a content filter too: "all of them" is not what the pairs answer)
    if not content_only(filters, "countries", "topics") or bool(filters.countries) == bool(filters.topics):
        return None
    if not has_rollups(conn, "daily_country_pairs"):
        return None
    if filters.countries:
        sql, params = _rollup("SELECT DISTINCT r.mentioned FROM daily_country_pairs r", filters,
                              f"r.country IN ({_marks(filters.countries)}) AND r.n > 0", filters.countries)
    else:
        sql, params = _rollup("SELECT DISTINCT r.country FROM daily_topic_countries r", filters,
                              f"r.topic_id IN (SELECT id FROM topics WHERE name IN ({_marks(filters.topics)})) "
                              "AND r.n > 0", filters.topics)
    return _count_of(sql), params


def _count_of(rows: str) -> str:
    """How many rows `rows` (a SELECT DISTINCT) gives. Not count(DISTINCT …): PostgreSQL sorts for that, and it spilled
    a country's 261k pair rows at 4.8M articles to disk (97 ms); a DISTINCT may hash them (60 ms). SQLite: the same."""
    return f"SELECT count(*) FROM ({rows}) AS d"


def day_totals(conn: Connection, filters: Filters) -> pd.DataFrame:
    """Matching articles per day: columns day (ISO text), n."""
    facts, params = article_facts(conn, filters)
    return _columns(conn, f"SELECT day, sum(n) FROM ({facts}) AS f GROUP BY 1 HAVING sum(n) > 0", params,
                    ["day", "n"])


def outlet_totals(conn: Connection, filters: Filters) -> pd.DataFrame:
    """Matching articles per outlet: columns outlet_id (0: none), n."""
    facts, params = article_facts(conn, filters)
    return _rows(conn, f"SELECT coalesce(outlet_id, 0), sum(n) FROM ({facts}) AS f GROUP BY {_by_outlet(facts)} "
                       "HAVING sum(n) > 0", params, ["outlet_id", "n"])


def chosen_outlet_days(conn: Connection, filters: Filters, ids: tuple[int, ...] = ()) -> pd.DataFrame:
    """Matching articles per day of each outlet in `ids` (0: none): columns day, outlet_id, n. A chart of the top N
    outlets (or source countries) without fetching every outlet's every day (at 4.8M articles 107k rows for 9 lines);
    its "other" line is the day totals less these (other_days). Grouped as the rollup's key runs (day, outlet): no
    sort, where grouping all outlets into the chosen and the rest sorted every row (56 → 25 ms at 4.8M)."""
    if not ids:
        return pd.DataFrame({"day": pd.Series(dtype=str), "outlet_id": pd.Series(dtype="int64"),
                             "n": pd.Series(dtype="int64")})
    facts, params = article_facts(conn, filters)
    return _columns(conn, f"SELECT day, coalesce(outlet_id, 0), sum(n) FROM ({facts}) AS f "
                          f"WHERE coalesce(outlet_id, 0) IN ({_marks(ids)}) GROUP BY day, outlet_id HAVING sum(n) > 0",
                    [*params, *ids], ["day", "outlet_id", "n"])


def other_days(per_day: pd.DataFrame, kept: pd.DataFrame) -> pd.DataFrame:
    """The "other" line (day, label, n): each day's total (`per_day`: day, n) less the `kept` lines' (day, n) of it."""
    other = per_day.set_index("day")["n"].sub(kept.groupby("day")["n"].sum(), fill_value=0)
    other = other[other > 0].astype("int64").rename_axis("day").reset_index().assign(label=OTHER)
    return other[["day", "label", "n"]]


def top_label_days(conn: Connection, filters: Filters, kind: str = "country", top_n: int = 8) -> pd.DataFrame:
    """top_and_other(label_days(...), top_n) without fetching every label's days (for filters without content).

    Without a source filter (outlets, source countries, languages) it reads the country rollup summed over outlets
    and languages (migration 5): the totals per country (along its country-first index, or the days' range), the
    top N countries' days through that index, and "other" as all the country mentions of a day minus theirs.
    With outlets or source countries, from daily_countries a (country, outlet) pair at a time (_by_country_of_sources);
    with languages alone, the day × country rows in one pass."""
    sourced = bool(filters.outlets or filters.source_countries)
    if (kind != "country" or not has_rollups(conn) or has_content_filter(filters)
            or (filters.langs and not sourced)):
        return top_and_other(label_days(conn, filters, kind), top_n)
    if sourced:
        return _by_country_of_sources(conn, filters, top_n)
    clauses, params = _rollup_where(filters)
    where = " AND ".join(clauses) or "1 = 1"
    # a range of days is read along the primary key (day first: +country keeps SQLite off the country index, which
    # it would walk whole to group without sorting); all days stream along the country index
    country, scan = (("+country", "") if filters.date_from or filters.date_to else
                     ("country", "INDEXED BY daily_country_totals_country"))
    totals = _rows(conn, f"SELECT {country}, sum(n) FROM daily_country_totals r {scan} WHERE {where} GROUP BY 1 "
                         "HAVING sum(n) > 0", params, ["label", "n"])
    top = top_labels(totals, top_n)
    if not top:
        return _no_label_days()
    kept = _rows(conn, "SELECT day, country, n FROM daily_country_totals r INDEXED BY daily_country_totals_country "
                       f"WHERE country IN ({_marks(top)}) AND {where} AND n > 0", [*top, *params],
                 ["day", "label", "n"]).sort_values(["day", "label"], ignore_index=True)
    if len(totals) <= len(top):
        return kept
    mentions = _rows(conn, f"SELECT day, sum(n) FROM daily_country_totals r WHERE {where} GROUP BY 1",
                     params, ["day", "n"])
    return pd.concat([kept, other_days(mentions, kept)], ignore_index=True)


def _by_country_of_sources(conn: Connection, filters: Filters, top_n: int) -> pd.DataFrame:
    """top_label_days for a filter on outlets or source countries: daily_countries read along its country-first index
    (migration 5) for each country in the data and each filtered outlet, which skips the other outlets' rows: the
    totals per country, the top N countries' days, and "other" as the days of the other countries. (At 4.8M articles
    a source country's rows are a fifth of the table's 1.4M: one pass read them all and fetched ten years of days by
    country, 490-520 ms; these three take 210-320 ms.)"""
    clauses, params = _rollup_where(filters)
    where = " AND ".join(clauses)
    codes = _rollup_countries(conn)
    mentions = None
    if dialect(conn) == POSTGRESQL:
        # the totals per country and the mentions per day in one pass over the rows (a fifth of the table at 4.8M:
        # 98 + 76 ms as two passes); SQLite has no GROUPING SETS
        both = _rows(conn, f"SELECT country, day, sum(n) FROM daily_countries r WHERE country IN ({_marks(codes)}) "
                           f"AND {where} GROUP BY GROUPING SETS ((country), (day)) HAVING sum(n) > 0",
                     [*codes, *params], ["label", "day", "n"])
        totals = both.loc[both["day"].isna(), ["label", "n"]].reset_index(drop=True)
        mentions = both.loc[both["label"].isna(), ["day", "n"]].sort_values("day", ignore_index=True)
    else:
        totals = _rows(conn, f"SELECT country, sum(n) FROM daily_countries r WHERE country IN ({_marks(codes)}) "
                             f"AND {where} GROUP BY 1 HAVING sum(n) > 0", [*codes, *params], ["label", "n"])
    top = top_labels(totals, top_n)
    if not top:
        return _no_label_days()

    def days(countries: list[str], by: str, columns: list[str]) -> pd.DataFrame:
        # along the index: SQLite would rather read the whole table in key order, to group by day without a sort
        return _rows(conn, f"SELECT {by}, sum(n) FROM daily_countries r INDEXED BY daily_countries_country "
                           f"WHERE country IN ({_marks(countries)}) AND {where} GROUP BY {by} HAVING sum(n) > 0 "
                           f"ORDER BY {by}", [*countries, *params], columns)

    kept = days(list(top), "day, country", ["day", "label", "n"])
    if len(totals) <= len(top):
        return kept
    if mentions is not None:
        return pd.concat([kept, other_days(mentions, kept)], ignore_index=True)
    other = days([c for c in codes if c not in top], "day", ["day", "n"]).assign(label=OTHER)
    return pd.concat([kept, other[["day", "label", "n"]]], ignore_index=True)


def _no_label_days() -> pd.DataFrame:
    return pd.DataFrame({"day": pd.Series(dtype=str), "label": pd.Series(dtype=str), "n": pd.Series(dtype="int64")})


def _walk_countries(table: str) -> str:
    """A WITH clause of `c(x)`: the distinct countries of a country rollup, one probe each along its country-first
    index (migration 5) instead of reading every row; its last row is NULL."""
    return (f"WITH RECURSIVE c(x) AS (SELECT (SELECT min(country) FROM {table}) UNION ALL "
            f"SELECT (SELECT min(country) FROM {table} WHERE country > c.x) FROM c WHERE c.x IS NOT NULL) ")


def _rollup_countries(conn: Connection) -> list[str]:
    """The countries the country rollup has rows for."""
    return [row[0] for row in conn.execute(_walk_countries("daily_country_totals") +
                                           "SELECT x FROM c WHERE x IS NOT NULL")]


def outlets(conn: Connection) -> pd.DataFrame:
    """Every outlet: columns outlet_id, name, source (its country, or 'unknown')."""
    return _rows(conn, f"SELECT id, name, coalesce(country, '{UNKNOWN}') FROM outlets", [],
                 ["outlet_id", "name", "source"])


def top_labels(counts: pd.DataFrame, top_n: int) -> tuple[str, ...]:
    """The `top_n` labels with the most articles (ties broken by name)."""
    totals = counts.groupby("label")["n"].sum().reset_index().sort_values(["n", "label"], ascending=[False, True])
    return tuple(totals["label"].head(top_n))


def top_and_other(counts: pd.DataFrame, top_n: int) -> pd.DataFrame:
    """Daily (day, label, n) counts of the top N labels, in day and label order, then the rest per day as "other"."""
    top = top_labels(counts, top_n)
    kept = counts[counts["label"].isin(top)]
    rest = counts[~counts["label"].isin(top)]
    if rest.empty:
        return kept.reset_index(drop=True)
    other = rest.groupby("day", as_index=False)["n"].sum().assign(label=OTHER)
    return pd.concat([kept, other[["day", "label", "n"]]], ignore_index=True)


# feeds, topics, articles -----------------------------------------------------------------------------------

def outage_days(conn: Connection, filters: Filters) -> pd.DataFrame:
    """Days on which feeds of the filtered sources failed every fetch: columns day, failing, polled (feeds)."""
    clauses, params = ["1 = 1"], []
    for column, values in (("o.name", filters.outlets), ("o.country", filters.source_countries),
                           ("coalesce(f.language, o.language)", filters.langs)):
        if values:
            clauses.append(f"{column} IN ({_marks(values)})")
            params.extend(values)
    start = filters.date_from.isoformat() if filters.date_from else "0000"
    end = day_after(filters.date_to) if filters.date_to else "9999"
    sql = ("SELECT day, sum(failed) AS failing, count(*) AS polled FROM ("
           " SELECT fl.feed_id, substr(fl.started_at, 1, 10) AS day,"
           " CASE WHEN sum(CASE WHEN fl.outcome = 'error' THEN 0 ELSE 1 END) = 0 THEN 1 ELSE 0 END AS failed"
           " FROM fetch_log fl WHERE fl.feed_id IN (SELECT f.id FROM feeds f LEFT JOIN outlets o ON o.id = f.outlet_id"
           f" WHERE {' AND '.join(clauses)}) AND fl.started_at >= ? AND fl.started_at < ?"
           " GROUP BY fl.feed_id, day) AS d GROUP BY day HAVING sum(failed) > 0 ORDER BY day")
    return _rows(conn, sql, [*params, start, end], ["day", "failing", "polled"])


def collection(conn: Connection, outlets: tuple[str, ...] = (), source_countries: tuple[str, ...] = (),
               langs: tuple[str, ...] = ()) -> Completeness:
    """The active ranges and incomplete days of these outlets (all: empty), over all time (db.completeness)."""
    return completeness(conn, Scope(outlets, source_countries, langs))


def article_rows(conn: Connection, filters: Filters, page: int, per_page: int, matches: int) -> pd.DataFrame:
    """One page of the matching articles, newest first, with their countries and topics, as stored (`matches`: how
    many match, counted by the caller when a country, topic, outlet or source-country filter makes it matter)."""
    correlated = False
    if filters.countries or filters.topics:  # newest first stops after the page: maybe few articles to look at
        correlated = correlate(conn, filters, first=max(page, 1) * per_page, matches=matches)
    where, params = where_in(conn, filters, correlated)
    source = FROM_NEWEST if walk_newest(conn, filters, max(page, 1) * per_page, matches) else FROM
    # the page's ids first: the countries and topics of only those 50 rows, not of every match before sorting
    sql = (f"WITH page AS (SELECT a.id {source} WHERE {where} ORDER BY a.published DESC, a.id DESC LIMIT ? OFFSET ?) "
           "SELECT a.published, o.name, o.country, a.title, a.link, "
           "(SELECT group_concat(country, ' ') FROM article_countries WHERE article_id = a.id), "
           "(SELECT group_concat(t.name, '; ') FROM article_topics at JOIN topics t ON t.id = at.topic_id "
           " WHERE at.article_id = a.id), a.category, a.description, a.date_flag "
           f"FROM page JOIN articles a ON a.id = page.id LEFT JOIN outlets o ON o.id = a.outlet_id "
           "ORDER BY a.published DESC, a.id DESC")
    return _rows(conn, sql, [*params, per_page, (max(page, 1) - 1) * per_page], ARTICLE_COLUMNS)


def topics_table(conn: Connection) -> pd.DataFrame:
    """Every topic with its query, description and number of matching articles."""
    sql = ("SELECT t.name, t.query, t.description, (SELECT count(*) FROM article_topics at WHERE at.topic_id = t.id), "
           "t.updated_at FROM topics t ORDER BY t.name")
    return _rows(conn, sql, [], ["name", "query", "description", "articles", "updated_at"])


@dataclasses.dataclass(frozen=True)
class Preview:
    count: int
    headlines: list[tuple[str, str, str | None]]  # (published, outlet, title)


def query_preview(conn: Connection, query: str, limit: int = 5) -> Preview:
    """How many stored articles a topic query matches and the newest few; QuerySyntaxError if it is invalid."""
    if dialect(conn) == POSTGRESQL:
        return _preview_postgres(conn, query, limit)
    fts = compile_query(query)
    count = conn.execute("SELECT count(*) FROM articles_fts WHERE articles_fts MATCH ?", (fts,)).fetchone()[0]
    rows = conn.execute(f"SELECT a.published, o.name, a.title {FROM} WHERE a.id IN "
                        "(SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?) "
                        "ORDER BY a.published DESC, a.id DESC LIMIT ?", (fts, limit)).fetchall()
    return Preview(count, [tuple(r) for r in rows])


def _preview_postgres(conn: Connection, query: str, limit: int) -> Preview:
    """query_preview on PostgreSQL: the articles' `search` tsvector instead of the FTS5 table."""
    where, params = Filters(q=query).where(dialect=POSTGRESQL)
    count = conn.execute(f"SELECT count(*) FROM articles a WHERE {where}", params).fetchone()[0]
    rows = conn.execute(f"SELECT a.published, o.name, a.title {FROM} WHERE {where} "
                        "ORDER BY a.published DESC, a.id DESC LIMIT ?", [*params, limit]).fetchall()
    return Preview(count, [tuple(r) for r in rows])


def last_day(conn: Connection) -> dt.date | None:
    """The day of the newest article (the end of the sparkline window)."""
    newest = conn.execute("SELECT max(published) FROM articles").fetchone()[0]
    return dt.date.fromisoformat(newest[:10]) if newest else None


def feed_rows(conn: Connection) -> pd.DataFrame:
    """Every feed with its outlet, status and errors (FEED_COLUMNS), by outlet and URL."""
    return _rows(conn, "SELECT f.id, o.name, o.country, coalesce(f.language, o.language), f.url, f.status, "
                       "f.last_success_at, f.last_error_kind, f.last_error, f.last_error_at "
                       "FROM feeds f LEFT JOIN outlets o ON o.id = f.outlet_id ORDER BY o.name, f.url", [],
                 FEED_COLUMNS)


def feed_day_counts(conn: Connection, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Articles per feed and publication day from `start` to `end` inclusive: columns feed_id, day, n."""
    if has_rollups(conn, "daily_feeds"):   # migration 25
        return _rows(conn, "SELECT feed_id, day, sum(n) FROM daily_feeds WHERE day >= ? AND day <= ? "
                           "GROUP BY day, feed_id HAVING sum(n) > 0", [start.isoformat(), end.isoformat()],
                     ["feed_id", "day", "n"])
    return _rows(conn, f"SELECT af.feed_id, {DAY} AS day, count(*) FROM articles a "
                       "JOIN article_feeds af ON af.article_id = a.id WHERE a.published >= ? AND a.published < ? "
                       "GROUP BY af.feed_id, day", [start.isoformat(), (end + dt.timedelta(days=1)).isoformat()],
                 ["feed_id", "day", "n"])


@dataclasses.dataclass(frozen=True)
class Choices:
    topics: list[str]
    outlets: list[str]
    source_countries: list[str]
    languages: list[str]


def filter_choices(conn: Connection) -> Choices:
    """Values the sidebar offers that come from the database."""
    column = lambda sql: [r[0] for r in conn.execute(sql).fetchall()]  # noqa: E731
    return Choices(column("SELECT name FROM topics ORDER BY name"),
                   column("SELECT name FROM outlets ORDER BY name"),
                   column("SELECT DISTINCT country FROM outlets WHERE country IS NOT NULL ORDER BY country"),
                   column("SELECT language FROM outlets WHERE language IS NOT NULL UNION "
                          "SELECT language FROM feeds WHERE language IS NOT NULL ORDER BY 1"))


# each story once (issue 15) ------------------------------------------------------------------------------------

# an article of a story of two or more articles: a later one (its story is another article's id) or a story's first
# (another article names it as its story). An article without a row in article_stories is a story of its own.
_SHARED = ("JOIN article_stories s ON s.article_id = a.id AND (s.story_id != a.id OR EXISTS "
           "(SELECT 1 FROM article_stories x WHERE x.story_id = a.id AND x.article_id != a.id))")


def story_rows(conn: Connection, filters: Filters, page: int, per_page: int, matches: int = 0) -> list[StoryRow]:
    """One page of the matching stories, the most recently reported first (by their newest matching article), each
    with its first matching article's title and link, its matching articles and their outlets (`matches`: how many
    articles match, if the caller counted them).

    The articles are walked newest first until the page's stories are found (as article_rows pages them), so a page
    reads about as many articles as it shows, not every match."""
    wanted = max(page, 1) * per_page
    # as article_rows: with the count, testing each article's countries or topics may beat collecting them first
    first = {"first": wanted, "matches": matches} if matches else {}
    where, params = where_in(conn, filters, correlate(conn, filters, **first))
    order: dict[int, None] = {}
    offset, chunk = 0, 2 * wanted + 2 * per_page   # mostly one query: a page of stories is fewer articles than this
    while len(order) < wanted:
        rows = conn.execute(f"SELECT {STORY} {FROM} {JOIN_STORY} WHERE {where} ORDER BY a.published DESC, a.id DESC "
                            "LIMIT ? OFFSET ?", [*params, chunk, offset]).fetchall()
        order.update((r[0], None) for r in rows)
        if len(rows) < chunk:
            break
        offset, chunk = offset + chunk, chunk * 2
    shown = list(order)[wanted - per_page:wanted]
    if not shown:
        return []
    ids = ", ".join(str(int(i)) for i in shown)   # ids read from the database: integers
    members = conn.execute(
        f"SELECT {STORY}, a.published, a.id, o.name, a.title, a.link {FROM} {JOIN_STORY} "
        f"WHERE {of_stories(ids)} AND {where} ORDER BY a.published, a.id", params).fetchall()
    by_story: dict[int, list] = {}
    for row in members:
        by_story.setdefault(row[0], []).append(row)
    return [_story_row(story, by_story[story]) for story in shown if story in by_story]


def _story_row(story: int, members: list) -> StoryRow:
    first = members[0]
    outlets = list(dict.fromkeys(m[3] for m in members if m[3] is not None))
    return StoryRow(story, first[1], first[3], first[4], first[5], len(members), outlets,
                    [(m[4], m[5]) for m in members if m[4]])


def _bucket_sql(day: str, bucket: str, engine: str) -> str:
    """The first day (ISO text) of the day, week (Monday) or month of the ISO day `day`."""
    if bucket == "month":
        return f"substr({day}, 1, 7) || '-01'"
    if bucket == "week":
        return week_start(day, engine)
    return day


def story_excess(conn: Connection, filters: Filters, keys: tuple[str, ...] = (), bucket: str | None = None,
                 kind: str | None = None, labels: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Per bucket (day, week, month; None: the whole period) and `keys` (of outlet_id, source, label): how many
    matching articles are not the first of their story there. An article count minus this counts each story once.
    Columns: [bucket,] *keys, excess (only where it is above 0). `labels`: with `kind` and label in `keys`, only the
    cells of those labels (a chart's chosen lines).

    Only the articles of shared stories are read: without a content filter from migration 17's shared_stories, else
    the matching articles joined to their story."""
    columns = (["bucket"] if bucket else []) + list(keys) + ["excess"]
    chosen = labels is not None and kind is not None and "label" in keys
    # no stories yet, or no line chosen (no cell, and no `IN ()`, which PostgreSQL refuses)
    if not has_table(conn, "article_stories") or (chosen and not labels):
        return pd.DataFrame({c: pd.Series(dtype="int64" if c in ("outlet_id", "excess") else str) for c in columns})
    engine = dialect(conn)
    repeats = _repeats(conn, filters, keys, bucket, kind)
    if repeats is not None:
        frame = _rows(conn, *repeats, columns)
        keep = (frame["excess"] > 0) & (frame["label"].isin(labels) if chosen else True)
        return frame[keep].reset_index(drop=True)
    label, join = _RAW_LABEL[kind] if kind else ("''", "")
    if engine == POSTGRESQL:   # the unary plus that steers SQLite's planner is not defined on text there
        label = label.lstrip("+")
    if not has_content_filter(filters) and has_table(conn, "shared_stories"):
        clauses, params = _rollup_where(filters)
        day, outlet, story, buckets = "r.day", "r.outlet_id", "r.story_id", "r.{bucket}"
        source = (f"shared_stories r LEFT JOIN outlets o ON o.id = r.outlet_id{join.replace('a.id', 'r.article_id')} "
                  f"WHERE {' AND '.join(clauses) or '1 = 1'}")
    elif has_table(conn, "shared_stories"):   # the matching articles among the shared stories' (a third of all)
        shared, where, params, r = _shared_source(conn, filters)
        day, outlet, story, buckets = f"{r}.day", f"{r}.outlet_id", f"{r}.story_id", f"{r}.{{bucket}}"
        source = f"{shared} LEFT JOIN outlets o ON o.id = {r}.outlet_id{join} WHERE {where}"
    else:
        where, params = where_in(conn, filters)
        day, outlet, story, buckets = DAY, "a.outlet_id", "s.story_id", ""
        source = f"articles a LEFT JOIN outlets o ON o.id = a.outlet_id {_SHARED}{join} WHERE {where}"
    if chosen:
        source, params = f"{source} AND {label} IN ({_marks(labels)})", [*params, *labels]
    exprs = {"outlet_id": f"coalesce({outlet}, 0)", "source": f"coalesce(o.country, '{UNKNOWN}')", "label": label}
    # the rollup keeps each row's week and month (a date function per row costs more than the count itself)
    at = (buckets.format(bucket=bucket) if buckets else _bucket_sql(day, bucket, engine)) if bucket else None
    terms = ([at] if at else []) + [exprs[k] for k in keys]
    # rows minus stories per group: count(DISTINCT) per group is cheaper than grouping by story first
    sql = (f"SELECT {''.join(t + ', ' for t in terms)}count(*) - count(DISTINCT {story}) FROM {source}"
           f"{' GROUP BY ' + ', '.join(str(i + 1) for i in range(len(terms))) if terms else ''}")
    frame = _rows(conn, sql, params, columns)
    return frame[frame["excess"] > 0].reset_index(drop=True)


# the cells story_repeat_days counts (migration 18) by the keys they group by, and the filters that keep or drop a
# cell whole there (any other filter may drop a story's first article of a cell and keep its second)
_REPEAT_KINDS = {((), None): "all", (("outlet_id",), None): "outlet", (("source",), None): "source",
                 (("label",), "country"): "country", (("source", "label"), "country"): "source country"}
_WHOLE_CELLS = {"all": (), "country": (), "outlet": ("outlets", "source_countries"),
                "source": ("source_countries",), "source country": ("source_countries",)}
_REPEAT_KEYS = {"outlet_id": "r.outlet_id", "source": "r.source", "label": "r.label"}
# one outlet or one source country keeps a cell of all sources whole within it: the finer cell answers for it
_NARROWER = {"all": {"outlet": "outlet", "source": "source"}, "country": {"source": "source country"}}


def _one_source(filters: Filters) -> str | None:
    """"outlet" or "source" when the filters name one outlet, or one source country (and no outlet), else None."""
    if len(filters.outlets) == 1:
        return "outlet"
    return "source" if len(filters.source_countries) == 1 and not filters.outlets else None


def _repeats(conn: Connection, filters: Filters, keys: tuple[str, ...], bucket: str | None, kind: str | None
             ) -> tuple[str, list] | None:
    """story_excess's query on story_repeat_days, or None where that rollup cannot answer it (a content filter, a
    filter that splits its cells, keys it does not keep, or no rollup)."""
    cell = _REPEAT_KINDS.get((keys, kind if "label" in keys else None))
    cell = _NARROWER.get(cell, {}).get(_one_source(filters), cell)
    if cell is None or has_content_filter(filters) or not has_table(conn, "story_repeat_days"):
        return None
    # one language keeps or drops a story's articles of it whole in every cell (migration 27); several do not
    whole = {*_WHOLE_CELLS[cell], *(("langs",) if len(filters.langs) == 1 else ())}
    narrowing = {f.name for f in FIELDS if f.rollup and getattr(filters, f.name) and f.name not in ("date_from",
                                                                                                      "date_to")}
    if not narrowing <= whole:
        return None
    clauses, params = ["r.kind = ?"], [cell]
    if cell == "outlet":
        where, more = _rollup_where(filters)
        clauses, params = clauses + where, params + more
    else:
        for clause, value in (("r.day >= ?", filters.date_from), ("r.day <= ?", filters.date_to)):
            if value:
                clauses.append(clause)
                params.append(value.isoformat())
        if filters.langs:
            clauses.append("r.language = ?")
            params.append(filters.langs[0])
        if filters.source_countries:
            clauses.append(f"r.source IN ({_marks(filters.source_countries)}) AND r.source != '{UNKNOWN}'")
            params.extend(filters.source_countries)
    # a repeat counts where its nearest earlier article (in the language filtered, if one is) is inside the dates and
    # inside its own bucket
    prev = "r.prev_lang" if filters.langs else "r.prev"
    clauses.append(f"{prev} != ''")
    if filters.date_from:
        clauses.append(f"{prev} >= ?")
        params.append(filters.date_from.isoformat())
    if bucket:
        clauses.append(f"{prev} = r.day" if bucket == "day" else f"{prev} >= r.{bucket}")
    terms = ([f"r.{bucket}" if bucket in ("week", "month") else "r.day"] if bucket else []) + [
        _REPEAT_KEYS[k] for k in keys]
    group = f" GROUP BY {', '.join(str(i + 1) for i in range(len(terms)))}" if terms else ""
    return (f"SELECT {''.join(t + ', ' for t in terms)}sum(r.n) FROM story_repeat_days r "
            f"WHERE {' AND '.join(clauses)}{group}", params)


# with a content filter: the matching articles of shared stories, fetched once for every count of a page ----------

SHARED_COLUMNS = ["story", "day", "outlet_id", "source"]


def shared_matches(conn: Connection, filters: Filters, kind: str | None = None) -> pd.DataFrame:
    """The matching articles of shared stories (migration 17), one row each: columns story, day, outlet_id (0: none),
    source. With `kind`, one row per country or topic of each (columns article, label; an article without one has a
    row with no label), which answers excess_of per label and without one alike. What excess_of counts a page's
    story excesses from when a content filter leaves no rollup to read (a third of the matches at most)."""
    columns = SHARED_COLUMNS + (["article", "label"] if kind else [])
    if not has_table(conn, "shared_stories"):
        return pd.DataFrame({c: pd.Series(dtype=str if c in ("day", "source", "label") else "int64") for c in columns})
    label, join = _RAW_LABEL[kind] if kind else ("", "")
    shared, where, params, r = _shared_source(conn, filters)
    if kind:   # every article, one without a label too
        join = join.replace(" JOIN ", " LEFT JOIN ")
    # a row's few narrow values: converting each fetched value to Python costs more than SQLite's reading it, so the
    # outlet's country is looked up per outlet, not fetched per row
    labelled = f", {r}.{'article_id' if r == 'r' else 'id'}, {label}" if kind else ""
    sql = (f"SELECT {r}.story_id, {r}.day, coalesce({r}.outlet_id, 0){labelled} FROM {shared} "
           f"LEFT JOIN outlets o ON o.id = {r}.outlet_id{join} WHERE {where}")   # o: the filters' outlet and source
    frame = _rows(conn, sql, params, [c for c in columns if c != "source"])
    sources = outlets(conn).set_index("outlet_id")["source"]
    frame.insert(3, "source", frame["outlet_id"].map(sources).fillna(UNKNOWN))
    return frame


def _bucket_of(days: pd.Series, bucket: str) -> pd.Series:
    """The ISO first day of each ISO day's week (Monday) or month (a day: itself), one computation per day."""
    if bucket == "day":
        return days
    first = {day: day[:8] + "01" if bucket == "month" else _monday(dt.date.fromisoformat(day)).isoformat()
             for day in days.unique()}
    return days.map(first)


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def excess_of(shared: pd.DataFrame, keys: tuple[str, ...] = (), bucket: str | None = None) -> pd.DataFrame:
    """story_excess counted from shared_matches' rows: per bucket and keys, the rows beyond each story's first.
    Rows per label count per label (`keys` has label), else once per article."""
    if "label" in shared:
        shared = shared[shared["label"].notna()] if "label" in keys else shared.drop_duplicates("article")
    by = ([bucket] if bucket else []) + list(keys)
    columns = (["bucket"] if bucket else []) + list(keys) + ["excess"]
    if not by:
        return pd.DataFrame({"excess": [len(shared) - shared["story"].nunique()]}).query("excess > 0")
    if bucket:
        shared = shared.assign(**{bucket: _bucket_of(shared["day"], bucket)})
    stories = shared.groupby(by, sort=False)["story"]
    frame = (stories.size() - stories.nunique()).rename("excess").reset_index()
    frame = frame.rename(columns={bucket: "bucket"}) if bucket else frame
    return frame.loc[frame["excess"] > 0, columns].astype({"excess": "int64"}).reset_index(drop=True)


# shared_stories in the place of `articles a`: an article's id, its day as `published` (the filters' dates are whole
# days, so a day compares as its time does), its language and category (migration 29). A view that filters on
# nothing else of an article reads none of its rows, which are wide (title, description): that probe per row was
# half the cost of the read.
_SHARED_AS_ARTICLES = ("(SELECT article_id AS id, story_id, day, day AS published, week, month, outlet_id, language, "
                       "category FROM shared_stories) a")


def _shared_source(conn: Connection, filters: Filters) -> tuple[str, str, list, str]:
    """The matching articles of shared stories: FROM (to join outlets `o` and labels to), WHERE, its parameters, and
    the alias of shared_stories' columns (story_id, day, week, month, outlet_id). The countries and topics are tested
    per article where that is cheaper than collecting theirs (correlate). The articles' rows are read only for a
    text search on PostgreSQL (its search column); the dates then go on r's own day too (its index)."""
    where, params = where_in(conn, filters, correlate(conn, filters, shared=True))
    if not (filters.q and dialect(conn) == POSTGRESQL):
        return _SHARED_AS_ARTICLES, where, params, "a"
    for clause, day in (("r.day >= ?", filters.date_from), ("r.day <= ?", filters.date_to)):
        if day:
            where, params = f"{where} AND {clause}", [*params, day.isoformat()]
    return "shared_stories r JOIN articles a ON a.id = r.article_id", where, params, "r"
