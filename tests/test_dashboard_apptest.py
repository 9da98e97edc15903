"""Every page of the Streamlit app through streamlit.testing.v1.AppTest, on a small database and an empty one."""

from __future__ import annotations

import datetime as dt
import re
from contextlib import closing
from pathlib import Path

import pytest
from conftest import no_errors, plain, run_app
from streamlit.testing.v1 import AppTest

from dashboard import queries, state
from dashboard.isocodes import COUNTRIES
from dashboard.labels import country_label
from dashboard.testing import add_articles, build_sample_db
from db import connect, service
from db.filters import Filters
from newsradar import health

PAGES = ["coverage", "countries", "articles", "topics", "sources"]


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory) -> Path:
    path = build_sample_db(tmp_path_factory.mktemp("apptest") / "sample.db", every=40)
    with closing(connect(path)) as conn:
        add_articles(conn, "http://feeds.bbci.co.uk/news/rss.xml", [
            ("<script>alert(1)</script> in Azerbaijan", "https://www.bbc.co.uk/news/xss1", "2023-09-20 10:00:00")])
    return path


def shown_count(at: AppTest) -> int:
    """The number in the Articles page's 'N matching articles'."""
    return int(re.match(r"([\d,]+) matching articles", at.subheader[0].value).group(1).replace(",", ""))


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_on_the_sample(sample_db, monkeypatch, page):
    at = no_errors(run_app(sample_db, monkeypatch, page))
    assert at.title[0].value == page.capitalize()
    assert not at.warning


def test_coverage_headline_and_chart_controls(sample_db, monkeypatch):
    at = no_errors(run_app(sample_db, monkeypatch))
    with closing(queries.open_db(sample_db)) as conn:
        head = queries.headline(conn, Filters())
    assert [m.value for m in at.metric] == [f"{head.articles:,}", f"{head.outlets:,}", f"{head.countries:,}",
                                            head.busiest_day]
    at.selectbox(key="split").select("country").run()
    at.segmented_control(key="measure").set_value("share").run()
    at.segmented_control(key="interval").set_value("week").run()
    no_errors(at)
    assert "counts once in each of its countries" in at.caption[0].value


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_on_an_empty_database(tmp_path, monkeypatch, page):
    at = no_errors(run_app(tmp_path / "new" / "empty.db", monkeypatch, page))
    messages = " ".join(i.value for i in at.info)
    expected = {"coverage": "no articles yet", "countries": "names a country", "articles": "No articles match",
                "topics": "No topics yet", "sources": "No feeds yet"}[page]
    assert expected in messages


def test_a_link_reproduces_the_view(sample_db, monkeypatch):
    params = {"country": "AZ", "from": "2023-09-15", "to": "2023-09-30"}
    at = no_errors(run_app(sample_db, monkeypatch, "articles", params))
    assert at.multiselect(key="country").value == ["AZ"]
    with closing(queries.open_db(sample_db)) as conn:
        expected = queries.count_articles(conn, Filters.from_params(params))
    assert shown_count(at) == expected > 0
    table = at.dataframe[0].value
    assert len(table) == expected and all("AZ" in c.split() for c in table["countries"])
    assert table["published"].min().strftime("%Y-%m-%d") >= "2023-09-15"
    # where each outlet is based, by name: "Poland", not "PL"
    names = {name for _, name in COUNTRIES.values()}
    assert set(table["source"]) - {"unknown"} and set(table["source"]) <= names | {"unknown"}


def test_articles_are_paged(sample_db, monkeypatch):
    at = no_errors(run_app(sample_db, monkeypatch, "articles"))
    first = at.dataframe[0].value
    assert len(first) == 50 and shown_count(at) > 50
    at.pagination(key="page").select(2).run()
    second = no_errors(at).dataframe[0].value
    assert len(second) == 50 and second["published"].max() <= first["published"].min()
    at.toggle(key="descriptions").set_value(True).run()
    columns = list(no_errors(at).dataframe[0].value.columns)
    assert columns[:5] == ["published", "outlet", "title", "link", "description"]   # beside its title, in view


