"""What happened (issue 15): the top stories, rising terms and who is above baseline of a period, from the CLI, the
Coverage page and the alerts' top stories.

The Karabakh tests read the corpus's Karabakh articles up to 22 September 2023 (test_alerts.py's fixture): on 19
September Azerbaijan's "anti-terrorist" offensive began.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
from contextlib import closing
from pathlib import Path

import pandas as pd
import pytest
from conftest import open_page
from test_alerts import KARABAKH, backfilled, newsradar, slices  # noqa: F401 (fixtures)

from dashboard import explain as panel
from dashboard import queries as q
from dashboard.serve import streamlit_command
from dashboard.testing import add_articles, choose, free_port, one_run, running
from db import connect
from db import stories as story_store
from db.copy import copy
from db.explain import StoryChange
from db.filters import Filters
from db.highlights import top_stories
from newsradar import alerts, explain

SCREENSHOTS = Path(os.environ.get("NEWSRADAR_SCREENSHOTS") or tempfile.mkdtemp(prefix="newsradar-screenshots-"))
ON_TOPIC = re.compile(r"karabakh|karabach|azerbai|azerbejd|armeni|stepanakert", re.IGNORECASE)
DAY = dt.date(2023, 9, 19)


@pytest.fixture(scope="module")
def karabakh_day(backfilled) -> explain.Explanation:  # noqa: F811 (a fixture)
    with closing(connect(backfilled)) as conn:
        return explain.explain(conn, Filters.make(q=KARABAKH), *explain.day_span(DAY, DAY))


# the Karabakh offensive --------------------------------------------------------------------------------------------

def test_the_largest_stories_of_19_september_are_the_karabakh_offensive(karabakh_day):
    assert len(karabakh_day.largest) == 5
    assert all(ON_TOPIC.search(s.title) for s in karabakh_day.largest), [s.title for s in karabakh_day.largest]
    top = karabakh_day.largest[0]
    # told by the headline its reports share (of its 5, 3 Polish: "Azerbejdżan rozpoczął operację …")
    assert re.search("offensive|military operation|operację", top.title) and top.outlets >= 3 and top.before == 0


def test_the_largest_story_holds_the_polish_reports_of_the_offensive(karabakh_day, backfilled):  # noqa: F811
    with closing(connect(backfilled)) as conn:
        titles = [title.lower() for _, _, _, title, _ in story_store.members(conn, karabakh_day.largest[0].story)]
    # English and Polish reports of the "anti-terrorist operation" are one story
    assert sum("operacj" in t for t in titles) >= 2 and sum("operation" in t for t in titles) >= 2, titles


def test_each_story_names_the_outlet_that_had_it_first_with_its_link(karabakh_day):
    for story in karabakh_day.largest + karabakh_day.growing:
        assert story.outlet and story.link.startswith("https://") and story.published.startswith("2023-09-19")
    # Le Monde's report at 10:49 is the first of the largest story; Al Jazeera's 10:37 one leads the second
    assert [(s.outlet, s.published[11:16]) for s in karabakh_day.largest[:2]] == [
        ("www.lemonde.fr", "10:49"), ("www.aljazeera.com", "10:37")]


def test_fastest_growing_stories_are_others_than_the_largest(karabakh_day):
    assert karabakh_day.growing
    assert not {s.story for s in karabakh_day.growing} & {s.story for s in karabakh_day.largest}
    assert all(s.now > s.before * karabakh_day.scale for s in karabakh_day.growing)


def test_the_terms_that_rose_are_the_offensives(karabakh_day):
    assert {"offensive", "stepanakert", "ceasefire", "anti-terrorist"} & set(karabakh_day.terms)
    assert {"operation", "military"} <= set(karabakh_day.terms)


def test_the_terms_leave_out_the_querys_own_words_stopwords_and_weekdays(karabakh_day):
    assert not [t for t in karabakh_day.terms if "karabakh" in t or t.startswith("karabach")]
    assert not {"the", "in", "of", "się", "sie", "wtorek", "tuesday"} & set(karabakh_day.terms)


def test_the_outlets_above_baseline_account_for_the_excess(karabakh_day):
    outlets = karabakh_day.outlets
    assert outlets[0].label == "www.rp.pl" and outlets[0].now == 5
    assert all(s.now > s.expected for s in outlets) and sum(s.part for s in outlets) <= 1.0
    assert [s.part for s in outlets] == sorted((s.part for s in outlets), reverse=True)


def test_the_baseline_is_at_least_the_spike_rules_14_days(karabakh_day):
    assert karabakh_day.before == dt.datetime(2023, 9, 5, tzinfo=dt.UTC)
    assert karabakh_day.scale == pytest.approx(1 / 14) and karabakh_day.articles == 24


def test_the_cli_prints_the_stories_terms_and_outlets(backfilled):  # noqa: F811 (a fixture)
    run = newsradar(backfilled, "explain", "--q", KARABAKH, "--day", "2023-09-19")
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert out.startswith("What happened: 24 articles on 2023-09-19 (UTC), against 0.4 expected from the 5 articles")
    # each story told by the headline its reports share, with that report's link; and who had it first
    assert ('Largest stories:\n  1. Azerbejdżan rozpoczął "operację antyterrorystyczną" w Górskim Karabachu '
            "https://www.bankier.pl/wiadomosc/") in out
    assert "— 5 articles in 4 outlets, new; first: www.lemonde.fr, 2023-09-19 10:49 UTC\n" in out
    assert "  2. Azerbaijan launches ‘anti-terrorist’ operation in Nagorno-Karabakh https://www.ft.com/content/" in out
    assert re.search(r"Terms that rose: .*anti-terrorist", out)
    assert "  www.rp.pl: 5 articles against none expected" in out


@pytest.mark.parametrize(("day", "said"), [
    ("2023-01-10", "nothing was collected from 2022-12-27 to 2023-01-09, the baseline window before it"),
    ("2023-01-15", "against 0.1 expected from the 2 articles of 2023-01-01 to 2023-01-14 (the baseline, scaled to the "
     "period's length; the archive begins on 2023-01-10, so the baseline is partly uncollected and low)"),
])
def test_the_cli_says_when_the_baseline_lies_before_the_archive(backfilled, day, said):  # noqa: F811 (a fixture)
    run = newsradar(backfilled, "explain", "--q", KARABAKH, "--day", day)
    assert run.returncode == 0, run.stderr
    assert said in run.stdout


@pytest.mark.parametrize(("before", "archive", "sentence"), [
    (0, "2023-01-01", "no article matches from 2023-09-05 to 2023-09-18, the baseline window before it, so the terms, "
     "outlets and countries below are measured against nothing and say little."),
    # an archive that begins with the period: nothing could match before it
    (0, "2023-09-19", "nothing was collected from 2023-09-05 to 2023-09-18, the baseline window before it, so the "
     "terms, outlets and countries below are measured against nothing and say little."),
    (0, "2023-09-10", "no article matches from 2023-09-05 to 2023-09-18, the baseline window before it, so the terms, "
     "outlets and countries below are measured against nothing and say little."),
    (1, "2023-01-01", "against 0.1 expected from the 1 article of 2023-09-05 to 2023-09-18 (the baseline, scaled to "
     "the period's length)."),
    (28, "2023-09-05", "against 2.0 expected from the 28 articles of 2023-09-05 to 2023-09-18 (the baseline, scaled to "
     "the period's length)."),
    (28, "2023-09-12", "against 2.0 expected from the 28 articles of 2023-09-05 to 2023-09-18 (the baseline, scaled to "
     "the period's length; the archive begins on 2023-09-12, so the baseline is partly uncollected and low)."),
])
def test_the_baseline_sentence_says_when_there_is_nothing_to_compare_with(before, archive, sentence):
    found = explain.Explanation(dt.datetime(2023, 9, 19, tzinfo=dt.UTC), dt.datetime(2023, 9, 20, tzinfo=dt.UTC),
                                dt.datetime(2023, 9, 5, tzinfo=dt.UTC), 24, before, 1 / 14,
                                archive_from=dt.date.fromisoformat(archive))
    assert explain.baseline(found) == sentence
    assert explain.text(found).startswith(f"What happened: 24 articles on 2023-09-19 (UTC), {sentence}")


@pytest.mark.parametrize(("articles", "first", "last", "sentence"), [
    (1, "2023-09-19", "2023-09-19", "1 article on 2023-09-19 (UTC)"),
    (1250, "2023-09-18", "2023-09-24", "1,250 articles from 2023-09-18 to 2023-09-24 (UTC)"),
])
def test_the_explanation_says_how_many_articles_and_when_in_words(articles, first, last, sentence):
    start, end = explain.day_span(dt.date.fromisoformat(first), dt.date.fromisoformat(last))
    found = explain.Explanation(start, end, start - dt.timedelta(days=14), articles, 0, 1.0)
    assert explain.found_words(found).startswith(sentence + ", no article matches from ")


@pytest.mark.parametrize(("args", "message"), [
    ((), "which period? give --day YYYY-MM-DD, or --from and --to"),
    (("--day", "2023-09-31"), "'2023-09-31' is not an ISO date"),
    (("--day", "2023-09-19", "--to", "2023-09-20"), "give --day, or --from and --to, not both"),
    (("--from", "2023-09-20", "--to", "2023-09-19"), "is after"),
    (("--day", "2023-09-19", "--lang", "klingon"), "klingon"),
])
def test_bad_arguments_get_one_line_and_exit_2(backfilled, args, message):  # noqa: F811 (a fixture)
    run = newsradar(backfilled, "explain", *args)
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr.startswith("newsradar: error: ") and message in run.stderr and run.stderr.count("\n") == 1


@pytest.mark.parametrize("title", ["Karabakh\x1b[2J\x1b[31m offensive", "Karabakh\r\n\x9b31m offensive",
                                   "Karabakh \x07\x08 offensive"])
def test_the_cli_prints_feed_text_without_control_characters(title):
    story = StoryChange(1, title, "https://a.example/1", "A\x1b]0;owned\x07", "2023-09-19 10:00:00", 2, 0, 1)
    line = explain.story_line(story)
    assert line.startswith("Karabakh") and " offensive https://a.example/1 — 2 articles in 1 outlet" in line
    assert not re.search(r"[\x00-\x1f\x7f-\x9f]", line)


# terms --------------------------------------------------------------------------------------------------------------

BEFORE = ["Talks on the Karabakh border", "Karabakh talks go on", "The corridor stays closed in Karabakh",
          "Rozmowy o Karabachu trwają", "Korytarz laczinski zamknięty"]
NOW = ["Azerbaijan launches offensive in Karabakh on Tuesday", "Offensive in Karabakh: Stepanakert shelled",
       "Stepanakert under fire as the offensive goes on", "Karabakh offensive: ceasefire talks",
       "Ofensywa w Górskim Karabachu, we wtorek się zaczęła", "Stepanakert: ofensywa się nie kończy"]


@pytest.mark.parametrize(("query", "left_out"), [
    (None, set()),
    ("karabakh", {"karabakh"}),
    ("karabakh OR karabach*", {"karabakh", "karabachu"}),
    ("stepanakert AND NOT ukraine", {"stepanakert"}),
])
def test_rising_terms_rank_the_new_words_and_leave_out_the_query(query, left_out):
    docs = [("en", t) for t in NOW[:4]] + [("pl", t) for t in NOW[4:]]
    before = [("en", t) for t in BEFORE[:3]] + [("pl", t) for t in BEFORE[3:]]
    terms = explain.rising(docs, before, query=query)
    assert "offensive" in terms[:2] and "ofensywa" in terms
    assert not left_out & set(terms)
    assert not {"the", "on", "we", "sie", "tuesday", "wtorek", "talks"} & set(terms)


@pytest.mark.parametrize(("language", "word"), [("en", "the"), ("en", "which"), ("pl", "sie"), ("pl", "jest"),
                                                ("de", "und"), ("", "the"), ("xx", "and")])
def test_stopwords_follow_the_articles_language(language, word):
    assert word in explain.stopwords(language)


def test_a_period_without_articles_has_no_terms():
    assert explain.rising([], [("en", "Karabakh offensive")]) == []


# stories, outlets and countries on both engines ----------------------------------------------------------------------

def _newsroom(conn) -> None:
    """A wire story in three outlets on 20 September (one of them Polish), an older story that goes on, and a quiet
    week before (SQLite: the collector's own code stores them)."""
    a, b, c, day = "https://a.example/", "https://b.example/", "https://c.example/", "2023-09-20 "
    talks = [(f"Talks go on, day {d}", f"{a}t{d}", f"2023-09-{d} 08:00:00") for d in range(13, 21)]
    add_articles(conn, a + "rss", [("Ceasefire in Karabakh", a + "c", day + "10:00:00"), *talks],
                 outlet="A", country="US")
    add_articles(conn, b + "rss", [("CEASEFIRE in Karabakh", b + "c", day + "09:00:00")], outlet="B", country="GB")
    add_articles(conn, c + "rss", [("Rozejm w Karabachu", c + "c", day + "11:00:00")], outlet="C", country="PL",
                 language="pl")


def _group(conn) -> None:
    """The wire story's three reports are one story, and so are the talks of every day."""
    ids = {link: i for i, link in conn.execute("SELECT id, link FROM articles").fetchall()}
    wire, talks = ids["https://b.example/c"], ids["https://a.example/t13"]
    pairs = [(ids[f"https://{x}.example/c"], wire) for x in "abc"]
    story_store.set_stories(conn, pairs + [(ids[f"https://a.example/t{d}"], talks) for d in range(13, 21)])
    conn.commit()


def _on_engine(request, db_path, fill, group):
    """A connection to the articles `fill` stores (in SQLite, the collector's own code), on the engine of the
    fixture's parameter (PostgreSQL: copied there), grouped into stories by `group`."""
    with closing(connect(db_path)) as conn:
        fill(conn)
    target = connect(request.getfixturevalue("pg_url")) if request.param == "postgresql" else connect(db_path)
    if request.param == "postgresql":
        with closing(connect(db_path)) as source:
            copy(source, target)
    group(target)
    return target


@pytest.fixture(params=["sqlite", "postgresql"])
def newsroom(request, db_path):
    """The newsroom on each engine, grouped into stories."""
    with closing(_on_engine(request, db_path, _newsroom, _group)) as conn:
        yield conn


def test_stories_outlets_and_countries_of_a_day_on_each_engine(newsroom):
    found = explain.explain(newsroom, Filters(), *explain.day_span(dt.date(2023, 9, 20), dt.date(2023, 9, 20)))
    top = found.largest[0]
    assert (top.title, top.outlet, top.link, top.now, top.outlets, top.before) == (
        "CEASEFIRE in Karabakh", "B", "https://b.example/c", 3, 3, 0)
    # the talks began a week before: the day's own report tells them, and the line says when the first one was
    assert [(s.title, s.now, s.before) for s in found.largest[1:]] == [("Talks go on, day 20", 1, 7)]
    assert explain.story_line(found.largest[1]).endswith(
        "; first in the period: A, 2023-09-20 08:00 UTC (first matching report: 2023-09-13 08:00 UTC)")
    assert explain.story_line(top).endswith("; first: B, 2023-09-20 09:00 UTC")
    assert found.growing == []
    # A's 2 against 7 in the 14 days before (0.5 a day) is 1.5 above its baseline
    assert [(s.label, s.now, s.expected) for s in found.outlets] == [("A", 2, 0.5), ("B", 1, 0), ("C", 1, 0)]
    assert [s.label for s in found.countries] == ["US", "GB", "PL"]
    assert [round(s.part, 2) for s in found.countries] == [0.43, 0.29, 0.29]
    assert found.articles == 4 and found.articles_before == 7
    assert "ceasefire" in found.terms


def test_a_filter_narrows_every_part(newsroom):
    found = explain.explain(newsroom, Filters.make(langs=["pl"]),
                            *explain.day_span(dt.date(2023, 9, 20), dt.date(2023, 9, 20)))
    # the story's Polish report names it, not the English wire copy that came first in another language
    assert [(s.title, s.outlet, s.now, s.outlets) for s in found.largest] == [("Rozejm w Karabachu", "C", 1, 1)]
    assert [s.label for s in found.outlets] == ["C"] and [s.label for s in found.countries] == ["PL"]


def test_a_story_is_told_by_the_headline_its_reports_share_not_a_side_story_that_came_first():
    side = StoryChange(1, "Karabach. Smutny powrót do przeszłości", "https://rp.example/f", "R", "2023-09-20 01:00:00",
                       4, 7, 4, "2023-09-19 10:00:00")
    titles = [(1, side.title, side.link), (1, "Armenian separatists agree to ceasefire in Karabakh", "https://d.example/1"),
              (1, "Karabakh separatists agree ceasefire", "https://n.example/2"),
              (1, "Ceasefire agreed in Karabakh", "https://g.example/3"), (2, "Other story", "https://o.example/4")]
    told = explain.typical_headlines([side], titles)
    assert [(s.title, s.link, s.outlet, s.published) for s in told] == [
        ("Karabakh separatists agree ceasefire", "https://n.example/2", "R", "2023-09-20 01:00:00")]


@pytest.mark.parametrize("titles", [[], [(1, "Lone", "https://a.example/1")],
                                    [(1, "Lone", "https://a.example/1"), (1, "Other", "https://a.example/2")]])
def test_a_lone_headline_or_one_of_two_is_the_first(titles):
    first = StoryChange(1, "Lone", "https://a.example/1", "A", "2023-09-20 01:00:00", 1, 0, 1)
    assert explain.typical_headlines([first], titles) == [first]


def test_alerts_top_stories_count_a_grouped_story_once(conn):
    _newsroom(conn)
    _group(conn)
    start = dt.datetime(2023, 9, 20, tzinfo=dt.UTC)
    stories = top_stories(conn, Filters(), start, start + dt.timedelta(days=1))
    # the Polish report is grouped with the wire copy although its headline differs
    assert [(s.title, s.outlet, s.articles, s.outlets) for s in stories] == [
        ("CEASEFIRE in Karabakh", "B", 3, 3), ("Talks go on, day 20", "A", 1, 1)]


def test_a_headline_without_words_never_tells_a_story():
    first = StoryChange(1, "", "https://a.example/0", "A", "2023-09-20 01:00:00", 3, 0, 3)
    titles = [(1, "", "https://a.example/0"), (1, "Ceasefire agreed", "https://b.example/1"),
              (1, "Storm hits coast", "https://c.example/2")]
    assert [(s.title, s.link) for s in explain.typical_headlines([first], titles)] == [
        ("Ceasefire agreed", "https://b.example/1")]


def _side_reports(conn) -> None:
    """The newsroom with two more reports of its wire story before the others: a side report (D, 08:00) and one
    without a title (E, 07:00)."""
    _newsroom(conn)
    add_articles(conn, "https://d.example/rss", [("Football match off in Karabakh", "https://d.example/f",
                                                  "2023-09-20 08:00:00")], outlet="D", country="FR")
    add_articles(conn, "https://e.example/rss", [("", "https://e.example/n", "2023-09-20 07:00:00")], outlet="E",
                 country="DE")


def _group_side_reports(conn) -> None:
    _group(conn)
    ids = {link: i for i, link in conn.execute("SELECT id, link FROM articles").fetchall()}
    wire = ids["https://b.example/c"]
    story_store.set_stories(conn, [(ids["https://d.example/f"], wire), (ids["https://e.example/n"], wire)])
    conn.commit()


@pytest.fixture(params=["sqlite", "postgresql"])
def side_reports(request, db_path):
    """_side_reports on each engine, grouped."""
    with closing(_on_engine(request, db_path, _side_reports, _group_side_reports)) as conn:
        yield conn


DAY_20 = dt.datetime(2023, 9, 20, tzinfo=dt.UTC)


def test_what_happened_tells_a_story_by_its_typical_headline_not_a_side_report_that_came_first(side_reports):
    top = explain.explain(side_reports, Filters(), *explain.day_span(DAY_20.date(), DAY_20.date())).largest[0]
    assert (top.title, top.link, top.outlet, top.published[:16], top.now) == (
        "CEASEFIRE in Karabakh", "https://b.example/c", "E", "2023-09-20 07:00", 5)


def test_the_articles_page_tells_a_story_by_its_typical_headline(side_reports):
    rows = q.told_story_rows(side_reports, Filters.make(date_from="2023-09-20"), 1, 50)
    wire = next(r for r in rows if r.articles == 5)
    assert (wire.title, wire.link, wire.first_outlet, wire.first_published[:16]) == (
        "CEASEFIRE in Karabakh", "https://b.example/c", "E", "2023-09-20 07:00")
    # only matching reports tell it: a Polish view is told by its Polish report
    polish = q.told_story_rows(side_reports, Filters.make(langs=["pl"]), 1, 50)
    assert [(r.title, r.articles) for r in polish] == [("Rozejm w Karabachu", 1)]


def test_alerts_tell_a_story_by_its_typical_headline_as_what_happened_does(side_reports):
    top = alerts._top_stories(side_reports, Filters(), DAY_20, DAY_20 + dt.timedelta(days=1))[0]
    # the side report came first among the titled ones (D, 08:00): it names who had the story first, not what it is
    assert (top.title, top.link, top.outlet, top.published[:16], top.articles) == (
        "CEASEFIRE in Karabakh", "https://b.example/c", "D", "2023-09-20 08:00", 4)
    assert alerts.stories_text([top]) == ("1. CEASEFIRE in Karabakh\n   https://b.example/c\n"
                                         "   D, 2023-09-20 08:00 UTC (first) — 4 articles in 4 outlets")


# the dashboard --------------------------------------------------------------------------------------------------------

HOSTILE = ("<img src=x onerror=alert(1)> Karabakh zqxmarker", "[click](javascript:alert(1)) Karabakh zqxmarker",
           "Karabakh zqxmarker :red[x] $x^2$")


@pytest.fixture(scope="module")
def server(backfilled, tmp_path_factory):  # noqa: F811 (a fixture)
    hostile = tmp_path_factory.mktemp("explain") / "k.db"
    with closing(connect(backfilled)) as source, closing(connect(hostile)) as target:
        source.backup(target)
    with closing(connect(hostile)) as conn:   # a story of three hostile headlines, among the day's largest
        add_articles(conn, "https://evil.example/rss", [
            (HOSTILE[0], "https://evil.example/1", "2023-09-19 06:00:00"),
            (HOSTILE[1], "https://evil.example/2", "2023-09-19 23:10:00"),
            (HOSTILE[2], "https://evil.example/3", "2023-09-19 23:20:00")], outlet="<b>evil</b>")
        ids = [row[0] for row in conn.execute("SELECT id FROM articles WHERE link LIKE 'https://evil.example/%' "
                                              "ORDER BY published")]
        story_store.set_stories(conn, [(i, ids[0]) for i in ids])
        conn.commit()
    port = free_port()
    log = tmp_path_factory.mktemp("server") / "streamlit.log"
    base = f"http://127.0.0.1:{port}"
    with running(streamlit_command(port), {**os.environ, "NEWSRADAR_DB": str(hostile)}, log,
                 f"{base}/_stcore/health"):
        yield base
    assert "Traceback" not in log.read_text(errors="replace")


@pytest.mark.slow
def test_the_coverage_page_explains_the_karabakh_day(server, page):
    open_page(page, server, "/?q=karabakh+OR+karabach*&from=2023-09-19&to=2023-09-19")
    panel = page.get_by_text("Largest stories").locator("xpath=ancestor::*[@data-testid='stVerticalBlock'][2]")
    page.get_by_role("heading", name="What happened").scroll_into_view_if_needed()
    text = panel.inner_text().replace("\u2060", "")   # the word joiners that keep www. names from linking
    assert "Azerbaijan launches ‘anti-terrorist’ operation in Nagorno-Karabakh" in text
    assert "anti-terrorist" in text.split("Terms that rose", 1)[1]
    assert "www.rp.pl: 5 against" in text
    link = page.get_by_role("link", name=re.compile("‘anti-terrorist’ operation in Nagorno-Karabakh"))
    assert link.first.get_attribute("href").startswith("https://www.ft.com/content/")
    # feed text stays text: the hostile headlines read as written, and nothing of them became an element or a link
    # (the story of three hostile headlines is told by one of them, whichever its words put at its centre)
    assert any(headline in text for headline in HOSTILE) and "<b>evil</b>" in text
    assert page.locator("img[src=x]").count() == 0 and page.locator("a[href^=javascript]").count() == 0
    page.set_viewport_size({"width": 1280, "height": 1800})   # the app scrolls inside itself: a tall window, whole
    page.wait_for_timeout(1000)
    page.get_by_role("heading", name="What happened").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "explain-karabakh-2023-09-19.png"))


