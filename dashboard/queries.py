"""The dashboard's figures, series and tables shaped with pandas from db.aggregates (which holds all the SQL).

A Fetch runs one of db.aggregates' base aggregates: `fetch(aggregates.outlet_days, filters)`. On a connection it
is a plain call (fetcher); the app passes state.fetch, which answers from one cache per aggregate.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any, Literal

import pandas as pd

from dashboard.spikes import WINDOW
from db import aggregates, stories
from db.aggregates import (  # the SQL half, moved to db.aggregates: still found here by pages, tests, benchmarks
    ARTICLE_COLUMNS,
    FEED_COLUMNS,
    OTHER,
    UNKNOWN,
    Choices,
    Preview,
    collection,
    correlate,
    ensure_db,
    filter_choices,
    has_content_filter,
    has_rollups,
    label_count,
    label_days,
    label_facts,
    last_day,
    one_tag,
    open_db,
    outage_days,
    outlet_labels,
    query_preview,
    rolled_up,
    sources_only,
    top_and_other,
    top_label_days,
    top_labels,
    topics_table,
)
from db.engine import Connection
from db.filters import Filters
from newsradar import explain

# A page's frames are small (a few thousand rows) and shaped in many steps (merges, group-bys, reindexing); Arrow's
# strings cost a conversion at each, Python's do not: a story-counted share chart shapes in 45 ms instead of 60.
pd.set_option("mode.string_storage", "python")

__all__ = [  # the shaping defined here, and the aggregates re-exported above
    "ARTICLE_COLUMNS", "FEED_COLUMNS", "OTHER", "UNKNOWN", "Choices", "Preview", "collection", "correlate",
    "ensure_db", "filter_choices", "has_content_filter", "has_rollups", "label_count", "label_days", "label_facts",
    "last_day", "one_tag", "open_db", "outage_days", "outlet_labels", "query_preview", "rolled_up", "sources_only",
    "top_and_other", "top_label_days", "topics_table",
    "Headline", "CoverGrid", "headline", "coverage", "coverage_before", "count_articles", "countries_named",
    "daily_counts",
    "split_daily", "bucket_start", "country_counts", "cover_grid", "who_covers_whom", "safe_link", "article_page",
    "page_count", "sources_table", "fetcher", "Fetch", "BASE", "Bucket", "Split", "SOURCE_SPLITS", "LABEL_SPLITS",
    "Count", "COUNTS", "SPLIT_FIELDS", "STORIES_MEANING", "count_matches", "STORY_COLUMNS", "story_table",
    "member_table",
]

Bucket = Literal["day", "week", "month"]
Split = Literal["none", "topic", "country", "source", "outlet"]
Count = Literal["articles", "stories"]
COUNTS = ("articles", "stories")
STORIES_MEANING = ("Stories: each story once — copies and other outlets' reports of the same event count once "
                   "(per interval, and per line or cell).")

SOURCE_SPLITS = ("outlet", "source")  # splits by where an article comes from, not by what it says
LABEL_SPLITS = ("country", "topic")   # splits by what an article names: one count per country or topic of it
# the filter field that selects the lines of each split
SPLIT_FIELDS = {"outlet": "outlets", "source": "source_countries", "country": "countries", "topic": "topics"}

Fetch = Callable[..., Any]  # fetch(aggregate, [filters,] **kwargs): one of BASE, run (the app: cached) on the database
# the aggregates everything else is computed from: one SQL query each
BASE = (aggregates.outlet_days, aggregates.label_days, aggregates.outlet_labels, aggregates.label_count,
        aggregates.day_totals, aggregates.outlet_totals, aggregates.top_label_days, aggregates.outlets,
        aggregates.story_excess, aggregates.shared_matches, aggregates.chosen_outlet_days, aggregates.search_counts)


def fetcher(source: Connection | Fetch) -> Fetch:
    """A Fetch that runs BASE's queries on a connection (or the given Fetch itself)."""
    if hasattr(source, "execute"):   # a connection of either engine (Connection is an alias, not a class)
        return lambda aggregate, *args, **kwargs: aggregate(source, *args, **kwargs)
    return source


