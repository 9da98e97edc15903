"""Countries in the story: which countries a title and description refer to, by the rules of analysis.md.

The knowledge is data (collectors/data/gazetteer/<language>.tsv and traps.tsv); this module only matches.
Every article is matched against the English file (English names appear in every language) and the
file of its own language.
"""

from __future__ import annotations

import csv
import functools
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from collectors.text import fold

GAZETTEER = Path(__file__).parent / "data" / "gazetteer"
_WORD = re.compile(r"\w+(?:['’-]\w+)*")
# a capitalised word after "Jordan" or "Chad" that still means the country
_COUNTRY_FOLLOWERS = {"king", "queen", "government", "valley", "river", "army", "border", "foreign", "prime",
                      "president", "minister", "ministry", "authorities", "refugee", "camp", "camps", "rift",
                      "lake", "basin"}


Cue = tuple[str, ...]          # folded words; a last word ending in * is a prefix


@dataclass(frozen=True)
class Rule:
    """One row of traps.tsv: the word means `code` ('' for no country) unless a blocking cue is present,
    and only if one of the needed cues is (when any are listed)."""

    code: str
    blocked_by: tuple[Cue, ...] = ()
    needs: tuple[Cue, ...] = ()


Entry = str | tuple[Rule, ...]


@dataclass
class Gazetteer:
    exact: dict[tuple[str, ...], Entry] = field(default_factory=dict)
    prefixes: dict[tuple[tuple[str, ...], str], Entry] = field(default_factory=dict)
    prefix_lengths: list[int] = field(default_factory=list)
    prefix_starts: set[str] = field(default_factory=set)
    first_words: set[str] = field(default_factory=set)
    longest: int = 1

    def add(self, words: tuple[str, ...], entry: Entry) -> None:
        if words[-1].endswith("*"):
            stem = words[-1][:-1]
            self.prefixes[(words[:-1], stem)] = entry
            self.prefix_starts.add((words[:-1][0] if len(words) > 1 else stem)[:3])
        else:
            self.exact[words] = entry
        if len(words) > 1:
            self.first_words.add(words[0])
        self.longest = max(self.longest, len(words))

    def finish(self) -> Gazetteer:
        self.prefix_lengths = sorted({len(stem) for _, stem in self.prefixes}, reverse=True)
        return self


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        lines = [line for line in fh if line.strip() and not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))


def _pattern(text: str) -> tuple[str, ...]:
    """Folded words of a pattern, keeping a final '*'."""
    words = tuple(fold(text.rstrip("*")).split())
    return words[:-1] + (words[-1] + "*",) if words and text.endswith("*") else words


def _cues(text: str | None) -> tuple[Cue, ...]:
    return tuple(_pattern(c.strip()) for c in (text or "").split(",") if c.strip())


def _files(language: str | None) -> list[Path]:
    files = [GAZETTEER / "en.tsv"]
    if language and language != "en" and (GAZETTEER / f"{language}.tsv").exists():
        files.append(GAZETTEER / f"{language}.tsv")
    return files


@functools.cache
def gazetteer(language: str | None) -> Gazetteer:
    """The English gazetteer merged with the one of `language` (if there is a file for it), then the traps."""
    result = Gazetteer()
    for path in _files(language):
        for row in _rows(path):
            words = _pattern(row["pattern"].strip())
            if words:
                result.add(words, row["code"].strip().upper())
    rules: dict[tuple[str, ...], list[Rule]] = {}
    for row in _rows(GAZETTEER / "traps.tsv"):
        words = _pattern(row["word"].strip())
        if words:
            rules.setdefault(words, []).append(Rule((row.get("code") or "").strip().upper(),
                                                    _cues(row.get("blocked_by")), _cues(row.get("needs"))))
    for words, word_rules in rules.items():
        result.add(words, tuple(word_rules))
    return result.finish()


