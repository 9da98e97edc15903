"""dashboard.queries on a small real database: every figure checked against plain SQL over the articles, on SQLite
and on PostgreSQL (the same sample moved there by `db copy`)."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pandas as pd
import pytest

from dashboard import queries as q
from dashboard.spikes import spikes_shown, unjudged_note
from dashboard.testing import add_articles, build_sample_db, log_fetches, recording_fetch
from db import aggregates, connect
from db.engine import dialect
from db.filters import Filters
from db.search import QuerySyntaxError

FEED = "http://feeds.bbci.co.uk/news/rss.xml"  # BBC News, GB, in the sample
FILTER_SETS = [
    Filters(),
    Filters.make(date_from="2023-09-15", date_to="2023-09-30"),
    Filters.make(countries=["US"]),
    Filters.make(countries=["US", "UA"], date_from="2023-09-20"),
    Filters.make(countries=["US", "UA"], countries_mode="all", langs=["en"]),
    Filters.make(countries=["UA"], langs=["en"], date_to="2023-09-25"),
    Filters.make(topics=["Russia–Ukraine war"]),
    Filters.make(topics=["Elections"], source_countries=["PL"], date_from="2023-09-10"),
    Filters.make(topics=["Elections", "Climate"], langs=["en"]),
    Filters.make(q="ukrain* OR russia*"),
    Filters.make(categories=["politics", "sport"]),
    Filters.make(categories=["politics"], source_countries=["GB"], date_from="2023-09-18"),
    Filters.make(source_countries=["PL"], langs=["pl"]),
    Filters.make(outlets=["BBC News", "The Guardian"], date_to="2023-09-25"),
    Filters.make(countries=["GB"], source_countries=["GB"], date_from="2023-09-18", date_to="2023-09-28"),
]


def drop_rollups(path: Path) -> None:
    """The same database as a pre-migration-3 one would answer: no rollup tables, raw SQL everywhere."""
    conn = sqlite3.connect(path)
    names = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'daily_%'").fetchall()
    for (name,) in names:
        conn.execute(f"DROP TABLE {name}")
    conn.commit()
    conn.close()


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory) -> Path:
    path = build_sample_db(tmp_path_factory.mktemp("dash") / "sample.db")
    with closing(connect(path)) as conn:
        add_articles(conn, FEED, [("=HYPERLINK(\"http://evil.example\",\"click\")", "https://www.bbc.co.uk/news/x1",
                                   "2023-09-20 10:00:00")])
        log_fetches(conn, FEED, "2023-09-21", ["error", "error", "error"])        # down all day: an outage
        log_fetches(conn, FEED, "2023-09-22", ["error", "ok"])                    # recovered: not an outage
    return path


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def db(request, sample_db: Path) -> Path | str:
    """The sample on each engine: a test that takes it runs on both."""
    if request.param == "sqlite":
        return sample_db
    return request.getfixturevalue("pg_cluster").copy_of(sample_db)


@pytest.fixture(scope="module")
def raw_db(sample_db: Path, tmp_path_factory) -> Path:
    copy = tmp_path_factory.mktemp("raw") / "raw.db"
    with closing(sqlite3.connect(sample_db)) as source, closing(sqlite3.connect(copy)) as target:
        source.backup(target)
    drop_rollups(copy)
    return copy


@pytest.fixture
def conn(db: Path):
    connection = q.open_db(db)
    yield connection
    connection.close()


@pytest.fixture
def sqlite_conn(sample_db: Path):
    connection = q.open_db(sample_db)
    yield connection
    connection.close()


def plain(conn: sqlite3.Connection, filters: Filters, select: str, join: str = "", group: str = "") -> list[tuple]:
    where, params = filters.where(dialect=dialect(conn))
    sql = f"SELECT {select} FROM articles a LEFT JOIN outlets o ON o.id = a.outlet_id {join} WHERE {where} {group}"
    return [tuple(r) for r in conn.execute(sql, params).fetchall()]


def test_the_sample_database_uses_rollups(conn):
    assert q.has_rollups(conn)
    assert q.count_articles(conn, Filters()) == conn.execute("SELECT count(*) FROM articles").fetchone()[0] > 600


@pytest.mark.parametrize("filters", FILTER_SETS, ids=lambda f: str(f.to_params()) or "all")
def test_headline_matches_plain_sql(conn, filters):
    head = q.headline(conn, filters)
    (articles, outlets), = plain(conn, filters, "count(*), count(DISTINCT a.outlet_id)")
    assert (head.articles, head.outlets) == (articles, outlets)
    countries = plain(conn, filters, "count(DISTINCT ac.country)", "JOIN article_countries ac ON ac.article_id = a.id")
    assert head.countries == countries[0][0]
    days = plain(conn, filters, "substr(a.published, 1, 10) AS d, count(*) AS n",
                 group="GROUP BY d ORDER BY n DESC, d DESC")
    assert (head.busiest_day, head.busiest_count) == (days[0] if days else (None, 0))


@pytest.mark.parametrize("filters", FILTER_SETS, ids=lambda f: str(f.to_params()) or "all")
def test_the_headline_is_the_same_whatever_the_chart_splits_by(conn, filters):
    assert {q.headline(conn, filters, split) for split in ("none", "country", "topic", "outlet")} == {
        q.headline(conn, filters)}


@pytest.mark.parametrize("filters", [f for f in FILTER_SETS if not q.has_content_filter(f)] +
                         [Filters.make(date_from="2023-10-01"), Filters.make(outlets=["no such outlet"]),
                          Filters.make(source_countries=["GB", "US"]), Filters.make(langs=["en"])],
                         ids=lambda f: str(f.to_params()) or "all")
def test_the_top_countries_and_other_from_the_rollup_match_every_country_counted(conn, filters):
    every = q.label_days(conn, filters, "country")
    for top_n in (1, 3, 8, 500):
        got = q.top_label_days(conn, filters, "country", top_n)
        pd.testing.assert_frame_equal(got, q.top_and_other(every, top_n), check_dtype=False)
        assert got["n"].sum() == every["n"].sum()                   # nothing lost, nothing counted twice
        assert ("other" in set(got["label"])) == (every["label"].nunique() > top_n)


@pytest.mark.parametrize("filters", [
    *FILTER_SETS,
    Filters.make(countries=["US", "UA", "RU"], outlets=["BBC News", "The Guardian"], date_to="2023-09-25"),
    Filters.make(countries=["US", "UA"], countries_mode="all"),
    Filters.make(topics=["Elections", "Russia–Ukraine war"], source_countries=["PL", "GB"], date_from="2023-09-15"),
    Filters.make(countries=["XX"], date_from="2023-09-20"),
], ids=lambda f: str(f.to_params()) or "all")
def test_the_number_of_countries_in_the_story_is_that_of_the_matching_articles(conn, filters):
    # several countries or topics (any of them) are counted from the pair rollups: a country named beside two of
    # them, or outside the dates, must count once or not at all
    expected = plain(conn, filters, "count(DISTINCT ac.country)", "JOIN article_countries ac ON ac.article_id = a.id")
    assert q.label_count(conn, filters, "country") == expected[0][0]


@pytest.mark.parametrize("filters", [f for f in FILTER_SETS if aggregates.only_categories(f)],
                         ids=lambda f: str(f.to_params()))
def test_views_filtered_by_category_alone_are_summed_from_its_rollups(conn, filters):
    assert "daily_categories" in aggregates.article_facts(conn, filters)[0]
    assert "daily_category_countries" in q.label_facts(conn, filters, "country")[0]
    expected = plain(conn, filters, "coalesce(a.outlet_id, 0) AS o, ac.country, count(*)",
                     "JOIN article_countries ac ON ac.article_id = a.id", "GROUP BY o, ac.country ORDER BY 1, 2")
    pairs = q.outlet_labels(conn, filters, "country").sort_values(["outlet_id", "label"], ignore_index=True)
    assert list(pairs.itertuples(index=False, name=None)) == expected and expected
    days = plain(conn, filters, f"{aggregates.DAY}, count(*)", "", "GROUP BY 1 ORDER BY 1")
    assert list(aggregates.day_totals(conn, filters).sort_values("day").itertuples(index=False, name=None)) == days


@pytest.mark.parametrize("filters", [f for f in FILTER_SETS if aggregates.two_countries(f)] + [
    Filters.make(countries=["US", "UA"], outlets=["BBC News", "The Guardian"], date_to="2023-09-25"),
    Filters.make(countries=["UA", "RU"], countries_mode="all", source_countries=["GB"], date_from="2023-09-15"),
    Filters.make(countries=["US", "XX"]), Filters.make(countries=["US", "XX"], countries_mode="all"),
], ids=lambda f: str(f.to_params()))
def test_two_countries_in_either_mode_are_counted_from_the_pair_rollup(conn, filters):
    # any: each country's articles less those naming both (the pair rollup), which would otherwise count twice
    assert "daily_country_pairs" in aggregates.article_facts(conn, filters)[0]
    days = plain(conn, filters, f"{aggregates.DAY}, count(*)", "", "GROUP BY 1 ORDER BY 1")
    assert list(aggregates.day_totals(conn, filters).sort_values("day").itertuples(index=False, name=None)) == days
    outlets = plain(conn, filters, "coalesce(a.outlet_id, 0) AS o, count(*)", "", "GROUP BY o ORDER BY o")
    got = aggregates.outlet_totals(conn, filters).sort_values("outlet_id")
    assert list(got.itertuples(index=False, name=None)) == outlets
    assert q.count_articles(conn, filters) == sum(n for _, n in days)
    # and the countries named beside them: each country's pair rollup, less what the articles naming both add twice
    labels = plain(conn, filters, "coalesce(a.outlet_id, 0) AS o, ac.country, count(*)",
                   "JOIN article_countries ac ON ac.article_id = a.id", "GROUP BY o, ac.country ORDER BY 1, 2")
    got = q.outlet_labels(conn, filters, "country").sort_values(["outlet_id", "label"], ignore_index=True)
    assert list(got.itertuples(index=False, name=None)) == labels


@pytest.mark.parametrize("filters", [f for f in FILTER_SETS if not q.has_content_filter(f)],
                         ids=lambda f: str(f.to_params()) or "all")
@pytest.mark.parametrize("split", ["outlet", "source"])
def test_without_a_content_filter_each_source_line_is_all_of_its_own_articles(conn, filters, split):
    got = q.coverage(conn, filters, "week", split, 3, normalized=True)
    assert set(got.loc[got["n"] > 0, "value"]) == {100.0} and got.loc[got["n"] == 0, "value"].isna().all()
    # the same as the denominator counted apart from the lines, as it is for a content filter
    apart = q._denominator(conn, filters, split, list(got["label"].unique()), "week")
    merged = got.merge(apart, on=["bucket", "label"], how="left", suffixes=("", "_apart"))
    pd.testing.assert_series_equal(merged["value"], 100.0 * merged["n"] / merged["total_apart"].where(
        merged["total_apart"] > 0), check_names=False)


@pytest.mark.parametrize("days", [1, 30, 400])
def test_the_sources_table_counts_each_feeds_days_from_its_rollup_as_from_the_links(db, raw_db, days):
    rolled, raw = q.open_db(db), q.open_db(raw_db)
    assert q.has_rollups(rolled, "daily_feeds") and not q.has_rollups(raw, "daily_feeds")
    end = aggregates.last_day(raw)
    got, expected = q.sources_table(rolled, days, end), q.sources_table(raw, days, end)
    assert got["per_day"].tolist() == expected["per_day"].tolist()
    assert sum(map(sum, expected["per_day"])) > 0


@pytest.mark.parametrize("filters", FILTER_SETS, ids=lambda f: str(f.to_params()) or "all")
def test_rollups_and_raw_sql_give_the_same_answers(db, raw_db, filters):
    rolled, raw = q.open_db(db), q.open_db(raw_db)
    assert not q.has_rollups(raw)
    calls = [lambda c: q.headline(c, filters), lambda c: q.count_articles(c, filters),
             lambda c: q.country_counts(c, filters), lambda c: q.who_covers_whom(c, filters, normalized=True)]
    splits = ("none", "topic", "country", "source", "outlet")
    calls += [lambda c, s=s, n=n, b=b: q.coverage(c, filters, b, s, 3, n)
              for s in splits for n in (False, True) for b in ("day", "month")]
    for call in calls:
        a, b = call(rolled), call(raw)
        if isinstance(a, pd.DataFrame):
            pd.testing.assert_frame_equal(a, b, check_dtype=False)
        else:
            assert a == b


@pytest.mark.parametrize("filters", [f for f in FILTER_SETS if q.one_tag(f)], ids=lambda f: str(f.to_params()))
def test_the_countries_of_one_topic_or_country_come_from_their_rollup(conn, filters):
    rollup = {"topic": "daily_topic_countries", "country": "daily_country_pairs"}[q.one_tag(filters)]
    assert rollup in q.label_facts(conn, filters, "country")[0]
    pairs = q.outlet_labels(conn, filters, "country").sort_values(["outlet_id", "label"], ignore_index=True)
    expected = plain(conn, filters, "coalesce(a.outlet_id, 0) AS o, ac.country, count(*)",
                     "JOIN article_countries ac ON ac.article_id = a.id", "GROUP BY o, ac.country ORDER BY 1, 2")
    assert list(pairs.itertuples(index=False, name=None)) == expected and expected
    assert q.label_count(conn, filters, "country") == len({country for _, country, _ in expected})


@pytest.mark.parametrize("filters", FILTER_SETS, ids=lambda f: str(f.to_params()) or "all")
def test_correlated_and_collected_tag_filters_select_the_same_articles(conn, filters):
    ids = []
    for correlated in (False, True):
        where, params = filters.where(correlated=correlated, dialect=dialect(conn))
        ids.append(conn.execute(f"SELECT a.id FROM articles a LEFT JOIN outlets o ON o.id = a.outlet_id "
                                f"WHERE {where} ORDER BY a.id", params).fetchall())
    assert [tuple(r) for r in ids[0]] == [tuple(r) for r in ids[1]]


def test_the_cheaper_tag_filter_is_chosen(sqlite_conn):  # SQLite's choice: PostgreSQL's planner makes its own
    conn = sqlite_conn
    assert not q.correlate(conn, Filters.make(source_countries=["GB"]))            # nothing to choose
    rare = Filters.make(countries=["AZ"])
    assert not q.correlate(conn, rare)                   # few tagged articles: collect them (IN)
    narrow = Filters.make(countries=["US"], date_from="2023-10-02")
    assert q.correlate(conn, narrow)                     # one day's articles: test each (EXISTS)
    common = Filters.make(countries=["US"])
    matches = q.count_articles(conn, common)
    assert q.correlate(conn, common, first=20, matches=matches)   # newest first stops early
    assert not q.correlate(conn, common, first=matches, matches=matches)
    for page in (1, 3):
        collected = q.article_page(conn, common, page, 20, total=1)          # as if rare: IN
        tested = q.article_page(conn, common, page, 20, total=10**9)         # as if everywhere: EXISTS
        pd.testing.assert_frame_equal(collected, tested)
        pd.testing.assert_frame_equal(collected, q.article_page(conn, common, page, 20))


def test_coverage_per_day_and_week(conn):
    filters = Filters.make(date_from="2023-09-14", date_to="2023-09-27")
    days = q.coverage(conn, filters, "day")
    expected = dict(plain(conn, filters, "substr(a.published, 1, 10) AS d, count(*)", group="GROUP BY d"))
    shown = {b.strftime("%Y-%m-%d"): n for b, n in zip(days["bucket"], days["n"], strict=True)}
    assert {d: n for d, n in shown.items() if n} == expected
    assert list(shown) == [(dt.date(2023, 9, 14) + dt.timedelta(days=i)).isoformat() for i in range(14)]  # no gaps
    assert (days["value"] == days["n"]).all()
    weeks = q.coverage(conn, filters, "week")
    assert list(weeks["bucket"].dt.day_of_week.unique()) == [0]                   # weeks start on Monday
    assert weeks["n"].sum() == days["n"].sum()
    months = q.coverage(conn, Filters(), "month")
    assert [b.strftime("%Y-%m-%d") for b in months["bucket"]] == ["2023-09-01", "2023-10-01"]


@pytest.mark.parametrize("filters", [f for f in FILTER_SETS if q.rolled_up(f)] +
                         [Filters.make(date_from="2023-10-01"), Filters.make(outlets=["no such outlet"]),
                          Filters.make(source_countries=["GB", "US"]), Filters.make(langs=["en"])],
                         ids=lambda f: str(f.to_params()) or "all")
@pytest.mark.parametrize("split", ["outlet", "source"])
def test_the_top_outlets_or_source_countries_and_other_match_every_outlet_counted(conn, filters, split):
    every = q.daily_counts(conn, filters, split)
    for top_n in (1, 3, 8, 500):
        got = q.split_daily(conn, filters, split, top_n)
        if getattr(filters, q.SPLIT_FIELDS[split]):   # the filter names the lines: those are drawn
            continue
        pd.testing.assert_frame_equal(got, q.top_and_other(every, top_n), check_dtype=False)
        assert got["n"].sum() == every["n"].sum()                   # nothing lost, nothing counted twice
        assert ("other" in set(got["label"])) == (every["label"].nunique() > top_n)


def test_a_line_runs_to_the_last_day_collected_not_to_its_last_article(conn):
    # a user trial: a topic's monthly line stopped at November, hiding that December had none of it
    last = plain(conn, Filters(), "max(substr(a.published, 1, 10))")[0][0]
    day = "max(substr(a.published, 1, 10))"
    quiet = plain(conn, Filters(), f"ac.country, {day}", "JOIN article_countries ac ON ac.article_id = a.id",
                  f"GROUP BY ac.country HAVING {day} < '{last}' ORDER BY count(*) DESC LIMIT 1")
    country, ended = quiet[0]
    series = q.coverage(conn, Filters.make(countries=[country]), "day")
    assert series["bucket"].max().date().isoformat() == last
    assert series.loc[series["bucket"] > pd.Timestamp(ended), "n"].sum() == 0
    dated = q.coverage(conn, Filters.make(countries=[country], date_to=ended), "day")   # an end date is the end
    assert dated["bucket"].max().date().isoformat() == ended


def test_split_by_outlet_keeps_top_n_and_sums_the_rest_into_other(conn):
    series = q.coverage(conn, Filters(), "day", "outlet", top_n=3)
    labels = set(series["label"])
    assert len(labels) == 4 and "other" in labels
    by_outlet = plain(conn, Filters(), "o.name, count(*) AS n", group="GROUP BY o.name ORDER BY n DESC, o.name")
    assert labels - {"other"} == {name for name, _ in by_outlet[:3]}
    assert series["n"].sum() == q.count_articles(conn, Filters())              # one outlet per article: nothing lost


def test_split_by_country_counts_an_article_in_each_of_its_countries(conn):
    series = q.coverage(conn, Filters(), "day", "country", top_n=2)
    pairs = plain(conn, Filters(), "count(*)", "JOIN article_countries ac ON ac.article_id = a.id")[0][0]
    assert series["n"].sum() == pairs
    assert len(set(series["label"])) == 3


def test_split_by_selected_values_draws_exactly_those(conn):
    filters = Filters.make(countries=["US", "UA"])
    series = q.coverage(conn, filters, "day", "country")
    assert set(series["label"]) == {"US", "UA"}
    us = plain(conn, Filters(), "count(*)", "JOIN article_countries ac ON ac.article_id = a.id AND ac.country = 'US'")
    assert series.loc[series["label"] == "US", "n"].sum() == us[0][0]


def test_normalized_share_divides_by_all_articles_of_the_same_outlets(conn):
    filters = Filters.make(q="ukrain*", source_countries=["GB"])
    series = q.coverage(conn, filters, "day", normalized=True)
    totals = dict(plain(conn, Filters.make(source_countries=["GB"]), "substr(a.published, 1, 10) AS d, count(*)",
                        group="GROUP BY d"))
    for row in series[series["n"] > 0].itertuples():
        assert row.total == totals[row.bucket.strftime("%Y-%m-%d")]
        assert row.value == pytest.approx(100 * row.n / row.total)
    by_outlet = q.coverage(conn, Filters.make(q="ukrain*"), "week", "outlet", top_n=2, normalized=True)
    assert (by_outlet["value"] <= 100).all() and (by_outlet["total"] >= by_outlet["n"]).all()


@pytest.mark.parametrize("bucket", ["day", "week"])
@pytest.mark.parametrize("count", ["articles", "stories"])
def test_a_share_by_outlet_draws_each_line_once_per_bucket_and_other_over_the_rest(conn, bucket, count):
    series = q.coverage(conn, Filters.make(q="ukrain*"), bucket, "outlet", top_n=2, normalized=True, count=count)
    assert not series.duplicated(["bucket", "label"]).any()
    drawn = set(series["label"]) - {q.OTHER}
    assert len(drawn) == 2 and q.OTHER in set(series["label"])
    per_outlet = dict(plain(conn, Filters(), "o.name, count(*)", group="GROUP BY o.name"))
    if count == "articles":   # the whole year: every outlet's articles, the other ones' in "other"
        totals = series.groupby("label")["total"].sum()
        assert totals[q.OTHER] == sum(n for name, n in per_outlet.items() if name not in drawn)


def test_no_content_filter_share_is_everything(conn):
    series = q.coverage(conn, Filters.make(langs=["pl"]), "day", normalized=True)
    assert series["value"].dropna().round(6).eq(100).all()
    assert series.loc[series["value"].isna(), "n"].eq(0).all()            # no articles that day: no share


def test_outage_days_are_days_a_feed_failed_every_fetch(conn):
    outages = q.outage_days(conn, Filters())
    assert outages.to_dict("records") == [{"day": "2023-09-21", "failing": 1, "polled": 1}]
    assert q.outage_days(conn, Filters.make(source_countries=["PL"])).empty   # not one of the filtered outlets
    assert q.outage_days(conn, Filters.make(date_from="2023-09-22")).empty


def test_country_counts_and_who_covers_whom(conn):
    counts = q.country_counts(conn, Filters())
    expected = plain(conn, Filters(), "ac.country, count(*) AS n", "JOIN article_countries ac ON ac.article_id = a.id",
                     "GROUP BY ac.country ORDER BY n DESC, ac.country")
    assert list(counts.itertuples(index=False, name=None)) == expected
    matrix = q.who_covers_whom(conn, Filters(), top_sources=4, top_countries=5)
    assert matrix.shape == (4, 5) and list(matrix.columns) == [c for c, _ in expected[:5]]
    gb_us = plain(conn, Filters.make(source_countries=["GB"], countries=["US"]), "count(*)")[0][0]
    assert matrix.loc["GB", "US"] == gb_us
    shares = q.who_covers_whom(conn, Filters(), normalized=True, top_sources=4, top_countries=5)
    gb_total = plain(conn, Filters.make(source_countries=["GB"]), "count(*)")[0][0]
    assert shares.loc["GB", "US"] == pytest.approx(100 * gb_us / gb_total)
    assert q.who_covers_whom(conn, Filters.make(q="zzzzqqq")).empty


def test_article_page_is_newest_first_and_paged_in_sql(conn):
    filters = Filters.make(source_countries=["GB"])
    total = q.count_articles(conn, filters)
    first, second = q.article_page(conn, filters, 1, 20), q.article_page(conn, filters, 2, 20)
    assert len(first) == 20 and first["published"].is_monotonic_decreasing
    assert first["published"].iloc[-1] >= second["published"].iloc[0]
    assert len(q.article_page(conn, filters, q.page_count(total, 20), 20)) == total - 20 * (q.page_count(total, 20) - 1)
    assert q.article_page(conn, filters, 10_000, 20).empty
    assert set(first["source"]) == {"GB"} and first["link"].str.startswith("http").all()
    assert q.page_count(0, 20) == 1 and q.page_count(41, 20) == 3


@pytest.mark.parametrize("filters", [f for f in FILTER_SETS if f.outlets or f.source_countries],
                         ids=lambda f: str(f.to_params()))
@pytest.mark.parametrize("page", [1, 3, 40])
def test_a_page_walked_newest_first_holds_the_rows_the_outlets_index_finds(conn, monkeypatch, filters, page):
    total = q.count_articles(conn, filters)
    pages = []
    for walk in (False, True):
        monkeypatch.setattr(aggregates, "walk_newest", lambda *args, walk=walk: walk)
        pages.append(q.article_page(conn, filters, page, 20, total=total))
    pd.testing.assert_frame_equal(pages[0], pages[1])
    assert len(pages[0]) == max(0, min(20, total - 20 * (page - 1)))


def test_the_newest_first_walk_is_chosen_where_it_looks_at_fewer_articles(sqlite_conn):
    conn = sqlite_conn
    everything = q.count_articles(conn, Filters())
    british = Filters.make(source_countries=["GB"])
    share = q.count_articles(conn, british)
    assert 50 * everything / share < share    # most of the sample: the walk finds a page of them soon
    assert aggregates.walk_newest(conn, british, 50, share)
    assert not aggregates.walk_newest(conn, british, 50, 1)                           # one among them: not
    assert not aggregates.walk_newest(conn, Filters.make(outlets=["BBC News"]), 50, everything)  # its index is
    assert not aggregates.walk_newest(conn, Filters.make(countries=["US"]), 50, everything)      # no outlets
    assert "+a.outlet_id" in aggregates.FROM_NEWEST


def test_only_http_links_are_kept():
    assert q.safe_link("https://example.com/a") == "https://example.com/a"
    for bad in ("javascript:alert(1)", "data:text/html,x", " JAVASCRIPT:alert(1)", "", None, "//example.com"):
        assert q.safe_link(bad) is None


def test_topics_table_and_query_preview(conn):
    table = q.topics_table(conn)
    assert "Russia–Ukraine war" in set(table["name"]) and (table["articles"] >= 0).all()
    preview = q.query_preview(conn, "ukrain*", limit=3)
    assert preview.count == plain(conn, Filters.make(q="ukrain*"), "count(*)")[0][0] > 0
    assert len(preview.headlines) == 3 and preview.headlines[0][0] >= preview.headlines[-1][0]
    with pytest.raises(QuerySyntaxError) as caught:
        q.query_preview(conn, "(ukraine OR russia")
    assert "never closed" in caught.value.short


def test_sources_table_has_a_sparkline_per_feed(conn):
    feeds = q.sources_table(conn, days=30)
    assert len(feeds) == conn.execute("SELECT count(*) FROM feeds").fetchone()[0]
    assert all(len(s) == 30 for s in feeds["per_day"])
    end = q.last_day(conn)
    assert end == dt.date(2023, 10, 2)
    linked = conn.execute("SELECT count(*) FROM article_feeds af JOIN articles a ON a.id = af.article_id "
                          "WHERE a.published >= ?", ((end - dt.timedelta(days=29)).isoformat(),)).fetchone()[0]
    assert sum(map(sum, feeds["per_day"])) == linked
    bbc = feeds[feeds["url"] == FEED].iloc[0]
    assert bbc["outlet"] == "BBC News" and bbc["country"] == "GB"


def test_filter_choices(conn):
    choices = q.filter_choices(conn)
    assert "BBC News" in choices.outlets and "PL" in choices.source_countries and "pl" in choices.languages
    assert "Nagorno-Karabakh" in choices.topics


def test_an_empty_database_answers_with_zeros(tmp_path):
    path = tmp_path / "empty.db"
    q.ensure_db(path)
    conn = q.open_db(path)
    assert q.headline(conn, Filters()) == q.Headline(0, 0, 0, None, 0)
    assert q.coverage(conn, Filters(), "week", "country", normalized=True).empty
    assert q.country_counts(conn, Filters()).empty and q.who_covers_whom(conn, Filters()).empty
    assert q.article_page(conn, Filters()).empty and q.sources_table(conn).empty
    assert q.outage_days(conn, Filters()).empty and q.topics_table(conn).empty


@pytest.mark.parametrize("split", ["none", "country", "outlet", "topic"])
@pytest.mark.parametrize(("normalized", "count"), [(False, "articles"), (True, "articles"), (False, "stories")])
def test_a_later_start_reads_each_lines_baseline_as_the_chart_of_all_dates_has_it(conn, split, normalized, count):
    dated = Filters.make(langs=["en"], date_from="2023-09-29")
    shown = q.coverage(conn, dated, "day", split, 8, normalized, count)
    before = q.coverage_before(conn, dated, shown, "day", split, normalized, count)
    whole = q.coverage(conn, Filters.make(langs=["en"]), "day", split, 8, normalized, count)
    lines = sorted(set(shown["label"]) & set(whole["label"]) - {q.OTHER})
    assert lines and set(before["label"]) <= set(shown["label"])

    def rows(series: pd.DataFrame) -> list[tuple]:
        series = series[series["label"].isin(lines)].sort_values(["label", "bucket"])
        return [(str(r.bucket.date()), r.label, r.n, round(r.value, 9) if r.value == r.value else "none")
                for r in series.itertuples()]
    window = whole[(whole["bucket"] >= "2023-09-15") & (whole["bucket"] < "2023-09-29")]   # the 14 days before
    assert rows(before[before["bucket"] >= "2023-09-15"]) == rows(window)
    earlier = whole[(whole["bucket"] < "2023-09-15") & (whole["n"] > 0)]   # before those: days with articles
    past = before[before["bucket"] < "2023-09-15"]
    assert {r[:2] for r in rows(past)} <= {r[:2] for r in rows(earlier)} and past["value"].isna().all()
    assert {r[1] for r in rows(past)} == {r[1] for r in rows(earlier)}   # of every line that has any


@pytest.mark.parametrize("first_read", [1, 3, 365])
def test_a_later_starts_verdicts_do_not_depend_on_how_much_history_is_read_first(engine, monkeypatch, first_read):
    """The history before a dated view's spike window is read from its last `first_read` days, and further back only
    for the lines without articles there: the spikes and the lines left unjudged are those of the whole history. An
    outlet silent for weeks before the view still has its history; one that begins in the view has none."""
    days = [f"2023-09-{d:02d} 10:00:00" for d in range(1, 30)]
    add_articles(engine, "https://steady.example/rss", [(f"Steady {d}", f"https://steady.example/{d}", d)
                                                         for d in days], outlet="Steady")
    add_articles(engine, "https://steady.example/rss", [(f"Steady news {i}", f"https://steady.example/30-{i}",
                                                         "2023-09-30 09:00:00") for i in range(8)], outlet="Steady")
    for name, when in (("Quiet", ["2023-09-01 10:00:00", "2023-09-30 10:00:00"]), ("New", ["2023-09-30 10:00:00"])):
        add_articles(engine, f"https://{name.lower()}.example/rss",
                     [(f"{name} {i}", f"https://{name.lower()}.example/{i}", w) for i, w in enumerate(when)],
                     outlet=name)
    dated = Filters.make(date_from="2023-09-29")
    shown = q.coverage(engine, dated, "day", "outlet", 8)
    monkeypatch.setattr(q, "HISTORY_FIRST", dt.timedelta(days=10_000))
    whole = q.coverage_before(engine, dated, shown, "day", "outlet")
    monkeypatch.setattr(q, "HISTORY_FIRST", dt.timedelta(days=first_read))
    before = q.coverage_before(engine, dated, shown, "day", "outlet")
    assert set(before.loc[before["bucket"] < "2023-09-15", "label"]) == {"Steady", "Quiet"}
    assert list(spikes_shown(shown, before)["label"]) == list(spikes_shown(shown, whole)["label"]) == ["Steady"]
    note = unjudged_note(shown, before, "outlet", "day")
    assert note == unjudged_note(shown, whole, "outlet", "day") and "New" in note and "Quiet" not in note


def test_a_chart_of_all_dates_needs_no_baseline_before_it(conn):
    assert q.coverage_before(conn, Filters(), q.coverage(conn, Filters())) is None


def test_the_app_computes_each_languages_collection_before_a_visitor_asks(tmp_path, monkeypatch):
    """A language filter's pages say which days its outlets were collected: the app computes that for every stored
    language when it starts, as it does for all outlets, so that a visitor's first such page does not wait for it."""
    from dashboard import state

    path = tmp_path / "warm.db"
    with closing(connect(path)) as conn:
        add_articles(conn, "https://gazeta.example/rss", [("Wybory", "https://gazeta.example/1",
                                                           "2023-10-15 10:00:00")], "Gazeta", "PL", "pl")
        add_articles(conn, "https://herald.example/rss", [("Vote", "https://herald.example/1",
                                                           "2023-10-15 11:00:00")], "Herald", "GB", "en")
    state.forget_cached()
    state._warm(str(path))
    asked = []
    monkeypatch.setattr(aggregates, "collection", lambda *args, **kwargs: asked.append(kwargs))
    for language in ("en", "pl"):
        ranges = state._collection(str(path), (), (), (language,)).ranges
        assert [r.name for r in ranges] == [{"en": "Herald", "pl": "Gazeta"}[language]]
    assert asked == []


