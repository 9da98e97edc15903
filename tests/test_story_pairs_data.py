"""The hand-labelled story pairs (tests/data/story-pairs.jsonl) and the sampler that draws them."""

from __future__ import annotations

import gzip
import importlib.util
import json
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path
from types import ModuleType

import pytest

DATA = Path(__file__).parent / "data"
ARCHIVE = Path(__file__).parents[2] / "shared" / "data" / "news-2023.jsonl.gz"
BANDS = {"0-0.1", "0.1-0.3", "0.3-0.6", "0.6-1"}
HARD_CASES = {"wire-copy", "cross-language", "cross-language-named", "cross-language-death", "series-day",
              "boilerplate", "same-team", "different-numbers", "same-topic"}


def load(name: str) -> list[dict]:
    return [json.loads(line) for line in (DATA / name).open(encoding="utf-8") if line.strip()]


def sampler() -> ModuleType:
    path = Path(__file__).parents[1] / "scripts" / "draw_story_pairs.py"
    spec = importlib.util.spec_from_file_location("draw_story_pairs", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks its module up while the class is built
    spec.loader.exec_module(module)
    return module


LABELS, DRAWN = load("story-pairs.jsonl"), load("story-pairs-drawn.jsonl")


def pair(row: dict) -> frozenset[str]:
    return frozenset((row["a"], row["b"]))


@pytest.mark.parametrize("row", LABELS, ids=lambda r: r["a"][-40:])
def test_each_label_is_well_formed(row: dict) -> None:
    assert row["a"] != row["b"] and all(row[k].startswith(("http://", "https://")) for k in "ab")
    assert isinstance(row["same"], bool) and row["kind"] in {"random", "hard"} and row["band"] in BANDS
    assert row["note"].strip()
    assert (row["kind"] == "hard") == (row.get("case") in HARD_CASES)


def test_every_drawn_pair_is_labelled_once_and_nothing_else() -> None:
    labelled = [pair(r) for r in LABELS]
    assert len(set(labelled)) == len(labelled)
    assert set(labelled) == {pair(r) for r in DRAWN}
    drawn = {pair(r): r for r in DRAWN}
    for row in LABELS:
        source = drawn[pair(row)]
        assert (row["kind"], row["band"], row.get("case")) == (source["kind"], source["band"], source["case"])


def test_random_pairs_are_same_language_and_within_three_days() -> None:
    for row in (r for r in DRAWN if r["kind"] == "random"):
        a, b = row["a_article"], row["b_article"]
        apart = abs(datetime.fromisoformat(b["published"]) - datetime.fromisoformat(a["published"]))
        assert a["language"] == b["language"] and apart.total_seconds() <= 72 * 3600, row["a"]


def test_counts_meet_the_minimums_and_both_classes_are_present() -> None:
    random_rows = [r for r in LABELS if r["kind"] == "random"]
    hard_rows = [r for r in LABELS if r["kind"] == "hard"]
    per_band = Counter(r["band"] for r in random_rows)
    assert len(random_rows) >= 320 and set(per_band) == BANDS and min(per_band.values()) >= 75, per_band
    assert len(hard_rows) >= 60 and {r["case"] for r in hard_rows} == HARD_CASES
    same = Counter(r["same"] for r in LABELS)
    assert same[True] >= 100 and same[False] >= 100, same
    assert {r["same"] for r in random_rows} == {True, False} == {r["same"] for r in hard_rows}


def test_running_series_on_different_days_are_never_one_story() -> None:
    for row in (r for r in LABELS if r.get("case") == "series-day"):
        assert row["same"] is False, row["a"]


@pytest.mark.slow  # reads the whole 477k-article archive (about 4 s of CPU, more on a busy machine)
def test_drawn_articles_are_in_the_archive_as_shown() -> None:
    wanted = {r[k]: r[k + "_article"] for r in DRAWN for k in "ab"}
    found = {}
    with gzip.open(ARCHIVE, "rt", encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            if rec["link"] in wanted:
                found[rec["link"]] = rec
    assert found.keys() == wanted.keys()
    for link, shown in wanted.items():
        assert (found[link]["title"].strip(), found[link]["published"]) == (shown["title"], shown["published"])


def tiny_archive(folder: Path) -> None:
    """Two languages, each with title pairs in every Jaccard band, a few hours apart."""
    titles = ["alpha beta gamma delta", "alpha beta gamma delta epsilon", "alpha beta zeta eta",
              "alpha one two three four", "alpha five six seven eight", "kappa lambda mu", "nu xi omicron"]
    records = [{"feed_url": "https://x.test/feed", "title": title,
                "description": "", "link": f"https://x.test/{lang}/{i}", "language": lang,
                "published": f"2023-03-0{1 + i % 3} 0{i}:00:00+00:00"}
               for lang in ("en", "pl") for i, title in enumerate(titles)]
    records.append({**records[0], "link": "https://x.test/late", "published": "2023-03-20 00:00:00+00:00"})
    with gzip.open(folder / "news-2023.jsonl.gz", "wt", encoding="utf-8") as fh:
        fh.writelines(json.dumps(r) + "\n" for r in records)
    (folder / "outlets-2023.csv").write_text("feed_url,outlet,country,language\nhttps://x.test/feed,X,US,en\n")


def test_sampler_is_reproducible_and_keeps_to_language_window_and_bands(tmp_path: Path) -> None:
    tiny_archive(tmp_path)
    outs = [tmp_path / "one.jsonl", tmp_path / "two.jsonl"]
    for out in outs:
        assert sampler().main(["--data", str(tmp_path), "--out", str(out), "--scale", "0.01"]) == 0
    assert outs[0].read_bytes() == outs[1].read_bytes()
    rows = [json.loads(line) for line in outs[0].open(encoding="utf-8")]
    random_rows = [r for r in rows if r["kind"] == "random"]
    assert Counter((r["a_article"]["language"], r["band"]) for r in random_rows) == {
        (lang, band): 1 for lang in ("en", "pl") for band in BANDS}
    assert all(r["hours"] <= 72 and r["a_article"]["language"] == r["b_article"]["language"] for r in random_rows)
    assert "https://x.test/late" not in {r[k] for r in random_rows for k in "ab"}

