"""The query language (topics and the full-text filter) and watch topics over a real database."""

from __future__ import annotations

import pytest

from collectors.normalize import normalize_link
from collectors.store import Article, ensure_feed, store_articles
from db import transaction
from db.filters import Filters, QueryError
from db.search import QuerySyntaxError, compile_query
from db.topics import Topic, TopicError, import_topics, list_topics, read_toml, remove_topic, save_topic, write_toml

HEADLINES = [
    "Azerbaijan summons Russian ambassador after killings in Yekaterinburg",
    "Azerbejdżan wzywa ambasadora Rosji",
    "Азербайджан вызвал посла России",
    "Karabakh exodus: 100,000 Armenians flee",
    "Football: Russia banned from Euro qualifiers",
    "Łódź hosts COVID-19 vaccine conference",
    "Russian gas exports to Azerbaijan rise",
]


@pytest.fixture
def filled(conn):
    with transaction(conn):
        feed = ensure_feed(conn, "https://x.example/rss", "X", "GB", "en")
        store_articles(conn, feed, None, [
            Article(normalize_link(f"https://x.example/{i}"), f"https://x.example/{i}", title, "",
                    "2023-09-20 10:00:00", None, "en") for i, title in enumerate(HEADLINES)], "2023-09-20 10:00:00")
    return conn


def matching(conn, query: str) -> set[str]:
    where, params = Filters.make(q=query).where()
    return {r[0] for r in conn.execute(f"SELECT a.title FROM articles a LEFT JOIN outlets o ON o.id = a.outlet_id "
                                       f"WHERE {where}", params)}


@pytest.mark.parametrize("query, expected", [
    ("azerbaijan", {0, 6}),
    ("Azerbaijan", {0, 6}),                        # case
    ("azerbejdzan", {1}),                          # diacritics: ż
    ("AZERBEJDŻAN", {1}),
    ("lodz", {5}),                                 # ł is folded too
    ("azerbaijan OR azerbejdzan OR азербайджан", {0, 1, 2, 6}),
    ("russia*", {0, 4, 6}),                        # prefix: Russia, Russian
    ("rus*", {0, 4, 6}),
    ("azerbaijan russian", {0, 6}),               # side by side = AND
    ("azerbaijan AND russian NOT gas", {0}),
    ("(azerbaijan OR azerbejdzan*) AND (russia* OR rosj*)", {0, 1, 6}),
    ('"russian ambassador"', {0}),
    ('"ambassador russian"', set()),              # a phrase keeps its order
    ("covid-19", {5}),                             # hyphenated words are phrases
    ("росси*", {2}),
])
def test_query_matches(filled, query, expected):
    assert matching(filled, query) == {HEADLINES[i] for i in expected}


@pytest.mark.parametrize("query, message, position", [
    ("", "empty", 0),
    ("karabakh AND (", "ends where a term is expected", 14),
    ("(karabakh OR", "ends where a term is expected", 12),
    ("karabakh)", "without a matching '('", 8),
    ('"nagorno karabakh', "unterminated", 0),
    ("OR karabakh", "needs a term on both sides", 0),
    ("NOT football", "NOT needs a term", 0),
    ("kara*bakh", "only allowed at the end", 0),
    ("k*", "at least 2 letters", 0),
    ("()", "empty parentheses", 1),
    # ambiguous or incomplete: refused with a hint
    ("karabakh or russia", "write OR to match either term, or \"or\" in quotes", 9),
    ("karabakh Or russia", "write OR", 9),
    ("karabakh not russia", "write NOT (or -term) to leave a term out", 9),
    ("(karabakh) or (russia)", "write OR", 11),
    ("karabakh or -russia", "write OR", 9),
    ("karabakh - russia", "write -russia, without a space", 9),
    ("-russia", "NOT needs a term to subtract from", 0),
    ("-", "without a space", 0),
    ("title:", "needs a term right after it", 0),
    ("title: karabakh", "needs a term right after it", 0),
    ("karabakh title:-russia", "needs a term", 9),
    ("title:(description:karabakh)", "one field at a time", 7),
    ("title:(-karabakh)", "NOT needs a term to subtract from", 0),
    # a field that does not exist would be one word with a colon, matching nothing: refused, with the way to search it
    ("headline:karabakh", "unknown field headline: (the fields are title: and description:)", 0),
    ("karabakh AND Body:ceasefire", 'put it in quotes: "Body:ceasefire"', 13),
    # the hint quotes the text as typed up to the next space, not the word before a "(", nor a group's ")"
    ("headline:<script>alert(1)</script> x", 'put it in quotes: "headline:<script>alert(1)</script>" ', 0),
    ("(karabakh OR body:cease(fire))", 'put it in quotes: "body:cease(fire)" ', 13),
])
def test_invalid_queries_point_at_the_problem(query, message, position):
    with pytest.raises(QuerySyntaxError) as err:
        compile_query(query)
    assert message in str(err.value)
    assert err.value.position == position


