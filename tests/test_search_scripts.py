"""Search and topics in every script (issue 12) and what a query's operators and fields mean (issue 13): a query
finds its articles in Chinese, Japanese, Korean, Arabic, Persian, Hebrew, Hindi, Greek, Turkish and Azerbaijani
and only those; -term, lowercase operators and title:/description: behave as the README says; migration 11
rebuilds the index of an old database so that its rows fold the new way."""

from __future__ import annotations

import sqlite3
from contextlib import closing

import pytest

from collectors.normalize import normalize_link
from collectors.store import Article, ensure_feed, store_articles
from db import connect, transaction
from db.filters import Filters
from db.schema import MIGRATIONS
from db.topics import Topic, list_topics, save_topic

# (title, description); each query below names the titles it must find, and near misses sit beside them
ARTICLES = [
    ("阿塞拜疆总统会见俄罗斯外长", "巴库消息"),                  # zh: Azerbaijan inside a run of characters
    ("俄罗斯与阿塞拜疆关系紧张", ""),
    ("新疆棉花出口增长", "阿富汗总统访问"),                      # zh near misses: 疆, 阿 alone
    ("アゼルバイジャン大統領がロシアを非難", ""),                # ja katakana inside a run
    ("ルバイヤートの朗読会", "東京都で開催"),                    # ja near miss: バイ
    ("아제르바이잔의 대통령이 모스크바를 방문", ""),              # ko with a particle
    ("아제르바이잔 외무부 성명", ""),
    ("아르헨티나 대통령 선거", ""),                              # ko near miss
    ("آذربايجان و روسیه", ""),                                  # fa with an Arabic yeh
    ("سفر رئیس جمهور ازبکستان", ""),                           # fa near miss
    ("وأذربيجان توقع اتفاقا", ""),                              # ar with the proclitic و
    ("بروسيا وأوكرانيا", "اتفاق في أذربيجانَ"),                   # ar with ب, and a vowel mark
    ("الحكومة الروسية تعلن", ""),                               # ar near miss: the adjective
    ("ברוסיה נעצרו", ""),                                       # he with the proclitic ב
    ("השגריר הרוסי", ""),                                       # he near miss: the adjective
    ("भारत के प्रधानमंत्री", ""),                                  # hi
    ("भरत नाटक", "भारतीय टीम"),                                  # hi near misses: भरत, भारतीय
    ("Η ΡΩΣΊΑ και η Ελλάδα", "της Ρωσίας"),                     # el capitals, accents, final sigma
    ("Ρωσικός στρατός", ""),                                    # el near miss
    ("İSTANBUL'da Rusya'ya tepki", ""),                         # tr dotted capital I, apostrophe suffixes
    ("Rusyalı turistler", ""),                                  # tr near miss
    ("AZƏRBAYCAN prezidenti", "Azərbaycanın xarici işlər naziri"),   # az
    ("Azad seçki", ""),                                         # az near miss
    ("ประเทศไทยวันนี้", ""),                                     # th: a word inside a run
]


def titles(*indexes: int) -> set[str]:
    return {ARTICLES[i][0] for i in indexes}


SCRIPT_QUERIES = [
    ("阿塞拜疆", titles(0, 1)),
    ("阿塞拜疆*", titles(0, 1)),                 # a '*' after Chinese changes nothing
    ('"俄罗斯 外长"', titles(0)),
    ("アゼルバイジャン", titles(3)),
    ("ｱｾﾞﾙﾊﾞｲｼﾞｬﾝ", titles(3)),                 # half-width katakana
    ("東京", titles(4)),
    ("아제르바이잔*", titles(5, 6)),
    ("아제르바이잔", titles(6)),                   # Korean is written with spaces: a particle needs the '*'
    ("آذربایجان", titles(8)),
    ("أذربيجان", titles(10, 11)),                 # proclitic و, vowel mark, alef with or without hamza
    ("اذربيجان", titles(10, 11)),
    ("روسيا", titles(11)),
    ("רוסיה", titles(13)),
    ("भारत", titles(15)),
    ("भारत*", titles(15, 16)),
    ("ρωσια", titles(17)),
    ("Ρωσίας", titles(17)),
    ("istanbul", titles(19)),
    ("rusya", titles(19)),
    ("azərbaycan", titles(21)),
    ("Azərbaycan*", titles(21)),
    ("ไทย", titles(23)),
]


