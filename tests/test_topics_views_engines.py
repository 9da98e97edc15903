"""Topics and saved views on both engines: the same matches, the same refusals."""

from __future__ import annotations

import pytest

from db import transaction
from db.engine import POSTGRESQL, dialect
from db.filters import Filters
from db.topics import Topic, TopicError, apply_to_new, list_topics, remove_topic, save_topic
from db.views import ViewError, get_view, list_views, save_view

TITLES = ["Azerbaijan and Russia talk", "Łódź protest", "Lodz again", "Football in Baku", "Rosja i Azerbejdżan",
          "Nothing here"]


def _store(conn, titles: list[str], first_id: int = 1) -> None:
    """Articles as the collector leaves them: the row and its text index (each engine's own)."""
    with transaction(conn):
        for i, title in enumerate(titles, first_id):
            conn.execute("INSERT INTO articles (id, norm_link, link, title, published, first_seen) VALUES "
                         "(?, ?, ?, ?, '2023-09-20 10:00:00', '2023-09-20 10:00:00')", (i, f"x/{i}", f"x/{i}", title))
        if dialect(conn) == POSTGRESQL:
            from db.postgres.text import index_new

            index_new(conn, first_id - 1)
        else:
            conn.execute("INSERT INTO articles_fts (rowid, title, description) SELECT id, fts_text(title), "
                         "fts_text(description) FROM articles WHERE id >= ?", (first_id,))


def _matched(conn, name: str) -> set[str]:
    return {r[0] for r in conn.execute("SELECT a.title FROM article_topics t JOIN topics p ON p.id = t.topic_id "
                                       "JOIN articles a ON a.id = t.article_id WHERE p.name = ?", (name,))}


@pytest.mark.parametrize(("query", "expected"), [
    ("azerbaijan* OR azerbejdzan*", {"Azerbaijan and Russia talk", "Rosja i Azerbejdżan"}),
    ("łódź", {"Łódź protest", "Lodz again"}),
    ("(russia OR rosja) -football", {"Azerbaijan and Russia talk", "Rosja i Azerbejdżan"}),
    ('"football in baku"', {"Football in Baku"}),
])
def test_topic_matches_the_same_articles(engine, query, expected):
    _store(engine, TITLES)
    with transaction(engine):
        assert save_topic(engine, Topic("t", query)) == len(expected)
    assert _matched(engine, "t") == expected


def test_topic_is_applied_to_new_articles_and_edited(engine):
    _store(engine, TITLES[:2])
    with transaction(engine):
        save_topic(engine, Topic("Caucasus", "azerbaijan* OR baku"))
    _store(engine, TITLES[2:], first_id=3)
    with transaction(engine):
        apply_to_new(engine, 2)
    assert _matched(engine, "Caucasus") == {"Azerbaijan and Russia talk", "Football in Baku"}
    with transaction(engine):
        save_topic(engine, Topic("Poland", "lodz"), old_name="Caucasus")
    assert _matched(engine, "Poland") == {"Łódź protest", "Lodz again"}
    assert [(r["name"], r["articles"]) for r in list_topics(engine)] == [("Poland", 2)]
    remove_topic(engine, "Poland")
    assert engine.execute("SELECT count(*) FROM article_topics").fetchone()[0] == 0


def test_a_taken_topic_name_is_refused(engine):
    with transaction(engine):
        save_topic(engine, Topic("A", "x"))
    with pytest.raises(TopicError, match="exists already"), transaction(engine):
        save_topic(engine, Topic("A", "y"))
    assert [r["query"] for r in list_topics(engine)] == ["x"]


def test_saved_views_follow_a_renamed_topic(engine):
    with transaction(engine):
        save_topic(engine, Topic("Karabakh", "karabakh"))
    view = save_view(engine, "mine", "ann", Filters.make(topics=["Karabakh"], countries=["AZ"]))
    with transaction(engine):
        save_topic(engine, Topic("Caucasus", "karabakh"), old_name="Karabakh")
    assert get_view(engine, view.id).params["topic"] == ["Caucasus"]
    with pytest.raises(ViewError, match="exists already"):
        save_view(engine, "mine", "otto", Filters())
    assert [v.name for v in list_views(engine)] == ["mine"]
