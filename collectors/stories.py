"""Stories: articles of different outlets that report the same event, grouped as they arrive.

Two kinds of link put an article into an existing story:
- a copy: the same headline (folded words, at least MIN_KEY_WORDS of them) from another outlet within
  COPY_WINDOW, or a near-verbatim title and lead (cosine >= copy_sim) — wire copy and syndication;
- a report of the same event: TF-IDF cosine over title (counted twice) and lead, within WINDOW, at least
  link_sim with one member of the story *and* at least mean_sim on average over all its members in the window.
  The average is the guard against chaining: an article that resembles one member only does not join, so a
  story cannot drift from event to event one neighbour at a time. The average is over the members in the article's
  language, so that a story told in two languages grows in both;
- a report in another language: the words that two languages' articles of the window both use (names, numbers, a
  few international words) are their common ground; cosine over those alone of at least cross_link, with at least
  cross_words of them in common, with one member of the story within cross_window_hours (and cross_mean on average
  over its members of other languages). One shared name is not enough: every story of a large event names it.

Links are only ever made between different outlets: one outlet's series ("war, day 319" / "day 320") and its
recurring headlines ("Live updates", "Morning briefing") share words with each other, never a story. A headline
one outlet uses on two different days is boilerplate and never a copy key.

Stable: a story's id is the id of its first article, and an article never changes story as others arrive (stories
are never merged). TF-IDF weights come from the articles of the window itself, so the collector (one cycle at a
time) and an import (a batch at a time) group alike; all the state needed to resume is the articles' story ids.
Words go to columns by CRC-32, so two runs over the same articles give the same stories (a rebuild reproduces an
import). A large import groups in a second process alongside the one that stores (`Background`).
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib.util
import itertools
import re
import sqlite3
import sys
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from collectors.text import fold
from db import connect, transaction
from db import stories as story_store


def _imported_on_first_use(name: str):
    """Module `name`, executed when first used: scipy.sparse takes 0.3 s to import, and every command and the
    collector's processes import this module, most of them without grouping anything."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


sparse = _imported_on_first_use("scipy.sparse")

DAY = 86400.0
CHUNK_DAYS = 2.0            # new articles are compared with their window a slice of this many days at a time
_WORD = re.compile(r"\w{3,}|\d+")
_COLUMNS = 1 << 21          # hashed word columns: two rare words sharing one is rare and nearly harmless
_COLUMN_CACHE_MAX = 2_000_000
TITLE_WEIGHT = 2.0
MIN_DF_CUT = 50             # a small window keeps its common words: they are its only evidence
LEAD_CHARS = 250            # the first sentences of a description are its news; the rest is often boilerplate


@dataclass(frozen=True)
class Params:
    window_days: float = 2.0        # reports of one event: published at most this far apart
    copy_window_days: float = 3.0   # copies of one headline
    link_sim: float = 0.30          # cosine with at least one member of the story
    mean_sim: float = 0.20          # mean cosine over the story's members in the window (other outlets)
    copy_sim: float = 0.8           # near-verbatim: joins on this one link alone
    same_outlet_hours: float = 12.0  # an outlet's own near-verbatim copy (a second link, a corrected title)
    max_df: float = 0.08            # words in more of the window's articles than this say nothing of the event
    min_key_words: int = 4          # shorter identical headlines ("Live updates") are not copies
    prefix: int = 6                 # words cut to this many letters: a crude stemmer (Morawieckiego, earthquakes)
    cross_window_hours: float = 24.0  # another language's report of the event: published at most this far apart
    cross_link: float = 0.5         # cosine over the words both languages use, with one member of the story ...
    cross_mean: float = 0.3         # ... and on average over its members of other languages
    cross_words: int = 3            # words in common with that member


class Doc(NamedTuple):
    """An article as grouping sees it; `time` in seconds since the epoch (UTC). A tuple: an import makes half a
    million of them."""
    id: int
    time: float
    language: str
    outlet: int
    title: str
    description: str


def epoch(published: str) -> float:
    """Seconds since the epoch of a stored 'YYYY-MM-DD HH:MM:SS' UTC time."""
    return dt.datetime.fromisoformat(published).replace(tzinfo=dt.UTC).timestamp()


