"""Watch topics: named boolean queries shared by the team, applied to every stored article and every new one."""

from __future__ import annotations

import datetime as dt
import sqlite3
import tomllib
from dataclasses import dataclass
from pathlib import Path

from db.engine import POSTGRESQL, dialect, insert_many, integrity_errors
from db.schema import transaction
from db.search import QuerySyntaxError, compile_query

DEFAULT_TOPICS = Path(__file__).parent / "data" / "default-topics.toml"


class TopicError(ValueError):
    """A topic that cannot be saved; the message says why."""


@dataclass(frozen=True)
class Topic:
    name: str
    query: str
    description: str = ""


def validate(topic: Topic) -> str:
    """The compiled FTS5 expression of a valid topic; TopicError pointing at the problem otherwise."""
    if not topic.name.strip():
        raise TopicError("a topic needs a name")
    try:
        return compile_query(topic.query)
    except QuerySyntaxError as exc:
        raise TopicError(f"topic {topic.name!r}: {exc}") from None


def _apply(conn: sqlite3.Connection, topic_id: int, query: str, after_id: int = 0,
           among: tuple[int, ...] = ()) -> int:
    """Tag the matching articles with ids above `after_id` (a valid query; PostgreSQL matches articles.search), or
    only those `among` these ids."""
    postgres = dialect(conn) == POSTGRESQL
    key = "id" if postgres else "rowid"
    only = f" AND {key} IN ({', '.join('?' * len(among))})" if among else ""
    if postgres:
        from db.postgres.text import tsquery

        if after_id and not among:
            # a batch just stored: its rows by id, each tested (OFFSET 0 keeps the planner from the GIN index, whose
            # list of the topic's matches in every month it read for each batch: 6 of 31 s of a 60,000-row import)
            return conn.execute("INSERT INTO article_topics (topic_id, article_id) SELECT ?, a.id FROM "
                                "(SELECT id, search FROM articles WHERE id > ? OFFSET 0) AS a "
                                "WHERE a.search @@ CAST(? AS tsquery) ON CONFLICT DO NOTHING",
                                (topic_id, after_id, tsquery(query))).rowcount
        return conn.execute("INSERT INTO article_topics (topic_id, article_id) SELECT ?, id FROM articles "
                            f"WHERE search @@ CAST(? AS tsquery) AND id > ?{only} ON CONFLICT DO NOTHING",
                            (topic_id, tsquery(query), after_id, *among)).rowcount
    return conn.execute("INSERT OR IGNORE INTO article_topics (topic_id, article_id) "
                        f"SELECT ?, rowid FROM articles_fts WHERE articles_fts MATCH ? AND rowid > ?{only}",
                        (topic_id, compile_query(query), after_id, *among)).rowcount


def reapply(conn: sqlite3.Connection, ids: list[int], batch: int = 500) -> None:
    """Match every topic again against the articles `ids`, whose text changed (in the caller's transaction). A topic
    whose query no longer compiles keeps its articles until it is edited."""
    valid = []
    for row in conn.execute("SELECT id, query FROM topics").fetchall():
        try:
            compile_query(row[1])
        except QuerySyntaxError:
            continue
        valid.append((row[0], row[1]))
    for start in range(0, len(ids), batch):
        among = tuple(ids[start:start + batch])
        for topic_id, query in valid:
            marks = ", ".join("?" * len(among))
            conn.execute(f"DELETE FROM article_topics WHERE topic_id = ? AND article_id IN ({marks})",
                         (topic_id, *among))
            _apply(conn, topic_id, query, among=among)


