"""The dashboard's SQL: every figure, series and table it shows, filtered by db.filters.Filters.

Everything is filtered, aggregated and paged in SQLite; pandas only ever holds aggregates or one page.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import os
import sqlite3
from collections.abc import Callable
from contextlib import closing
from typing import Any, Literal

import pandas as pd

from db import connect
from db.completeness import Completeness, Scope, completeness
from db.filters import Filters, day_after
from db.search import compile_query

Bucket = Literal["day", "week", "month"]
Split = Literal["none", "topic", "country", "source", "outlet"]

FROM = "FROM articles a LEFT JOIN outlets o ON o.id = a.outlet_id"
DAY = "substr(a.published, 1, 10)"
OTHER = "other"
UNKNOWN = "unknown"
SOURCE_SPLITS = ("outlet", "source")  # splits by where an article comes from, not by what it says
_FILTER_FIELD = {"outlet": "outlets", "source": "source_countries", "country": "countries", "topic": "topics"}
# raw facts: one row per matching article (and per country / topic of it), columns day, outlet_id, language, [label,] n
_RAW_COLUMNS = f"{DAY} AS day, a.outlet_id AS outlet_id, a.language AS language"
# (+ac.country: an expression, so SQLite never walks the country index to group by it, one lookup per article)
_RAW_LABEL = {"country": ("+ac.country", " JOIN article_countries ac ON ac.article_id = a.id"),
              "topic": ("+t.name", " JOIN article_topics at ON at.article_id = a.id "
                                  "JOIN topics t ON t.id = at.topic_id")}
# the same facts pre-counted per day, outlet and language by the triggers of db/schema.py migration 3
_ROLLUP = {"article": "SELECT r.day, r.outlet_id, r.language, r.n FROM daily_articles r",
           "country": "SELECT r.day, r.outlet_id, r.language, r.country AS label, r.n FROM daily_countries r",
           "topic": "SELECT r.day, r.outlet_id, r.language, t.name AS label, r.n FROM daily_topics r "
                    "JOIN topics t ON t.id = r.topic_id",
           # the countries of one topic's articles, and the countries named beside one country (migration 7)
           "topic country": "SELECT r.day, r.outlet_id, r.language, r.country AS label, r.n "
                            "FROM daily_topic_countries r",
           "country country": "SELECT r.day, r.outlet_id, r.language, r.mentioned AS label, r.n "
                              "FROM daily_country_pairs r"}


def open_db(path: str | os.PathLike) -> sqlite3.Connection:
    """A short-lived read-only connection (one per query function call) that returns plain tuples."""
    conn = connect(path, readonly=True)
    conn.row_factory = None  # sqlite3.Row costs a third more on the bigger aggregates
    return conn


def ensure_db(path: str | os.PathLike) -> None:
    """Create the database or bring its schema up to date, so that an empty or new file can be shown."""
    connect(path).close()


def _marks(values: tuple | list) -> str:
    return ", ".join("?" * len(values))


def _rows(conn: sqlite3.Connection, sql: str, params: list, columns: list[str]) -> pd.DataFrame:
    rows = conn.execute(sql, params).fetchall()
    return pd.DataFrame(rows if conn.row_factory is None else [tuple(r) for r in rows], columns=columns)


def sources_only(filters: Filters) -> Filters:
    """The same outlets, languages, source countries and dates, without the content filters (the denominator)."""
    return dataclasses.replace(filters, q="", countries=(), topics=(), categories=(), countries_all=False)


def has_content_filter(filters: Filters) -> bool:
    """Whether anything but the sources and dates narrows the articles."""
    return filters != sources_only(filters)


def has_rollups(conn: sqlite3.Connection, table: str = "daily_articles") -> bool:
    """Whether the database keeps the daily rollup tables (schema migration 3), or the rollup `table`."""
    return conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (table,)).fetchone() is not None


def one_tag(filters: Filters) -> Literal["topic", "country", None]:
    """Which kind of tag, if the only content filter is a single topic or country (its countries are rolled up:
    migration 7)."""
    if filters.q or filters.categories or len(filters.topics) + len(filters.countries) != 1:
        return None
    return "topic" if filters.topics else "country"


def rolled_up(filters: Filters) -> bool:
    """Whether article_facts reads the matching articles from a rollup (if the database has them): then the totals
    per day or per outlet are cheap queries of their own; else one scan per query, so both come from outlet_days."""
    return not has_content_filter(filters) or one_tag(filters) is not None


# facts: what every count below is summed from ------------------------------------------------------------------

def _rollup_where(filters: Filters) -> tuple[list[str], list]:
    """Conditions on a rollup row `r` for the source-side filters (dates, outlets, source countries, languages)."""
    clauses, params = [], []
    if filters.date_from:
        clauses.append("r.day >= ?")
        params.append(filters.date_from.isoformat())
    if filters.date_to:
        clauses.append("r.day <= ?")
        params.append(filters.date_to.isoformat())
    for column, values in (("name", filters.outlets), ("country", filters.source_countries)):
        if values:
            clauses.append(f"r.outlet_id IN (SELECT id FROM outlets WHERE {column} IN ({_marks(values)}))")
            params.extend(values)
    if filters.langs:
        clauses.append(f"r.language IN ({_marks(filters.langs)})")
        params.extend(filters.langs)
    return clauses, params


def _rollup(base: str, filters: Filters, extra: str | None = None, extra_params: tuple = ()) -> tuple[str, list]:
    clauses, params = _rollup_where(filters)
    if extra:
        clauses.append(extra)
        params.extend(extra_params)
    return f"{base} WHERE {' AND '.join(clauses) or '1'}", params


@functools.lru_cache(maxsize=512)
def _sizes(path: str, filters: Filters) -> tuple[int, int]:
    """(articles of the filtered sources and dates, articles tagged with the filtered countries or topics)."""
    with closing(open_db(path)) as conn:
        in_range = count_articles(conn, sources_only(filters))
        tagged = 0
        if filters.countries:
            tagged += conn.execute(f"SELECT count(*) FROM article_countries WHERE country IN "
                                   f"({_marks(filters.countries)})", filters.countries).fetchone()[0]
        if filters.topics:
            tagged += conn.execute(f"SELECT count(*) FROM article_topics WHERE topic_id IN (SELECT id FROM topics "
                                   f"WHERE name IN ({_marks(filters.topics)}))", filters.topics).fetchone()[0]
    return in_range, tagged


def correlate(conn: sqlite3.Connection, filters: Filters, first: int | None = None, matches: int = 0) -> bool:
    """Whether SQLite should test each article's countries/topics (EXISTS) rather than collect them first (IN).

    EXISTS costs about one probe per article looked at: every article of the dates, or, newest first until the
    `first` rows are found among `matches`, about first × dates' articles / matches. IN costs about one step
    per tagged article. The sizes are counted once per filter set (a stale count only costs speed)."""
    if not (filters.countries or filters.topics) or filters.q:
        return False
    path = conn.execute("PRAGMA database_list").fetchone()[2]
    if not path:
        return False
    in_range, tagged = _sizes(path, filters)
    looked_at = in_range if first is None else first * in_range / max(matches, 1)
    return looked_at < tagged


def article_facts(conn: sqlite3.Connection, filters: Filters) -> tuple[str, list]:
    """SQL of (day, outlet_id, language, n) rows summing to the matching articles, from a rollup when possible."""
    if has_rollups(conn) and rolled_up(filters):
        tag = one_tag(filters)
        if tag == "country":
            return _rollup(_ROLLUP["country"], filters, "r.country = ?", filters.countries)
        if tag == "topic":
            return _rollup(_ROLLUP["topic"], filters, "t.name = ?", filters.topics)
        return _rollup(_ROLLUP["article"], filters)
    where, params = filters.where(correlated=correlate(conn, filters))
    return f"SELECT {_RAW_COLUMNS}, 1 AS n {FROM} WHERE {where}", params


def label_facts(conn: sqlite3.Connection, filters: Filters, kind: str) -> tuple[str, list]:
    """SQL of (day, outlet_id, language, label, n) rows: matching articles per country in the story or topic."""
    if has_rollups(conn) and not has_content_filter(filters):
        return _rollup(_ROLLUP[kind], filters)
    tag = one_tag(filters)
    if kind == "country" and tag and has_rollups(conn, "daily_country_pairs"):
        if tag == "topic":
            return _rollup(_ROLLUP["topic country"], filters, "r.topic_id = (SELECT id FROM topics WHERE name = ?)",
                           filters.topics)
        return _rollup(_ROLLUP["country country"], filters, "r.country = ?", filters.countries)
    where, params = filters.where(correlated=correlate(conn, filters))
    label, join = _RAW_LABEL[kind]
    return f"SELECT {_RAW_COLUMNS}, {label} AS label, 1 AS n {FROM}{join} WHERE {where}", params


# the aggregates everything else is computed from: one SQL query each ---------------------------------------

Fetch = Callable[..., Any]  # fetch(name, [filters,] **kwargs): one of BASE's aggregates (the app caches them)


def outlet_days(conn: sqlite3.Connection, filters: Filters) -> pd.DataFrame:
    """Matching articles per day and outlet: columns day (ISO text), outlet_id (0: none), n."""
    facts, params = article_facts(conn, filters)
    # grouped by the columns themselves (no outlet is 0): a rollup is summed along its key or index, without a sort
    return _rows(conn, f"SELECT day, coalesce(outlet_id, 0), sum(n) FROM ({facts}) GROUP BY day, outlet_id "
                       "HAVING sum(n) > 0", params, ["day", "outlet_id", "n"])


def label_days(conn: sqlite3.Connection, filters: Filters, kind: str = "country",
               labels: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Matching articles per day and country in the story (or topic): columns day, label, n.

    An article counts once in each of its countries or topics; `labels` keeps only those."""
    facts, params = label_facts(conn, filters, kind)
    sql = f"SELECT day, label, sum(n) FROM ({facts})"
    if labels is not None:
        sql += f" WHERE label IN ({_marks(labels)})"
        params = [*params, *labels]
    return _rows(conn, sql + " GROUP BY 1, 2 HAVING sum(n) > 0 ORDER BY 1, 2", params, ["day", "label", "n"])


