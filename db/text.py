"""Text forms every layer shares: folding (no case, no diacritics), what the index counts as a letter, stored times."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar


def format_utc(moment: dt.datetime) -> str:
    """'YYYY-MM-DD HH:MM:SS' in UTC, the stored form of every time (sorts as text)."""
    return moment.astimezone(dt.UTC).replace(microsecond=0, tzinfo=None).isoformat(" ")


# a tag the feed's own length limit cut off ("…the minister <a h", "<a href=\"https://www.thegu", "<str", "</di"):
# nothing after it closes it, yet it is no text. A lone '<' or one before a word ("x<y", "a < b") stays.
_ELEMENTS = ("a", "abbr", "article", "aside", "audio", "b", "blockquote", "br", "caption", "cite", "code", "div",
             "em", "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "i",
             "iframe", "img", "li", "main", "nav", "ol", "p", "picture", "pre", "q", "s", "section", "small",
             "source", "span", "strong", "sub", "sup", "table", "td", "th", "tr", "u", "ul", "video")
_CUT_TAG_RE = re.compile(r"</[A-Za-z][A-Za-z0-9]*\Z|<([A-Za-z][A-Za-z0-9]*)(?:[\s/][^<>]*)?\Z")


def cut_tag(text: str, start: int) -> bool:
    """Whether text[start:] (a '<' with no '>' after it) is a tag cut short: a closing one, or an element's name (or
    the start of one, when nothing follows it) with what may be its attributes."""
    match = _CUT_TAG_RE.match(text, start)
    if match is None or match.group(1) is None:
        return match is not None
    name, whole = match.group(1).lower(), match.end(1) == len(text)
    return any(element == name or (whole and element.startswith(name)) for element in _ELEMENTS)


CUT_END_RE = re.compile(r"</?\s*\Z")    # a tag cut right after its '<' or '</'


def uncut(text: str | None) -> str | None:
    """Stored text without the tag cut short at its end that an older normalizer kept ("… regimes. <a
    href="https://www.theguardi"): what collectors.normalize.html_to_text makes of the same feed value today."""
    if not text or "<" not in text:
        return text
    start = text.rfind("<")
    if ">" in text[start:] or not cut_tag(text, start):
        return text if not CUT_END_RE.search(text) else CUT_END_RE.sub("", text).rstrip()
    return CUT_END_RE.sub("", text[:start]).rstrip()


# letters that Unicode does not decompose into a base letter and a mark
_SPECIAL = str.maketrans({"ł": "l", "Ł": "l", "ø": "o", "Ø": "o", "ß": "ss", "æ": "ae", "Æ": "ae", "đ": "d",
                          "Đ": "d", "ı": "i", "ё": "е", "Ё": "е", "œ": "oe", "ŋ": "n", "ħ": "h", "ŧ": "t",
                          "’": "'", "‘": "'", "ʼ": "'", "`": "'", "´": "'", "ς": "σ",
                          # Arabic and Persian spell these letters differently; writers mix them freely
                          "ي": "ی", "ى": "ی", "ئ": "ی", "ك": "ک", "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا",
                          "ة": "ه", "ۀ": "ه", "ؤ": "و"})
# Latin, Greek and Cyrillic accents; Arabic vowel marks and tatweel; Hebrew points. Not Indic vowel signs:
# in Devanagari they are letters, not decoration.
_MARKS = re.compile(r"[\u0300-\u036f\u064b-\u065f\u0670\u0640\u0591-\u05c7]")


def _mark_ranges() -> str:
    """Regex class ranges of every combining mark in the Basic Multilingual Plane (\\w leaves them out)."""
    ranges: list[list[int]] = []
    for code in range(0x300, 0x10000):
        if unicodedata.category(chr(code)).startswith("M"):
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1][1] = code
            else:
                ranges.append([code, code])
    return "".join(f"\\u{a:04x}-\\u{b:04x}" for a, b in ranges)


# a letter or mark, not a digit's neighbour "_": what the full-text index counts as part of a word
LETTER = rf"(?:[^\W_]|[{_mark_ranges()}])"


def _fold_char(char: str) -> str:
    if char in "йЙ":  # NFKD would make it и + breve; Russian spelling depends on it
        return "й"
    # composed again afterwards: Hangul and kana decompose too, and their parts are not accents
    bare = _MARKS.sub("", unicodedata.normalize("NFKD", char.translate(_SPECIAL)))
    return unicodedata.normalize("NFC", bare).lower()


class _FoldTable(dict):
    """str.translate table for non-ASCII characters, filled on first sight of each character."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        self[code] = folded = char if code < 128 else _fold_char(char)
        return folded


_TABLE = _FoldTable()
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
_RUNS: dict[str, str] = {}          # folded runs of non-ASCII letters: news repeats its words
_RUNS_SIZE = 200_000


def _fold_run(match: re.Match) -> str:
    run = match.group()
    folded = _RUNS.get(run)
    if folded is None:
        if len(_RUNS) > _RUNS_SIZE:
            _RUNS.clear()
        folded = _RUNS[run] = run.translate(_TABLE)
    return folded


# id(text) -> (text, folded) within folds_remembered(); holding the text keeps its id from being reused
_remembered: ContextVar[dict[int, tuple[str, str]] | None] = ContextVar("remembered_folds", default=None)


@contextmanager
def folds_remembered() -> Iterator[None]:
    """Within the block, fold() folds each text object once: the tagger reads one article's title and description
    for its category, topics and countries. Equal texts of different articles are folded each on their own."""
    token = _remembered.set({})
    try:
        yield
    finally:
        _remembered.reset(token)


def remember_fold(text: str, separator: str, parts: tuple[str, ...]) -> None:
    """Within folds_remembered(), fold `text` (which is `separator` joining `parts`) as the folds of its parts: a
    text made of ones folded already costs nothing more. Outside, nothing."""
    memo = _remembered.get()
    if memo is not None:
        memo[id(text)] = (text, separator.join(fold(part) for part in parts))


def fold(text: str) -> str:
    """Lower-case, without diacritics: 'Azerbejdżan' -> 'azerbejdzan', 'Łódź' -> 'lodz', 'Ёлка' -> 'елка',
    'İstanbul' -> 'istanbul', 'Ρωσία' -> 'ρωσια'; Arabic and Persian letter variants are one letter
    ('روسيا' and 'روسیا' fold alike), without vowel marks or tatweel. Character by character: the fold of
    "a. b" is the fold of "a", ". " and the fold of "b"."""
    memo = _remembered.get()
    if memo is None:
        return _fold(text)
    known = memo.get(id(text))
    if known is not None and known[0] is text:
        return known[1]
    folded = _fold(text)
    memo[id(text)] = (text, folded)
    return folded


def _fold(text: str) -> str:
    if text.isascii():
        return text.lower()
    # NFC first, so that a letter and a separate combining mark fold like the composed letter
    # ASCII needs only lower(); translating the non-ASCII runs alone, once per distinct run, is faster
    return _NON_ASCII.sub(_fold_run, unicodedata.normalize("NFC", text)).lower()