def save_topic(conn: sqlite3.Connection, topic: Topic, old_name: str | None = None) -> int:
    """Create a topic, or replace the one called `old_name`, and (re)apply it to every stored article.

    Returns the number of matching articles. Runs in the caller's transaction."""
    validate(topic)
    if old_name is None:
        try:
            topic_id = conn.execute("INSERT INTO topics (name, query, description) VALUES (?, ?, ?) RETURNING id",
                                    (topic.name, topic.query, topic.description)).fetchone()[0]
        except integrity_errors():
            raise TopicError(f"a topic called {topic.name!r} exists already") from None
    else:
        row = conn.execute("SELECT id FROM topics WHERE name = ?", (old_name,)).fetchone()
        if row is None:
            raise TopicError(f"no topic called {old_name!r}")
        topic_id = row[0]
        try:
            conn.execute("UPDATE topics SET name = ?, query = ?, description = ?, updated_at = ? WHERE id = ?",
                         (topic.name, topic.query, topic.description,
                          dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S"), topic_id))
        except integrity_errors():
            raise TopicError(f"a topic called {topic.name!r} exists already") from None
        conn.execute("DELETE FROM article_topics WHERE topic_id = ?", (topic_id,))
    return _apply(conn, topic_id, topic.query)


def remove_topic(conn: sqlite3.Connection, name: str) -> None:
    if not conn.execute("DELETE FROM topics WHERE name = ?", (name,)).rowcount:
        raise TopicError(f"no topic called {name!r}")


def list_topics(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    """Every topic with its number of matching articles."""
    return conn.execute(
        "SELECT t.*, (SELECT count(*) FROM article_topics at WHERE at.topic_id = t.id) AS articles "
        "FROM topics t ORDER BY t.name").fetchall()


def apply_to_new(conn: sqlite3.Connection, after_id: int) -> int:
    """Apply every topic to the articles with ids above `after_id` (a batch just stored).

    A topic saved under an older query language that no longer compiles (lowercase `or` between terms) is
    skipped, so that collecting goes on; editing the topic shows why."""
    return sum(_apply(conn, topic_id, query, after_id) for topic_id, query, _ in compiled_topics(conn))


def compiled_topics(conn: sqlite3.Connection) -> list[tuple[int, str, str]]:
    """(id, query, compiled FTS5 expression) of every topic whose query compiles."""
    compiled = []
    for topic_id, query in conn.execute("SELECT id, query FROM topics ORDER BY id").fetchall():
        try:
            compiled.append((topic_id, query, compile_query(query)))
        except QuerySyntaxError:
            continue
    return compiled


def apply_matched(conn: sqlite3.Connection, after_id: int, pairs: list[tuple[int, int]],
                  matched_with: list[tuple[int, str, str]]) -> None:
    """Write the (topic id, article id) `pairs` found for the articles with ids above `after_id` by matching their
    text in memory (db.tags.topic_matches) with the topics `matched_with` (compiled_topics when the batch was sent),
    and apply the other topics, and those saved or changed since, as apply_to_new would.

    On both engines: the memory index is SQLite's FTS5 index, and PostgreSQL's `search` is cut into the same words
    (db.postgres.text), so the query language selects the same articles on both (tests/test_engines_agree.py).
    Matched in PostgreSQL instead, a 5,000-article batch took 0.5 s of the server's CPU for the twelve default topics
    (46 s of an import of the 2023 corpus); in memory it is under half of that, in the tagger's process."""
    now = compiled_topics(conn)
    same = {t[0] for t in set(now) & set(matched_with)}
    insert_many(conn, "INSERT INTO article_topics (topic_id, article_id)", [p for p in pairs if p[0] in same],
                "ON CONFLICT DO NOTHING")
    for topic_id, query, _ in now:
        if topic_id not in same:
            _apply(conn, topic_id, query, after_id)


def read_toml(text: str) -> list[Topic]:
    """Topics from TOML: [[topic]] tables with name, query and an optional description."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TopicError(f"not valid TOML: {exc}") from None
    entries = data.get("topic", [])
    if not isinstance(entries, list):
        raise TopicError("expected [[topic]] tables")
    topics = []
    for number, entry in enumerate(entries, 1):
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or not isinstance(
                entry.get("query"), str):
            raise TopicError(f"topic {number}: needs a name and a query (strings)")
        topic = Topic(entry["name"].strip(), entry["query"].strip(), str(entry.get("description", "")).strip())
        validate(topic)
        topics.append(topic)
    return topics


def _toml_string(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{escaped}"'


def write_toml(topics: list[Topic]) -> str:
    blocks = []
    for topic in topics:
        lines = ["[[topic]]", f"name = {_toml_string(topic.name)}", f"query = {_toml_string(topic.query)}"]
        if topic.description:
            lines.append(f"description = {_toml_string(topic.description)}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def import_topics(conn: sqlite3.Connection, topics: list[Topic]) -> tuple[int, int]:
    """Create new topics and update same-named ones; returns (created, updated). Caller's transaction."""
    created = updated = 0
    for topic in topics:
        exists = conn.execute("SELECT 1 FROM topics WHERE name = ?", (topic.name,)).fetchone()
        save_topic(conn, topic, old_name=topic.name if exists else None)
        created, updated = created + (not exists), updated + bool(exists)
    return created, updated


def get_topic(conn: sqlite3.Connection, name: str) -> Topic | None:
    """The topic called `name` (exactly), None when there is none."""
    row = conn.execute("SELECT name, query, description FROM topics WHERE name = ?", (name,)).fetchone()
    return Topic(row["name"], row["query"], row["description"]) if row else None


def all_topics(conn: sqlite3.Connection) -> list[Topic]:
    return [Topic(r["name"], r["query"], r["description"]) for r in list_topics(conn)]


def default_topics() -> list[Topic]:
    """The bundled default topic pack."""
    return read_toml(DEFAULT_TOPICS.read_text("utf-8"))


def seed_defaults(conn: sqlite3.Connection) -> int:
    """Add the bundled default topics to a database that has none; returns how many were added."""
    if conn.execute("SELECT count(*) FROM topics").fetchone()[0]:
        return 0
    with transaction(conn):
        return import_topics(conn, default_topics())[0]