def outlet_labels(conn: sqlite3.Connection, filters: Filters, kind: str = "country") -> pd.DataFrame:
    """Matching articles per outlet and country in the story (or topic): columns outlet_id, label, n."""
    facts, params = label_facts(conn, filters, kind)
    # all days: grouped by the columns themselves (no outlet is 0), the rollup is summed along its country index
    # without a sort; a range of days is read along its key instead (+label: not grouped along the index). The
    # articles themselves are read along the filter's own index (+outlet_id), not along the outlet index whole.
    label = "+label" if filters.date_from or filters.date_to else "label"
    return _rows(conn, f"SELECT coalesce(outlet_id, 0), label, sum(n) FROM ({facts}) GROUP BY {_by_outlet(facts)}, "
                       f"{label} HAVING sum(n) > 0", params, ["outlet_id", "label", "n"])


def _by_outlet(facts: str) -> str:
    """GROUP BY term for the outlet of `facts`: a rollup's (_ROLLUP) rows are grouped by the column itself (along its
    index where it has one); articles by +outlet_id, so that SQLite reads them along the filter's own index, not
    along the outlet index whole (every article) to save a sort."""
    return "outlet_id" if facts.startswith("SELECT r.") else "+outlet_id"


def label_count(conn: sqlite3.Connection, filters: Filters, kind: str = "country") -> int:
    """How many different countries in the story (or topics) the matching articles have."""
    if kind == "country" and has_rollups(conn) and not has_content_filter(filters):
        # one probe per country (migration 5's country-first indexes) instead of reading every rollup row: walk the
        # distinct countries, and ask for each whether a row of the filtered dates (and sources) names it
        clauses, params = _rollup_where(filters)
        table = ("daily_countries" if filters.outlets or filters.source_countries or filters.langs else
                 "daily_country_totals")
        exists = " AND ".join(["r.country = c.x", "r.n > 0", *clauses])
        sql = (f"WITH RECURSIVE c(x) AS (SELECT (SELECT min(country) FROM {table}) UNION ALL "
               f"SELECT (SELECT min(country) FROM {table} WHERE country > c.x) FROM c WHERE c.x IS NOT NULL) "
               f"SELECT count(*) FROM c WHERE c.x IS NOT NULL AND EXISTS (SELECT 1 FROM {table} r WHERE {exists})")
        return conn.execute(sql, params).fetchone()[0]
    facts, params = label_facts(conn, filters, kind)
    if (kind == "country" and not facts.startswith("SELECT r.") and filters.countries
            and dataclasses.replace(filters, countries=()) == Filters()):
        # only countries filter: the countries named beside them, from the tags alone (no article row is read)
        return conn.execute(f"SELECT count(DISTINCT ac.country) FROM article_countries f JOIN article_countries ac "
                            f"ON ac.article_id = f.article_id WHERE f.country IN ({_marks(filters.countries)})",
                            filters.countries).fetchone()[0]
    return conn.execute(f"SELECT count(DISTINCT label) FROM ({facts}) WHERE n > 0", params).fetchone()[0]