@pytest.mark.slow
def test_a_starred_spike_can_be_explained(server, page):
    open_page(page, server, "/?q=karabakh+OR+karabach*&to=2023-09-22")
    picker = page.get_by_role("combobox", name="Explain")
    assert picker.input_value() == "★ spike of 2023-09-19, 75.6×"    # the biggest spike is explained first
    assert "Azerbaijan launches ‘anti-terrorist’ operation in Nagorno-Karabakh" in page.inner_text("body")
    # the whole period shown (since January) is long: explained only when asked
    choose(page, picker, re.compile("The period shown"))
    assert page.get_by_text("Explain this long period").count() == 1
    assert "Largest stories" not in page.inner_text("body")


# the centre of the star of the spike on `day` on the coverage chart, and every starred day
_STAR = """(day) => {
  const chart = document.querySelector('.nr-chart');
  const i = chart.data.findIndex((trace) => trace.name === 'spike');
  const days = chart.data[i].customdata.map((custom) => custom[1]);
  const star = document.querySelectorAll('.nr-chart .scatterlayer .trace')[i].querySelectorAll('path.point')[
    days.indexOf(day)];
  const box = star ? star.getBoundingClientRect() : {x: 0, y: 0, width: 0, height: 0};
  return [box.x + box.width / 2, box.y + box.height / 2, days];
}"""


