"""What happened in a period: its top stories, the terms that rose and who accounts for the rise (issue 15).

    newsradar explain --q "karabakh OR karabach*" --day 2023-09-19

A period [start, end) is read against the window before it: as long as the period, and at least the chart's spike
baseline (14 days), so that one quiet day before a spike is not the whole yardstick; counts of a longer window are
scaled to the period's length. Stories are the grouped stories (db/stories.py): the largest, and the fastest-growing
(most articles above their baseline), each with the outlet that had it first. Terms are words of titles and
descriptions scored by log-odds with an informative Dirichlet prior (Monroe, Colaresi and Quinn 2008), counted once
per article (at most MAX_TEXTS articles a window, an even sample), without the stopwords of the article's language
(the `stop-words` lists, plus names of days and months) or the query's own words (an analyst who searched for
"karabakh" knows it is there). Outlets and source countries are ranked by their excess over the baseline, with
their part of the whole excess.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import os
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import TypeVar

from stop_words import AVAILABLE_LANGUAGES, LANGUAGE_MAPPING, get_stop_words

from collectors.normalize import clean_link
from collectors.text import words, written_forms
from dashboard.spikes import WINDOW
from db import articles as stored
from db import explain as store
from db.engine import Connection
from db.explain import Change, StoryChange
from db.filters import Filters
from db.highlights import TopStory
from db.stories import StoryRow

STORIES = 5
Told = TypeVar("Told", StoryChange, TopStory, StoryRow)   # a story as a list shows it: its id, headline and link
TERMS = 10
SHARES = 5
PRIOR = 100.0        # how many pseudo-counts the pooled rates weigh: a word must rise in many articles to count
MIN_ARTICLES = 2     # a word in one article is nobody's trend
# two words are forms of one (górskim, górskiego; ceasefire, ceasefires) when they agree in at least STEM letters and
# differ in at most ENDING after them: a crude stemmer for every language, which keeps state and statement, police
# and policy, Niger and Nigeria apart (and joins minister and ministry)
STEM, ENDING = 6, 3
# tokenizing is most of the cost (a month of the whole corpus: 76k texts, 3 s of CPU); an even sample of this many
# texts a window ranks the same top words
MAX_TEXTS = 10_000
_OPERATORS = {"or", "and", "not", "near"}
# days and months rise on their own day whatever happened ("we wtorek", "on Tuesday"): not in the stopword lists
CALENDAR = frozenset(words("""monday tuesday wednesday thursday friday saturday sunday january february march april
may june
july august september october november december poniedzialek wtorek sroda czwartek piatek sobota niedziela
poniedzialku wtorku srode srody czwartku piatku soboty niedziele niedzieli styczen luty marzec kwiecien maj czerwiec
lipiec sierpien wrzesien pazdziernik listopad grudzien stycznia lutego marca kwietnia maja czerwca lipca sierpnia
wrzesnia pazdziernika listopada grudnia"""))


@dataclass(frozen=True)
class Share:
    label: str
    now: int
    expected: float      # the baseline's count scaled to the period
    part: float | None   # of the whole excess (now - expected summed over all), 0..1; None when the whole did not rise


@dataclass(frozen=True)
class Explanation:
    start: dt.datetime
    end: dt.datetime
    before: dt.datetime
    articles: int
    articles_before: int     # in the whole baseline window
    scale: float             # the period's length over the baseline's
    largest: list[StoryChange] = field(default_factory=list)
    growing: list[StoryChange] = field(default_factory=list)
    terms: list[str] = field(default_factory=list)
    outlets: list[Share] = field(default_factory=list)
    countries: list[Share] = field(default_factory=list)
    archive_from: dt.date | None = None   # the oldest stored article's day: a baseline before it was never collected


@cache
def stopwords(language: str) -> frozenset[str]:
    """Folded stopwords of an ISO 639-1 language (the `stop-words` package's lists), English's when it has none:
    most feeds without a known language are English."""
    name = LANGUAGE_MAPPING.get(language, "")
    name = name if name in AVAILABLE_LANGUAGES else "english"
    return frozenset(w for s in get_stop_words(name) for w in words(s)) | CALENDAR


def query_words(query: str | None) -> tuple[set[str], tuple[str, ...]]:
    """The query's own words (operators aside) and its prefixes (`karabach*`)."""
    exact, prefixes = set(), []
    for token in re.findall(r"[^\s()\"]+", query or ""):
        if token.lower() in _OPERATORS or token.startswith("-"):
            continue
        if token.endswith("*"):
            prefixes += words(token.rstrip("*"))
        else:
            exact |= set(words(token))
    return exact, tuple(prefixes)


# markup and addresses left in some feeds' descriptions ("<a href=…>Continue reading…</a>") are not words of the news
_NOT_PROSE = re.compile(r"<[^>]*(?:>|$)|https?://\S+|&\w+;")


def _document_words(language: str, text: str, own: tuple[set[str], tuple[str, ...]]) -> set[str]:
    stop, (exact, prefixes) = stopwords(language), own
    found = {word for word in words(_NOT_PROSE.sub(" ", text)) if len(word) >= 3 and word not in stop
             and not word.isdigit()}
    if not exact and not prefixes:   # no query (a topic, a category): nothing more to leave out
        return found
    return {word for word in found
            if not any(p in exact or (prefixes and p.startswith(prefixes)) for p in word.split("-"))}


def top_terms(now: Iterable[str], before: Iterable[str], limit: int = TERMS, language: str = "en",
              query: str | None = None) -> list[str]:
    """The words of `now`'s texts that rose most against `before`'s, each text one document of `language`."""
    return rising([(language, t) for t in now], [(language, t) for t in before], limit, query)


def _sample(docs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """At most MAX_TEXTS of `docs`, evenly spread (they come in the order they were stored, so over the period)."""
    step = -(-len(docs) // MAX_TEXTS)
    return docs[::step] if step > 1 else docs


def rising(now: list[tuple[str, str]], before: list[tuple[str, str]], limit: int = TERMS,
           query: str | None = None) -> list[str]:
    """Log-odds with an informative Dirichlet prior (the pooled rates of both windows): a word common in both does
    not rise because the volume did, and a word seen a few times scores less than the same rate seen often."""
    own = query_words(query)
    ours, theirs = (Counter(w for language, text in _sample(docs) for w in _document_words(language, text, own))
                    for docs in (now, before))
    n, m = sum(ours.values()), sum(theirs.values())
    if not n:
        return []

    def z(word: str) -> float:
        a = PRIOR * (ours[word] + theirs[word]) / (n + m)
        y, x = ours[word] + a, theirs[word] + a
        delta = math.log(y / (n + PRIOR - y)) - math.log(x / (m + PRIOR - x))
        return delta / math.sqrt(1 / y + 1 / x)

    scores = {w: z(w) for w, c in ours.items() if c >= MIN_ARTICLES}
    top = _one_form_each(sorted((w for w, score in scores.items() if score > 0), key=lambda w: (-scores[w], w)),
                         limit)
    forms = written_forms((text for _, text in _sample(now)), top)   # counted folded, shown as written
    return [forms[w] for w in top]


def _one_form_each(ranked: list[str], limit: int) -> list[str]:
    """The first `limit` of `ranked` that are not another form of a word before them: the list names ten terms, not
    the cases of three."""
    chosen: list[str] = []
    for word in ranked:
        if len(chosen) == limit:
            break
        if not any(_forms_of_one(word, other) for other in chosen):
            chosen.append(word)
    return chosen


def _forms_of_one(a: str, b: str) -> bool:
    stem = len(os.path.commonprefix([a, b]))
    return stem >= STEM and max(len(a), len(b)) - stem <= ENDING


def told_stories(conn: Connection, filters: Filters, stories: list[Told], start: dt.datetime,
                 end: dt.datetime) -> list[Told]:
    """`stories` of [start, end) each told by its typical headline there."""
    ids = [s.story for s in stories if s.story is not None]
    return typical_headlines(stories, store.story_titles(conn, filters, ids, start, end)) if ids else stories


def typical_headlines(changes: list[Told], titles: list[tuple[int, str, str]]) -> list[Told]:
    """Each story told by the headline (and link) of its period that is nearest the centre of the period's headlines
    of it: the words most of them share. A story that began the day before is told by what it says now, and not by
    its first article in the period, which may be a side story (a football club's match off, the day after an
    offensive)."""
    by_story: dict[int, list[tuple[str, str]]] = {}
    for story, title, link in titles:
        by_story.setdefault(story, []).append((title, link))
    told = []
    for change in changes:
        title, link = _nearest_centre(by_story.get(change.story) or [(change.title, change.link)])
        same = (title, link) == (change.title, change.link)
        told.append(change if same else dataclasses.replace(change, title=title, link=link))
    return told


def _nearest_centre(headlines: list[tuple[str, str]]) -> tuple[str, str]:
    """The headline whose words the others use most (cosine with the sum of the others' word sets; short words and
    English stopwords, which any two English headlines share, left out); the first of equals, so one of two or a
    lone headline is the first."""
    common = stopwords("en")
    sets = [{w for w in words(title) if len(w) >= 3 and w not in common} for title, _ in headlines]
    used = Counter(w for s in sets for w in s)
    # a headline without words (empty, or all stopwords) scores below every other
    scores = [sum(used[w] - 1 for w in s) / math.sqrt(len(s)) if s else -1.0 for s in sets]
    return headlines[scores.index(max(scores))]


def shares(changes: list[Change], scale: float, limit: int = SHARES) -> list[Share]:
    """The labels most above their baseline (an unknown one aside), with their part of the whole excess."""
    rise = sum(c.now - c.before * scale for c in changes)
    known = [c for c in changes if c.label and c.now > c.before * scale][:limit]
    return [Share(c.label, c.now, c.before * scale, (c.now - c.before * scale) / rise if rise > 0 else None)
            for c in known]


def explain(conn: Connection, filters: Filters, start: dt.datetime, end: dt.datetime,
            stories: int = STORIES) -> Explanation:
    """What happened among the articles matching `filters` (their dates aside) in [start, end)."""
    before = start - max(end - start, dt.timedelta(days=WINDOW))
    scale = (end - start) / (start - before)
    found = told_stories(conn, filters, store.story_changes(conn, filters, before, start, end, stories, scale), start,
                         end)
    largest = sorted(found, key=lambda s: (-s.now, -s.outlets, s.story))[:stories]
    seen = {s.story for s in largest}
    growing = [s for s in sorted(found, key=lambda s: (-(s.now - s.before * scale), -s.now, s.story))
               if s.story not in seen and s.now > s.before * scale][:stories]
    texts = store.texts(conn, filters, before, start, end)
    docs = {True: [], False: []}
    for in_now, language, title, description in texts:
        docs[in_now].append((language, f"{title}\n{description}"))
    outlets, countries = (shares(store.changes(conn, filters, before, start, end, by, scale), scale)
                          for by in ("outlet", "country"))
    oldest = stored.first_published(conn)
    return Explanation(start, end, before, len(docs[True]), len(docs[False]), scale, largest, growing,
                       rising(docs[True], docs[False], query=filters.q), outlets, countries,
                       dt.date.fromisoformat(oldest[:10]) if oldest else None)


def day_span(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[first 00:00, the day after last 00:00) in UTC."""
    start = dt.datetime(first.year, first.month, first.day, tzinfo=dt.UTC)
    return start, dt.datetime(last.year, last.month, last.day, tzinfo=dt.UTC) + dt.timedelta(days=1)


def period_words(start: dt.datetime, end: dt.datetime) -> str:
    last = (end - dt.timedelta(seconds=1)).date()
    return start.date().isoformat() if last == start.date() else f"{start.date().isoformat()} to {last.isoformat()}"


def quantity(n: int, noun: str) -> str:
    """'1 article', '2,163 articles'."""
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def period_phrase(start: dt.datetime, end: dt.datetime) -> str:
    """The period as a sentence takes it: "on 2023-09-19", "from 2023-09-18 to 2023-09-24"."""
    words = period_words(start, end)
    return f"from {words}" if " to " in words else f"on {words}"


def found_words(found: Explanation) -> str:
    """The explanation's first sentence: how many articles the period holds, against what."""
    return f"{quantity(found.articles, 'article')} {period_phrase(found.start, found.end)} (UTC), {baseline(found)}"


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")


def plain(text: str) -> str:
    """Feed text for a terminal: one line, without control characters (an escape sequence could recolour or
    rewrite the screen)."""
    return " ".join(_CONTROL.sub(" ", text).split())


def story_line(story: StoryChange) -> str:
    """One story as plain text (feed text, never markup): headline and its link, size and the outlet that had it
    first."""
    before = f", {story.before} in the baseline before" if story.before else ", new"
    return (f"{plain(story.title) or '(no title)'} {plain(clean_link(story.link))} — {quantity(story.now, 'article')} "
            f"in {quantity(story.outlets, 'outlet')}{before}; {first_words(story, plain(story.outlet))}")


def first_words(story: StoryChange, outlet: str | None = None) -> str:
    """Who had the story first in the period, and when; and its first matching report before the period, if any
    (within the baseline window: a story is rarely older)."""
    began = (f" (first matching report: {story.began[:16]} UTC)" if story.began and story.began < story.published
             else "")
    where = "first in the period" if began else "first"
    outlet = story.outlet if outlet is None else outlet
    return f"{where}: {outlet or 'unknown outlet'}, {story.published[:16]} UTC{began}"


def expected_words(expected: float) -> str:
    """A baseline's expectation as a reader takes it in: "none", "0.4", "2.5", "1,125" (a decimal only below 10)."""
    if expected == 0:
        return "none"
    return f"{expected:.1f}" if expected < 10 else f"{expected:,.0f}"


def share_against(share: Share) -> str:
    """The end of an outlet's or country's line: what the baseline expected and its part of the excess."""
    if share.part is None:   # others fell by more: there is no excess to have a part of
        return f"against {expected_words(share.expected)} expected (the view as a whole is not above its baseline)"
    return f"against {expected_words(share.expected)} expected ({share.part:.0%} of the excess)"


NO_COUNTRY_ABOVE = "none above its baseline (or the outlets' countries are not known)"


def share_line(share: Share) -> str:
    return f"{plain(share.label)}: {quantity(share.now, 'article')} {share_against(share)}"


def baseline(found: Explanation) -> str:
    """What the period is compared with, in a sentence; said plainly when the window before holds no matching article
    (an archive's first weeks, or filters that match nothing there): then nothing can be said to have risen. Whether
    nothing was collected then or nothing collected matched are different findings, and said apart."""
    window = period_words(found.before, found.start)
    begins = found.archive_from
    if not found.articles_before:
        empty = "nothing was collected" if begins and begins >= found.start.date() else "no article matches"
        return (f"{empty} {period_phrase(found.before, found.start)}, the baseline window before it, so the "
                "terms, outlets and countries below are measured against nothing and say little.")
    partly = (f"; the archive begins on {begins.isoformat()}, so the baseline is partly uncollected and low"
              if begins and begins > found.before.date() else "")
    return (f"against {expected_words(found.articles_before * found.scale)} expected from the "
            f"{quantity(found.articles_before, 'article')} of {window} (the baseline, scaled to the period's length"
            f"{partly}).")


def text(found: Explanation) -> str:
    """The explanation as plain text, for the terminal."""
    lines = [f"What happened: {found_words(found)}", "", "Largest stories:"]
    lines += [f"  {i}. {story_line(s)}" for i, s in enumerate(found.largest, 1)] or ["  none"]
    lines += ["", "Fastest-growing stories:"]
    lines += [f"  {i}. {story_line(s)}" for i, s in enumerate(found.growing, 1)] or ["  none beyond the largest"]
    lines += ["", f"Terms that rose: {', '.join(found.terms) or 'none'}", "", "Outlets that account for the excess:"]
    lines += [f"  {share_line(s)}" for s in found.outlets] or ["  none above their baseline"]
    lines += ["", "Source countries that account for the excess:"]
    lines += [f"  {share_line(s)}" for s in found.countries] or [f"  {NO_COUNTRY_ABOVE}"]
    return "\n".join(lines)


__all__ = ["Explanation", "Share", "baseline", "day_span", "explain", "rising", "text", "top_terms"]
