"""Tag articles as they are stored, retag the whole database, and tag JSON lines on the side.

The database remembers which tagger made its tags (table `tagger`, a fingerprint of the category model,
the gazetteer and their code), so that after an upgrade an operator is told to run `newsradar retag`
instead of charting old and new tags side by side without knowing.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import Any

from collectors import category, language, text
from collectors import countries as gazetteer  # the module; `countries` is its tagging function, used here
from collectors.countries import countries
from collectors.normalize import html_to_text
from db import tags as tag_store
from db import topics as topic_store
from db import transaction
from db.engine import Connection
from db.search import compile_query
from db.tags import Key, Row, Tags, rows_after
from db.text import folds_remembered, remember_fold

RETAG_BATCH = 20_000


@lru_cache(maxsize=1)
def fingerprint() -> str:
    """Short hash of everything that decides the tags: the model, the gazetteer and the code that reads them."""
    files = [Path(module.__file__) for module in (category, gazetteer, language, text)]
    files += [category.MODEL_PATH, *sorted(category.SEEDS_DIR.glob("*.tsv"))]
    # every data file of the gazetteer: hand-written, generated (generated/*.tsv) and languages.toml
    files += sorted(p for p in gazetteer.GAZETTEER.rglob("*") if p.is_file() and p.suffix in (".tsv", ".toml"))
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def note_tagger(conn: Connection, retagged_all: bool = False) -> None:
    """Record this tagger: when an empty database gets its first tags, or after every article was retagged."""
    tag_store.note_tagger(conn, fingerprint(), retagged_all)


def tagger_status(conn: Connection) -> dict[str, Any]:
    """Whether the stored tags come from this version's tagger, with what an operator should do if not."""
    row = tag_store.stored_tagger(conn)
    if row is None or row[0] == fingerprint():
        return {"current": True, "tagger": fingerprint(), "message": "the stored tags come from this tagger"}
    made = "an unknown earlier tagger" if row[0] == "unknown" else f"another tagger ({row[0]}, since {row[1]})"
    return {"current": False, "tagger": fingerprint(), "stored_tagger": row[0],
            "message": f"the stored tags were made by {made}; newer articles are tagged by this one: "
                       "run `newsradar retag` so that countries, categories and topics agree"}


def story_text(title: str, description: str) -> str:
    """The text the country tagger reads: the title, without an appended outlet name, and the description."""
    title = gazetteer.without_outlet(title)
    story = f"{title}. {description}" if description else title
    if description:  # its parts were folded for the category and the topics
        remember_fold(story, ". ", (title, description))
    return story


def tag_new(conn: Connection, after_id: int) -> None:
    """Countries, category and topics for the articles with ids above `after_id` (in the caller's transaction)."""
    write_tags(conn, compute_tags(rows_after(conn, after_id)))
    topic_store.apply_to_new(conn, after_id)


def compute_tags(rows: list[Row]) -> Tags:
    """Language, category and countries of each row; pure computation, so it can run in another process."""
    tagged = tag_texts([(title, description, lang) for _, title, description, lang in rows])
    return ([(label, r[0]) for r, (_, label, _, _) in zip(rows, tagged, strict=True)],
            [(r[0], code) for r, (_, _, codes, _) in zip(rows, tagged, strict=True) for code in codes],
            [(lang.code, r[0]) for r, (lang, _, _, _) in zip(rows, tagged, strict=True) if lang.code != r[3]])


# the language used (with where it came from), category, countries, and the keys of the topics matched
Tagged = tuple[language.Language, str, list[str], list[Key]]


def tag_texts(texts: list[tuple[str, str, str | None]], topics: Sequence[tuple[Key, str]] = ()) -> list[Tagged]:
    """The tags of (title, description, declared language) texts, with the names or ids of the `topics` ((name or
    id, compiled FTS5 expression)) each matches; pure computation, so it can run in another process (an import
    tags a batch there while it reads the next)."""
    with folds_remembered():
        langs = [language.resolve(lang, title, description) for title, description, lang in texts]
        labels = category.classify_many([(t[0], t[1], lang.code) for t, lang in zip(texts, langs, strict=True)])
        matches = tag_store.topic_matches([(t[0], t[1]) for t in texts], list(topics)) if topics else None
        return [(lang, label, countries(story_text(t[0], t[1]), lang.code), matches[i] if matches else [])
                for i, (t, lang, label) in enumerate(zip(texts, langs, labels, strict=True))]


