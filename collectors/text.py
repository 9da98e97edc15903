"""Tokenizing shared by the country tagger, the topic matcher and the category model (folding is db.text's)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from db.text import fold

__all__ = ["WORD_CHAR", "fold", "is_word_char", "words", "written_forms"]

# Marks belong inside a word: Devanagari vowel signs, Japanese voicing marks. A short class (the scripts' mark
# blocks, and the Indic and Southeast Asian blocks whole), not every mark: the seed and gazetteer patterns repeat
# it hundreds of times, and a class of 300 ranges made compiling them take seconds.
WORD_CHAR = (r"[\w\u0300-\u036f\u0483-\u0489\u0591-\u05c7\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed"
             r"\u0900-\u0dff\u0e00-\u0eff\u0f00-\u109f\u1780-\u17ff\u302a-\u302f\u3099\u309a\ufe20-\ufe2f]")
# the characters of WORD_CHAR beyond \w (its explicit ranges), to test one character without a regex call
_MARKS = frozenset(chr(code) for first, last in re.findall(r"\\u(\w{4})-\\u(\w{4})", WORD_CHAR)
                   for code in range(int(first, 16), int(last, 16) + 1)) | {"\u0670", "\u3099", "\u309a"}
_WORD = re.compile(rf"{WORD_CHAR}+(?:['-]{WORD_CHAR}+)*")


def words(text: str) -> list[str]:
    """Folded words; hyphenated and apostrophe words stay whole ('nagorno-karabakh', "russia's")."""
    return _WORD.findall(fold(text))


def written_forms(texts: Iterable[str], folded: Iterable[str]) -> dict[str, str]:
    """For each of the `folded` words, its most frequent written form in `texts`, in lower case ('żołnierzy' for
    'zolnierzy'); a word never found as written keeps its folded form."""
    wanted = set(folded)
    seen: dict[str, Counter] = {word: Counter() for word in wanted}
    keys: dict[str, str] = {}   # a week's texts are ~100k tokens of ~15k different ones: each folded once
    for text in texts:
        for token in _WORD.findall(text):
            key = keys.get(token)
            if key is None:
                key = keys[token] = fold(token)
            if key in seen:
                seen[key][token.lower()] += 1
    return {word: (seen[word].most_common(1)[0][0] if seen[word] else word) for word in wanted}


def is_word_char(char: str) -> bool:
    """Whether one character matches WORD_CHAR (re's \\w is str.isalnum() or "_")."""
    return char.isalnum() or char == "_" or char in _MARKS
