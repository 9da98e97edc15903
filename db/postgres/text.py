"""Text search on PostgreSQL: the `search` tsvector of an article and db.search's query language as a tsquery.

Python folds and cuts the words (db.search.fts_text, the same as SQLite's index), and the tsvector and tsquery are
written as literals, so that PostgreSQL's parser and dictionaries never see the text: both engines match the same
words (a `simple` + `unaccent` configuration would fold ł, Turkish ı or Arabic letter variants differently, and
its parser keeps 'nagorno-karabakh' and '3.5' whole where SQLite's tokenizer cuts them).

Title words take weight A and description words weight B (title: and description: search one of them); the
description's positions start one past the title's, so that a phrase never runs from one field into the other.
websearch_to_tsquery takes no prefixes, hence our own compiler: a phrase is `'a' <-> 'b'`, a prefix `'ukrain':*`."""

from __future__ import annotations

from db.search import _FTS_WORD, compile_query, fts_text, parse

MAX_POSITION = 16383      # PostgreSQL keeps positions up to this (larger ones are clamped)
MAX_LEXEME_BYTES = 2046   # a longer word is refused by PostgreSQL; no one searches for it
_WEIGHTS = {"title": "A", "description": "B"}


def _words(text: str | None) -> list[str]:
    return _FTS_WORD.findall(fts_text(text)) if text else []


def _quote(word: str) -> str:
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"


def tsvector(title: str | None, description: str | None) -> str:
    """The tsvector literal of an article's folded title (A) and description (B)."""
    positions: dict[str, list[str]] = {}
    title_words = _words(title)
    fields = ((title_words, "A", 1), (_words(description), "B", len(title_words) + 2))
    for words, weight, start in fields:
        for offset, word in enumerate(words):
            if len(word.encode()) <= MAX_LEXEME_BYTES:
                positions.setdefault(word, []).append(f"{min(start + offset, MAX_POSITION)}{weight}")
    return " ".join(f"{_quote(word)}:{','.join(marks[:256])}" for word, marks in positions.items())


def _compile(node: tuple, weight: str = "") -> str:
    kind = node[0]
    if kind == "phrase":
        words, prefix = node[1], node[2]
        marks = [weight] * len(words)
        if prefix:
            marks[-1] = "*" + weight
        return "(" + " <-> ".join(f"{_quote(w)}:{m}" if m else _quote(w) for w, m in zip(words, marks,
                                                                                            strict=True)) + ")"
    if kind == "field":
        return _compile(node[2], _WEIGHTS[node[1]])
    if kind == "or":
        return "(" + " | ".join(_compile(n, weight) for n in node[1:]) + ")"
    positives = [_compile(n, weight) for n in node[1:] if n[0] != "not"]
    negatives = [f"!{_compile(n[1], weight)}" for n in node[1:] if n[0] == "not"]
    return "(" + " & ".join(positives + negatives) + ")"


def tsquery(query: str) -> str:
    """The tsquery literal of a query in db.search's language (QuerySyntaxError as compile_query raises it)."""
    compile_query(query)     # the checks (NOT alone, nesting) are the language's, not the engine's
    return _compile(parse(query))


def index_new(conn, after_id: int) -> int:
    """Write `search` for the articles with ids above `after_id` (a batch just stored) that were stored without it
    (an import computes it before): PostgreSQL's counterpart of the articles_fts insert that follows a batch on
    SQLite. Returns how many were indexed."""
    rows = conn.execute("SELECT id, title, description FROM articles WHERE id > ? AND search = ''::tsvector "
                        "AND (title <> '' OR description <> '')", (after_id,)).fetchall()
    conn.executemany("UPDATE articles SET search = CAST(? AS tsvector) WHERE id = ?",
                     [(tsvector(title, description), id_) for id_, title, description in rows])
    return len(rows)