def test_titles_stay_text(sample_db, monkeypatch):
    at = no_errors(run_app(sample_db, monkeypatch, "articles", {"q": "azerbaijan"}))
    assert "<script>alert(1)</script> in Azerbaijan" in set(at.dataframe[0].value["title"])


@pytest.mark.parametrize("page", ["coverage", "countries", "articles"])
def test_a_bad_query_gets_a_message_not_a_traceback(sample_db, monkeypatch, page):
    at = no_errors(run_app(sample_db, monkeypatch, page, {"q": "(karabakh OR"}))
    assert "query" in plain(at.sidebar.error[0]) and "at character 13" in plain(at.sidebar.error[0])
    assert "cannot be applied" in plain(at.warning[0])
    at.text_input(key="q").input("karabakh").run()
    assert not no_errors(at).warning


def test_from_after_to_is_explained(sample_db, monkeypatch):
    at = no_errors(run_app(sample_db, monkeypatch, "articles", {"from": "2023-09-30", "to": "2023-09-15"}))
    assert "is after" in plain(at.warning[0])


def test_clear_filters(sample_db, monkeypatch):
    at = no_errors(run_app(sample_db, monkeypatch, "articles", {"country": "AZ", "q": "karabakh"}))
    narrowed = shown_count(at)
    at.sidebar.button[0].click().run()
    assert at.multiselect(key="country").value == [] and at.text_input(key="q").value == ""
    assert shown_count(no_errors(at)) > narrowed


def test_topics_create_preview_edit_and_delete(tmp_path, monkeypatch):
    db = build_sample_db(tmp_path / "topics.db", every=80)
    at = no_errors(run_app(db, monkeypatch, "topics"))
    at.text_input(key="draft_name").input("Grain deal")
    at.text_area(key="draft_query").input("(grain OR zboz*) AND (ukrain* OR black sea").run()
    assert "Not a valid query" in plain(no_errors(at).error[0]) and "never closed" in plain(at.error[0])
    at.text_area(key="draft_query").input("ukrain* OR kyiv").run()
    assert re.match(r"\*\*\d+\*\* stored articles match", no_errors(at).markdown[0].value)
    at.button[0].click().run()
    assert "Created the topic “Grain deal”" in plain(no_errors(at).success[0])
    with closing(queries.open_db(db)) as conn:
        assert conn.execute("SELECT query FROM topics WHERE name = 'Grain deal'").fetchone()[0] == "ukrain* OR kyiv"
    assert at.selectbox(key="topic_pick").value == "Grain deal"
    at.text_input(key="draft_name").input("Ukraine").run()
    at.button[0].click().run()
    assert "Saved the topic “Ukraine”" in plain(no_errors(at).success[0])
    at.button(key="confirm_delete").click().run()
    assert "Deleted the topic “Ukraine”" in plain(no_errors(at).success[0])
    with closing(queries.open_db(db)) as conn:
        assert conn.execute("SELECT count(*) FROM topics WHERE name IN ('Ukraine', 'Grain deal')").fetchone()[0] == 0


def test_a_duplicate_topic_name_is_refused(tmp_path, monkeypatch):
    db = build_sample_db(tmp_path / "dup.db", every=200)
    at = no_errors(run_app(db, monkeypatch, "topics"))
    at.text_input(key="draft_name").input("Climate")
    at.text_area(key="draft_query").input("climate").run()
    at.button[0].click().run()
    assert "exists already" in plain(no_errors(at).error[0])


def test_sources_add_a_feed(tmp_path, monkeypatch):
    db = build_sample_db(tmp_path / "feeds.db", every=200)
    at = no_errors(run_app(db, monkeypatch, "sources"))
    before = int(at.metric[0].value)
    at.text_input(key="feed_url").input("javascript:alert(1)")
    at.button[0].click().run()
    assert "not an http(s) URL" in plain(no_errors(at).error[0])
    at.text_input(key="feed_url").input("https://news.example.org/rss.xml")
    at.text_input(key="feed_outlet").input("Example News")
    at.text_input(key="feed_country").input("az")
    at.button[0].click().run()
    assert "Added https://news.example.org/rss.xml" in plain(no_errors(at).success[0])
    assert int(at.metric[0].value) == before + 1
    with closing(queries.open_db(db)) as conn:
        row = conn.execute("SELECT o.name, o.country FROM feeds f JOIN outlets o ON o.id = f.outlet_id "
                           "WHERE f.url = 'https://news.example.org/rss.xml'").fetchone()
    assert tuple(row) == ("Example News", "AZ")