MATCH_READS = ("search_counts", "outlet_days", "label_days", "outlet_labels", "label_count")


def recording(conn) -> tuple[q.Fetch, Callable[[], list[tuple[str, Filters]]]]:
    """A Fetch on `conn` (each distinct call answered once, as the app's cache does), and the (aggregate's name,
    filters) of its calls so far."""
    fetch, calls = recording_fetch(conn)
    return fetch, lambda: [(aggregate.__name__, args[0] if args else None) for aggregate, args, _ in calls]


@pytest.mark.parametrize("split", ["none", "country", "outlet"])
def test_the_pages_over_a_text_search_read_its_matches_once(conn, split):
    fetch, reads = recording(conn)
    searched = Filters.make(q="ukrain* OR wojna")
    q.headline(fetch, searched, split)
    q.coverage(fetch, searched, "week", split, 3, normalized=True)
    q.cover_grid(fetch, searched)
    assert {read for read in reads() if read[0] in MATCH_READS} == {("search_counts", searched)}


def test_a_spike_baseline_reads_a_text_search_s_earlier_days_without_their_countries(conn):
    fetch, reads = recording(conn)
    searched = Filters.make(q="ukrain* OR wojna", date_from="2023-09-25")
    shown = q.coverage(fetch, searched, "day", "none")
    before = q.coverage_before(fetch, searched, shown, "day", "none")
    assert before is not None and before["n"].sum() > 0
    earlier = [(name, f) for name, f in reads() if f is not None and f.date_from is None]
    assert earlier and {name for name, _ in earlier} == {"outlet_days"}
    assert q.count_articles(fetch, searched) == int(shown["n"].sum())
    assert ("search_counts", searched) not in reads()[-1:]      # the Articles page's count reads no countries either