def stored_time(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def title_key(title: str) -> str:
    return " ".join(_WORD.findall(fold(title)))


def _primary(language: str | None) -> str:
    return (language or "").split("-")[0].split("_")[0].lower()


# (ids, story ids) of the stored articles published in [lo, hi]; and the stored articles with these ids
WindowSource = Callable[[float, float], tuple[np.ndarray, np.ndarray]]
DocSource = Callable[[list[int]], list[Doc]]


class _Memory:
    """The tokenized articles already grouped: what the window of the next articles is built from."""

    def __init__(self) -> None:
        self.rows: dict[int, int] = {}        # article id -> row
        self.matrix = sparse.csr_matrix((0, _COLUMNS), dtype=np.float32)
        self.ids = np.zeros(0, dtype=np.int64)
        self.time = np.zeros(0)
        self.outlet = np.zeros(0, dtype=np.int64)
        self.lang = np.zeros(0, dtype=np.int64)
        self.story = np.zeros(0, dtype=np.int64)
        self.key: list[str] = []

    def add(self, docs: Sequence[Doc], tokenized: tuple[sparse.csr_matrix, list[str]], langs: list[int],
            stories: Sequence[int]) -> None:
        start = len(self.ids)
        self.matrix = sparse.vstack([self.matrix, tokenized[0]], "csr")
        self.ids = np.concatenate([self.ids, [d.id for d in docs]]).astype(np.int64)
        self.time = np.concatenate([self.time, [d.time for d in docs]])
        self.outlet = np.concatenate([self.outlet, [d.outlet for d in docs]]).astype(np.int64)
        self.lang = np.concatenate([self.lang, langs]).astype(np.int64)
        self.story = np.concatenate([self.story, stories]).astype(np.int64)
        self.key += tokenized[1]
        self.rows.update(zip((d.id for d in docs), range(start, start + len(docs)), strict=True))

    def keep(self, rows: np.ndarray) -> None:
        self.matrix = self.matrix[rows]
        self.ids, self.time, self.outlet = self.ids[rows], self.time[rows], self.outlet[rows]
        self.lang, self.story = self.lang[rows], self.story[rows]
        self.key = [self.key[r] for r in rows.tolist()]
        self.rows = dict(zip(self.ids.tolist(), range(len(rows)), strict=True))


class Grouper:
    """Assigns stories to new articles; keeps the tokenized recent articles so that a long import reads and
    tokenizes each article once."""

    def __init__(self, params: Params | None = None):
        self.params = params or Params()
        self.memory = _Memory()
        self.boilerplate: set[str] = set()
        self._key_days: dict[tuple[int, str], int] = {}   # (outlet, headline key) -> the day it was first used
        self._keyed_on: dict[int, list[tuple[int, str]]] = {}  # day -> the (outlet, key)s first used that day
        self._keys: dict[str, tuple[int, float, int]] = {}   # headline key -> story, time, outlet of a copy
        self._langs: dict[str, int] = {"": 0}

    def _lang(self, language: str) -> int:
        return self._langs.setdefault(_primary(language), len(self._langs))

    def _remember(self, docs: Sequence[Doc], stories: Sequence[int],
                  tokenized: tuple[sparse.csr_matrix, list[str]] | None = None) -> None:
        """Keep `docs` (with their `_matrix`, when already tokenized) for the windows of later articles."""
        if not docs:
            return
        tokenized = tokenized or _matrix(docs, self.params.prefix)
        self.memory.add(docs, tokenized, [self._lang(d.language) for d in docs], stories)
        for doc, key, story in zip(docs, tokenized[1], stories, strict=True):
            self._note_key(doc, key, story)

    def _note_key(self, doc: Doc, key: str, story: int) -> None:
        """Index a headline for its copies; a headline an outlet uses on two different days is its boilerplate."""
        if key.count(" ") + 1 < self.params.min_key_words:
            return
        day = int(doc.time // DAY)
        used = (doc.outlet, key)
        first = self._key_days.get(used)
        if first is None:
            self._key_days[used] = day
            self._keyed_on.setdefault(day, []).append(used)
        elif first != day:
            self.boilerplate.add(key)
        self._keys.setdefault(key, (story, doc.time, doc.outlet))

    def _forget_before(self, time: float) -> None:
        """Drop the remembered articles published before `time`, once they are most of the memory."""
        keep = np.flatnonzero(self.memory.time >= time)
        if len(keep) > len(self.memory.ids) // 2:
            return
        self.memory.keep(keep)
        floor = int(time // DAY) - 31
        for day in [d for d in self._keyed_on if d < floor]:   # a day's keys at once, not a pass over all of them
            for used in self._keyed_on.pop(day):
                del self._key_days[used]
        self._keys = {k: v for k, v in self._keys.items() if v[1] >= time}

    # grouping --------------------------------------------------------------------------------------------------
    def assign(self, new: Iterable[Doc], window: WindowSource, load: DocSource) -> dict[int, int]:
        """Story ids of the `new` articles (ids not yet grouped), a day at a time in order of publication;
        `window` and `load` give the articles grouped before (a story id per article)."""
        docs = sorted(new, key=lambda d: (d.time, d.id))
        new_ids = np.array([d.id for d in docs], dtype=np.int64)
        stories: dict[int, int] = {}
        reach = max(self.params.window_days, self.params.copy_window_days) * DAY
        start = 0
        while start < len(docs):
            end = start
            while end < len(docs) and docs[end].time < docs[start].time + CHUNK_DAYS * DAY:
                end += 1
            chunk = docs[start:end]
            lo, hi = chunk[0].time - reach, chunk[-1].time + reach
            ids, story_ids = window(lo, hi)
            order = np.argsort(ids, kind="stable")     # whatever order the source gives: the same grouping
            ids, story_ids = ids[order], story_ids[order]
            rows = np.array([self.memory.rows.get(i, -1) for i in ids.tolist()], dtype=np.int64)
            known = rows >= 0
            self.memory.story[rows[known]] = story_ids[known]   # the stored story is the truth (a rebuild elsewhere)
            missing = ~known & ~np.isin(ids, new_ids)
            if missing.any():
                loaded = {d.id: d for d in load(ids[missing].tolist())}
                found = [(loaded[i], s) for i, s in zip(ids[missing].tolist(), story_ids[missing].tolist(),
                                                        strict=True) if i in loaded]
                self._remember([d for d, _ in found], [s for _, s in found])
            stories.update(self._assign_chunk(chunk))
            self._forget_before(lo)
            start = end
        return stories

    def _assign_chunk(self, chunk: list[Doc]) -> dict[int, int]:
        p, m = self.params, self.memory
        # the TF-IDF window: the grouped articles published within window_days of the chunk
        rows = np.flatnonzero((m.time >= chunk[0].time - p.window_days * DAY)
                              & (m.time <= chunk[-1].time + p.window_days * DAY))
        new_matrix, new_keys = _matrix(chunk, p.prefix)
        unit = _tfidf(sparse.vstack([m.matrix[rows], new_matrix], "csr"), p.max_df)
        n_old = len(rows)
        langs = [self._lang(d.language) for d in chunk]
        # per column of the similarities (the window's articles, then the chunk's): story (-1 until grouped), ...
        cols = _Columns(np.concatenate([m.story[rows], np.full(len(chunk), -1, dtype=np.int64)]),
                        np.concatenate([m.outlet[rows], [d.outlet for d in chunk]]).astype(np.int64),
                        np.concatenate([m.time[rows], [d.time for d in chunk]]),
                        np.concatenate([m.lang[rows], langs]).astype(np.int64), n_old)
        # similarities with the grouped articles, and with the chunk's other ones (of which only the earlier ones,
        # grouped before each one, count); over all words, and over the words of two languages (names, numbers)
        sims = _Sims(unit, n_old)
        cross = _Sims(_shared(unit, cols.lang), n_old, cols.lang, (p.cross_link, p.cross_words))
        # only these need a closer look: a link to another outlet's article, or a near-verbatim one to its own; or
        # a strong link to another language's article
        near_enough = sims.any(self._links(sims.old, 0, cols), self._links(sims.new, n_old, cols))
        across = cross.any(np.flatnonzero(cross.strong_old), np.flatnonzero(cross.strong_new))
        # which of their entries each may link to, all at once (the earlier articles of the chunk have their
        # stories when a row is read: only grouped articles are candidates)
        sims.allow(np.flatnonzero(near_enough | across), functools.partial(self._may_link, cols))
        cross.allow(np.flatnonzero(across), functools.partial(self._may_link_across, cols))
        result: list[int] = []
        for i, doc in enumerate(chunk):
            chosen = self._copy_of(doc, new_keys[i])
            if chosen is None and (near_enough[i] or across[i]):
                chosen = self._best_story(sims.row(i), cross.row(i) if across[i] else None, n_old + i, cols)
            chosen = doc.id if chosen is None else chosen
            result.append(chosen)
            cols.join(n_old + i, chosen)
            self._note_key(doc, new_keys[i], chosen)
        self.memory.add(chunk, (new_matrix, new_keys), langs, result)
        return dict(zip((d.id for d in chunk), result, strict=True))

    def _copy_of(self, doc: Doc, key: str) -> int | None:
        """The story of the same headline from another outlet within the copy window (from the same outlet, within
        same_outlet_hours: the piece published again under another link)."""
        found = self._keys.get(key)
        if found is None or key in self.boilerplate:
            return None
        story, time, outlet = found
        p = self.params
        within = p.same_outlet_hours * 3600 if outlet == doc.outlet else p.copy_window_days * DAY
        return story if abs(time - doc.time) <= within else None

    def _best_story(self, near: _Row, far: _Row | None, col: int, c: _Columns) -> int | None:
        """The story the article at `col` joins, given its similarities with the articles of its language (`near`)
        and, when it has a strong one with another language's article, with those over their shared words (`far`)."""
        p = self.params
        own, lang = c.outlet[col], c.lang[col]
        cols, vals, linked = _candidates(near, near[1] >= p.link_sim, c.story)
        xcols, xvals, xlinked = (_candidates(far, far[2], c.story) if far is not None
                                 else (cols[:0], vals[:0], set()))
        members, xmembers = c.story[cols], c.story[xcols]
        others = c.outlet[cols] != own
        best, best_score = None, 0.0
        for s in sorted(linked | xlinked):
            theirs = members == s
            top = float(vals[theirs].max()) if s in linked else 0.0
            if top >= p.copy_sim:
                score = 1.0 + top
            else:
                score = 0.0
                if s in linked:
                    mean = float(vals[theirs & others].sum()) / max(c.alike(s, lang, own), 1)
                    score = mean if mean >= p.mean_sim else 0.0
                if s in xlinked:
                    mean = float(xvals[xmembers == s].sum()) / max(c.foreign(s, lang), 1)
                    score = max(score, mean if mean >= p.cross_mean else 0.0)
            if score > best_score:
                best, best_score = s, score
        return best

    def _links(self, sims: sparse.csr_matrix, first: int, c: _Columns) -> np.ndarray:
        """The positions of the entries of `sims` (the chunk's articles, with the articles from column `first` on)
        that `_usable` would take as links, all at once: at least link_sim. The chunk's articles have no story yet;
        those a row meets (the earlier ones) will have one when it is grouped."""
        at = np.flatnonzero(sims.data >= self.params.link_sim)
        row = c.n_old + _entry_rows(sims, at)
        col = first + sims.indices[at]
        ok = ((c.story[col] >= 0) | (col >= c.n_old)) & self._may_link(c, row, col, sims.data[at])
        return at[ok]

    def _may_link(self, c: _Columns, row: int | np.ndarray, col: np.ndarray, vals: np.ndarray) -> np.ndarray:
        """Whether the article at column `row` (each, for an array) may link to the one at `col`, their similarity
        `vals`, in its language: within the window, of another outlet or a near-verbatim copy of its own."""
        p = self.params
        apart = np.abs(c.time[col] - c.time[row])
        lang = c.lang[row]
        ok = (apart <= p.window_days * DAY) & ((lang == 0) | (c.lang[col] == lang) | (c.lang[col] == 0))
        # the outlet's own articles count only as copies: its series and boilerplate resemble each other
        return ok & ((c.outlet[col] != c.outlet[row]) | ((vals >= p.copy_sim) & (apart <= p.same_outlet_hours * 3600)))

    def _may_link_across(self, c: _Columns, row: np.ndarray, col: np.ndarray, vals: np.ndarray) -> np.ndarray:
        """Whether the articles at columns `row` may link to another language's articles at `col`: of other
        outlets, within cross_window_hours."""
        return ((np.abs(c.time[col] - c.time[row]) <= self.params.cross_window_hours * 3600)
                & (c.outlet[col] != c.outlet[row]))


def _candidates(row: _Row, links: np.ndarray, story: np.ndarray) -> tuple[np.ndarray, np.ndarray, set[int]]:
    """Of one article's similarities (`row`), the allowed ones with the members of the stories it has an allowed
    link (an entry marked in `links`) to: columns, similarities, and those stories. Few of a row's entries are
    links, so the others are looked at only when they belong to one of these stories (`story`: per column)."""
    cols, vals, _, allowed = row
    at = np.flatnonzero(links & allowed)
    if not len(at):
        return cols[:0], vals[:0], set()
    stories = np.unique(story[cols[at]])
    theirs = story[cols]
    if len(stories) > 8:
        mask = np.isin(theirs, stories)
    else:   # a few stories (the usual case): comparing with each is faster than sorting the row
        mask = theirs == stories[0]
        for other in stories[1:].tolist():
            mask |= theirs == other
    at = np.flatnonzero(mask & allowed)
    return cols[at], vals[at], set(stories.tolist())


class _Columns:
    """Per column of a chunk's similarities (the window's grouped articles, then the chunk's): story (-1 until
    grouped), outlet, time, language; and the window's members of each story by language and by outlet, for the
    averages that guard against chaining."""

    def __init__(self, story: np.ndarray, outlet: np.ndarray, time: np.ndarray, lang: np.ndarray, n_old: int):
        self.story, self.outlet, self.time, self.lang, self.n_old = story, outlet, time, lang, n_old
        # counts that default to 0 in C: a Counter's missing key is a Python call, and most stories joined are new
        self.size: defaultdict[int, int] = defaultdict(int, Counter(story[:n_old].tolist()))
        self.by_lang: defaultdict[tuple[int, int], int] = defaultdict(
            int, Counter(zip(story[:n_old].tolist(), lang[:n_old].tolist(), strict=True)))
        self.by_outlet: defaultdict[tuple[int, int], int] = defaultdict(
            int, Counter(zip(story[:n_old].tolist(), outlet[:n_old].tolist(), strict=True)))

    def join(self, col: int, story: int) -> None:
        self.story[col] = story
        self.size[story] += 1
        self.by_lang[story, int(self.lang[col])] += 1
        self.by_outlet[story, int(self.outlet[col])] += 1

    def alike(self, story: int, lang: int, outlet: int) -> int:
        """Members of `story` an article of `lang` from `outlet` is compared with by all its words: the other
        outlets' ones in its language (or of no stated language)."""
        if not lang:
            return self.size[story] - self.by_outlet[story, outlet]
        return self.by_lang[story, lang] + self.by_lang[story, 0] - self.by_outlet[story, outlet]

    def foreign(self, story: int, lang: int) -> int:
        """Members of `story` in a language other than `lang` (and stated)."""
        return self.size[story] - self.by_lang[story, lang] - self.by_lang[story, 0]


# one article's columns, similarities, strong links, and which of them it may link to
_Row = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


class _Sims:
    """The similarities of a chunk's articles (the last rows of `unit`) with the window's grouped articles (the first
    `n_old` rows) and with each other. With `lang` given, only those between articles of two stated languages, and
    the strong ones marked: at least `strong[0]` with at least `strong[1]` words in common (a name, a second name,
    an age: one name alone is every story of a large event)."""

    def __init__(self, unit: sparse.csr_matrix, n_old: int, lang: np.ndarray | None = None,
                 strong: tuple[float, int] = (0.0, 0)):
        self.n_old = n_old
        chunk = np.arange(n_old, unit.shape[0])
        if lang is None:
            mine = unit[n_old:]
            self.old = (mine @ unit[:n_old].T).tocsr()
            self.new = _with_earlier(mine)
        else:
            self.old = _across(unit, chunk, np.arange(n_old), lang)
            self.new = _across(unit, chunk, chunk, lang)
            ones = sparse.csr_matrix((np.ones(len(unit.data), dtype=np.float32), unit.indices, unit.indptr),
                                     shape=unit.shape)
            # how many words each pair has in common: the same entries as the similarities (both sorted)
            old_common = _across(ones, chunk, np.arange(n_old), lang).data
            new_common = _across(ones, chunk, chunk, lang).data
        self.strong_old = self.old.data >= strong[0]
        self.strong_new = self.new.data >= strong[0]
        if lang is not None:
            self.strong_old &= old_common >= strong[1]
            self.strong_new &= new_common >= strong[1]

    def any(self, old_at: np.ndarray, new_at: np.ndarray) -> np.ndarray:
        """Per chunk article, whether one of the entries at these positions (of `old`, of `new`) is in its row: with
        the window's articles, or with the chunk's earlier ones."""
        found = np.zeros(self.old.shape[0], dtype=bool)
        found[_entry_rows(self.old, old_at)] = True
        rows = _entry_rows(self.new, new_at)
        found[rows[self.new.indices[new_at] < rows]] = True
        return found

    def row(self, i: int) -> _Row:
        """Chunk article `i`'s columns, similarities and strong links: the window's articles, then the chunk's
        earlier ones."""
        old, new = self.old, self.new
        a, b = old.indptr[i], old.indptr[i + 1]
        c, d = new.indptr[i], new.indptr[i + 1]
        earlier = new.indices[c:d] < i
        return (np.concatenate([old.indices[a:b], self.n_old + new.indices[c:d][earlier]]),
                np.concatenate([old.data[a:b], new.data[c:d][earlier]]),
                np.concatenate([self.strong_old[a:b], self.strong_new[c:d][earlier]]),
                np.concatenate([self.allowed_old[a:b], self.allowed_new[c:d][earlier]]))

    def allow(self, rows: np.ndarray, may_link: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]) -> None:
        """Mark the entries of the chunk articles `rows` that `may_link(row's column, column, similarity)` allows:
        what row() gives last (the other rows' entries are not marked)."""
        self.allowed_old = self._allowed(self.old, rows, 0, may_link)
        self.allowed_new = self._allowed(self.new, rows, self.n_old, may_link)

    def _allowed(self, sims: sparse.csr_matrix, rows: np.ndarray, first: int,
                 may_link: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]) -> np.ndarray:
        allowed = np.zeros(len(sims.data), dtype=bool)
        starts, counts = sims.indptr[rows], np.diff(sims.indptr)[rows]
        at = np.arange(counts.sum()) + np.repeat(starts - np.cumsum(counts) + counts, counts)
        allowed[at] = may_link(self.n_old + np.repeat(rows, counts), first + sims.indices[at], sims.data[at])
        return allowed


def _with_earlier(rows: sparse.csr_matrix, blocks: int = 8) -> sparse.csr_matrix:
    """The products of `rows` with each other where only those with earlier rows are read (below the diagonal): a
    block of rows at a time with the rows up to the block's end, about half the work of all of them. Within a block
    the later ones are there too, and each row's entries come in the order of the full product."""
    n = rows.shape[0]
    bounds = np.linspace(0, n, blocks + 1).astype(np.int64).tolist()
    parts = []
    for a, b in itertools.pairwise(bounds):
        block = (rows[a:b] @ rows[:b].T).tocsr()
        parts.append(sparse.csr_matrix((block.data, block.indices, block.indptr), shape=(b - a, n)))
    return sparse.vstack(parts, "csr")


def _across(unit: sparse.csr_matrix, rows: np.ndarray, cols: np.ndarray, lang: np.ndarray) -> sparse.csr_matrix:
    """The products of `unit`'s `rows` with its `cols` between articles of two different stated languages: one
    product per language, against the others only (most pairs share a language and need none)."""
    parts = []
    for code in np.unique(lang[rows][lang[rows] > 0]).tolist():
        mine = rows[lang[rows] == code]
        theirs = cols[(lang[cols] != code) & (lang[cols] > 0)]
        if not len(theirs):
            continue
        block = (unit[mine] @ unit[theirs].T).tocoo()
        parts.append((mine[block.row] - rows[0], theirs[block.col] - cols[0], block.data))
    if not parts:
        return sparse.csr_matrix((len(rows), len(cols)), dtype=np.float32)
    r, c, v = (np.concatenate(x) for x in zip(*parts, strict=True))
    sims = sparse.csr_matrix((v, (r, c)), shape=(len(rows), len(cols)))
    sims.sort_indices()
    return sims


def _shared(unit: sparse.csr_matrix, lang: np.ndarray) -> sparse.csr_matrix:
    """The rows of `unit` over the words that articles of two or more languages use in it (names, numbers, a few
    international words), of unit length again; an article without such words has an empty row."""
    row_of = np.repeat(np.arange(unit.shape[0]), np.diff(unit.indptr))
    entry_lang = lang[row_of]
    languages = np.zeros(unit.shape[1], dtype=np.int8)
    for code in np.unique(lang[lang > 0]).tolist():
        used = np.zeros(unit.shape[1], dtype=bool)
        used[unit.indices[entry_lang == code]] = True
        languages += used
    data = np.where(languages[unit.indices] >= 2, unit.data, np.float32(0))
    norms = np.sqrt(np.bincount(row_of, weights=data.astype(np.float64) ** 2, minlength=unit.shape[0]))
    norms[norms == 0] = 1.0
    shared = sparse.csr_matrix((data / norms[row_of].astype(np.float32), unit.indices, unit.indptr), shape=unit.shape)
    shared.eliminate_zeros()
    return shared


def _entry_rows(matrix: sparse.csr_matrix, at: np.ndarray) -> np.ndarray:
    """The row of each of the entries at positions `at` of `matrix`'s data."""
    return np.searchsorted(matrix.indptr, at, side="right") - 1


@functools.cache
def _cut_words(prefix: int) -> Callable[[str], list[str]]:
    """_WORD's words of a text, cut to their first `prefix` characters (0: whole). From 3 on the pattern cuts them
    itself: the same matches (a number alone where fewer than three word characters follow), the first characters
    kept, and no list of whole words made first."""
    if prefix >= 3:
        return re.compile(rf"(\w{{3,{prefix}}}|\d{{1,2}})\w*").findall
    return lambda text: [w[:prefix] if prefix else w for w in _WORD.findall(text)]


def _matrix(docs: Sequence[Doc], prefix: int = 0) -> tuple[sparse.csr_matrix, list[str]]:
    """One row per article, TITLE_WEIGHT for each word of the title and 1 for each other word of the lead, in
    hashed columns (a stable hash: two runs over the same articles group alike); and the articles' headline keys."""
    words: list[str] = []
    lengths: list[int] = []
    keys: list[str] = []
    lead_cut = _cut_words(prefix)
    for doc in docs:
        # one fold for both (a fold goes character by character), split at the line end put between them
        title, _, lead_text = fold(f"{doc.title.replace(chr(10), ' ')}\n{doc.description[:LEAD_CHARS]}").partition("\n")
        title = _WORD.findall(title)
        keys.append(" ".join(title))
        if prefix:
            title = [w[:prefix] for w in title]
        lead_words = lead_cut(lead_text)
        unique = dict.fromkeys(title)     # ordered, unlike a set: the sums of a row add up in the same order
        lead = [w for w in dict.fromkeys(lead_words) if w not in unique]
        words += unique
        words += lead
        lengths += (len(unique), len(lead))
    indices = _columns(words)
    data = np.repeat(np.tile(np.array([TITLE_WEIGHT, 1.0], dtype=np.float32), len(docs)), lengths)
    indptr = np.zeros(len(docs) + 1, dtype=np.int64)
    if docs:
        np.cumsum(np.add.reduceat(lengths, range(0, len(lengths), 2)), out=indptr[1:])
    return sparse.csr_matrix((data, indices, indptr), shape=(len(docs), _COLUMNS)), keys


class _ColumnCache(dict):
    """Word -> its column: its CRC-32 (not Python's salted hash, so that runs agree), computed on first sight and
    remembered (a dictionary lookup is as cheap as Python's hash)."""

    def __missing__(self, word: str) -> int:
        if len(self) > _COLUMN_CACHE_MAX:
            self.clear()
        column = self[word] = zlib.crc32(word.encode("utf-8", "surrogatepass")) & (_COLUMNS - 1)
        return column


_COLUMN_CACHE = _ColumnCache()


def _columns(words: list[str]) -> np.ndarray:
    """The column of each word."""
    return np.fromiter(map(_COLUMN_CACHE.__getitem__, words), dtype=np.int32, count=len(words))


def _tfidf(counts: sparse.csr_matrix, max_df: float) -> sparse.csr_matrix:
    """Rows of TF-IDF weights of unit length, in the columns of the words they use; words in more than `max_df`
    of the rows left out."""
    n = counts.shape[0]
    # the used columns in order, each entry's place among them, and in how many rows each is used
    used, place, df_of_place = np.unique(counts.indices, return_inverse=True, return_counts=True)
    df = df_of_place[place]
    keep = df <= max(max_df * n, MIN_DF_CUT)
    idf = np.log((n + 1) / (df[keep] + 1)).astype(np.float32) + 1.0
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(np.repeat(np.arange(n), np.diff(counts.indptr))[keep], minlength=n), out=indptr[1:])
    matrix = sparse.csr_matrix((counts.data[keep] * idf, place[keep].astype(np.int32), indptr),
                               shape=(n, len(used)))
    row_of = np.repeat(np.arange(n), np.diff(matrix.indptr))
    norms = np.sqrt(np.bincount(row_of, weights=matrix.data.astype(np.float64) ** 2, minlength=n))
    matrix.data /= norms[row_of].astype(np.float32)
    return matrix


