"""db.tags.topic_matches (what `newsradar tag` and the collector's topic matching of loose text use) indexes only
the texts that could match; it must find exactly what indexing every text finds."""

from __future__ import annotations

import gzip
import itertools
import json
import sqlite3
from pathlib import Path

import pytest

from collectors.normalize import html_to_text
from db.search import compile_query, fts_table, fts_text
from db.tags import topic_matches
from db.topics import DEFAULT_TOPICS, read_toml

DATA = Path(__file__).resolve().parents[1] / "collectors" / "data"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def _every_text_indexed(texts: list[tuple[str, str]], queries: list[tuple[str, str]]) -> list[list[str]]:
    memory = sqlite3.connect(":memory:")
    memory.execute(fts_table("t"))
    memory.executemany("INSERT INTO t (rowid, title, description) VALUES (?, ?, ?)",
                       [(i, fts_text(t), fts_text(d)) for i, (t, d) in enumerate(texts)])
    matched: list[list[str]] = [[] for _ in texts]
    for name, fts in queries:
        for (rowid,) in memory.execute("SELECT rowid FROM t WHERE t MATCH ?", (fts,)):
            matched[rowid].append(name)
    return matched


@pytest.fixture(scope="module")
def texts() -> list[tuple[str, str]]:
    """3,000 articles of the 2023 sample and every hand-labelled item in 22 other languages."""
    with gzip.open(DATA / "sample-2023.jsonl.gz", "rt", encoding="utf-8") as lines:
        records = [json.loads(line) for line in itertools.islice(lines, 3000)]
    for path in (SHARED / "multilingual-devset.jsonl", Path(__file__).parent / "data" / "multilingual-extra.jsonl"):
        records += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [(html_to_text(r.get("title")), html_to_text(r.get("description"))) for r in records]


QUERIES = [
    "karabakh -russia", "title:karabakh", "description:\"natural gas\"", "阿塞拜疆 OR アゼルバイジャン OR 아제르바이잔",
    "آذربایجان OR Azərbaycan", "putin* AND NOT kremlin", "\"prime minister\" OR premier*", "ai", "war* NOT ukrain*",
]


def test_the_default_topics_and_odd_queries_match_as_if_every_text_were_indexed(texts) -> None:
    topics = [(t.name, compile_query(t.query)) for t in read_toml(DEFAULT_TOPICS.read_text("utf-8"))]
    topics += [(q, compile_query(q)) for q in QUERIES]
    found = topic_matches(texts, topics)
    assert found == _every_text_indexed(texts, topics)
    assert sum(map(bool, found)) >= 300   # the comparison means something: many texts match some topic
    assert len({name for names in found for name in names}) >= 15   # most topics and queries match something


def test_texts_that_match_nothing_give_empty_lists() -> None:
    assert topic_matches([("Weather", "Sunny"), ("", "")], [("K", compile_query("karabakh"))]) == [[], []]
    assert topic_matches([], [("K", compile_query("karabakh"))]) == []
