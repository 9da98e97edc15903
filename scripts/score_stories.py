"""Score story grouping on hand-labelled article pairs (issue 15, acceptance 1): precision and recall of "same story".

    python scripts/score_stories.py                         # groups the 2023 archive in memory, as an import would
    python scripts/score_stories.py --db newsradar.db       # the stories stored in a database (after backfill or
                                                            # `newsradar stories rebuild`)

The pairs (tests/data/story-pairs.jsonl) were labelled by reading the articles, without the grouping code: one JSON
object per line with "a" and "b" (article links as stored in the archive), "same" (true/false), "kind".
Scores are printed for all pairs and for two fixed halves (by a hash of the pair): half 0 is the one whose errors
may be studied, half 1 the held-out check. Also checks that the identical headlines of different outlets within
COPY_DAYS end in one story.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
import zlib
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from collectors import stories  # noqa: E402
from collectors.normalize import html_to_text, identify, language_code, parse_iso  # noqa: E402

PAIRS = ROOT / "tests" / "data" / "story-pairs.jsonl"
ARCHIVE = ROOT.parent / "shared" / "data" / "news-2023.jsonl.gz"


def read_archive(path: Path) -> tuple[list[stories.Doc], dict[str, int]]:
    """The archive's articles as grouping sees them (outlet: the feed's host, as an import names a new feed's
    outlet), in the archive's order; and each link identity's article id (its line number)."""
    docs: list[stories.Doc] = []
    by_link: dict[str, int] = {}
    outlets: dict[str, int] = {}
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            record = json.loads(line)
            found = identify(record.get("link"))
            moment = parse_iso(record.get("published")) or parse_iso(record.get("first_seen"))
            if not found or moment is None:
                continue
            by_link.setdefault(found[1], number)
            outlet = outlets.setdefault(urlsplit(record.get("feed_url") or "").hostname or "", len(outlets))
            # the language code an import stores ("en-US" is "en"): grouping links reports of one language only
            docs.append(stories.Doc(number, moment.timestamp(), language_code(record.get("language")) or "", outlet,
                                    html_to_text(record.get("title")), html_to_text(record.get("description"))))
    return docs, by_link


def stored_stories(db: Path) -> tuple[dict[int, int], dict[str, int], list[stories.Doc]]:
    from db import connect
    from db import stories as story_store

    conn = connect(db, readonly=True)
    docs = [stories.Doc(r[0], stories.epoch(r[1]), r[2], r[3], r[4], r[5]) for r in story_store.all_docs(conn)]
    return story_store.all_stories(conn), story_store.ids_by_identity(conn), docs


def half(pair: dict) -> int:
    """0 or 1, fixed by the pair's links: errors are studied on half 0 only, and half 1 tells whether a change that
    helped there holds on pairs it was not tuned on."""
    return zlib.crc32(f"{pair['a']} {pair['b']}".encode()) % 2


def score(pairs: list[dict], story_of: dict[int, int], by_link: dict[str, int]) -> dict[str, float]:
    counts: Counter[str] = Counter()
    missing = 0
    for pair in pairs:
        a, b = (by_link.get(identify(pair[k])[1]) if identify(pair[k]) else None for k in ("a", "b"))
        if a is None or b is None:
            missing += 1
            continue
        grouped = story_of.get(a, a) == story_of.get(b, b)
        counts[("grouped" if grouped else "apart") + (" same" if pair["same"] else " other")] += 1
    tp, fp, fn = counts["grouped same"], counts["grouped other"], counts["apart same"]
    return {"pairs": sum(counts.values()), "missing": missing, "tp": tp, "fp": fp, "fn": fn,
            "precision": tp / (tp + fp) if tp + fp else 1.0, "recall": tp / (tp + fn) if tp + fn else 1.0}


def identical_headlines(docs: list[stories.Doc], story_of: dict[int, int],
                        days: float = stories.Params().copy_window_days) -> tuple[int, int, int, int]:
    """Headlines (exact stored titles) of at least two outlets: (headlines, their articles, articles whose copies
    within `days` of the headline's first use are all in one story, headlines split)."""
    by_title: dict[str, list[stories.Doc]] = defaultdict(list)
    for doc in docs:
        if doc.title:
            by_title[doc.title].append(doc)
    headlines = articles = whole = split = 0
    for copies in by_title.values():
        if len({d.outlet for d in copies}) < 2:
            continue
        headlines += 1
        articles += len(copies)
        copies.sort(key=lambda d: d.time)
        first = [d for d in copies if d.time - copies[0].time <= days * stories.DAY]
        if len({story_of.get(d.id, d.id) for d in first}) == 1:
            whole += len(first)
        else:
            split += 1
    return headlines, articles, whole, split


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=Path, default=PAIRS)
    parser.add_argument("--archive", type=Path, default=ARCHIVE)
    parser.add_argument("--db", type=Path, help="score the stories stored in this database instead")
    args = parser.parse_args()
    pairs = [json.loads(line) for line in args.pairs.read_text(encoding="utf-8").splitlines() if line.strip()]
    started, cpu = time.perf_counter(), time.process_time()
    if args.db:
        story_of, by_link, docs = stored_stories(args.db)
    else:
        docs, by_link = read_archive(args.archive)
        read = time.process_time()
        story_of = stories.group(docs)
        print(f"grouped {len(docs):,} articles in {time.process_time() - read:.1f} s CPU", file=sys.stderr)
    sizes = Counter(story_of.get(d.id, d.id) for d in docs)
    print(f"{len(docs):,} articles in {len(sizes):,} stories; {sum(1 for n in sizes.values() if n > 1):,} stories "
          f"of two or more articles hold {sum(n for n in sizes.values() if n > 1):,}; largest {max(sizes.values())}")
    slices = [(kind, h) for h in (None, 0, 1) for kind in ("all", "random", "hard")]
    for kind, h in slices:
        chosen = [p for p in pairs if kind in ("all", p.get("kind")) and h in (None, half(p))]
        s = score(chosen, story_of, by_link)
        name = kind if h is None else f"{kind} half {h}"
        print(f"{name:13} pairs {s['pairs']:4} (not found {s['missing']}): precision {s['precision']:.3f} "
              f"recall {s['recall']:.3f}  (same story grouped {s['tp']}, not same grouped {s['fp']}, "
              f"same story apart {s['fn']})")
    headlines, articles, whole, split = identical_headlines(docs, story_of)
    print(f"identical headlines of two or more outlets: {headlines:,} ({articles:,} articles); "
          f"{headlines - split:,} in one story within {stories.Params().copy_window_days:g} days "
          f"({whole:,} articles), {split:,} split")
    print(f"{time.perf_counter() - started:.0f} s wall, {time.process_time() - cpu:.0f} s CPU", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