class _Archive:
    """An in-memory window source: grouped articles by time, for grouping without a database (tests, scoring)."""

    def __init__(self) -> None:
        self.docs: dict[int, Doc] = {}
        self.story: dict[int, int] = {}
        self._times = np.zeros(0)
        self._ids = np.zeros(0, dtype=np.int64)
        self._pending: list[tuple[float, int]] = []

    def add(self, docs: Iterable[Doc], stories: dict[int, int]) -> None:
        for d in docs:
            if d.id in self.docs:
                continue
            self.docs[d.id] = d
            self._pending.append((d.time, d.id))
        self.story.update(stories)

    def window(self, lo: float, hi: float) -> tuple[np.ndarray, np.ndarray]:
        if self._pending:
            times = np.concatenate([self._times, [t for t, _ in self._pending]])
            ids = np.concatenate([self._ids, [i for _, i in self._pending]]).astype(np.int64)
            order = np.argsort(times, kind="stable")
            self._times, self._ids, self._pending = times[order], ids[order], []
        a, b = np.searchsorted(self._times, lo, "left"), np.searchsorted(self._times, hi, "right")
        ids = self._ids[a:b]
        return ids, np.array([self.story[i] for i in ids.tolist()], dtype=np.int64)

    def load(self, ids: list[int]) -> list[Doc]:
        return [self.docs[i] for i in ids]