def _totals(fetch: Fetch, filters: Filters, by: Literal["day", "outlet_id"], countries: bool = True
            ) -> pd.DataFrame:
    """Matching articles per day or per outlet (columns `by`, n), with the fewest scans of the articles.
    `countries`: as _outlet_days."""
    if rolled_up(filters):
        return fetch(aggregates.day_totals if by == "day" else aggregates.outlet_totals, filters)
    return _outlet_days(fetch, filters, countries).groupby(by, as_index=False)["n"].sum()[[by, "n"]]


# A text search's matches per day and outlet and their countries come from one read of them (search_counts): every
# page over a text search wants two of these, and each reads the matches again.

def _outlet_days(fetch: Fetch, filters: Filters, countries: bool = True) -> pd.DataFrame:
    """aggregates.outlet_days. Without `countries` (a caller that wants none of these filters' countries: the Articles
    page's count, a spike baseline's earlier dates) a text search's are not looked up either."""
    if filters.q and countries:
        return fetch(aggregates.search_counts, filters).days
    return fetch(aggregates.outlet_days, filters)


def _country_days(fetch: Fetch, filters: Filters, labels: tuple[str, ...] | None = None) -> pd.DataFrame:
    """aggregates.label_days of countries."""
    if not filters.q:
        return fetch(aggregates.label_days, filters, kind="country", labels=labels)
    days = fetch(aggregates.search_counts, filters).country_days
    return days if labels is None else days[days["label"].isin(labels)].reset_index(drop=True)


def _outlet_countries(fetch: Fetch, filters: Filters) -> pd.DataFrame:
    """aggregates.outlet_labels of countries."""
    if filters.q:
        return fetch(aggregates.search_counts, filters).outlet_countries
    return fetch(aggregates.outlet_labels, filters, kind="country")


def countries_named(fetch: Fetch, filters: Filters, split: Split = "none") -> int:
    """How many different countries in the story the matching articles have.

    Without a content filter that is one probe per country in the rollup. With one it is a pass over the matching
    articles and their countries; if the page also splits its chart by country (`split`), that pass fetches the
    articles per day and country the chart needs anyway, and the count comes from them."""
    if filters.q or (split == "country" and has_content_filter(filters) and not filters.countries):
        # the same arguments as daily_counts passes, so that a cache keyed on them shares the result
        return int(_country_days(fetch, filters)["label"].nunique())
    return int(fetch(aggregates.label_count, filters, kind="country"))


def _with_outlets(frame: pd.DataFrame, fetch: Fetch) -> pd.DataFrame:
    """`frame` with the name and source country of its outlet_id ('unknown' where there is none)."""
    return frame.assign(name=_outlet_field(frame["outlet_id"], fetch, "name"),
                        source=_outlet_field(frame["outlet_id"], fetch, "source"))


def _outlet_field(ids: pd.Series, fetch: Fetch, field: Literal["name", "source"]) -> pd.Series:
    """The name or source country of each outlet_id ('unknown' where there is none)."""
    # mapped, not merged: a merge costs several times more on a page's small frames
    return ids.map(fetch(aggregates.outlets).set_index("outlet_id")[field]).fillna(UNKNOWN)


