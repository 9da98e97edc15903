"""The hand-labelled dev and training sets, and the sampler that draws them (scripts/draw_devset.py)."""

from __future__ import annotations

import gzip
import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

from collectors.category import CLASSES

DATA = Path(__file__).parent / "data"


def load(name: str) -> list[dict]:
    return [json.loads(line) for line in (DATA / name).open(encoding="utf-8") if line.strip()]


def sampler() -> ModuleType:
    path = Path(__file__).parents[1] / "scripts" / "draw_devset.py"
    spec = importlib.util.spec_from_file_location("draw_devset", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name, size", [("devset.jsonl", 260), ("trainset.jsonl", 8400)])
def test_labelled_set_is_complete(name: str, size: int) -> None:
    rows = load(name)
    assert len(rows) == size
    assert len({r["id"] for r in rows}) == size
    assert {r["language"] for r in rows} == {"en", "pl"}
    assert all(r["category"] in CLASSES and r["title"].strip() for r in rows)


def test_training_set_never_shares_an_article_with_the_dev_set() -> None:
    dev, train = load("devset.jsonl"), load("trainset.jsonl")
    assert not {r["link"] for r in dev} & {r["link"] for r in train}
    assert not {r["title"].strip().lower() for r in dev} & {r["title"].strip().lower() for r in train}


def write_archive(path: Path, records: list[dict]) -> Path:
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.writelines(json.dumps(r) + "\n" for r in records)
    return path


def test_sampler_excludes_drawn_articles_and_numbers_from_first_id(tmp_path: Path) -> None:
    records = [{"title": f"Title {i}", "description": "", "link": f"https://x.test/{i}", "language": lang}
               for i, lang in enumerate(["en"] * 6 + ["pl"] * 4)]
    data = tmp_path / "data"
    data.mkdir()
    write_archive(data / "news-2023.jsonl.gz", records)
    drawn = tmp_path / "drawn.jsonl"
    drawn.write_text(json.dumps({"link": "https://x.test/0"}) + "\n" + json.dumps({"title": "title 7"}) + "\n")
    out = tmp_path / "out.jsonl"
    tool = sampler()
    assert tool.main(["--data", str(data), "--out", str(out), "--en", "5", "--pl", "3",
                      "--exclude", str(drawn), "--first-id", "101"]) == 0
    rows = [json.loads(line) for line in out.open()]
    assert [r["id"] for r in rows] == list(range(101, 109))
    assert {r["title"] for r in rows} == {f"Title {i}" for i in range(1, 10)} - {"Title 7"}
    with pytest.raises(SystemExit, match="only 5 'en' articles"):  # the excluded one is not there to draw
        tool.main(["--data", str(data), "--out", str(out), "--en", "6", "--pl", "3", "--exclude", str(drawn)])


def test_sampler_refuses_a_quota_the_archive_cannot_fill(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    write_archive(data / "news-2023.jsonl.gz", [{"title": "Only one", "link": "https://x.test/1", "language": "en"}])
    with pytest.raises(SystemExit, match="only 1 'en' articles"):
        sampler().main(["--data", str(data), "--out", str(tmp_path / "o.jsonl"), "--en", "2", "--pl", "0"])


EXTRA_LANGUAGES = {"az", "ka", "hy", "kk", "fa", "he", "hi", "nl", "cs", "el"}
EXTRA_FIELDS = {"link", "outlet", "language", "title", "description", "countries", "category", "note"}
SHARED_DEVSET = Path(__file__).parents[2] / "shared" / "data" / "multilingual-devset.jsonl"


def country_codes() -> set[str]:
    from babel import Locale  # CLDR's two-letter territories: ISO 3166-1 alpha-2 (and XK) plus a few groupings
    groupings = {"EU", "EZ", "QO", "UN", "ZZ"}
    return {code for code in Locale("en").territories if len(code) == 2 and code.isalpha()} - groupings


def test_multilingual_extra_records_are_well_formed() -> None:
    rows, codes = load("multilingual-extra.jsonl"), country_codes()
    for row in rows:
        assert row.keys() >= EXTRA_FIELDS and ("feed_url" in row or "source" in row), row["link"]
        assert row["language"] in EXTRA_LANGUAGES and row["category"] in CLASSES, row["link"]
        assert row["title"].strip() and row["link"].startswith(("http://", "https://")), row["link"]
        assert row["countries"] == sorted(set(row["countries"])) and set(row["countries"]) <= codes, row["link"]
        assert "[src: " in row["note"], row["link"]


def test_multilingual_extra_has_enough_items_in_each_language() -> None:
    counts: dict[str, int] = {}
    for row in load("multilingual-extra.jsonl"):
        counts[row["language"]] = counts.get(row["language"], 0) + 1
    assert counts.keys() == EXTRA_LANGUAGES and min(counts.values()) >= 20, counts


def test_multilingual_extra_has_no_duplicates_and_no_overlap_with_the_shared_set() -> None:
    rows = load("multilingual-extra.jsonl")
    links, titles = [r["link"] for r in rows], [r["title"].strip().lower() for r in rows]
    assert len(set(links)) == len(links) and len(set(titles)) == len(titles)
    shared = [json.loads(line) for line in SHARED_DEVSET.open(encoding="utf-8") if line.strip()]
    assert not set(links) & {r["link"] for r in shared}
    assert not set(titles) & {r["title"].strip().lower() for r in shared}