def group(docs: Sequence[Doc], params: Params | None = None, batch: int = 5000) -> dict[int, int]:
    """The story id of every article of `docs`, grouped `batch` at a time in the given order, as an import would."""
    grouper, archive = Grouper(params), _Archive()
    for start in range(0, len(docs), batch):
        part = docs[start:start + batch]
        stories = grouper.assign(part, archive.window, archive.load)
        archive.add(part, stories)
    return archive.story


# grouping the stored articles ----------------------------------------------------------------------------------

REBUILD_BATCH = 20_000


def _docs(rows: list[story_store.DocRow], lead: int | None = None) -> list[Doc]:
    """The articles of stored rows, their descriptions cut to `lead` characters (all grouping reads) when given; the
    stored times ('YYYY-MM-DD HH:MM:SS', UTC) read in one pass."""
    times = np.array([row[1] for row in rows], dtype="datetime64[s]").astype(np.int64).astype(float).tolist()
    return [Doc(row[0], time, row[2], row[3], row[4], row[5][:lead]) for row, time in zip(rows, times, strict=True)]


def _stored(conn: sqlite3.Connection, grouper: Grouper, rows: list[story_store.DocRow]) -> int:
    """Group the articles of `rows` against the stored stories and write their story ids."""
    if not rows:
        return 0

    def window(lo: float, hi: float) -> tuple[np.ndarray, np.ndarray]:
        pairs = np.array(story_store.grouped_between(conn, stored_time(lo), stored_time(hi)), dtype=np.int64)
        return (pairs[:, 0], pairs[:, 1]) if len(pairs) else (pairs, pairs)

    def load(ids: list[int]) -> list[Doc]:
        return _docs(story_store.docs(conn, ids))

    stories = grouper.assign(_docs(rows), window, load)
    story_store.set_stories(conn, stories.items())
    return len(stories)


