"""Draw the article pairs that are labelled by hand as "same story" or not (tests/data/story-pairs.md).

Reads ``news-2023.jsonl.gz`` and ``outlets-2023.csv`` from the shared data folder (default
``<repo>/../shared/data``) and writes ``tests/data/story-pairs-drawn.jsonl``: one pair per line
with both articles' link, outlet, published time, title and description (cut to 400 characters),
the pair's ``kind`` (``random`` or ``hard``), ``case`` (the hard case's rule, else null), its
title-word Jaccard ``jaccard`` and ``band``. Standard library only; one ``random.Random(SEED)``
drives every choice, so the same archive always gives the same pairs.

Random pairs: the candidates are the pairs of distinct articles in the same language (en / pl)
published at most 72 hours apart. Their similarity is the Jaccard index of the sets of lower-cased
title words (``\\w+``); the bands are [0, 0.1), [0.1, 0.3), [0.3, 0.6) and [0.6, 1]. For each
language and band a fixed number of pairs is drawn uniformly from that band's candidates: the
three lower bands by rejection from uniformly drawn candidate pairs (first article with weight
equal to the number of its candidates, second uniform among them), the top band, which is too
rare for that, from all its pairs, enumerated exactly with a prefix filter.

Hard pairs: a few pairs per rule in ``HARD_RULES`` (wire copies, the same event in English and
Polish (three rules), running series, boilerplate, same-team sport, near-identical titles with different
numbers, the same topic on different days), each drawn uniformly from the pairs the rule finds.

    python scripts/draw_story_pairs.py [--data DIR] [--out FILE] [--seed N]
"""

from __future__ import annotations

import argparse
import bisect
import csv
import gzip
import itertools
import json
import math
import random
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SEED = 2015
WINDOW = 72 * 3600
BANDS = ((0.0, 0.1), (0.1, 0.3), (0.3, 0.6), (0.6, 1.01))
PER_BAND = {"en": 60, "pl": 25}
WORD = re.compile(r"\w+")
DAY = 24 * 3600
MAX_DRAWS = 20_000_000  # rejection sampling gives up after this many candidate pairs


@dataclass(frozen=True)
class Article:
    """One archive record, as much of it as the labeller reads."""

    link: str
    lang: str
    outlet: str
    time: float
    published: str
    title: str
    description: str
    words: frozenset[str]


Pair = tuple[Article, Article]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data",
                        help="folder holding news-2023.jsonl.gz and outlets-2023.csv")
    parser.add_argument("--out", type=Path, default=REPO / "tests" / "data" / "story-pairs-drawn.jsonl",
                        help="JSON Lines file to write")
    parser.add_argument("--seed", type=int, default=SEED, help="random seed (default %(default)s)")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="multiply every quota by this (small archives in tests)")
    return parser.parse_args(argv)


