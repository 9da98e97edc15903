"""What the dashboard and the alerts read gives the same answers on SQLite and on PostgreSQL: a sample backfilled
into SQLite, with a few headlines carried by several outlets, moved to PostgreSQL by `db copy`."""

from __future__ import annotations

import dataclasses
import datetime as dt
from contextlib import closing

import pandas as pd
import pytest

from collectors import stories
from dashboard.testing import add_articles, build_sample_db
from db import aggregates, alerts, connect, transaction
from db.copy import copy
from db.filters import Filters
from db.highlights import top_stories

DAY = dt.datetime(2023, 9, 20, tzinfo=dt.UTC)
SAME_STORY = [("Ceasefire in Karabakh", "https://a.example/1", "2023-09-20 10:00:00"),
              ("Łódź votes today", "https://a.example/2", "2023-09-20 12:00:00")]
OTHER_OUTLET = [("CEASEFIRE in Karabakh", "https://b.example/1", "2023-09-20 09:00:00"),
                ("Lodz votes today", "https://b.example/2", "2023-09-20 13:00:00")]
FILTERS = [Filters(), Filters.make(q="karabakh OR ceasefire"), Filters.make(countries=["US", "UA"]),
           Filters.make(source_countries=["PL"], langs=["pl"]), Filters.make(topics=["Elections"])]


@pytest.fixture(scope="module")
def engines(tmp_path_factory, pg_cluster):
    path = build_sample_db(tmp_path_factory.mktemp("engines") / "sample.db", every=8)
    with closing(connect(path)) as conn:
        newest = stories.newest_id(conn)
        add_articles(conn, "https://a.example/rss", SAME_STORY, outlet="A")
        add_articles(conn, "https://b.example/rss", OTHER_OUTLET, outlet="B")
        with transaction(conn):   # grouped as the collector groups a cycle's new articles
            stories.assign_new(conn, newest)
    url = pg_cluster.fresh()
    with closing(connect(path, readonly=True)) as source, closing(connect(url)) as target:
        copy(source, target)
    sqlite, postgres = aggregates.open_db(path), aggregates.open_db(url)
    yield sqlite, postgres
    sqlite.close()
    postgres.close()


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: str(f.to_params()) or "all")
def test_the_top_stories_of_a_day_are_the_same(engines, filters):
    sqlite, postgres = (top_stories(conn, filters, DAY, DAY + dt.timedelta(days=1), limit=8) for conn in engines)
    assert sqlite == postgres
    if filters == Filters():
        assert ("CEASEFIRE in Karabakh", "https://b.example/1", 2, 2) in [(s.title, s.link, s.articles, s.outlets)
                                                                          for s in sqlite]


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: str(f.to_params()) or "all")
def test_the_alerts_count_the_same_articles(engines, filters):
    week = (DAY - dt.timedelta(days=7), DAY + dt.timedelta(days=1))
    answers = [(alerts.daily_counts(conn, filters, *week), alerts.count(conn, filters, *week),
                sorted(alerts.titles(conn, filters, *week))) for conn in engines]
    assert answers[0] == answers[1] and answers[0][1] > 0


@pytest.mark.parametrize("query", ["karabakh OR armenia*", '"prime minister"', "łódź", "title:ceasefire"])
def test_a_topic_query_previews_the_same_articles(engines, query):
    sqlite, postgres = (aggregates.query_preview(conn, query, limit=5) for conn in engines)
    assert sqlite.count == postgres.count > 0
    assert [h[0] for h in sqlite.headlines] == [h[0] for h in postgres.headlines]


def test_collection_ranges_and_gaps_are_the_same(engines):
    sqlite, postgres = (aggregates.collection(conn) for conn in engines)
    assert dataclasses.astuple(sqlite) == dataclasses.astuple(postgres) and sqlite.ranges


def test_the_sources_table_and_the_sidebar_are_the_same(engines):
    end = dt.date(2023, 10, 2)
    sqlite, postgres = ((aggregates.feed_rows(conn), aggregates.feed_day_counts(conn, end - dt.timedelta(days=29), end),
                         aggregates.filter_choices(conn), aggregates.topics_table(conn)) for conn in engines)
    for a, b in zip(sqlite[:2], postgres[:2], strict=True):
        assert a.sort_values(list(a.columns)).values.tolist() == b.sort_values(list(b.columns)).values.tolist()
    assert sqlite[2] == postgres[2]
    topics = [table.drop(columns="updated_at").values.tolist() for table in (sqlite[3], postgres[3])]
    assert topics[0] == topics[1]


SEARCHES = [Filters.make(q="karabakh OR armenia*"), Filters.make(q="ukrain*", langs=["en"]),
            Filters.make(q="wojna OR war", countries=["UA"]),
            Filters.make(q='"prime minister"', source_countries=["GB"]),
            Filters.make(q="title:ceasefire", date_from="2023-09-20", date_to="2023-09-25"),
            Filters.make(q="wybory OR election*", categories=["politics"]), Filters.make(q="no-such-word-anywhere"),
            Filters.make(q="war OR wojna", topics=["Russia–Ukraine war"]),
            Filters.make(q="war OR wojna", countries=["UA", "RU"], countries_mode="all"),
            Filters.make(q="ceasefire", outlets=["A", "B"])]


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
@pytest.mark.parametrize("filters", SEARCHES, ids=lambda f: str(f.to_params()))
def test_one_read_of_a_text_search_counts_what_each_aggregate_counts(engines, engine, filters):
    conn = engines[engine == "postgresql"]
    counted = aggregates.search_counts(conn, filters)

    def ordered(frame: pd.DataFrame) -> pd.DataFrame:   # outlet_days and outlet_labels come in no set order
        return frame.sort_values(list(frame.columns[:2]), ignore_index=True).astype({"n": "int64"})
    assert ordered(counted.days).equals(ordered(aggregates.outlet_days(conn, filters)))
    assert counted.country_days.astype({"n": "int64"}).equals(
        aggregates.label_days(conn, filters, "country").astype({"n": "int64"}))
    assert ordered(counted.outlet_countries).equals(ordered(aggregates.outlet_labels(conn, filters, "country")))
    assert counted.country_days["label"].nunique() == aggregates.label_count(conn, filters, "country")
    assert (counted.days["n"].sum() > 0) == (filters.q != "no-such-word-anywhere")