def _tokens(text: str) -> tuple[list[str], list[str]]:
    """Original and folded words; hyphenated words also split ('russian-backed' -> 'russian', 'backed')."""
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    original, folded = [], []
    for word in _WORD.findall(text):
        low = fold(word)
        if low.endswith(("'s", "’s")):
            word, low = word[:-2], low[:-2]
        if "-" in low:
            parts = low.split("-")
            original.append(word)
            folded.append(low)
            for part_original, part in zip(word.split("-"), parts, strict=False):
                original.append(part_original)
                folded.append(part)
            folded[-len(parts) - 1] = "\0" + low     # the whole stays reachable for exact matches only
            continue
        original.append(word)
        folded.append(low)
    return original, folded


def _has_cue(folded: list[str], cues: tuple[Cue, ...]) -> bool:
    text = " " + " ".join(folded) + " "
    for cue in cues:
        if cue[-1].endswith("*"):
            if re.search(r"(?:^| )" + re.escape(" ".join(cue)[:-1]), text):
                return True
        elif " " + " ".join(cue) + " " in text:
            return True
    return False


def _is_person(original: list[str], i: int) -> bool:
    """'Michael Jordan', 'Jordan Henderson', 'Chad Johnson': a name, not a country."""
    after = original[i + 1] if i + 1 < len(original) else ""
    before = original[i - 1] if i > 0 else ""
    if after[:1].isupper() and after.lower() not in _COUNTRY_FOLLOWERS:
        return True
    return bool(before[:1].isupper() and before.isalpha() and before.lower() not in {"the", "in", "to", "of", "and"}
                and before.lower() not in _COUNTRY_FOLLOWERS)


def _resolve(entry: Entry, words: tuple[str, ...], original: list[str], folded: list[str], i: int) -> str:
    """The code an entry gives here: a plain code, or the first trap rule whose cues fit the text."""
    if isinstance(entry, str):
        return entry
    for rule in entry:
        if rule.needs and not _has_cue(folded, rule.needs):
            continue
        if rule.blocked_by and _has_cue(folded, rule.blocked_by):
            continue
        if rule.code == "TR" and not original[i][:1].isupper():
            return ""                                   # the bird
        if rule.code in ("JO", "TD") and words[0] in ("jordan", "chad") and _is_person(original, i):
            return ""
        return rule.code
    return ""


def _lookup(g: Gazetteer, key: tuple[str, ...]) -> Entry | None:
    code = g.exact.get(key)
    if code is not None or not g.prefixes:
        return code
    last, leading = key[-1], key[:-1]
    if (leading[0] if leading else last)[:3] not in g.prefix_starts:
        return None
    for length in g.prefix_lengths:
        if length <= len(last):
            code = g.prefixes.get((leading, last[:length]))
            if code is not None:
                return code
    return None


def _match_at(g: Gazetteer, original: list[str], folded: list[str], i: int) -> tuple[str | None, int]:
    """The code matched by the longest pattern starting at word i ('' for a trap meaning nothing), and its length."""
    word = folded[i]
    longest = min(g.longest, len(folded) - i) if word in g.first_words else 1
    for length in range(longest, 0, -1):
        key = (word, *folded[i + 1:i + length])
        entry = _lookup(g, key)
        if entry is not None:
            return _resolve(entry, key, original, folded, i), length
    return None, 1


def countries(text: str, language: str | None = None) -> list[str]:
    """Sorted ISO codes of the countries `text` refers to."""
    g = gazetteer(language)
    original, folded = _tokens(text)
    found: set[str] = set()
    i = 0
    while i < len(folded):
        if folded[i][0] == "\0":             # a hyphenated word: whole first, else its parts
            whole = folded[i][1:]
            entry = g.exact.get((whole,))
            code = None if entry is None else _resolve(entry, (whole,), original, folded, i)
            if code:
                found.add(code)
            i += 2 + whole.count("-") if code is not None else 1
            continue
        code, length = _match_at(g, original, folded, i)
        if code:
            found.add(code)
        i += length
    return sorted(found)
