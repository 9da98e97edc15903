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


def fold(text: str) -> str:
    """Lower-case, without diacritics: 'Azerbejdżan' -> 'azerbejdzan', 'Łódź' -> 'lodz', 'Ёлка' -> 'елка'."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.translate(_SPECIAL))
    # Cyrillic й decomposes to и + breve: keep it, Russian spelling depends on it
    decomposed = decomposed.replace("\u0438\u0306", "й").replace("\u0418\u0306", "й")
    return _MARKS.sub("", decomposed).lower()


def words(text: str) -> list[str]:
    """Folded words; hyphenated and apostrophe words stay whole ('nagorno-karabakh', "russia's")."""
    return _WORD.findall(fold(text))
