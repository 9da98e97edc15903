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
    candidates: set[str] = field(default_factory=set)      # words that start an exact pattern
    lengths: dict[str, tuple[int, ...]] = field(default_factory=dict)  # pattern lengths by first word, longest first
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
        self.candidates = self.first_words | {key[0] for key in self.exact if len(key) == 1}
        lengths: dict[str, set[int]] = {}
        for key in [*self.exact, *((*lead, stem) for lead, stem in self.prefixes)]:
            lengths.setdefault(key[0], {1}).add(len(key))
        self.lengths = {word: tuple(sorted(n, reverse=True)) for word, n in lengths.items()}
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


def _expand(words: list[str]) -> list[str]:
    """Possessives cut; a hyphenated word kept whole (marked \\0, for exact matches) and then as its parts."""
    out = []
    for word in words:
        if word.endswith(("'s", "’s", "'S", "’S")):
            word = word[:-2]
        if "-" in word:
            out.append("\0" + word)
            out.extend(word.split("-"))
        else:
            out.append(word)
    return out


class _Text:
    """One article's words, folded for matching; the original spelling only when a trap asks for case."""

    def __init__(self, text: str):
        self.text = text
        self.folded = _expand(_WORD.findall(fold(text)))
        self._original: list[str] | None = None
        self._joined: str | None = None

    @property
    def original(self) -> list[str]:
        if self._original is None:
            text = self.text if self.text.isascii() else unicodedata.normalize("NFC", self.text)
            words = _expand(_WORD.findall(text))
            # a fold that changed word boundaries (rare ligatures) leaves no case information: assume capitals
            self._original = words if len(words) == len(self.folded) else [w.upper() for w in self.folded]
        return self._original

    @property
    def joined(self) -> str:
        if self._joined is None:
            self._joined = " " + " ".join(w for w in self.folded if w[0] != "\0") + " "
        return self._joined


def _has_cue(text: _Text, cues: tuple[Cue, ...]) -> bool:
    joined = text.joined
    for cue in cues:
        if cue[-1].endswith("*"):
            if " " + " ".join(cue)[:-1] in joined:
                return True
        elif " " + " ".join(cue) + " " in joined:
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


def _resolve(entry: Entry, words: tuple[str, ...], text: _Text, i: int) -> str:
    """The code an entry gives here: a plain code, or the first trap rule whose cues fit the text."""
    if isinstance(entry, str):
        return entry
    for rule in entry:
        if rule.needs and not _has_cue(text, rule.needs):
            continue
        if rule.blocked_by and _has_cue(text, rule.blocked_by):
            continue
        if rule.code == "TR" and not text.original[i][:1].isupper():
            return ""                                   # the bird
        if rule.code in ("JO", "TD") and words[0] in ("jordan", "chad") and _is_person(text.original, i):
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


def _match_at(g: Gazetteer, text: _Text, i: int) -> tuple[str | None, int]:
    """The code matched by the longest pattern starting at word i ('' for a trap meaning nothing), and its length."""
    folded = text.folded
    word = folded[i]
    room = len(folded) - i
    for length in g.lengths.get(word, (1,)):
        if length > room:
            continue
        key = (word, *folded[i + 1:i + length]) if length > 1 else (word,)
        entry = _lookup(g, key)
        if entry is not None:
            return _resolve(entry, key, text, i), length
    return None, 1


def countries(text: str, language: str | None = None) -> list[str]:
    """Sorted ISO codes of the countries `text` refers to."""
    g = gazetteer(language)
    words = _Text(text)
    folded = words.folded
    found: set[str] = set()
    i = 0
    while i < len(folded):
        word = folded[i]
        if word[0] == "\0":                  # a hyphenated word: whole first, else its parts
            whole = word[1:]
            entry = g.exact.get((whole,))
            code = None if entry is None else _resolve(entry, (whole,), words, i)
            if code:
                found.add(code)
            i += 2 + whole.count("-") if code is not None else 1
            continue
        if word not in g.candidates and word[:3] not in g.prefix_starts:
            i += 1                             # most words: no pattern starts with them
            continue
        code, length = _match_at(g, words, i)
        if code:
            found.add(code)
        i += length
    return sorted(found)
