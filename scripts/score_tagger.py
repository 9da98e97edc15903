"""Score the tagger against the hand-labelled sets, per language.

    .venv/bin/python scripts/score_tagger.py [--errors 12] [--show] [--language xx] [--half A|B]

Sets: tests/data/devset.jsonl (en, pl), ../shared/data/multilingual-devset.jsonl (12 languages) and
tests/data/multilingual-extra.jsonl when it exists. Each article's language comes from its record.
Countries: precision, recall and F1, micro-averaged over article x country pairs, per language, over
everything ("all") and over everything but English and Polish. Category: accuracy (an abstention is a
miss), also on each half of the items (A and B, split by a stable hash of the link, or of the title):
category seeds are studied on half A only, so half B shows whether a change generalises. A row without
the labels marked "indirect:" (a country the text never names) too.
Then the missed and extra countries per language, to show where to work next.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections import Counter
from pathlib import Path

from collectors.category import classify
from collectors.countries import countries
from collectors.normalize import html_to_text
from collectors.tagging import story_text

REPO = Path(__file__).resolve().parents[1]
SETS = [REPO / "tests" / "data" / "devset.jsonl",
        REPO.parent / "shared" / "data" / "multilingual-devset.jsonl",
        REPO / "tests" / "data" / "multilingual-extra.jsonl"]


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def half(row: dict) -> str:
    """'A' or 'B': a stable split of the labelled items (hash of the link, else of the title)."""
    key = (row.get("link") or row["title"]).encode("utf-8")
    return "AB"[hashlib.sha1(key).digest()[0] % 2]


def accuracy(rows: list[dict]) -> str:
    """Category accuracy of the rows as text ('-' for none)."""
    return f"{sum(r['category'] == r['pred_category'] for r in rows) / len(rows):.3f}" if rows else "-"


def score(rows: list[dict]) -> dict:
    """Counts and figures for a list of labelled rows with predictions."""
    tp = fp = fn = correct = 0
    for row in rows:
        gold, pred = set(row["countries"]), set(row["pred_countries"])
        tp, fp, fn = tp + len(gold & pred), fp + len(pred - gold), fn + len(gold - pred)
        correct += row["category"] == row["pred_category"]
    precision, recall, f1 = prf(tp, fp, fn)
    return {"n": len(rows), "precision": precision, "recall": recall, "f1": f1,
            "accuracy": correct / len(rows) if rows else 0.0}


def predict(rows: list[dict]) -> None:
    for row in rows:
        # cleaned as storage cleans them: feeds put HTML and entities in titles and descriptions
        title, description = html_to_text(row["title"]), html_to_text(row["description"])
        row["pred_countries"] = countries(story_text(title, description), row["language"])
        row["pred_category"] = classify(title, description, row["language"])


def read_sets(paths: list[Path]) -> list[dict]:
    rows = []
    for path in paths:
        if path.exists():
            with path.open(encoding="utf-8") as fh:
                rows += [json.loads(line) for line in fh if line.strip()]
    return rows


def without_indirect(rows: list[dict]) -> list[dict]:
    """Rows whose labeller did not mark a label 'indirect:' (a country the text never names)."""
    return [r for r in rows if not str(r.get("note", "")).startswith("indirect")]


def by_language(rows: list[dict]) -> dict[str, list[dict]]:
    groups: dict[str, list[dict]] = {}
    for row in rows:
        groups.setdefault(row["language"], []).append(row)
    return dict(sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])))


def report(rows: list[dict], errors: int) -> None:
    print(f"{'set':<16}{'n':>5}{'P':>8}{'R':>8}{'F1':>8}{'category acc':>14}{'A':>7}{'B':>7}{'nA':>5}{'nB':>5}")
    groups = by_language(rows)
    table = [("all", rows), ("all but en/pl", [r for r in rows if r["language"] not in ("en", "pl")]),
             ("without indirect", without_indirect(rows)), *groups.items()]
    for name, subset in table:
        s = score(subset)
        a, b = [r for r in subset if half(r) == "A"], [r for r in subset if half(r) == "B"]
        print(f"{name:<16}{s['n']:>5}{s['precision']:>8.3f}{s['recall']:>8.3f}{s['f1']:>8.3f}{s['accuracy']:>14.3f}"
              f"{accuracy(a):>7}{accuracy(b):>7}{len(a):>5}{len(b):>5}")
    print("\nmissed (false negatives) / extra (false positives) countries per language:")
    for language, subset in groups.items():
        missed, extra = Counter(), Counter()
        for row in subset:
            gold, pred = set(row["countries"]), set(row["pred_countries"])
            missed.update(gold - pred)
            extra.update(pred - gold)
        print(f"  {language}  missed: {', '.join(f'{c} {n}' for c, n in missed.most_common(errors)) or '-'}")
        print(f"      extra:  {', '.join(f'{c} {n}' for c, n in extra.most_common(errors)) or '-'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--errors", type=int, default=12, help="how many of each error type to list")
    parser.add_argument("--show", action="store_true", help="print every article with a country error")
    parser.add_argument("--language", help="only this language")
    parser.add_argument("--half", choices=("A", "B"), help="only this half of the items (see half())")
    parser.add_argument("--show-category", action="store_true", help="print every article with a category error")
    args = parser.parse_args()
    rows = read_sets(SETS)
    if args.language:
        rows = [r for r in rows if r["language"] == args.language]
    if args.half:
        rows = [r for r in rows if half(r) == args.half]
    predict(rows)
    report(rows, args.errors)
    if args.show:
        for row in rows:
            if set(row["countries"]) != set(row["pred_countries"]):
                print(f"\n[{row['language']}] gold {row['countries']} pred {row['pred_countries']}\n"
                      f"  {row['title']}\n  {(row['description'] or '')[:300]}")
    if args.show_category:
        for row in rows:
            if row["category"] != row["pred_category"]:
                print(f"\n[{row['language']}] gold {row['category']} pred {row['pred_category']}\n"
                      f"  {row['title']}\n  {(row['description'] or '')[:300]}")


if __name__ == "__main__":
    main()