def newest_id(conn: sqlite3.Connection) -> int:
    """The id of the newest stored article: the articles stored after it are the next to group."""
    return story_store.newest_id(conn)


def assign_new(conn: sqlite3.Connection, after_id: int, grouper: Grouper | None = None) -> int:
    """Within the caller's transaction, give the articles stored after article `after_id` their stories; return how
    many. An import passes one `grouper` for all its batches, so that each article is read and tokenized once; a
    collector cycle (a few hundred new articles) rereads its window, a fraction of a second."""
    return _stored(conn, grouper or Grouper(), story_store.ungrouped_after(conn, after_id))


def rebuild(conn: sqlite3.Connection, progress: Callable[[int], object] | None = None,
            batch: int = REBUILD_BATCH) -> int:
    """Group every stored article again, in order of publication, one transaction per batch; return how many."""
    grouper = Grouper()
    with transaction(conn):
        story_store.clear(conn)
    done, after = 0, ("", 0)
    while True:
        with transaction(conn):
            rows = story_store.in_order(conn, after, batch)
            _stored(conn, grouper, rows)
        if not rows:
            return done
        done, after = done + len(rows), (rows[-1][1], rows[-1][0])
        if progress:
            progress(len(rows))


# grouping in a second process during a long import ------------------------------------------------------------