def day_totals(conn: sqlite3.Connection, filters: Filters) -> pd.DataFrame:
    """Matching articles per day: columns day (ISO text), n."""
    facts, params = article_facts(conn, filters)
    return _rows(conn, f"SELECT day, sum(n) FROM ({facts}) GROUP BY 1 HAVING sum(n) > 0", params, ["day", "n"])


def outlet_totals(conn: sqlite3.Connection, filters: Filters) -> pd.DataFrame:
    """Matching articles per outlet: columns outlet_id (0: none), n."""
    facts, params = article_facts(conn, filters)
    return _rows(conn, f"SELECT coalesce(outlet_id, 0), sum(n) FROM ({facts}) GROUP BY {_by_outlet(facts)} "
                       "HAVING sum(n) > 0", params, ["outlet_id", "n"])


def top_label_days(conn: sqlite3.Connection, filters: Filters, kind: str = "country", top_n: int = 8) -> pd.DataFrame:
    """top_and_other(label_days(...), top_n) without fetching every label's days (for filters without content).

    Without a source filter (outlets, source countries, languages) it reads the country rollup summed over outlets
    and languages (migration 5): the totals per country (along its country-first index, or the days' range), the
    top N countries' days through that index, and "other" as all the country mentions of a day minus theirs.
    With a source filter the day × country rows come from daily_countries in one pass, as before."""
    if (kind != "country" or not has_rollups(conn) or has_content_filter(filters) or filters.outlets
            or filters.source_countries or filters.langs):
        return top_and_other(label_days(conn, filters, kind), top_n)
    clauses, params = _rollup_where(filters)
    where = " AND ".join(clauses) or "1"
    # a range of days is read along the primary key (day first: +country keeps SQLite off the country index, which
    # it would walk whole to group without sorting); all days stream along the country index
    country, scan = (("+country", "") if filters.date_from or filters.date_to else
                     ("country", "INDEXED BY daily_country_totals_country"))
    totals = _rows(conn, f"SELECT {country}, sum(n) FROM daily_country_totals r {scan} WHERE {where} GROUP BY 1 "
                         "HAVING sum(n) > 0", params, ["label", "n"])
    top = top_labels(totals, top_n)
    if not top:
        return pd.DataFrame({"day": pd.Series(dtype=str), "label": pd.Series(dtype=str), "n": pd.Series(dtype="int64")})
    kept = _rows(conn, "SELECT day, country, n FROM daily_country_totals r INDEXED BY daily_country_totals_country "
                       f"WHERE country IN ({_marks(top)}) AND {where} AND n > 0", [*top, *params],
                 ["day", "label", "n"]).sort_values(["day", "label"], ignore_index=True)
    if len(totals) <= len(top):
        return kept
    mentions = _rows(conn, f"SELECT day, sum(n) FROM daily_country_totals r WHERE {where} GROUP BY 1",
                     params, ["day", "n"])
    other = mentions.set_index("day")["n"].sub(kept.groupby("day")["n"].sum(), fill_value=0)
    other = other[other > 0].astype("int64").rename_axis("day").reset_index().assign(label=OTHER)
    return pd.concat([kept, other[["day", "label", "n"]]], ignore_index=True)