def write_tags(conn: Connection, tags: Tags) -> None:
    tag_store.write(conn, tags)
    if tags[0]:  # categories
        note_tagger(conn)


def tag_untagged(conn: Connection) -> int:
    """Tag the articles left without a category (an import stopped between storing and tagging)."""
    rows = tag_store.untagged_rows(conn)
    if rows:
        with transaction(conn):
            write_tags(conn, compute_tags(rows))
    return len(rows)


def retag(conn: Connection, progress=None) -> int:
    """Recompute every article's countries, category and topics; one transaction per batch."""
    done, last = 0, 0
    while True:
        with transaction(conn):
            rows = rows_after(conn, last, RETAG_BATCH)
            if rows:
                tags = compute_tags(rows)
                tag_store.keep_only_countries(conn, [row[0] for row in rows], tags[1])
                write_tags(conn, tags)
        if not rows:
            break
        done, last = done + len(rows), rows[-1][0]
        if progress:
            progress(len(rows))
    with transaction(conn):
        topic_store.import_topics(conn, topic_store.all_topics(conn))
        note_tagger(conn, retagged_all=True)
    return done


# the topics' full-text queries cost ~0.2 s per batch whatever its size (24 languages of terms): large batches
TAG_BATCH = 10_000


def tag_lines(lines: Iterable[str], topics: list[topic_store.Topic], batch: int = TAG_BATCH,
              workers: int | None = None) -> Iterator[str]:
    """For each JSON line with title, description and optional language: the same object with
    countries, category, topics and the language they were made for added: `language_used` (a code or null)
    and `language_source` ('declared' by the record, 'detected' in the text, or 'unknown').
    A line that is not a JSON object gets an "error" field. Output keeps the input's order.

    More than one batch is tagged by `workers` processes (default: one per CPU this process may use)."""
    queries = [(t.name, compile_query(t.query)) for t in topics]
    chunks = _chunks(lines, batch)
    head = list(itertools.islice(chunks, 2))
    workers = workers or len(os.sched_getaffinity(0))
    if len(head) < 2 or workers < 2:
        for chunk in itertools.chain(head, chunks):
            yield from _tagged(chunk, queries)
        return
    # loaded once before the workers fork, instead of once in each of them
    category.load_model()
    language.identify("warm")
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        pending: deque[Future[list[str]]] = deque()
        for chunk in itertools.chain(head, chunks):
            pending.append(pool.submit(_tagged, chunk, queries))
            if len(pending) > workers:  # a bounded read-ahead: stdin may be larger than memory
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()


def _chunks(lines: Iterable[str], batch: int) -> Iterator[list[str]]:
    chunk: list[str] = []
    for line in lines:
        if line.strip():
            chunk.append(line)
        if len(chunk) >= batch:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _tagged(lines: list[str], queries: list[tuple[str, str]]) -> list[str]:
    return list(_tag_chunk(lines, queries))


def _tag_chunk(lines: list[str], queries: list[tuple[str, str]]) -> Iterator[str]:
    records: list[dict | None] = []
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            record = None
        records.append(record if isinstance(record, dict) else None)
    good = [r for r in records if r is not None]
    # the same cleaning as storage: feeds put HTML and entities in titles and descriptions
    tagged = tag_texts([(html_to_text(r.get("title")), html_to_text(r.get("description")), r.get("language"))
                        for r in good], queries)
    for record, (lang, label, codes, names) in zip(good, tagged, strict=True):
        record["countries"] = codes
        record["category"] = label
        record["topics"] = names
        record["language_used"], record["language_source"] = lang.code, lang.source
    for line, record in zip(lines, records, strict=True):
        yield json.dumps(record if record is not None else {"error": "not a JSON object", "input": line.strip()},
                         ensure_ascii=False)