# the worker process's one grouper, kept from batch to batch, the ids of the articles stored before the import that
# it has read, and its own read-only connection to the database
_WORKER: list[tuple[Grouper, _Archive, set[int]]] = []
_WORKER_DB: dict[str, sqlite3.Connection] = {}


def _assign_in_worker(database: str, after_id: int, until: int, before: int, fresh: bool) -> dict[int, int]:
    """In the worker: group the articles stored after `after_id` up to `until` (committed, not grouped) against the
    articles it grouped before and those stored before the import (ids up to `before`) that their window reaches, as
    `_stored` would against the database; a `fresh` import starts a new grouper, as an import in line does. The
    worker reads the articles itself: the storing process neither reads them back nor sends them over."""
    if fresh:
        _WORKER[:] = [(Grouper(), _Archive(), set())]
    grouper, archive, sent = _WORKER[0]
    if database not in _WORKER_DB:
        _WORKER_DB[database] = connect(database, readonly=True)
    conn = _WORKER_DB[database]
    new = _docs(story_store.ungrouped_after(conn, after_id, LEAD_CHARS, until))
    if not new:
        return {}
    reach = max(grouper.params.window_days, grouper.params.copy_window_days) * DAY
    times = [d.time for d in new]
    window = story_store.grouped_between(conn, stored_time(min(times) - reach), stored_time(max(times) + reach))
    prior = {i: s for i, s in window if i <= before and i not in sent}
    sent.update(prior)
    archive.add(_docs(story_store.docs(conn, list(prior), LEAD_CHARS)) if prior else [], prior)
    stories = grouper.assign(new, archive.window, archive.load)
    archive.add(new, stories)
    return stories