def outlets(conn: sqlite3.Connection) -> pd.DataFrame:
    """Every outlet: columns outlet_id, name, source (its country, or 'unknown')."""
    return _rows(conn, f"SELECT id, name, coalesce(country, '{UNKNOWN}') FROM outlets", [],
                 ["outlet_id", "name", "source"])


BASE: dict[str, Callable[..., pd.DataFrame | int]] = {
    "outlet_days": outlet_days, "label_days": label_days, "outlet_labels": outlet_labels, "label_count": label_count,
    "day_totals": day_totals, "outlet_totals": outlet_totals, "top_label_days": top_label_days,
    "outlets": outlets}


def fetcher(source: sqlite3.Connection | Fetch) -> Fetch:
    """A Fetch that runs BASE's queries on a connection (or the given Fetch itself)."""
    if isinstance(source, sqlite3.Connection):
        return lambda name, *args, **kwargs: BASE[name](source, *args, **kwargs)
    return source


def _totals(fetch: Fetch, filters: Filters, by: Literal["day", "outlet_id"]) -> pd.DataFrame:
    """Matching articles per day or per outlet (columns `by`, n), with the fewest scans of the articles."""
    if rolled_up(filters):
        return fetch("day_totals" if by == "day" else "outlet_totals", filters)
    return fetch("outlet_days", filters).groupby(by, as_index=False)["n"].sum()[[by, "n"]]


def countries_named(fetch: Fetch, filters: Filters, split: Split = "none") -> int:
    """How many different countries in the story the matching articles have.

    Without a content filter that is one probe per country in the rollup. With one it is a pass over the matching
    articles and their countries; if the page also splits its chart by country (`split`), that pass fetches the
    articles per day and country the chart needs anyway, and the count comes from them."""
    if split == "country" and has_content_filter(filters) and not filters.countries:
        # the same arguments as daily_counts passes, so that a cache keyed on them shares the result
        return int(fetch("label_days", filters, kind="country", labels=None)["label"].nunique())
    return int(fetch("label_count", filters, kind="country"))


def _with_outlets(frame: pd.DataFrame, fetch: Fetch) -> pd.DataFrame:
    """`frame` with the name and source country of its outlet_id ('unknown' where there is none)."""
    named = frame.merge(fetch("outlets"), on="outlet_id", how="left")
    return named.fillna({"name": UNKNOWN, "source": UNKNOWN})