def _excess(fetch: Fetch, filters: Filters, keys: list[str], bucket: Bucket | None = None,
            kind: str | None = None, labels: str | None = None, only: tuple[str, ...] | None = None,
            reach: Reach | None = None) -> pd.DataFrame:
    """Per bucket (if any) and `keys` (of day, name, source, label): how many matching articles are not the first of
    their story there: an article count minus this counts each story once. Column `excess`.

    `labels`: the kind of label (country, topic) the page also counts by under these filters; without `kind`, a
    content filter's matching shared articles are then counted from the same rows as those per label. `only`: with
    `kind` and `label` in `keys`, the only labels wanted (a chart's chosen lines). `reach`: the dates a page's other
    counts of the same articles span (spike_reach): without labels, their shared articles are fetched once for all
    of them and each count takes its own dates."""
    by_day = "day" in keys   # per day as ISO text (the headline's), not as a bucket's timestamp
    if by_day:
        keys, bucket = [k for k in keys if k != "day"], "day"
    asked = tuple("outlet_id" if k == "name" else k for k in keys)
    # a content filter's matching shared articles are fetched once and counted per call, but for a chart's chosen
    # lines: no other count shares those rows, and the database counts them with less to send
    chosen = kind is not None and bool(only)
    if has_content_filter(filters) and not chosen:
        if reach is not None and not (kind or labels):
            wide = dataclasses.replace(filters, date_from=reach[0], date_to=reach[1])
            shared = _within(fetch(aggregates.shared_matches, wide), filters)
        else:
            shared = fetch(aggregates.shared_matches, filters, kind=kind or labels)
        excess = aggregates.excess_of(shared, asked, bucket)
    else:
        excess = fetch(aggregates.story_excess, filters, keys=asked, bucket=bucket, kind=kind,
                       labels=only if chosen else None)
    if "name" in keys:
        excess = excess.assign(name=_outlet_field(excess["outlet_id"], fetch, "name")).drop(columns="outlet_id")
    if by_day:
        excess = excess.rename(columns={"bucket": "day"})
    elif bucket is not None:
        excess["bucket"] = pd.to_datetime(excess["bucket"], format="%Y-%m-%d")
    if not keys and bucket is None:
        return excess if len(excess) else pd.DataFrame({"excess": [0]})
    return excess


# the first and last day of the articles a page counts: the view's dates, from the start of its spike baseline
Reach = tuple[dt.date, dt.date | None]


def spike_reach(filters: Filters, bucket: Bucket, split: Split = "none") -> Reach | None:
    """The dates the Coverage page counts stories over for a dated view: the chart's and, before them, the WINDOW
    buckets of its spike baseline (coverage_before); None without a start date (the chart begins with the data), and
    for a split by country or topic, whose lines are counted from rows of their own dates (their labels', or the
    database's count of chosen lines): a fetch from the baseline's start would serve the headline alone."""
    if filters.date_from is None or split in LABEL_SPLITS:
        return None
    first = bucket_start(pd.Series([filters.date_from.isoformat()]), bucket).iloc[0]
    return (first - WINDOW * _STEP[bucket]).date(), filters.date_to


