"""Queries past the parser's limits are refused with a message that points at the place; the largest accepted
ones run in SQLite's FTS5; and fuzzing: any string either compiles or is a QuerySyntaxError, and runs if it compiles."""

from __future__ import annotations

import functools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collectors.normalize import normalize_link
from collectors.store import Article, ensure_feed, store_articles
from db import connect, search, transaction
from db.filters import Filters
from db.search import MAX_DEPTH, MAX_LENGTH, MAX_TERMS, QuerySyntaxError, compile_query
from db.topics import Topic, TopicError, save_topic
from newsradar.cli import main

TITLES = ["Azerbaijan summons Russian ambassador", "Azerbejdżan wzywa ambasadora Rosji", "Азербайджан вызвал посла",
          "Karabakh exodus", "Łódź hosts a conference", '"Quoted" (parenthesised) NOT-and-OR* words']


@pytest.fixture(scope="module")
def small_db(tmp_path_factory):
    conn = connect(tmp_path_factory.mktemp("fuzz") / "newsradar.db")
    with transaction(conn):
        feed = ensure_feed(conn, "https://x.example/rss", "X", "GB", "en")
        store_articles(conn, feed, None, [
            Article(normalize_link(f"https://x.example/{i}"), f"https://x.example/{i}", title, title,
                    "2023-09-20 10:00:00", None, "en") for i, title in enumerate(TITLES)], "2023-09-20 10:00:00")
    yield conn
    conn.close()


def run(conn, query: str) -> int:
    """The number of articles `query` matches, through the same SQL as the filters and the export."""
    where, params = Filters(q=query).where()
    return conn.execute(f"SELECT count(*) FROM articles a LEFT JOIN outlets o ON o.id = a.outlet_id WHERE {where}",
                        params).fetchone()[0]


def nested(depth: int, template: str) -> str:
    query = "karabakh"
    for _ in range(depth):
        query = template.format(query)
    return query


TEMPLATES = ["({})", "russia OR ({})", "russia AND ({})", "russia NOT ({})", "russia NOT rosja NOT ({})",
             "({}) NOT football", "NOT russia AND ({})", "azerbaijan* \"nagorno karabakh\" ({}) OR x2",
             "روسيا ({}) -רוסיה", "({}) -description:(a OR روسيا)"]


@pytest.mark.parametrize("template", TEMPLATES)
def test_the_deepest_accepted_query_runs_in_sqlite(small_db, template):
    assert run(small_db, nested(MAX_DEPTH, template)) >= 0


@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 100])
def test_a_query_nested_too_deeply_is_refused_at_the_place(template, depth):
    query = nested(depth, template)
    with pytest.raises(QuerySyntaxError, match=f"nested too deeply \\(at most {MAX_DEPTH} levels") as refused:
        compile_query(query)
    assert query[refused.value.position] == "("      # it points at the parenthesis one level too deep


@pytest.mark.parametrize("query", ["NOT " * 300 + "russia", "russia " + "NOT " * 300 + "rosja"])
def test_a_tower_of_nots_is_refused_at_the_second(query):
    with pytest.raises(QuerySyntaxError, match="NOT cannot follow NOT") as refused:
        compile_query(query)
    assert refused.value.position == query.index("NOT") + 4


def test_a_long_chain_of_terms_is_fine_but_not_a_huge_one(small_db):
    assert run(small_db, " OR ".join(f"w{i}*" for i in range(MAX_TERMS))) == 0
    assert run(small_db, "karabakh " + " ".join(f"NOT w{i}" for i in range(MAX_TERMS - 1))) == 1
    with pytest.raises(QuerySyntaxError, match=f"too many terms \\(at most {MAX_TERMS:,}"):
        compile_query(" OR ".join(f"w{i}" for i in range(MAX_TERMS + 1)))
    with pytest.raises(QuerySyntaxError, match=f"too long \\({MAX_LENGTH + 1:,} characters; at most") as refused:
        compile_query("a" * (MAX_LENGTH + 1))
    assert refused.value.position == MAX_LENGTH and len(str(refused.value)) < 500   # shown around the place


def test_the_cli_reports_a_deep_query_in_one_line(tmp_path, capsys):
    query = nested(300, "({})")
    code = main(["--db", str(tmp_path / "x.db"), "export", "-o", "-", "--q", query])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert err.startswith(f"newsradar: error: bad full-text query: the query is nested too deeply (at most "
                          f"{MAX_DEPTH} levels of parentheses) (at character {MAX_DEPTH + 1})")
    code = main(["--db", str(tmp_path / "x.db"), "topics", "add", "deep", query])
    err = capsys.readouterr().err     # (a topic's message goes on to show the query and point at the place)
    assert code == 2 and err.startswith("newsradar: error: topic 'deep': the query is nested too deeply")


def test_a_topic_nested_too_deeply_is_refused(small_db):
    with pytest.raises(TopicError, match="nested too deeply"):
        save_topic(small_db, Topic("deep", nested(300, "russia OR ({})")))


# fuzzing -----------------------------------------------------------------------------------------------------

ALPHABET = st.sampled_from(list('()"*  -_.:^+{}[]\\\'\t\nAaNnDdOoRrTtxyzżЖ٣中😀\u0301\u200b\x00') +
                           ["AND", "OR", "NOT", "NEAR", "karabakh", "rus", "ro*", "\"nagorno karabakh\""])
RANDOM = st.lists(ALPHABET, max_size=60).map("".join)
WORDS = st.sampled_from(["karabakh", "russia*", "rosj*", "Azerbejdżan", '"nagorno karabakh"', "łódź", "ab*", "x2",
                         "covid-19", "NEAR", '"(a OR b)"', "мир*"])
STRUCTURED = st.recursive(
    WORDS,
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from([" OR ", " AND ", " NOT ", " "]), inner).map("".join),
        inner.map(lambda q: f"({q})"), inner.map(lambda q: f"karabakh NOT ({q})")),
    max_leaves=40)
DEEP = st.lists(st.sampled_from(TEMPLATES), max_size=MAX_DEPTH + 3).map(
    lambda chain: functools.reduce(lambda query, template: template.format(query), chain, "karabakh"))
# the module's database is only read, so sharing it between examples is sound; deadline: 2 s per query
FUZZ = settings(max_examples=800, deadline=2000, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def parses_or_refuses_then_runs(conn, query: str) -> None:
    try:
        compiled = compile_query(query)
    except QuerySyntaxError as exc:
        assert 0 <= exc.position <= len(query)
        return
    assert search._nesting(compiled) <= search._MAX_FTS_DEPTH
    assert 0 <= run(conn, query) <= len(TITLES)


@FUZZ
@given(RANDOM)
def test_fuzz_random_strings(small_db, query):
    parses_or_refuses_then_runs(small_db, query)


@FUZZ
@given(st.one_of(STRUCTURED, DEEP))
def test_fuzz_structured_nested_queries(small_db, query):
    parses_or_refuses_then_runs(small_db, query)
