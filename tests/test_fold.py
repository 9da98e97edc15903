"""db.text.fold: the one folding every layer shares, and its memo for the tagger."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from db.text import fold, folds_remembered, remember_fold

SETS = [Path(__file__).resolve().parents[2] / "shared" / "data" / "multilingual-devset.jsonl",
        Path(__file__).parent / "data" / "multilingual-extra.jsonl"]
ITEMS = [json.loads(line) for path in SETS for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize(("text", "folded"), [
    ("Azerbejdżan", "azerbejdzan"), ("Łódź", "lodz"), ("Ёлка", "елка"), ("İstanbul", "istanbul"),
    ("Ρωσία", "ρωσια"), ("ΟΔΟΣ", "οδοσ"), ("روسيا", "روسیا"), ("ｾﾞﾚﾝｽｷｰ", "セ\u3099レンスキー"),
])
def test_fold(text: str, folded: str) -> None:
    assert fold(text) == folded


def test_folding_a_joined_text_is_joining_the_folded_parts() -> None:
    """What lets the tagger fold a story's title and description once for its category, topics and countries."""
    for item in ITEMS:
        title, description = item["title"], item.get("description") or ""
        assert fold(f"{title}. {description}") == f"{fold(title)}. {fold(description)}", item["title"]


def test_remembered_folds_are_the_folds() -> None:
    texts = [(item["title"], item.get("description") or "") for item in ITEMS]
    plain = [(fold(t), fold(d)) for t, d in texts]
    with folds_remembered():
        first = [(fold(t), fold(d)) for t, d in texts]
        again = [(fold(t), fold(d)) for t, d in texts]
        joined = [f"{t}. {d}" for t, d in texts]
        for text, (t, d) in zip(joined, texts, strict=True):
            remember_fold(text, ". ", (t, d))
        assert [fold(text) for text in joined] == [f"{t}. {d}" for t, d in plain]
    assert first == again == plain


def test_a_remembered_fold_is_forgotten_after_the_block() -> None:
    text = "".join(["Kraków", " i Łódź"])
    with folds_remembered():
        remember_fold(text, "", ("wrong",))
        assert fold(text) == "wrong"     # what the caller promised, unchecked: the memo is the tagger's own
    assert fold(text) == "krakow i lodz"