def test_bad_query_in_a_filter_is_a_query_error():
    with pytest.raises(QueryError, match="bad full-text query"):
        Filters.make(q="karabakh AND (")


def test_topic_is_applied_to_stored_and_new_articles(filled):
    with transaction(filled):
        count = save_topic(filled, Topic("AZ-RU", "(azerbaijan* OR azerbejdzan* OR азербайджан*) AND "
                                                  "(russia* OR rosj* OR росси*)"))
    assert count == 4
    with transaction(filled):
        feed = ensure_feed(filled, "https://x.example/rss")
        store_articles(filled, feed, None, [Article("x.example/new", "https://x.example/new",
                                                    "Rosja i Azerbejdżan: nowe napięcia", "", "2023-09-21 10:00:00",
                                                    None, "pl")], "2023-09-21 10:00:00")
    assert {r["name"]: r["articles"] for r in list_topics(filled)} == {"AZ-RU": 5}
    assert matching_topic(filled, "AZ-RU") >= {"Rosja i Azerbejdżan: nowe napięcia"}


def matching_topic(conn, name: str) -> set[str]:
    where, params = Filters.make(topics=[name]).where()
    return {r[0] for r in conn.execute(f"SELECT a.title FROM articles a LEFT JOIN outlets o ON o.id = a.outlet_id "
                                       f"WHERE {where}", params)}


def test_editing_a_topic_reapplies_it(filled):
    with transaction(filled):
        save_topic(filled, Topic("T", "karabakh"))
    assert matching_topic(filled, "T") == {HEADLINES[3]}
    with transaction(filled):
        save_topic(filled, Topic("T2", "football"), old_name="T")
    assert matching_topic(filled, "T2") == {HEADLINES[4]}
    assert matching_topic(filled, "T") == set()


def test_one_article_can_match_several_topics(filled):
    with transaction(filled):
        save_topic(filled, Topic("A", "azerbaijan"))
        save_topic(filled, Topic("B", "ambassador"))
    assert matching_topic(filled, "A") & matching_topic(filled, "B") == {HEADLINES[0]}


@pytest.mark.parametrize("topic, message", [
    (Topic("", "x"), "needs a name"),
    (Topic("Bad", "karabakh AND ("), "Bad"),
])
def test_invalid_topics_are_refused(conn, topic, message):
    with pytest.raises(TopicError, match=message), transaction(conn):
        save_topic(conn, topic)
    assert list_topics(conn) == []


def test_duplicate_topic_name_is_refused(conn):
    with transaction(conn):
        save_topic(conn, Topic("T", "x"))
    with pytest.raises(TopicError, match="exists already"), transaction(conn):
        save_topic(conn, Topic("T", "y"))


def test_remove_topic(filled):
    with transaction(filled):
        save_topic(filled, Topic("T", "karabakh"))
        remove_topic(filled, "T")
    assert list_topics(filled) == []
    assert filled.execute("SELECT count(*) FROM article_topics").fetchone()[0] == 0
    with pytest.raises(TopicError, match="no topic"):
        remove_topic(filled, "T")


def test_toml_round_trip_and_import_updates_by_name(conn):
    topics = [Topic('Quote "and" backslash \\', 'a OR "b c"', "two\nlines"), Topic("Plain", "xy*")]
    assert read_toml(write_toml(topics)) == topics
    with transaction(conn):
        assert import_topics(conn, topics) == (2, 0)
        assert import_topics(conn, [Topic("Plain", "yz*")]) == (0, 1)
    assert {r["name"]: r["query"] for r in list_topics(conn)}["Plain"] == "yz*"


@pytest.mark.parametrize("text, message", [
    ("[[topic]]\nname = 'x'\n", "needs a name and a query"),
    ("[[topic]\n", "not valid TOML"),
    ("[[topic]]\nname = 'x'\nquery = 'a AND ('\n", "ends where a term"),
])
def test_bad_toml_is_refused(text, message):
    with pytest.raises(TopicError, match=message):
        read_toml(text)


def test_default_topics_are_valid_and_multilingual():
    from db.topics import DEFAULT_TOPICS

    topics = read_toml(DEFAULT_TOPICS.read_text("utf-8"))
    names = {t.name for t in topics}
    assert {"Azerbaijan–Russia relations", "Nagorno-Karabakh", "Russia–Ukraine war", "Israel–Gaza", "Migration",
            "Elections", "Climate", "Artificial intelligence"} <= names
    for topic in topics:
        assert any(ord(c) > 0x400 for c in topic.query), f"{topic.name} has no Russian terms"


@pytest.mark.parametrize("query", ['"headline:karabakh"', "https://www.bbc.co.uk", "10:30", "karabakh headline:"])
def test_a_colon_that_names_no_field_is_still_searchable(query):
    compile_query(query)