def load(data: Path) -> list[Article]:
    """Articles in English or Polish with a title, a link and a time, in archive order."""
    with (data / "outlets-2023.csv").open(encoding="utf-8") as fh:
        outlets = {row["feed_url"]: row["outlet"] for row in csv.DictReader(fh)}
    articles = []
    with gzip.open(data / "news-2023.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            lang = str(rec.get("language") or "")[:2].lower()
            title, link, published = (str(rec.get(k) or "").strip() for k in ("title", "link", "published"))
            if lang not in PER_BAND or not title or not link or not published:
                continue
            articles.append(Article(
                link=link, lang=lang, outlet=outlets.get(rec.get("feed_url", ""), rec.get("feed_url", "")),
                time=datetime.fromisoformat(published).timestamp(), published=published, title=title,
                description=str(rec.get("description") or "").strip()[:400],
                words=frozenset(WORD.findall(title.lower()))))
    return articles


def jaccard(a: Article, b: Article) -> float:
    """Jaccard index of the two titles' word sets."""
    union = len(a.words | b.words)
    return len(a.words & b.words) / union if union else 0.0


def band_of(value: float) -> str:
    """The band's label, e.g. '0.3-0.6'."""
    for low, high in BANDS:
        if low <= value < high:
            return f"{low:g}-{min(high, 1.0):g}"
    raise ValueError(value)


def key(a: Article, b: Article) -> tuple[str, str]:
    """An order-free identity for a pair."""
    return (a.link, b.link) if a.link < b.link else (b.link, a.link)


def sample_low_bands(docs: list[Article], quota: int, rng: random.Random, taken: set) -> list[Pair]:
    """Uniform pairs from each of the three lower bands, by rejection from uniform candidate pairs."""
    times = [d.time for d in docs]
    windows = [(bisect.bisect_left(times, t - WINDOW), bisect.bisect_right(times, t + WINDOW)) for t in times]
    weights = list(itertools.accumulate(hi - lo - 1 for lo, hi in windows))
    wanted = {band_of(low): quota for low, _ in BANDS[:3]}
    found: list[Pair] = []
    for _ in range(MAX_DRAWS):
        if not any(wanted.values()):
            return found
        i = bisect.bisect_right(weights, rng.random() * weights[-1])
        lo, hi = windows[i]
        j = rng.randrange(lo, hi - 1)
        j += j >= i  # skip the article itself
        a, b = docs[i], docs[j]
        band = band_of(jaccard(a, b))
        if wanted.get(band) and key(a, b) not in taken:
            wanted[band] -= 1
            taken.add(key(a, b))
            found.append((a, b))
    raise SystemExit(f"could not fill the lower bands: still wanted {wanted}")


def similar_pairs(docs: list[Article], threshold: float) -> Iterator[Pair]:
    """Every candidate pair with Jaccard >= threshold (prefix filtering on rarest-first word order)."""
    freq = Counter(w for d in docs for w in d.words)
    postings: dict[str, list[int]] = defaultdict(list)
    for index, doc in enumerate(docs):
        ordered = sorted(doc.words, key=lambda w: (freq[w], w))
        for word in ordered[: len(ordered) - math.ceil(threshold * len(ordered)) + 1]:
            postings[word].append(index)
    seen: set[tuple[int, int]] = set()
    for ids in postings.values():  # ids are in time order because docs are
        for n, i in enumerate(ids):
            for j in ids[n + 1:]:
                if docs[j].time - docs[i].time > WINDOW:
                    break
                if (i, j) not in seen and jaccard(docs[i], docs[j]) >= threshold:
                    seen.add((i, j))
                    yield docs[i], docs[j]


def sample_top_band(docs: list[Article], quota: int, rng: random.Random, taken: set) -> list[Pair]:
    """Uniform pairs from the top band, drawn from all of them."""
    pool = sorted(similar_pairs(docs, BANDS[-1][0]), key=lambda p: key(*p))
    pool = [p for p in pool if key(*p) not in taken]
    if len(pool) < quota:
        raise SystemExit(f"only {len(pool)} pairs in the top band for {docs[0].lang}")
    chosen = rng.sample(pool, quota)
    taken.update(key(*p) for p in chosen)
    return chosen


# --- hard cases: each rule lists its candidate pairs; a few are drawn from each ---

EVENTS = [  # (first day, English title pattern, Polish title pattern): one event each
    ("2023-02-06", r"earthquake", r"trzęsieni"),
    ("2023-02-03", r"balloon", r"balon"),
    ("2023-03-10", r"silicon valley bank|\bsvb\b", r"silicon valley bank|\bsvb\b"),
    ("2023-04-04", r"trump.*(arraign|court|charges)", r"trump"),
    ("2023-05-06", r"coronation", r"koronac"),
    ("2023-06-06", r"kakhovka|nova kakhovka|dam\b", r"kachowk|zapor"),
    ("2023-06-24", r"wagner|prigozhin", r"wagner|prigożyn|prigożin"),
    ("2023-08-23", r"prigozhin", r"prigożyn|prigożin"),
    ("2023-09-08", r"morocco", r"marok"),
    ("2023-09-19", r"karabakh", r"karabach"),
    ("2023-10-07", r"hamas", r"hamas"),
    ("2023-10-15", r"poland|polish", r"wybor"),
]
NAMED = [  # (first day, English, Polish): one named person or place at the centre of one event
    ("2023-05-28", r"erdogan", r"erdogan"),
    ("2023-06-06", r"kakhovka", r"kachowk"),
    ("2023-06-12", r"berlusconi", r"berlusconi"),
    ("2023-06-22", r"titan|submersible", r"titan|batyskaf"),
    ("2023-08-23", r"prigozhin", r"prigożyn|prigożin"),
    ("2023-10-01", r"fico", r"fico"),
    ("2023-10-06", r"mohammadi", r"mohammadi"),
    ("2023-10-28", r"matthew perry", r"matthew perry"),
    ("2023-11-19", r"milei", r"milei"),
    ("2023-11-22", r"wilders", r"wilders"),
    ("2023-11-29", r"kissinger", r"kissinger"),
]
TEAMS = [r"liverpool", r"arsenal", r"chelsea", r"manchester united|man utd", r"manchester city|man city",
         r"real madrid", r"barcelona", r"legia", r"lech\b|lecha\b", r"raków|rakow", r"świątek|swiatek",
         r"hurkacz", r"lewandowski"]
RESULT = re.compile(r"\b(beat|beats|win|wins|won|draw|loses|lost|defeat|stun|thrash|rout|knock|victory|"
                    r"pokonał|pokonała|wygrał|wygrała|przegrał|przegrała|remis|zwycięstw|porażk|awans)", re.I)
SERIES = re.compile(r"\bday \d+\b|\bdzień \d+\b|\b\d+\. dzień\b|\b\d+\. doba\b", re.I)
TOPICS = ["ukrain", "israel|izrael", "gaza|strefa gazy", "trump", "china|chin", "migrant", "inflation|inflacj",
          "karabakh|karabach", "wagner", "earthquake|trzęsieni", "fire|pożar", "strike|strajk"]


def within(a: Article, b: Article, low: float, high: float) -> bool:
    """Published between low and high seconds apart."""
    return low <= abs(a.time - b.time) <= high


def wire_copies(docs: list[Article]) -> list[Pair]:
    """Identical titles from two different outlets within the window."""
    by_title: dict[str, list[Article]] = defaultdict(list)
    for d in docs:
        by_title[d.title.lower()].append(d)
    return [(a, b) for group in by_title.values() for a, b in itertools.combinations(group, 2)
            if a.outlet != b.outlet and within(a, b, 0, WINDOW)]


def event_hits(docs: list[Article], lang: str, pattern: str, start: float) -> list[Article]:
    """Titles in one language matching the pattern in the three days from start."""
    return [d for d in docs if d.lang == lang and start <= d.time < start + 3 * DAY
            and re.search(pattern, d.title, re.I)]


def cross_language(docs: list[Article]) -> list[Pair]:
    """An English and a Polish article matching one event's patterns within three days of its first day."""
    pairs = []
    for day, en, pl in EVENTS:
        start = datetime.fromisoformat(day + "T00:00:00+00:00").timestamp()
        english, polish = event_hits(docs, "en", en, start), event_hits(docs, "pl", pl, start)
        pairs += [(a, b) for a in english for b in polish if within(a, b, 0, WINDOW)]
    return pairs


def cross_language_named(docs: list[Article]) -> list[Pair]:
    """An English and a Polish title naming the person or place of one event, within a day of each other."""
    pairs = []
    for day, en, pl in NAMED:
        start = datetime.fromisoformat(day + "T00:00:00+00:00").timestamp()
        english, polish = event_hits(docs, "en", en, start), event_hits(docs, "pl", pl, start)
        pairs += [(a, b) for a in english for b in polish if within(a, b, 0, DAY)]
    return pairs


DEATH_EN = re.compile(r"\b(dies|died|dead at|death of)\b", re.I)
DEATH_PL = re.compile(r"nie żyje|zmarł|zmarła|śmierć", re.I)
NAME = re.compile(r"\b[A-ZŁŚŻŹĆ][\w'-]{4,}")


def cross_language_deaths(docs: list[Article]) -> list[Pair]:
    """An English and a Polish death headline sharing a capitalised name, within a day of each other."""
    english = [d for d in docs if d.lang == "en" and DEATH_EN.search(d.title)]
    polish = [d for d in docs if d.lang == "pl" and DEATH_PL.search(d.title)]
    names = {d.link: {n.lower() for n in NAME.findall(d.title)} for d in english + polish}
    times = [d.time for d in polish]
    pairs = []
    for a in english:
        for b in polish[bisect.bisect_left(times, a.time - DAY): bisect.bisect_right(times, a.time + DAY)]:
            if names[a.link] & names[b.link]:
                pairs.append((a, b))
    return pairs


def series(docs: list[Article]) -> list[Pair]:
    """One outlet's numbered series ('day 319', 'day 320') on different days."""
    hits = [d for d in docs if SERIES.search(d.title)]
    return [(a, b) for a, b in itertools.combinations(hits, 2)
            if a.outlet == b.outlet and a.lang == b.lang and within(a, b, 12 * 3600, WINDOW)
            and SERIES.search(a.title).group() != SERIES.search(b.title).group()]


def boilerplate(docs: list[Article]) -> list[Pair]:
    """One outlet's identical title, used at least five times in the year, on different days."""
    by_title: dict[tuple[str, str], list[Article]] = defaultdict(list)
    for d in docs:
        by_title[(d.outlet, d.title.lower())].append(d)
    return [(a, b) for group in by_title.values() if len(group) >= 5
            for a, b in itertools.pairwise(group) if within(a, b, 12 * 3600, 7 * DAY)]


def same_team(docs: list[Article]) -> list[Pair]:
    """Two result headlines naming the same team or player, one to seven days apart."""
    pairs = []
    for team in TEAMS:
        hits = [d for d in docs if re.search(team, d.title, re.I) and RESULT.search(d.title)]
        pairs += [(a, b) for a, b in itertools.combinations(hits, 2)
                  if a.lang == b.lang and within(a, b, DAY, 7 * DAY)]
    return pairs


def different_numbers(docs: list[Article]) -> list[Pair]:
    """Near-identical titles (Jaccard >= 0.5) within the window whose differing words include a number."""
    pairs = []
    for lang in PER_BAND:
        for a, b in similar_pairs([d for d in docs if d.lang == lang], 0.5):
            if a.title.lower() != b.title.lower() and any(w.isdigit() for w in a.words ^ b.words):
                pairs.append((a, b))
    return pairs


def same_topic(docs: list[Article]) -> list[Pair]:
    """Two titles on one running topic, from different outlets, three to six days apart."""
    pairs = []
    for topic in TOPICS:
        hits = [d for d in docs if re.search(topic, d.title, re.I)]
        hits = random.Random(topic).sample(hits, min(len(hits), 400))  # bounds the quadratic pairing
        pairs += [(a, b) for a, b in itertools.combinations(hits, 2)
                  if a.lang == b.lang and a.outlet != b.outlet and within(a, b, 3 * DAY, 6 * DAY)]
    return pairs


HARD_RULES: dict[str, tuple[Callable[[list[Article]], list[Pair]], int]] = {
    "wire-copy": (wire_copies, 10),
    "cross-language": (cross_language, 16),
    "series-day": (series, 8),
    "boilerplate": (boilerplate, 8),
    "same-team": (same_team, 10),
    "different-numbers": (different_numbers, 10),
    "same-topic": (same_topic, 10),
    "cross-language-named": (cross_language_named, 12),  # added after the rules above: their draw is unchanged
    "cross-language-death": (cross_language_deaths, 10),
}


def sample_hard(docs: list[Article], rng: random.Random, taken: set, scale: float) -> list[tuple[str, Pair]]:
    """A few pairs from each hard rule, never one already drawn."""
    chosen = []
    for case, (rule, quota) in HARD_RULES.items():
        pool = sorted({key(*p): p for p in rule(docs) if key(*p) not in taken}.items())
        picks = rng.sample(pool, min(len(pool), max(1, round(quota * scale))))
        taken.update(k for k, _ in picks)
        chosen += [(case, p) for _, p in picks]
    return chosen


def record(a: Article, b: Article, kind: str, case: str | None) -> dict:
    """The line written for one pair (the earlier article first)."""
    a, b = sorted((a, b), key=lambda d: (d.time, d.link))
    value = jaccard(a, b)
    row: dict = {"a": a.link, "b": b.link, "kind": kind, "case": case, "band": band_of(value),
                 "jaccard": round(value, 3), "hours": round((b.time - a.time) / 3600, 1)}
    for name, d in (("a", a), ("b", b)):
        row[name + "_article"] = {"outlet": d.outlet, "language": d.lang, "published": d.published,
                                  "title": d.title, "description": d.description}
    return row


def main(argv: list[str] | None = None) -> int:
    """Draw the pairs and write them."""
    args = parse_args(argv)
    rng = random.Random(args.seed)
    docs = sorted(load(args.data), key=lambda d: (d.time, d.link))
    taken: set = set()
    rows = []
    for lang, quota in PER_BAND.items():
        per_lang = [d for d in docs if d.lang == lang]
        n = max(1, round(quota * args.scale))
        rows += [record(a, b, "random", None) for a, b in sample_low_bands(per_lang, n, rng, taken)]
        rows += [record(a, b, "random", None) for a, b in sample_top_band(per_lang, n, rng, taken)]
    rows += [record(a, b, "hard", case) for case, (a, b) in sample_hard(docs, rng, taken, args.scale)]
    args.out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(f"wrote {len(rows)} pairs to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