def _within(shared: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """shared_matches' rows of the filters' own dates."""
    keep = pd.Series(True, index=shared.index)
    if filters.date_from is not None:
        keep &= shared["day"] >= filters.date_from.isoformat()
    if filters.date_to is not None:
        keep &= shared["day"] <= filters.date_to.isoformat()
    return shared[keep]


def _less(counts: pd.DataFrame, excess: pd.DataFrame, keys: list[str], column: str = "n") -> pd.DataFrame:
    """`counts` with each story once: `column` minus the excess of its `keys` (none there: unchanged)."""
    merged = counts.merge(excess, on=keys, how="left") if len(counts) else counts.assign(excess=0)
    merged[column] = (merged[column] - merged["excess"].fillna(0)).astype("int64")
    return merged.drop(columns="excess")


# headline figures ----------------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Headline:
    articles: int
    outlets: int
    countries: int
    busiest_day: str | None
    busiest_count: int


def count_articles(source: Connection | Fetch, filters: Filters) -> int:
    """How many articles match (their countries not looked up: the Articles page shows none)."""
    return int(_totals(fetcher(source), filters, "day", countries=False)["n"].sum())


def count_matches(source: Connection | Fetch, filters: Filters, count: Count = "articles",
                  labels: str | None = None, reach: Reach | None = None, articles: int | None = None) -> int:
    """How many articles match (`articles`, when the caller has counted them), or how many stories (each story
    once). `labels`, `reach`: as _excess."""
    total = count_articles(source, filters) if articles is None else articles
    if count == "stories" and total:
        total -= int(_excess(fetcher(source), filters, [], labels=labels, reach=reach)["excess"].iloc[0])
    return total


def headline(source: Connection | Fetch, filters: Filters, split: Split = "none", count: Count = "articles",
             reach: Reach | None = None) -> Headline:
    """Articles (or stories), outlets, countries in the story and the busiest day of the matching articles.

    `split`, `reach`: how the page splits its coverage chart, and the dates it counts (spike_reach): the headline may
    share an aggregate with it. With `count` stories, the articles and the busiest day's count each story once (a
    day's stories: once that day)."""
    fetch = fetcher(source)
    per_day = _totals(fetch, filters, "day")
    if per_day.empty:
        return Headline(0, 0, 0, None, 0)
    total = int(per_day["n"].sum())
    if count == "stories":   # a story over two days counts on each day, once in the total
        labels = split if split in LABEL_SPLITS and not getattr(filters, SPLIT_FIELDS[split]) else None  # the chart's
        per_day = _less(per_day, _excess(fetch, filters, ["day"], labels=labels, reach=reach), ["day"])
        total = count_matches(fetch, filters, count, labels, reach, articles=total)
    busiest = per_day.sort_values(["n", "day"], ascending=False).iloc[0]
    per_outlet = _totals(fetch, filters, "outlet_id")
    return Headline(total, int((per_outlet["outlet_id"] != 0).sum()),
                    countries_named(fetch, filters, split),
                    busiest["day"], int(busiest["n"]))


# coverage over time ------------------------------------------------------------------------------------------

def daily_counts(source: Connection | Fetch, filters: Filters, split: Split = "none",
                 labels: tuple[str, ...] | None = None, countries: bool = True) -> pd.DataFrame:
    """Matching articles per day (column `day`, ISO text) and split label (column `label`), column `n`.

    In a split by country or topic an article counts once in each of its countries or topics. `countries`: as
    _outlet_days."""
    fetch = fetcher(source)
    if split == "country":
        return _country_days(fetch, filters, labels)
    if split in LABEL_SPLITS:
        return fetch(aggregates.label_days, filters, kind=split, labels=labels)
    if split in SOURCE_SPLITS:
        days = _outlet_days(fetch, filters, countries)
        days = days.assign(label=_outlet_field(days["outlet_id"], fetch, "name" if split == "outlet" else "source"))
    else:
        days = _totals(fetch, filters, "day", countries).assign(label="all")
    if labels is not None:
        days = days[days["label"].isin(labels)]
    return days.groupby(["day", "label"], as_index=False)["n"].sum()[["day", "label", "n"]]


def split_daily(source: Connection | Fetch, filters: Filters, split: Split, top_n: int, countries: bool = True
                ) -> pd.DataFrame:
    """Daily counts per label: the top N labels plus "other" (or exactly the labels the filters select).
    `countries`: as _outlet_days."""
    if split == "none":
        return daily_counts(source, filters, countries=countries)
    chosen = getattr(filters, SPLIT_FIELDS[split])
    if chosen:  # the filter names the lines to draw; as a split it needs no "any of" filter (nor its cost)
        unfiltered = dataclasses.replace(filters, **{SPLIT_FIELDS[split]: ()})
        return daily_counts(source, unfiltered, split, labels=chosen, countries=countries)
    if split == "country" and not has_content_filter(filters):
        return fetcher(source)(aggregates.top_label_days, filters, kind=split, top_n=top_n)
    if split in SOURCE_SPLITS and rolled_up(filters):
        return _source_days(fetcher(source), filters, split, top_n=top_n)
    return top_and_other(daily_counts(source, filters, split, countries=countries), top_n)


def _source_days(fetch: Fetch, filters: Filters, split: Split, top_n: int = 0,
                 labels: tuple[str, ...] | None = None) -> pd.DataFrame:
    """top_and_other(daily_counts(filters, split), top_n) for a split by outlet or source country of rolled-up
    filters (their counts add up), or with `labels` those lines and "other": the lines chosen from the outlets'
    totals (the headline's, one cached query), then only their days fetched, and "other" as the day totals less
    theirs."""
    field = "name" if split == "outlet" else "source"
    if labels is None:
        totals = _totals(fetch, filters, "outlet_id")
        outlets, named = totals["outlet_id"], _outlet_field(totals["outlet_id"], fetch, field)
        top = top_labels(totals.assign(label=named), top_n)
    else:   # named lines (a share's totals): their outlets from the list of outlets, not from every outlet's total
        outlets = pd.Series([0, *fetch(aggregates.outlets)["outlet_id"]])
        named, top = _outlet_field(outlets, fetch, field), labels
    ids = tuple(sorted(int(i) for i in outlets[named.isin(top)]))
    days = fetch(aggregates.chosen_outlet_days, filters, ids=ids)
    kept = (days.assign(label=_outlet_field(days["outlet_id"], fetch, field))
            .groupby(["day", "label"], as_index=False)["n"].sum()[["day", "label", "n"]])
    # as top_and_other has them: the lines in day order, then "other"
    return pd.concat([kept, aggregates.other_days(_totals(fetch, filters, "day"), days)], ignore_index=True)


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


_SPLIT_KEY = {"none": None, "outlet": "name", "source": "source", "country": "label", "topic": "label"}


def _stories_in(source: Connection | Fetch, counts: pd.DataFrame, filters: Filters, split: Split, bucket: Bucket,
                reach: Reach | None = None) -> pd.DataFrame:
    """Bucketed (bucket, label, n) article counts of `filters` split by `split` (as split_daily draws them) with each
    story once per bucket and label; "other" gathers once per label it holds, as it does articles."""
    chosen = getattr(filters, SPLIT_FIELDS[split]) if split != "none" else ()
    used = dataclasses.replace(filters, **{SPLIT_FIELDS[split]: ()}) if chosen else filters   # as split_daily
    key = _SPLIT_KEY[split]
    label_split = split in LABEL_SPLITS
    excess = _excess(fetcher(source), used, [key] if key else [], bucket, kind=split if label_split else None,
                     only=tuple(chosen) if chosen and label_split else None, reach=reach)
    excess = excess.rename(columns={key: "label"}) if key else excess.assign(label="all")
    shown = set(counts["label"].unique())
    if OTHER in shown:
        excess.loc[~excess["label"].isin(shown), "label"] = OTHER
    excess = excess.groupby(["bucket", "label"], as_index=False)["excess"].sum()
    return _less(counts, excess, ["bucket", "label"])


def _denominator(source: Connection | Fetch, filters: Filters, split: Split, labels: list[str],
                 bucket: Bucket, count: Count = "articles") -> pd.DataFrame:
    """All articles (or stories) of the same sources per bucket (and per outlet / source country for those splits)."""
    base = sources_only(filters)
    if split not in SOURCE_SPLITS:
        totals = _rollup_buckets(daily_counts(source, base), bucket)
        if count == "stories":
            totals = _stories_in(source, totals, base, "none", bucket)
        return totals.drop(columns="label").rename(columns={"n": "total"})
    daily = _source_days(fetcher(source), base, split, labels=tuple(sorted(set(labels) - {OTHER})))
    totals = _rollup_buckets(daily, bucket)
    if count == "stories":
        totals = _stories_in(source, totals, base, split, bucket)
    return totals.rename(columns={"n": "total"})


_FREQ = {"day": "D", "week": "W-MON", "month": "MS"}
_STEP = {"day": pd.DateOffset(days=1), "week": pd.DateOffset(weeks=1), "month": pd.DateOffset(months=1)}


def _complete(series: pd.DataFrame, bucket: Bucket, filters: Filters, collected: pd.DataFrame | None = None
              ) -> pd.DataFrame:
    """Every bucket from the first to the last (or the filter's dates) for every label; a missing one has n = 0.
    Without an end date the chart runs to the last day its sources were `collected` (their day totals, given only
    then): a topic's line must show that it fell to nothing in the last month, not stop at its last article."""
    if series.empty:
        return series
    ends = [series["bucket"].min(), series["bucket"].max()]
    if collected is not None and not collected.empty:
        ends.append(bucket_start(pd.Series([collected["day"].max()]), bucket).iloc[0])
    for day in (filters.date_from, filters.date_to):
        if day:
            ends.append(bucket_start(pd.Series([day.isoformat()]), bucket).iloc[0])
    buckets = pd.date_range(min(ends), max(ends), freq=_FREQ[bucket])
    grid = pd.MultiIndex.from_product([buckets, series["label"].unique()], names=["bucket", "label"])
    return series.set_index(["bucket", "label"]).reindex(grid, fill_value=0).reset_index()


def coverage(source: Connection | Fetch, filters: Filters, bucket: Bucket = "day", split: Split = "none",
             top_n: int = 8, normalized: bool = False, count: Count = "articles", reach: Reach | None = None
             ) -> pd.DataFrame:
    """Coverage series: columns bucket, label, n (matching articles), total (same sources), value (n or share %).

    Every bucket of the period is there: a day without matching articles has n = 0 (and no share without a total).
    With `count` stories, n and total count each story once per bucket and label (over `reach`'s shared articles,
    spike_reach of the filters and bucket unless given)."""
    counts = _rollup_buckets(split_daily(source, filters, split, top_n), bucket)
    if count == "stories":
        reach = spike_reach(filters, bucket, split) if reach is None else reach
        counts = _stories_in(source, counts, filters, split, bucket, reach)
    collected = _totals(fetcher(source), sources_only(filters), "day") if filters.date_to is None else None
    series = _complete(counts, bucket, filters, collected)
    if not normalized:
        return series.assign(total=float("nan"), value=series["n"].astype(float))
    if not has_content_filter(filters) and split in ("none", *SOURCE_SPLITS):
        # the lines are all the articles of their own sources: each is its own denominator
        total = series.rename(columns={"n": "total"})
        total = total.drop(columns="label") if split == "none" else total
    else:
        total = _denominator(source, filters, split, list(series["label"].unique()), bucket, count)
    keys = ["bucket", "label"] if split in SOURCE_SPLITS else ["bucket"]
    merged = series.merge(total, on=keys, how="left")
    merged["value"] = 100.0 * merged["n"] / merged["total"].where(merged["total"] > 0)
    return merged


def coverage_before(source: Connection | Fetch, filters: Filters, shown: pd.DataFrame, bucket: Bucket = "day",
                    split: Split = "none", normalized: bool = False, count: Count = "articles") -> pd.DataFrame | None:
    """The lines of `shown` (coverage() of `filters`) before its first bucket, when the filters' dates start later
    (else None): what their first spikes are judged against (dashboard.spikes.spikes_shown), as on the chart of all
    dates. The WINDOW buckets before it as coverage() gives them (every bucket, each line); and before those, buckets
    with articles (a value of NaN) of each line that has any (_history), which tell that the line has history: a
    bucket with articles has stories too, and the article counts are far cheaper than the stories of all earlier
    dates."""
    lines = tuple(label for label in shown["label"].unique() if label != OTHER)
    if filters.date_from is None or not lines:
        return None
    first = shown["bucket"].min()
    start = first - WINDOW * _STEP[bucket]
    # the lines of `shown`, whichever lines would be the top N before it
    pinned = {SPLIT_FIELDS[split]: lines} if split != "none" and not getattr(filters, SPLIT_FIELDS[split]) else {}
    recent_filters = dataclasses.replace(filters, date_from=start.date(), date_to=(first - pd.Timedelta(days=1)).date(),
                                         **pinned)
    recent = coverage(source, recent_filters, bucket, split, len(lines), normalized, count,
                      reach=spike_reach(filters, bucket, split))
    grid = pd.MultiIndex.from_product([pd.date_range(start, first, freq=_FREQ[bucket], inclusive="left"), lines],
                                      names=["bucket", "label"])
    # a line without articles there: 0 of them (a day without a total keeps its value of NaN: no verdict near it)
    recent = recent.set_index(["bucket", "label"]).reindex(grid, fill_value=0).reset_index()
    earlier = dataclasses.replace(filters, date_from=None, date_to=(start - pd.Timedelta(days=1)).date(), **pinned)
    past = _history(source, earlier, split, lines, bucket).assign(value=float("nan"))
    return pd.concat([past, recent], ignore_index=True)


HISTORY_FIRST = dt.timedelta(days=365)


def _history(source: Connection | Fetch, earlier: Filters, split: Split, lines: tuple[str, ...], bucket: Bucket
             ) -> pd.DataFrame:
    """Buckets with articles of the `lines` under `earlier` (the dates before a spike window): a line's verdicts
    need only whether it has one (dashboard.spikes._judged: the window's buckets all follow), so the year before
    the window is read first, and the dates before that year only when a line had no article in it (at 4.8M
    articles over ten years, the outlets of two countries' month: 175 → 25 ms)."""
    cut = earlier.date_to - HISTORY_FIRST
    found = _with_articles(source, dataclasses.replace(earlier, date_from=cut), split, lines, bucket)
    missing = set(lines) - set(found["label"])
    if not missing:
        return found
    older = _with_articles(source, dataclasses.replace(earlier, date_to=cut - dt.timedelta(days=1)), split, lines,
                           bucket)
    return pd.concat([older[older["label"].isin(missing)], found], ignore_index=True)


def _with_articles(source: Connection | Fetch, filters: Filters, split: Split, lines: tuple[str, ...],
                   bucket: Bucket) -> pd.DataFrame:
    """The buckets of `lines` with articles under `filters`. (Their history only: no countries of a text search's
    matches, but for a split by country.)"""
    past = _rollup_buckets(split_daily(source, filters, split, len(lines), countries=False), bucket)
    return past[(past["n"] > 0) & past["label"].isin(lines)]


# countries ---------------------------------------------------------------------------------------------------

def country_counts(source: Connection | Fetch, filters: Filters, count: Count = "articles") -> pd.DataFrame:
    """Matching articles (or stories, each once per country) per country in the story: columns country, n; most
    first."""
    fetch = fetcher(source)
    pairs = _outlet_countries(fetch, filters)
    totals = pairs.groupby("label", as_index=False)["n"].sum()
    if count == "stories":
        totals = _less(totals, _excess(fetch, filters, ["label"], kind="country"), ["label"])
    totals = totals.rename(columns={"label": "country"})
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


def cover_grid(source: Connection | Fetch, filters: Filters, home: bool = True, top_sources: int = 15,
               top_countries: int = 25, count: Count = "articles") -> CoverGrid:
    """The most active source countries × the most named countries; `home=False` leaves out each source country's
    own country (its cell is empty and it does not count towards that column's total or rank). With `count`
    stories each story counts once per cell, per row and per column (without the home country, a column sums its
    cells)."""
    fetch = fetcher(source)
    pairs = _with_outlets(_outlet_countries(fetch, filters), fetch)
    if count == "stories":
        pairs = pairs.groupby(["source", "label"], as_index=False)["n"].sum()
        pairs = _less(pairs, _excess(fetch, filters, ["source", "label"], kind="country"), ["source", "label"])
    if not home:
        pairs = pairs[pairs["source"] != pairs["label"]]
    if pairs.empty:
        return CoverGrid(pd.DataFrame(), pd.Series(dtype=int), pd.Series(dtype=int))
    # from a rollup when the filters allow one, else from the outlet_days the Coverage headline already fetched
    totals = _with_outlets(_totals(fetch, filters, "outlet_id"), fetch).groupby("source", as_index=False)["n"].sum()
    if count == "stories":
        totals = _less(totals, _excess(fetch, filters, ["source"], labels="country"), ["source"])
    totals = totals.set_index("source")["n"]
    sources = totals.sort_values(ascending=False, kind="stable").head(top_sources)
    if home:   # as the map and the table count them: each story once per country, whoever reported it
        named = country_counts(fetch, filters, count).set_index("country")["n"]
    else:      # the column's cells: a story reported from two other source countries counts in each
        named = pairs.groupby("label")["n"].sum()
    named = named.sort_values(ascending=False, kind="stable").head(top_countries)
    matrix = pairs.pivot_table(index="source", columns="label", values="n", fill_value=0, aggfunc="sum")
    matrix = matrix.reindex(index=sources.index, columns=named.index, fill_value=0)
    matrix.index.name, matrix.columns.name = "source", "country"
    if not home:
        matrix = matrix.mask(pd.DataFrame(matrix.index.to_numpy()[:, None] == matrix.columns.to_numpy()[None, :],
                                          index=matrix.index, columns=matrix.columns))
    return CoverGrid(matrix, sources, named)


def who_covers_whom(source: Connection | Fetch, filters: Filters, normalized: bool = False,
                    top_sources: int = 15, top_countries: int = 25) -> pd.DataFrame:
    """Source country (rows) × country in the story (columns): articles, or % of the source country's articles."""
    grid = cover_grid(source, filters, top_sources=top_sources, top_countries=top_countries)
    if grid.empty:
        return pd.DataFrame()
    return grid.shares if normalized else grid.counts


# articles ----------------------------------------------------------------------------------------------------

def safe_link(link: str | None) -> str | None:
    """The link if it is http(s), else None (nothing else may become clickable)."""
    text = (link or "").strip()
    return text if text.lower().startswith(("http://", "https://")) else None


def article_page(conn: Connection, filters: Filters, page: int = 1, per_page: int = 50,
                 total: int | None = None) -> pd.DataFrame:
    """One page of the matching articles, newest first, with their countries and topics (`total`: how many match)."""
    matches = 0
    if filters.countries or filters.topics or filters.outlets or filters.source_countries:
        # newest first stops after the page: maybe few articles to look at
        matches = count_articles(conn, filters) if total is None else total
    frame = aggregates.article_rows(conn, filters, page, per_page, matches)
    frame["link"] = frame["link"].map(safe_link)
    text = ["outlet", "source", "countries", "topics", "category", "description"]
    frame[text] = frame[text].fillna("")
    frame["published"] = pd.to_datetime(frame["published"], format="%Y-%m-%d %H:%M:%S")
    return frame


STORY_COLUMNS = ["published", "outlet", "title", "link", "articles", "outlet_count", "outlets", "story"]


def told_story_rows(conn: Connection, filters: Filters, page: int, per_page: int, matches: int = 0
                    ) -> list[stories.StoryRow]:
    """One page of the matching stories (db.aggregates.story_rows), each told by the headline its matching reports
    share (as What happened tells them), not by its first report, which may be a side story."""
    rows = aggregates.story_rows(conn, filters, page, per_page, matches)
    return explain.typical_headlines(rows, [(r.story, title, link) for r in rows for title, link in r.headlines])


def story_table(rows: list[stories.StoryRow]) -> pd.DataFrame:
    """One page of stories (told_story_rows) as the Articles page shows them: its first article's time and outlet, its
    headline and link (http(s) only), how many articles and outlets it has among the matches, and those outlets."""
    frame = pd.DataFrame([(r.first_published, r.first_outlet or "", r.title, safe_link(r.link), r.articles,
                           len(r.outlets), "; ".join(r.outlets), r.story) for r in rows], columns=STORY_COLUMNS)
    frame["published"] = pd.to_datetime(frame["published"], format="%Y-%m-%d %H:%M:%S")
    return frame


def member_table(members: list[tuple[int, str, str | None, str, str]]) -> pd.DataFrame:
    """Every article of a story (db.stories.members), oldest first: published, outlet, title, link (http(s) only)."""
    frame = pd.DataFrame([(published, outlet or "", title, safe_link(link)) for _, published, outlet, title, link
                          in members], columns=["published", "outlet", "title", "link"])
    frame["published"] = pd.to_datetime(frame["published"], format="%Y-%m-%d %H:%M:%S")
    return frame


def page_count(total: int, per_page: int) -> int:
    """Number of pages for `total` rows (at least 1)."""
    return max(1, -(-total // per_page))


# sources -----------------------------------------------------------------------------------------------------

def sources_table(conn: Connection, days: int = 30, end: dt.date | None = None) -> pd.DataFrame:
    """Every feed with its outlet, status, errors and articles per day over the `days` days up to `end`."""
    feeds = aggregates.feed_rows(conn)
    end = end or aggregates.last_day(conn) or dt.date.today()
    start = end - dt.timedelta(days=days - 1)
    counts = aggregates.feed_day_counts(conn, start, end)
    window = [(start + dt.timedelta(days=i)).isoformat() for i in range(days)]
    per_feed = {feed_id: dict(zip(g["day"], g["n"], strict=True)) for feed_id, g in counts.groupby("feed_id")}
    feeds["per_day"] = [[int(per_feed.get(i, {}).get(d, 0)) for d in window] for i in feeds["id"]]
    feeds["articles_per_day"] = [round(sum(s) / days, 1) for s in feeds["per_day"]]
    return feeds