def store(conn, articles: list[tuple[str, str]]) -> sqlite3.Connection:
    with transaction(conn):
        feed = ensure_feed(conn, "https://x.example/rss", "X", "GB", "en")
        store_articles(conn, feed, None, [
            Article(normalize_link(f"https://x.example/{i}"), f"https://x.example/{i}", title, description,
                    "2023-09-20 10:00:00", None, None) for i, (title, description) in enumerate(articles)],
            "2023-09-20 10:00:00")
    return conn


@pytest.fixture
def world(conn):
    return store(conn, ARTICLES)


def matching(conn, query: str) -> set[str]:
    where, params = Filters.make(q=query).where()
    return {r[0] for r in conn.execute(f"SELECT a.title FROM articles a LEFT JOIN outlets o ON o.id = a.outlet_id "
                                       f"WHERE {where}", params)}


def topic_titles(conn, name: str) -> set[str]:
    return {r[0] for r in conn.execute("SELECT a.title FROM article_topics at JOIN topics t ON t.id = at.topic_id "
                                       "JOIN articles a ON a.id = at.article_id WHERE t.name = ?", (name,))}


@pytest.mark.parametrize("query, expected", SCRIPT_QUERIES)
def test_a_query_in_any_script_finds_its_articles_and_only_those(world, query, expected):
    assert matching(world, query) == expected


@pytest.mark.parametrize("query, expected", SCRIPT_QUERIES)
def test_a_topic_in_any_script_tags_its_stored_and_new_articles(conn, query, expected):
    with transaction(conn):
        save_topic(conn, Topic("T", query))
    store(conn, ARTICLES)                         # stored after the topic: tagged as they arrive
    assert topic_titles(conn, "T") == expected
    with transaction(conn):
        save_topic(conn, Topic("T", query), old_name="T")   # re-applied over every stored article
    assert topic_titles(conn, "T") == expected


# the operators and fields of issue 13 -----------------------------------------------------------------------

ENGLISH = [
    ("Karabakh talks resume", "Russia mediates between the sides"),          # 0
    ("Russia and Azerbaijan sign a deal", "Karabakh is not mentioned"),      # 1
    ("Nagorno-Karabakh exodus", "Refugees reach Goris"),                     # 2
    ("Rock and roll hall of fame", "Inductees named"),                       # 3
    ("Gold price: or is French for gold", "Not a bad year"),                 # 4
]


def english(*indexes: int) -> set[str]:
    return {ENGLISH[i][0] for i in indexes}


@pytest.mark.parametrize("query, expected", [
    ("karabakh -russia", english(2)),                   # -term is NOT
    ("-russia karabakh", english(2)),
    ("karabakh AND -russia", english(2)),
    ('karabakh -"the sides"', english(1, 2)),
    ("karabakh -(russia OR refugees)", set()),
    ("nagorno-karabakh", english(2)),                   # a hyphen inside a word stays a word
    ("nagorno-karabakh -russia", english(2)),
    ("karabakh and russia", english(0, 1)),              # lowercase 'and' between terms: AND
    ("rock and roll", english(3)),
    ('"rock and roll"', english(3)),
    ('"or"', english(4)),                               # quoted, the word itself
    ('gold "or"', english(4)),
    ("or", english(4)),                                 # not between two terms: a word
    ("not", english(1, 4)),
    ("title:karabakh", english(0, 2)),                  # field search
    ("Title:Karabakh", english(0, 2)),
    ("description:karabakh", english(1)),
    ('title:"nagorno karabakh"', english(2)),
    ("title:nagorno-karabakh", english(2)),
    ("title:(russia OR exodus)", english(1, 2)),
    ("title:(karabakh NOT talks)", english(2)),
    ("title:karab*", english(0, 2)),
    ("karabakh -description:russia", english(1, 2)),
    ("karabakh -title:russia", english(0, 2)),
    ("title:russia OR description:refugees", english(1, 2)),
    ("title:gold description:not", english(4)),
])
def test_operators_and_fields_mean_what_the_readme_says(conn, query, expected):
    assert matching(store(conn, ENGLISH), query) == expected