@pytest.mark.slow
def test_a_click_on_a_spikes_star_explains_that_spike(server, page):
    open_page(page, server, "/?q=karabakh+OR+karabach*&to=2023-09-22")
    picker = page.get_by_role("combobox", name="Explain")
    first = picker.input_value()
    page.wait_for_selector(".nr-chart[data-drawn=true]")
    *_, days = page.evaluate(_STAR, "")
    other = next(day for day in days if day not in first)   # a spike that is not the one explained first
    x, y, _ = page.evaluate(_STAR, other)
    with one_run(page):
        page.mouse.click(x, y)
    assert picker.input_value().startswith(f"★ spike of {other}, ")
    assert "from=" not in page.url   # a click on a star is no date range


@pytest.mark.parametrize(("expected", "words"), [(0, "none"), (0.36, "0.4"), (2.0, "2.0"), (9.94, "9.9"),
                                                 (10.4, "10"), (1125.0, "1,125"), (75401.0, "75,401")])
def test_an_expectation_reads_as_a_count_with_a_decimal_only_when_small(expected, words):
    assert explain.expected_words(expected) == words
    share = explain.Share("BBC News", 12, expected, 0.5)
    assert explain.share_line(share) == f"BBC News: 12 articles against {words} expected (50% of the excess)"