class Background:
    """Stories of an import's batches computed in a one-process `pool` while the next batch is read and stored; the
    stories of a batch are written with a later commit. The worker reads each article once, on its own connection:
    the new ones once they are committed, and those stored before the import when a batch's window first reaches
    them. `database`: where the worker finds them (a SQLite file or a PostgreSQL URL)."""

    def __init__(self, conn: sqlite3.Connection, database: str, pool: Executor, ahead: int = 2):
        self.conn, self.database, self.pool, self.ahead = conn, database, pool, ahead
        self.before = newest_id(conn)       # articles up to this id were stored before the import
        self.jobs: list[Future] = []
        self.fresh = True

    def submit(self, after_id: int) -> None:
        """Have the worker group the articles stored after `after_id` (up to the newest: one batch), committed."""
        until = newest_id(self.conn)
        self.jobs.append(self.pool.submit(_assign_in_worker, self.database, after_id, until, self.before, self.fresh))
        self.fresh = False

    def write(self, wait: bool) -> None:
        """Write the stories the worker has finished (all of them when `wait`; the oldest while too many are
        pending, so that memory stays bounded)."""
        while self.jobs and (wait or self.jobs[0].done() or len(self.jobs) > self.ahead):
            story_store.set_stories(self.conn, self.jobs.pop(0).result().items())