# headline figures ----------------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Headline:
    articles: int
    outlets: int
    countries: int
    busiest_day: str | None
    busiest_count: int


def count_articles(source: sqlite3.Connection | Fetch, filters: Filters) -> int:
    """How many articles match."""
    return int(_totals(fetcher(source), filters, "day")["n"].sum())


def headline(source: sqlite3.Connection | Fetch, filters: Filters, split: Split = "none") -> Headline:
    """Articles, outlets, countries in the story and the busiest day of the matching articles.

    `split`: how the page splits its coverage chart (the headline may share an aggregate with it)."""
    fetch = fetcher(source)
    per_day = _totals(fetch, filters, "day")
    if per_day.empty:
        return Headline(0, 0, 0, None, 0)
    busiest = per_day.sort_values(["n", "day"], ascending=False).iloc[0]
    per_outlet = _totals(fetch, filters, "outlet_id")
    return Headline(int(per_day["n"].sum()), int((per_outlet["outlet_id"] != 0).sum()),
                    countries_named(fetch, filters, split),
                    busiest["day"], int(busiest["n"]))


# coverage over time ------------------------------------------------------------------------------------------

def daily_counts(source: sqlite3.Connection | Fetch, filters: Filters, split: Split = "none",
                 labels: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Matching articles per day (column `day`, ISO text) and split label (column `label`), column `n`.

    In a split by country or topic an article counts once in each of its countries or topics."""
    fetch = fetcher(source)
    if split in _RAW_LABEL:
        return fetch("label_days", filters, kind=split, labels=labels)
    if split in SOURCE_SPLITS:
        days = fetch("outlet_days", filters)
        days = _with_outlets(days, fetch).assign(label=lambda d: d["name" if split == "outlet" else "source"])
    else:
        days = _totals(fetch, filters, "day").assign(label="all")
    if labels is not None:
        days = days[days["label"].isin(labels)]
    return days.groupby(["day", "label"], as_index=False)["n"].sum()[["day", "label", "n"]]


def top_labels(counts: pd.DataFrame, top_n: int) -> tuple[str, ...]:
    """The `top_n` labels with the most articles (ties broken by name)."""
    totals = counts.groupby("label")["n"].sum().reset_index().sort_values(["n", "label"], ascending=[False, True])
    return tuple(totals["label"].head(top_n))


def split_daily(source: sqlite3.Connection | Fetch, filters: Filters, split: Split, top_n: int) -> pd.DataFrame:
    """Daily counts per label: the top N labels plus "other" (or exactly the labels the filters select)."""
    if split == "none":
        return daily_counts(source, filters)
    chosen = getattr(filters, _FILTER_FIELD[split])
    if chosen:  # the filter names the lines to draw; as a split it needs no "any of" filter (nor its cost)
        unfiltered = dataclasses.replace(filters, **{_FILTER_FIELD[split]: ()})
        return daily_counts(source, unfiltered, split, labels=chosen)
    if split == "country" and not has_content_filter(filters):
        return fetcher(source)("top_label_days", filters, kind=split, top_n=top_n)
    return top_and_other(daily_counts(source, filters, split), top_n)


def top_and_other(counts: pd.DataFrame, top_n: int) -> pd.DataFrame:
    """Daily (day, label, n) counts of the top N labels, in day and label order, then the rest per day as "other"."""
    top = top_labels(counts, top_n)
    kept = counts[counts["label"].isin(top)]
    rest = counts[~counts["label"].isin(top)]
    if rest.empty:
        return kept.reset_index(drop=True)
    other = rest.groupby("day", as_index=False)["n"].sum().assign(label=OTHER)
    return pd.concat([kept, other[["day", "label", "n"]]], ignore_index=True)


def bucket_start(days: pd.Series, bucket: Bucket) -> pd.Series:
    """The first day of the day/week (Monday)/month each ISO day falls in, as timestamps."""
    stamps = pd.to_datetime(days, format="%Y-%m-%d")
    if bucket == "week":
        return stamps - pd.to_timedelta(stamps.dt.day_of_week, unit="D")
    if bucket == "month":
        return stamps.dt.to_period("M").dt.start_time
    return stamps


def _rollup_buckets(daily: pd.DataFrame, bucket: Bucket) -> pd.DataFrame:
    """Sum daily (day, label, n) rows into (bucket, label, n)."""
    if daily.empty:
        return pd.DataFrame({"bucket": pd.Series(dtype="datetime64[ns]"), "label": pd.Series(dtype=str),
                             "n": pd.Series(dtype="int64")})
    out = daily.assign(bucket=bucket_start(daily["day"], bucket))
    return out.groupby(["bucket", "label"], as_index=False)["n"].sum()


def _denominator(source: sqlite3.Connection | Fetch, filters: Filters, split: Split, labels: list[str],
                 bucket: Bucket) -> pd.DataFrame:
    """All articles of the same sources per bucket (and per outlet / source country for those splits)."""
    base = sources_only(filters)
    if split not in SOURCE_SPLITS:
        return _rollup_buckets(daily_counts(source, base), bucket).drop(columns="label").rename(
            columns={"n": "total"})
    daily = daily_counts(source, base, split)
    named = set(labels) - {OTHER}
    daily.loc[~daily["label"].isin(named), "label"] = OTHER
    return _rollup_buckets(daily, bucket).rename(columns={"n": "total"})


_FREQ = {"day": "D", "week": "W-MON", "month": "MS"}


def _complete(series: pd.DataFrame, bucket: Bucket, filters: Filters) -> pd.DataFrame:
    """Every bucket from the first to the last (or the filter's dates) for every label; a missing one has n = 0."""
    if series.empty:
        return series
    ends = [series["bucket"].min(), series["bucket"].max()]
    for day in (filters.date_from, filters.date_to):
        if day:
            ends.append(bucket_start(pd.Series([day.isoformat()]), bucket).iloc[0])
    buckets = pd.date_range(min(ends), max(ends), freq=_FREQ[bucket])
    grid = pd.MultiIndex.from_product([buckets, series["label"].unique()], names=["bucket", "label"])
    return series.set_index(["bucket", "label"]).reindex(grid, fill_value=0).reset_index()


def coverage(source: sqlite3.Connection | Fetch, filters: Filters, bucket: Bucket = "day", split: Split = "none",
             top_n: int = 8, normalized: bool = False) -> pd.DataFrame:
    """Coverage series: columns bucket, label, n (matching articles), total (same sources), value (n or share %).

    Every bucket of the period is there: a day without matching articles has n = 0 (and no share without a total)."""
    series = _complete(_rollup_buckets(split_daily(source, filters, split, top_n), bucket), bucket, filters)
    if not normalized:
        return series.assign(total=float("nan"), value=series["n"].astype(float))
    if not has_content_filter(filters) and split == "none":
        total = series.rename(columns={"n": "total"}).drop(columns="label")
    else:
        total = _denominator(source, filters, split, list(series["label"].unique()), bucket)
    keys = ["bucket", "label"] if split in SOURCE_SPLITS else ["bucket"]
    merged = series.merge(total, on=keys, how="left")
    merged["value"] = 100.0 * merged["n"] / merged["total"].where(merged["total"] > 0)
    return merged


def outage_days(conn: sqlite3.Connection, filters: Filters) -> pd.DataFrame:
    """Days on which feeds of the filtered sources failed every fetch: columns day, failing, polled (feeds)."""
    clauses, params = ["1"], []
    for column, values in (("o.name", filters.outlets), ("o.country", filters.source_countries),
                           ("coalesce(f.language, o.language)", filters.langs)):
        if values:
            clauses.append(f"{column} IN ({_marks(values)})")
            params.extend(values)
    start = filters.date_from.isoformat() if filters.date_from else "0000"
    end = day_after(filters.date_to) if filters.date_to else "9999"
    sql = ("SELECT day, sum(failed) AS failing, count(*) AS polled FROM ("
           " SELECT fl.feed_id, substr(fl.started_at, 1, 10) AS day,"
           " sum(fl.outcome = 'error') > 0 AND sum(fl.outcome != 'error') = 0 AS failed"
           " FROM fetch_log fl WHERE fl.feed_id IN (SELECT f.id FROM feeds f LEFT JOIN outlets o ON o.id = f.outlet_id"
           f" WHERE {' AND '.join(clauses)}) AND fl.started_at >= ? AND fl.started_at < ?"
           " GROUP BY fl.feed_id, day) GROUP BY day HAVING failing > 0 ORDER BY day")
    return _rows(conn, sql, [*params, start, end], ["day", "failing", "polled"])


def collection(conn: sqlite3.Connection, outlets: tuple[str, ...] = (), source_countries: tuple[str, ...] = (),
               langs: tuple[str, ...] = ()) -> Completeness:
    """The active ranges and incomplete days of these outlets (all: empty), over all time (db.completeness)."""
    return completeness(conn, Scope(outlets, source_countries, langs))


# countries ---------------------------------------------------------------------------------------------------

def country_counts(source: sqlite3.Connection | Fetch, filters: Filters) -> pd.DataFrame:
    """Matching articles per country in the story: columns country, n; most first."""
    pairs = fetcher(source)("outlet_labels", filters, kind="country")
    totals = pairs.groupby("label", as_index=False)["n"].sum().rename(columns={"label": "country"})
    return totals.sort_values(["n", "country"], ascending=[False, True], ignore_index=True)


@dataclasses.dataclass(frozen=True)
class CoverGrid:
    """Who covers whom: articles per source country (rows) × country in the story (columns), with the sample sizes.

    `sources`: every matching article of each row's source country (the share's denominator); `named`: every
    matching article naming each column's country, from any source country (outside the home country when
    that is left out)."""

    counts: pd.DataFrame
    sources: pd.Series
    named: pd.Series

    @property
    def shares(self) -> pd.DataFrame:
        """Each cell as a percentage of its row's source-country articles."""
        return 100.0 * self.counts.div(self.sources.reindex(self.counts.index), axis=0)

    @property
    def empty(self) -> bool:
        return self.counts.empty


def cover_grid(source: sqlite3.Connection | Fetch, filters: Filters, home: bool = True, top_sources: int = 15,
               top_countries: int = 25) -> CoverGrid:
    """The most active source countries × the most named countries; `home=False` leaves out each source country's
    own country (its cell is empty and it does not count towards that column's total or rank)."""
    fetch = fetcher(source)
    pairs = _with_outlets(fetch("outlet_labels", filters, kind="country"), fetch)
    if not home:
        pairs = pairs[pairs["source"] != pairs["label"]]
    if pairs.empty:
        return CoverGrid(pd.DataFrame(), pd.Series(dtype=int), pd.Series(dtype=int))
    # from a rollup when the filters allow one, else from the outlet_days the Coverage headline already fetched
    totals = _with_outlets(_totals(fetch, filters, "outlet_id"), fetch).groupby("source")["n"].sum()
    sources = totals.sort_values(ascending=False, kind="stable").head(top_sources)
    named = pairs.groupby("label")["n"].sum().sort_values(ascending=False, kind="stable").head(top_countries)
    matrix = pairs.pivot_table(index="source", columns="label", values="n", fill_value=0, aggfunc="sum")
    matrix = matrix.reindex(index=sources.index, columns=named.index, fill_value=0)
    matrix.index.name, matrix.columns.name = "source", "country"
    if not home:
        matrix = matrix.mask(pd.DataFrame(matrix.index.to_numpy()[:, None] == matrix.columns.to_numpy()[None, :],
                                          index=matrix.index, columns=matrix.columns))
    return CoverGrid(matrix, sources, named)


def who_covers_whom(source: sqlite3.Connection | Fetch, filters: Filters, normalized: bool = False,
                    top_sources: int = 15, top_countries: int = 25) -> pd.DataFrame:
    """Source country (rows) × country in the story (columns): articles, or % of the source country's articles."""
    grid = cover_grid(source, filters, top_sources=top_sources, top_countries=top_countries)
    if grid.empty:
        return pd.DataFrame()
    return grid.shares if normalized else grid.counts


# articles ----------------------------------------------------------------------------------------------------

ARTICLE_COLUMNS = ["published", "outlet", "source", "title", "link", "countries", "topics", "category",
                   "description", "date_flag"]


def safe_link(link: str | None) -> str | None:
    """The link if it is http(s), else None (nothing else may become clickable)."""
    text = (link or "").strip()
    return text if text.lower().startswith(("http://", "https://")) else None


def article_page(conn: sqlite3.Connection, filters: Filters, page: int = 1, per_page: int = 50,
                 total: int | None = None) -> pd.DataFrame:
    """One page of the matching articles, newest first, with their countries and topics (`total`: how many match)."""
    correlated = False
    if filters.countries or filters.topics:  # newest first stops after the page: maybe few articles to look at
        matches = count_articles(conn, filters) if total is None else total
        correlated = correlate(conn, filters, first=max(page, 1) * per_page, matches=matches)
    where, params = filters.where(correlated=correlated)
    # the page's ids first: the countries and topics of only those 50 rows, not of every match before sorting
    sql = (f"WITH page AS (SELECT a.id {FROM} WHERE {where} ORDER BY a.published DESC, a.id DESC LIMIT ? OFFSET ?) "
           "SELECT a.published, o.name, o.country, a.title, a.link, "
           "(SELECT group_concat(country, ' ') FROM article_countries WHERE article_id = a.id), "
           "(SELECT group_concat(t.name, '; ') FROM article_topics at JOIN topics t ON t.id = at.topic_id "
           " WHERE at.article_id = a.id), a.category, a.description, a.date_flag "
           f"FROM page JOIN articles a ON a.id = page.id LEFT JOIN outlets o ON o.id = a.outlet_id "
           "ORDER BY a.published DESC, a.id DESC")
    frame = _rows(conn, sql, [*params, per_page, (max(page, 1) - 1) * per_page], ARTICLE_COLUMNS)
    frame["link"] = frame["link"].map(safe_link)
    text = ["outlet", "source", "countries", "topics", "category", "description"]
    frame[text] = frame[text].fillna("")
    frame["published"] = pd.to_datetime(frame["published"], format="%Y-%m-%d %H:%M:%S")
    return frame


def page_count(total: int, per_page: int) -> int:
    """Number of pages for `total` rows (at least 1)."""
    return max(1, -(-total // per_page))


# topics ------------------------------------------------------------------------------------------------------

def topics_table(conn: sqlite3.Connection) -> pd.DataFrame:
    """Every topic with its query, description and number of matching articles."""
    sql = ("SELECT t.name, t.query, t.description, (SELECT count(*) FROM article_topics at WHERE at.topic_id = t.id), "
           "t.updated_at FROM topics t ORDER BY t.name")
    return _rows(conn, sql, [], ["name", "query", "description", "articles", "updated_at"])


@dataclasses.dataclass(frozen=True)
class Preview:
    count: int
    headlines: list[tuple[str, str, str | None]]  # (published, outlet, title)


def query_preview(conn: sqlite3.Connection, query: str, limit: int = 5) -> Preview:
    """How many stored articles a topic query matches and the newest few; QuerySyntaxError if it is invalid."""
    fts = compile_query(query)
    count = conn.execute("SELECT count(*) FROM articles_fts WHERE articles_fts MATCH ?", (fts,)).fetchone()[0]
    rows = conn.execute(f"SELECT a.published, o.name, a.title {FROM} WHERE a.id IN "
                        "(SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?) "
                        "ORDER BY a.published DESC, a.id DESC LIMIT ?", (fts, limit)).fetchall()
    return Preview(count, [tuple(r) for r in rows])


# sources -----------------------------------------------------------------------------------------------------

FEED_COLUMNS = ["id", "outlet", "country", "language", "url", "status", "last_success_at", "last_error_kind",
                "last_error", "last_error_at"]


def last_day(conn: sqlite3.Connection) -> dt.date | None:
    """The day of the newest article (the end of the sparkline window)."""
    newest = conn.execute("SELECT max(published) FROM articles").fetchone()[0]
    return dt.date.fromisoformat(newest[:10]) if newest else None


def sources_table(conn: sqlite3.Connection, days: int = 30, end: dt.date | None = None) -> pd.DataFrame:
    """Every feed with its outlet, status, errors and articles per day over the `days` days up to `end`."""
    feeds = _rows(conn, "SELECT f.id, o.name, o.country, coalesce(f.language, o.language), f.url, f.status, "
                        "f.last_success_at, f.last_error_kind, f.last_error, f.last_error_at "
                        "FROM feeds f LEFT JOIN outlets o ON o.id = f.outlet_id ORDER BY o.name, f.url", [],
                  FEED_COLUMNS)
    end = end or last_day(conn) or dt.date.today()
    start = end - dt.timedelta(days=days - 1)
    counts = _rows(conn, f"SELECT af.feed_id, {DAY} AS day, count(*) FROM articles a "
                         "JOIN article_feeds af ON af.article_id = a.id WHERE a.published >= ? AND a.published < ? "
                         "GROUP BY af.feed_id, day", [start.isoformat(), (end + dt.timedelta(days=1)).isoformat()],
                   ["feed_id", "day", "n"])
    window = [(start + dt.timedelta(days=i)).isoformat() for i in range(days)]
    per_feed = {feed_id: dict(zip(g["day"], g["n"], strict=True)) for feed_id, g in counts.groupby("feed_id")}
    feeds["per_day"] = [[int(per_feed.get(i, {}).get(d, 0)) for d in window] for i in feeds["id"]]
    feeds["articles_per_day"] = [round(sum(s) / days, 1) for s in feeds["per_day"]]
    return feeds


# filter choices ----------------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Choices:
    topics: list[str]
    outlets: list[str]
    source_countries: list[str]
    languages: list[str]


def filter_choices(conn: sqlite3.Connection) -> Choices:
    """Values the sidebar offers that come from the database."""
    column = lambda sql: [r[0] for r in conn.execute(sql).fetchall()]  # noqa: E731
    return Choices(column("SELECT name FROM topics ORDER BY name"),
                   column("SELECT name FROM outlets ORDER BY name"),
                   column("SELECT DISTINCT country FROM outlets WHERE country IS NOT NULL ORDER BY country"),
                   column("SELECT language FROM outlets WHERE language IS NOT NULL UNION "
                          "SELECT language FROM feeds WHERE language IS NOT NULL ORDER BY 1"))