@pytest.mark.parametrize(("split", "line", "named", "field"), [
    ("country", "AZ", " (Azerbaijan (AZ))", {"countries": ("AZ",)}),
    ("source", "RU", " (Russia (RU))", {"source_countries": ("RU",)}),
    ("outlet", "BBC News", " (BBC News)", {"outlets": ("BBC News",)}),
    ("topic", "Nagorno-Karabakh", " (Nagorno-Karabakh)", {"topics": ("Nagorno-Karabakh",)}),
    ("none", "all", "", {}),
])
def test_a_spike_of_one_line_is_named_and_explained_alone(split, line, named, field):
    weeks = pd.to_datetime(["2023-09-11", "2023-09-18"])
    series = pd.DataFrame({"bucket": weeks, "label": line, "n": [3, 80], "value": [3.0, 80.0]})
    peaks = pd.DataFrame({"bucket": weeks[1:], "label": [line], "n": [80], "value": [80.0], "ratio": [14.0]})
    chart = Filters.make(q="karabakh")
    options = panel.choices(chart, series, peaks, "week", split)
    label = list(options)[1]
    assert label == f"★ spike of 2023-09-18 to 2023-09-24{named}, 14.0×"
    assert panel.explained(chart, split, options[label].line) == Filters.make(q="karabakh", **field)