# migration 11 -----------------------------------------------------------------------------------------------

OLD_ROWS = [  # title, and what migration 10's index held for it (its fold, its tokenizer)
    ("روسيا تستدعي السفير", "روسيا تستدعي السفير"),             # Arabic yeh, not folded to ی then
    ("阿塞拜疆总统会见俄罗斯外长", "阿塞拜疆总统会见俄罗斯外长"),    # one token
    ("भारत के प्रधानमंत्री", "भारत के प्रधानमंत्री"),                     # cut at each vowel sign
    ("Karabakh exodus", "karabakh exodus"),
]


def old_database(path) -> None:
    """A database at schema 10, its index and topics as that version left them."""
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        for migration in MIGRATIONS[:10]:
            conn.executescript(migration)
        conn.execute("PRAGMA user_version = 10")
        for i, (title, indexed) in enumerate(OLD_ROWS, 1):
            conn.execute("INSERT INTO articles (id, norm_link, link, title, published, first_seen) "
                         "VALUES (?, ?, ?, ?, '2023-09-20 10:00:00', '2023-09-20 10:00:00')",
                         (i, f"x.example/{i}", f"https://x.example/{i}", title))
            conn.execute("INSERT INTO articles_fts (rowid, title, description) VALUES (?, ?, '')", (i, indexed))
        conn.executemany("INSERT INTO topics (id, name, query) VALUES (?, ?, ?)",
                         [(1, "Russia", "روسیا"), (2, "Azerbaijan", "阿塞拜疆"),
                          (3, "Old words", "karabakh or exodus")])
        # what the old index found: nothing for 1 and 2; 3 searched the word 'or' and found nothing either, but
        # keep a row for it to see that a topic that no longer compiles keeps its articles
        conn.execute("INSERT INTO article_topics (topic_id, article_id) VALUES (3, 4)")


def test_the_migration_rebuilds_an_old_index_and_reapplies_the_topics(db_path):
    old_database(db_path)
    with closing(connect(db_path)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] >= 11
        assert matching(conn, "روسیا") == {OLD_ROWS[0][0]}          # Persian yeh finds the Arabic one
        assert matching(conn, "阿塞拜疆") == {OLD_ROWS[1][0]}
        assert matching(conn, "भारत") == {OLD_ROWS[2][0]}
        assert matching(conn, "karabakh") == {OLD_ROWS[3][0]}
        assert {r["name"]: r["articles"] for r in list_topics(conn)} == {"Russia": 1, "Azerbaijan": 1, "Old words": 1}
        assert topic_titles(conn, "Azerbaijan") == {OLD_ROWS[1][0]}
        # the day's topic rollup counts what the topics now hold
        assert conn.execute("SELECT sum(n) FROM daily_topics").fetchone()[0] == 3


def test_a_stored_topic_that_no_longer_compiles_does_not_stop_collecting(conn):
    with transaction(conn):
        save_topic(conn, Topic("Karabakh", "karabakh"))
        conn.execute("INSERT INTO topics (name, query) VALUES ('Old words', 'karabakh or exodus')")
    store(conn, ENGLISH)
    assert topic_titles(conn, "Karabakh") == english(0, 1, 2) and topic_titles(conn, "Old words") == set()
