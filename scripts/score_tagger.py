"""Score the tagger against the hand-labelled dev set (tests/data/devset.jsonl).

    .venv/bin/python scripts/score_tagger.py [--errors 15]

Countries: precision, recall and F1, micro-averaged over article x country pairs, overall and per
language, and with the labels the labeller marked "indirect:" (a country the text never names).
Category: accuracy. Then the most frequent errors, to show where to work next.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from collectors.category import classify
from collectors.countries import countries
from collectors.tagging import story_text

DEVSET = Path(__file__).resolve().parents[1] / "tests" / "data" / "devset.jsonl"


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


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
        row["pred_countries"] = countries(story_text(row["title"], row["description"]), row["language"])
        row["pred_category"] = classify(row["title"], row["description"], row["language"])


def without_indirect(rows: list[dict]) -> list[dict]:
    return [r for r in rows if not str(r.get("note", "")).startswith("indirect")]


def report(rows: list[dict], errors: int) -> None:
    print(f"{'set':<28}{'n':>5}{'P':>8}{'R':>8}{'F1':>8}{'category acc':>14}")
    for name, subset in [("all", rows), ("en", [r for r in rows if r["language"] == "en"]),
                         ("pl", [r for r in rows if r["language"] == "pl"]),
                         ("without 'indirect' labels", without_indirect(rows))]:
        s = score(subset)
        print(f"{name:<28}{s['n']:>5}{s['precision']:>8.3f}{s['recall']:>8.3f}{s['f1']:>8.3f}{s['accuracy']:>14.3f}")
    missed, extra, confused = Counter(), Counter(), Counter()
    for row in rows:
        gold, pred = set(row["countries"]), set(row["pred_countries"])
        missed.update(gold - pred)
        extra.update(pred - gold)
        if row["category"] != row["pred_category"]:
            confused[(row["category"], row["pred_category"])] += 1
    print("\nmissed countries (false negatives):", ", ".join(f"{c} {n}" for c, n in missed.most_common(errors)))
    print("extra countries (false positives): ", ", ".join(f"{c} {n}" for c, n in extra.most_common(errors)))
    print("category confusions (gold -> predicted):")
    for (gold, pred), n in confused.most_common(errors):
        print(f"  {n:>3}  {gold} -> {pred}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--errors", type=int, default=12, help="how many of each error type to list")
    parser.add_argument("--show", action="store_true", help="print every article with a country error")
    args = parser.parse_args()
    rows = [json.loads(line) for line in DEVSET.open(encoding="utf-8")]
    predict(rows)
    report(rows, args.errors)
    if args.show:
        for row in rows:
            if set(row["countries"]) != set(row["pred_countries"]):
                print(f"\n#{row['id']} gold {row['countries']} pred {row['pred_countries']}\n  {row['title']}\n"
                      f"  {row['description'][:300]}")


if __name__ == "__main__":
    main()