def test_a_rising_term_is_shown_as_written_not_folded():
    now = [("pl", f"Żołnierze wrócili do domu {i}") for i in range(6)] + [("pl", "zolnierze")]
    before = [("pl", f"Pogoda na weekend {i}") for i in range(6)]
    assert explain.rising(now, before)[:1] == ["żołnierze"]


@pytest.mark.parametrize(("forms", "one"), [
    (("Górskim", "Górskiego", "Górskie"), True),         # one Polish word, three cases: named once, as written
    (("ceasefire", "ceasefires"), True),
    (("state", "statement"), False),                    # a longer ending is another word
    (("armenia", "armed"), False),
    (("police", "policy"), False),                      # five letters in common are not enough
    (("niger", "nigeria"), False),
    (("protest", "protect"), False),
])
def test_the_forms_of_one_word_are_one_term(forms, one):
    now = [("pl", f"{form} Karabach {i}") for i, form in enumerate(forms * 3)]
    before = [("pl", f"Pogoda na weekend {i}") for i in range(6)]
    terms = explain.rising(now, before)
    shown = [form for form in forms if form.lower() in terms]
    assert len(shown) == (1 if one else len(forms)) and "karabach" in terms


def test_an_outlet_that_rose_while_the_view_fell_has_no_part_of_an_excess():
    from db.explain import Change

    changes = [Change("RMF24", 428, 0), Change("Rzeczpospolita", 100, 1_000)]     # the whole fell: 528 against 1,000
    found = explain.shares(changes, 1.0)
    assert [(s.label, s.part) for s in found] == [("RMF24", None)]
    assert explain.share_line(found[0]) == ("RMF24: 428 articles against none expected (the view as a whole is not "
                                            "above its baseline)")
    rose = explain.shares([Change("RMF24", 428, 0), Change("Rzeczpospolita", 100, 200)], 1.0)
    assert explain.share_line(rose[0]).endswith("(130% of the excess)")   # 428 of a net excess of 328


@pytest.mark.parametrize(("first", "started", "noted"), [
    ("2023-08-23", True, True),      # began inside the baseline window: its rise is partly its collection starting
    ("2023-07-01", True, False),     # began before the window: it has a baseline
    ("2023-08-23", False, False),    # the database's own start
])
def test_an_outlet_that_started_inside_the_baseline_is_named(first, started, noted):
    from db.completeness import OutletRange

    start = dt.datetime(2023, 8, 25, tzinfo=dt.UTC)
    found = explain.Explanation(start, start + dt.timedelta(days=1), start - dt.timedelta(days=14), 500, 2_000,
                                1 / 14, outlets=[explain.Share("Rzeczpospolita", 183, 16.0, 0.72)])
    end = dt.date(2023, 12, 31)
    ranges = [OutletRange(1, "Rzeczpospolita", "PL", dt.date.fromisoformat(first), end, started, False),
              OutletRange(2, "RMF24", "PL", dt.date(2023, 8, 24), end, True, False)]   # not above its baseline
    note = panel.started_note(found, ranges)
    assert (note == "Collected only since the baseline window began: Rzeczpospolita (from 2023-08-23). Part of their "
                    "rise is their collection starting, not more coverage.") if noted else note == ""
