"""Migration 31 repairs what an older normalizer stored: a tag the feed cut short at the end of a description."""

from __future__ import annotations

from contextlib import closing
from pathlib import Path

import pytest

from dashboard import queries
from dashboard.testing import build_sample_db
from db import connect, topics
from db.engine import POSTGRESQL, dialect
from db.filters import Filters
from db.text import uncut

CUT = ' <a href="https://www.zqxcut.example/world/2023/aug'   # as a feed's length limit left it
MARKER = "zqxcut"


@pytest.mark.parametrize(("stored", "repaired"), [
    ("Last week, the state <a href=\"https://www.theguardi", "Last week, the state"),
    ("regimes. <a href=\"https://www.theguardian.com/australia-news/…", "regimes."),
    ("standard edition / <a href=\"https://www.nintendo.", "standard edition /"),
    ("the minister <str", "the minister"),
    ("the minister </di", "the minister"),
    ("the minister <", "the minister"),
    ("profits rose, x<y and a < b", "profits rose, x<y and a < b"),     # a '<' in text is text
    ("see <b>bold</b> claims <notatag here", "see <b>bold</b> claims <notatag here"),
    ("", ""),
    (None, None),
])
def test_only_a_cut_tag_at_the_end_goes(stored, repaired):
    assert uncut(stored) == repaired


def _dirty(conn, ids: list[int]) -> None:
    """Give these articles' descriptions the cut tag, indexed as the older version indexed it."""
    for article in ids:
        title, text = conn.execute("SELECT title, description FROM articles WHERE id = ?", (article,)).fetchone()
        if dialect(conn) == POSTGRESQL:
            from db.postgres.text import tsvector

            conn.execute("UPDATE articles SET description = ?, search = CAST(? AS tsvector) WHERE id = ?",
                         (text + CUT, tsvector(title, text + CUT), article))
            continue
        conn.execute("INSERT INTO articles_fts (articles_fts, rowid, title, description) "
                     "VALUES ('delete', ?, fts_text(?), fts_text(?))", (article, title, text))
        conn.execute("UPDATE articles SET description = ? WHERE id = ?", (text + CUT, article))
        conn.execute("INSERT INTO articles_fts (rowid, title, description) VALUES (?, fts_text(?), fts_text(?))",
                     (article, title, text + CUT))


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    return build_sample_db(tmp_path_factory.mktemp("repair") / "sample.db", every=40)


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_an_upgrade_removes_cut_tags_with_their_search_words_and_topics(request, sample, tmp_path, engine):
    db: str | Path = tmp_path / "old.db"
    db.write_bytes(sample.read_bytes())
    if engine == "postgresql":
        db = request.getfixturevalue("pg_cluster").copy_of(sample)
    with closing(connect(db)) as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM articles WHERE description != '' ORDER BY id LIMIT 3")]
        before = {r[0]: r[1] for r in conn.execute("SELECT id, description FROM articles")}
        tagged = sorted(map(tuple, conn.execute("SELECT topic_id, article_id FROM article_topics")))
        _dirty(conn, ids)
        topics.save_topic(conn, topics.Topic("Cut links", MARKER))
        assert queries.count_articles(conn, Filters.make(q=MARKER)) == 3
        assert queries.count_articles(conn, Filters.make(topics=["Cut links"])) == 3
        # as a database of schema 30 is: the upgrade to 31 runs when it is opened next
        conn.execute("UPDATE schema_version SET version = 30" if engine == "postgresql" else "PRAGMA user_version = 30")
    with closing(connect(db)) as conn:
        after = {r[0]: r[1] for r in conn.execute("SELECT id, description FROM articles")}
        assert after == before                                  # the three repaired, every other one untouched
        assert queries.count_articles(conn, Filters.make(q=MARKER)) == 0
        assert queries.count_articles(conn, Filters.make(topics=["Cut links"])) == 0
        assert queries.count_articles(conn, Filters.make(q="href")) == 0
        assert sorted(map(tuple, conn.execute("SELECT topic_id, article_id FROM article_topics"))) == tagged
