"""Text folding and tokenizing shared by the country tagger, the topic matcher and the category model."""

from __future__ import annotations

import re
import unicodedata

# letters that Unicode does not decompose into a base letter and a mark
_SPECIAL = str.maketrans({"ł": "l", "Ł": "l", "ø": "o", "Ø": "o", "ß": "ss", "æ": "ae", "Æ": "ae", "đ": "d",
                          "Đ": "d", "ı": "i", "ё": "е", "Ё": "е", "œ": "oe", "ŋ": "n", "ħ": "h", "ŧ": "t",
                          "’": "'", "‘": "'", "ʼ": "'", "`": "'", "´": "'"})
_MARKS = re.compile(r"[\u0300-\u036f]")
_WORD = re.compile(r"\w+(?:['-]\w+)*")


def _fold_char(char: str) -> str:
    if char in "йЙ":  # NFKD would make it и + breve; Russian spelling depends on it
        return "й"
    return _MARKS.sub("", unicodedata.normalize("NFKD", char.translate(_SPECIAL))).lower()


class _FoldTable(dict):
    """str.translate table for non-ASCII characters, filled on first sight of each character."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        self[code] = folded = char if code < 128 else _fold_char(char)
        return folded


_TABLE = _FoldTable()


def fold(text: str) -> str:
    """Lower-case, without diacritics: 'Azerbejdżan' -> 'azerbejdzan', 'Łódź' -> 'lodz', 'Ёлка' -> 'елка'."""
    if text.isascii():
        return text.lower()
    # NFC first, so that a letter and a separate combining mark fold like the composed letter
    return unicodedata.normalize("NFC", text).translate(_TABLE).lower()


def words(text: str) -> list[str]:
    """Folded words; hyphenated and apostrophe words stay whole ('nagorno-karabakh', "russia's")."""
    return _WORD.findall(fold(text))