OPML = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0"><head><title>feeds</title></head><body>
<outline text="News"><outline type="rss" text="One" xmlUrl="https://one.example/rss" country="AZ" language="az"/>
<outline type="rss" text="Two" xmlUrl="https://two.example/atom.xml"/>
<outline type="rss" text="Bad" xmlUrl="javascript:alert(1)"/></outline></body></opml>"""
BILLION_LAUGHS = b"""<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>
<opml version="2.0"><body><outline text="&lol2;" xmlUrl="https://x.example/rss"/></body></opml>"""


def test_sources_import_an_opml_file(tmp_path, monkeypatch):
    db = build_sample_db(tmp_path / "opml.db", every=200)
    at = no_errors(run_app(db, monkeypatch, "sources"))
    before = int(at.metric[0].value)
    at.file_uploader(key="feed_file").upload("evil.opml", BILLION_LAUGHS, "text/x-opml").run()
    assert "refused" in plain(no_errors(at).error[0])
    at.file_uploader(key="feed_file").upload("feeds.opml", OPML, "text/x-opml").run()
    assert "2 feeds in feeds.opml (1 entry without an http(s) URL skipped)." in [t.value for t in no_errors(at).text]
    at.button(key="import_feeds").click().run()
    assert "Imported 2 feeds: 2 new" in plain(no_errors(at).success[0])
    assert int(at.metric[0].value) == before + 2


def test_sources_tells_whether_the_service_and_its_collector_are_running(tmp_path, monkeypatch):
    db = build_sample_db(tmp_path / "service.db", every=400)
    at = no_errors(run_app(db, monkeypatch, "sources"))
    assert "Service: newsradar serve has never run" in plain(at.info[0])
    with closing(connect(db)) as conn:
        run = health.start_run(conn, pid=1)
        health.beat(conn, run, collector_pid=2, collector_started=dt.datetime.now(dt.UTC), restarts=1)
    state.service_health.clear()   # the page refreshes it every 10 s
    at = no_errors(run_app(db, monkeypatch, "sources"))
    shown = plain(at.success[0])
    assert "the collector is running" in shown and "Last article stored: 20" in shown


def test_sources_shows_a_collector_in_a_crash_loop_as_an_error(tmp_path, monkeypatch):
    db = build_sample_db(tmp_path / "service.db", every=400)
    now = dt.datetime.now(dt.UTC)
    with closing(connect(db)) as conn:
        run = health.start_run(conn, pid=1)
        health.beat(conn, run, collector_pid=2, collector_started=now, restarts=3)
        for seconds in (30, 20, 10):
            service.record_exit(conn, run, "collector", now - dt.timedelta(seconds=seconds), 0.3, "exit status 1",
                                "OverflowError: [*x*](http://host/)")
    state.service_health.clear()
    at = no_errors(run_app(db, monkeypatch, "sources"))
    shown = plain(at.error[0])
    assert "the collector is in a crash loop: 3 restarts in the last 10 minutes" in shown
    assert "exit status 1" in shown and "OverflowError: [*x*](http://host/)" in shown   # as text, not a link


def test_the_country_table_is_drawn_only_when_asked_for(sample_db, monkeypatch):
    at = no_errors(run_app(sample_db, monkeypatch, "countries"))
    assert not at.dataframe             # its grid would cost every first load of the page
    at.toggle(key="country_table").set_value(True).run()
    with closing(queries.open_db(sample_db)) as conn:
        counts = queries.country_counts(conn, Filters())
    table = at.dataframe[0].value
    assert list(table["n"]) == list(counts["n"]) and table["name"].iloc[0] == country_label(counts["country"].iloc[0])
