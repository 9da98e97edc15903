"""Countries in the story: which countries a title and description refer to, by the rules of analysis.md.

The knowledge is data (collectors/data/gazetteer/: generated/<language>.tsv from CLDR and GeoNames,
hand-written <language>.tsv and traps.tsv, and languages.toml for how each language inflects and
whether it separates words); this module only matches. Every article is matched against the English
file (English names appear in every language) and the files of its own language.
"""

from __future__ import annotations

import csv
import functools
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from collectors.text import WORD_CHAR, fold

GAZETTEER = Path(__file__).parent / "data" / "gazetteer"
# the words of collectors.text.words() (letters with their combining marks), also on text that is not
# folded (’ is folded to ')
_WORD = re.compile(rf"{WORD_CHAR}+(?:['’-]{WORD_CHAR}+)*")
_ASCII_WORD = re.compile(r"\w+(?:['-]\w+)*")
_CACHE_SIZE = 200_000
_PARTICLES = frozenset({"de", "del", "la", "le", "les", "di", "da", "do", "dos", "das", "of", "the", "and", "y", "e",
                        "et", "und", "van", "von", "al", "el"})
# a title-case headline goes on after a dash with these words; an outlet's name does not start with them
_CONTINUES = frozenset({"and", "but", "or", "not", "as", "in", "on", "with", "for", "to", "from", "after", "before",
                        "through", "over", "under", "into", "at", "by", "amid", "despite", "while", "when", "where",
                        "why", "how", "what", "who", "is", "are", "was"})
_OUTLET = re.compile(r"\s+[-–—|]\s+((?:\S+\s+){1,5}\S+)\s*$")
_POSSESSIVE = frozenset(("'s", "’s", "'S", "’S"))
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


@dataclass(frozen=True)
class Morphology:
    """How a language writes a name inside a word: one table of languages.toml, folded."""

    mode: str = "words"
    endings: tuple[str, ...] = ()          # longest first
    finals: tuple[str, ...] = ()
    proclitics: tuple[str, ...] = ()       # longest first
    min_stem: int = 4
    min_name: int = 3                      # shortest name an ending may follow (Korean: 미국, two syllables)

    @classmethod
    def of(cls, spec: dict) -> Morphology:
        def folded(key: str) -> tuple[str, ...]:
            return tuple(sorted({fold(x) for x in spec.get(key, ())}, key=lambda x: (-len(x), x)))
        return cls(spec.get("mode", "words"), folded("endings"), folded("finals"), folded("proclitics"),
                   spec.get("min_stem", 4), spec.get("min_name", 3))

    def stems(self, vocabulary: set[str]) -> dict[str, str]:
        """Each name word under the stems an ending may follow: itself, and itself without a final letter
        (Росія -> росі, რუსეთი -> რუსეთ); an Arabic word also without its article (الصين -> صين)."""
        stems: dict[str, str] = {}
        for word in sorted(vocabulary):
            bases = [word]
            if "ال" in self.proclitics and word.startswith("ال") and len(word) > 4:
                bases.append(word[2:])
            for base in bases:
                if len(base) >= self.min_name:
                    stems.setdefault(base, word)
                for final in self.finals:
                    if base.endswith(final) and len(base) - len(final) >= self.min_stem:
                        stems.setdefault(base[:-len(final)], word)
        return stems

    def bases(self, word: str) -> list[str]:
        """The word, its parts around an apostrophe (Rusya'ya, l'Iran), each also without a proclitic."""
        forms = [word]
        if "'" in word:
            forms += [word.split("'", 1)[0], word.rsplit("'", 1)[1]]
        for form in list(forms):
            forms += [form[len(p):] for p in self.proclitics if form.startswith(p) and len(form) - len(p) >= 2]
        return forms


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
    # first word of a longer pattern -> the words that may follow it, and the stems they may start with
    followers: dict[str, tuple[frozenset[str], tuple[str, ...]]] = field(default_factory=dict)
    morph: Morphology | None = None
    stems: dict[str, str] = field(default_factory=dict)        # a name word without its final -> the word
    stem_starts: set[str] = field(default_factory=set)
    canonical: dict[str, str] = field(default_factory=dict)   # words seen before: news repeats its words
    singles: dict[str, Entry | None] = field(default_factory=dict)  # words seen before: their one-word entry
    substrings: dict[str, list[tuple[str, Entry]]] = field(default_factory=dict)  # by first letter, longest first
    substring_start: re.Pattern | None = None              # a letter that starts one of them

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

    def add_substring(self, key: str, entry: Entry) -> None:
        options = self.substrings.setdefault(key[0], [])
        options[:] = [(k, e) for k, e in options if k != key] + [(key, entry)]
        options.sort(key=lambda option: -len(option[0]))

    def finish(self, vocabulary: set[str]) -> Gazetteer:
        """Index the patterns; `vocabulary` holds the words of the language's own files, the ones its
        endings apply to (English words take no Czech endings: 'state' is not a form of 'staty')."""
        if self.morph and (self.morph.endings or self.morph.proclitics):
            self.stems = self.morph.stems(vocabulary)
            self.stem_starts = {stem[:2] for stem in self.stems}
        self.prefix_lengths = sorted({len(stem) for _, stem in self.prefixes}, reverse=True)
        if self.substrings:
            self.substring_start = re.compile("[" + "".join(map(re.escape, sorted(self.substrings))) + "]")
        self.candidates = self.first_words | {key[0] for key in self.exact if len(key) == 1}
        lengths: dict[str, set[int]] = {}
        for key in [*self.exact, *((*lead, stem) for lead, stem in self.prefixes)]:
            lengths.setdefault(key[0], {1}).add(len(key))
        self.lengths = {word: tuple(sorted(n, reverse=True)) for word, n in lengths.items()}
        seconds: dict[str, tuple[set[str], set[str]]] = {}
        for key in self.exact:
            if len(key) > 1:
                seconds.setdefault(key[0], (set(), set()))[0].add(key[1])
        for lead, stem in self.prefixes:
            if lead:
                exact, stems = seconds.setdefault(lead[0], (set(), set()))
                exact.add(lead[1]) if len(lead) > 1 else stems.add(stem)
        self.followers = {word: (frozenset(exact), tuple(sorted(stems))) for word, (exact, stems) in seconds.items()}
        return self


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        lines = [line for line in fh if line.strip() and not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))


def _pattern(text: str) -> tuple[str, ...]:
    """Folded words of a pattern, keeping a final '*'."""
    words = tuple(_WORD.findall(fold(text.rstrip("*"))))
    return words[:-1] + (words[-1] + "*",) if words and text.endswith("*") else words


def _cues(text: str | None) -> tuple[Cue, ...]:
    return tuple(_pattern(c.strip()) for c in (text or "").split(",") if c.strip())


@functools.cache
def languages() -> dict[str, Morphology]:
    """The languages the tagger reads, each with how it writes names inside words (languages.toml)."""
    with (GAZETTEER / "languages.toml").open("rb") as fh:
        return {lang: Morphology.of(spec) for lang, spec in tomllib.load(fh).items()}


def _files(language: str | None) -> list[Path]:
    """The language's files, generated first so that its hand-written file overrides them."""
    if not language or language == "en":
        return []
    return [path for path in (GAZETTEER / "generated" / f"{language}.tsv", GAZETTEER / f"{language}.tsv")
            if path.exists()]


@functools.cache
def _entries(path: Path) -> tuple[tuple[tuple[str, ...], str], ...]:
    """A gazetteer file's patterns as folded words, with their codes ('' for text that names no country)."""
    rows = ((_pattern(row["pattern"].strip()), (row["code"] or "").strip().upper()) for row in _rows(path))
    return tuple((words, code) for words, code in rows if words)


@functools.cache
def _english() -> Gazetteer:
    """The English patterns, added once: every language's gazetteer starts from a copy of them."""
    base = Gazetteer()
    for words, code in _entries(GAZETTEER / "en.tsv"):
        base.add(words, code)
    return base


@functools.cache
def _traps() -> tuple[tuple[tuple[str, ...], tuple[Rule, ...]], ...]:
    rules: dict[tuple[str, ...], list[Rule]] = {}
    for row in _rows(GAZETTEER / "traps.tsv"):
        words = _pattern(row["word"].strip())
        if words:
            rules.setdefault(words, []).append(Rule((row.get("code") or "").strip().upper(),
                                                    _cues(row.get("blocked_by")), _cues(row.get("needs"))))
    return tuple((words, tuple(word_rules)) for words, word_rules in rules.items())


@functools.cache
def gazetteer(language: str | None) -> Gazetteer:
    """The English gazetteer merged with the files of `language` (when there are any), then the traps.
    A language written without spaces gets its own names as substrings instead."""
    en = _english()
    result = Gazetteer(exact=dict(en.exact), prefixes=dict(en.prefixes), prefix_starts=set(en.prefix_starts),
                       first_words=set(en.first_words), longest=en.longest, morph=languages().get(language or ""))
    substring = result.morph is not None and result.morph.mode == "substring"
    vocabulary: set[str] = set()
    for path in _files(language):
        for words, code in _entries(path):
            if substring:
                result.add_substring("".join(words), code)
            else:
                result.add(words, code)
                if not words[-1].endswith("*"):
                    vocabulary.update(words)
    for words, word_rules in _traps():
        result.add(words, word_rules)
    return result.finish(vocabulary)


def _expand(words: list[str], text: str) -> list[str]:
    """Possessives cut; a hyphenated word kept whole (marked \\0, for exact matches) and then as its parts.
    `words` are the words of `text`."""
    if "-" not in text and not any(mark in text for mark in _POSSESSIVE):
        return words                   # most texts have neither: nothing to change
    # a word of letters and digits alone needs nothing (a word with a mark goes on below, and stays as it is)
    joined = [i for i, w in enumerate(words) if not w.isalnum()]
    if not joined:
        return words                   # most words are plain: the loop below only for the others
    out = words[:joined[0]]
    for k, i in enumerate(joined):
        word = words[i]
        if word[-2:] in _POSSESSIVE:
            word = word[:-2]
        if "-" in word:
            out.append("\0" + word)
            out.extend(word.split("-"))
        else:
            out.append(word)
        out.extend(words[i + 1:joined[k + 1] if k + 1 < len(joined) else len(words)])
    return out


class _Text:
    """One article's words, folded for matching; the original spelling only when a trap asks for case."""

    def __init__(self, text: str):
        self.text = text
        self.folded_text = folded = fold(text)
        words = _words(folded)
        self.hyphens = "-" in folded
        self.folded = _expand(words, folded)
        self._original: list[str] | None = None
        self._joined: str | None = None

    @property
    def original(self) -> list[str]:
        if self._original is None:
            text = self.text if self.text.isascii() else unicodedata.normalize("NFC", self.text)
            words = _expand(_WORD.findall(text), text)
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


_UNSEEN = object()


def _match_at(g: Gazetteer, text: _Text, i: int) -> tuple[str | None, int]:
    """The code matched by the longest pattern starting at word i ('' for a trap meaning nothing), and its length."""
    folded = text.folded
    word = folded[i]
    room = len(folded) - i
    lengths = g.lengths.get(word, (1,))
    if room > 1 and len(lengths) > 1:
        exact, stems = g.followers[word]
        after = folded[i + 1]
        if after not in exact and not after.startswith(stems):
            lengths = (1,)             # "the", "de", "new": no longer pattern goes on with this word
    for length in lengths:
        if length > room:
            continue
        if length > 1:
            key = (word, *folded[i + 1:i + length])
            entry = _lookup(g, key)
        else:   # most starts are one-word lookups of words seen before
            key = (word,)
            entry = g.singles.get(word, _UNSEEN)
            if entry is _UNSEEN:
                if len(g.singles) > _CACHE_SIZE:
                    g.singles.clear()
                entry = g.singles[word] = _lookup(g, key)
        if entry is not None:
            return _resolve(entry, key, text, i), length
    return None, 1


def without_outlet(title: str) -> str:
    """A title without the outlet's name that aggregators append ("… - Infobae America", "… | Forbes JAPAN"):
    a last segment after a spaced dash or bar, of two to six words none of which starts in lower case but
    short particles inside ("- Aire de Santa Fe"); "- Ukraine president", "- and Brazil" and a lone
    "- China" are the story. The outlet's name is not."""
    match = _OUTLET.search(title)
    if not match or match.start() == 0:
        return title
    names = match.group(1).split()
    lower = [next((c for c in word if c.isalpha()), "A").islower() for word in names]
    if lower[0] or lower[-1] or names[0].lower() in _CONTINUES:
        return title                    # "- and Brazil", "- Ukraine president", "— Through Dubai"
    if all(w in _PARTICLES for w, low in zip(names, lower, strict=True) if low):
        return title[:match.start()]    # particles inside a name: "Aire de Santa Fe"
    return title


def _canonical(g: Gazetteer, morph: Morphology, word: str) -> str:
    """The gazetteer word that an inflected word stands for (Rusiyaya -> rusiya, وروسيا -> روسیا), else itself."""
    if "'" in word:                # a name and a Turkic suffix (İstanbul'da, Trump'ın), in any file
        base = word.split("'", 1)[0]
        if _lookup(g, (base,)) is not None:
            return base
    for base in morph.bases(word):
        if base[:2] not in g.stem_starts:
            continue
        if base in g.stems and g.stems[base] != word:
            return g.stems[base]
        for ending in morph.endings:
            if len(base) > len(ending) and base.endswith(ending) and base[:-len(ending)] in g.stems:
                return g.stems[base[:-len(ending)]]
    return word


def _canonicalize(g: Gazetteer, folded: list[str]) -> None:
    morph, cache, first_words, stems = g.morph, g.canonical, g.first_words, g.stems
    assert morph is not None
    if len(cache) > _CACHE_SIZE:
        cache.clear()
    for i, word in enumerate(folded):
        canonical = cache.get(word)
        if canonical is None:      # a pattern's own first word, or a word that a pattern matches as it is, stays
            stays = word[0] == "\0" or word in g.candidates or _lookup(g, (word,)) is not None
            canonical = cache[word] = word if stays else _canonical(g, morph, word)
        if canonical == word:      # most words: nothing to change
            continue
        if i and folded[i - 1] in first_words and stems.get(word) == word:
            continue                   # the second word of a phrase (الدولار الأمريكي) as the phrase has it
        folded[i] = canonical


def _katakana(char: str) -> bool:
    return "\u30a1" <= char <= "\u30fa" or char == "\u30fc"


def _substrings(g: Gazetteer, text: str, found: set[str]) -> None:
    """Names found anywhere in (folded) text written without spaces; longest first at each place, and a name
    in katakana only as a whole katakana word (タイ is Thailand, not the タイ of タイム)."""
    firsts, start = g.substrings, g.substring_start
    assert start is not None
    i, end = 0, len(text)
    while (at := start.search(text, i)) is not None:
        i = at.start()
        for key, entry in firsts[text[i]]:
            if text.startswith(key, i):
                after = text[i + len(key)] if i + len(key) < end else ""
                before = text[i - 1] if i else ""
                if (_katakana(key[0]) and before and _katakana(before)) or \
                        (_katakana(key[-1]) and after and _katakana(after)):
                    continue
                if isinstance(entry, str) and entry:
                    found.add(entry)
                i += len(key) - 1
                break
        i += 1


def _words(folded: str) -> list[str]:
    # on ASCII text the long class of WORD_CHAR is \w, and a shorter pattern is faster
    return (_ASCII_WORD if folded.isascii() else _WORD).findall(folded)


def _starts(g: Gazetteer, folded: list[str], hyphens: bool) -> list[int]:
    """Where a pattern may start: most words start none, and a comprehension skips them fastest."""
    candidates, starts = g.candidates, g.prefix_starts
    if hyphens:
        return [i for i, w in enumerate(folded) if w in candidates or w[:3] in starts or w[0] == "\0"]
    return [i for i, w in enumerate(folded) if w in candidates or w[:3] in starts]


def countries(text: str, language: str | None = None) -> list[str]:
    """Sorted ISO codes of the countries `text` refers to."""
    g = gazetteer(language)
    words = _Text(text)
    folded = words.folded
    found: set[str] = set()
    if g.substrings:
        _substrings(g, words.folded_text, found)
    if g.stems:
        _canonicalize(g, folded)
    next_free = 0                              # the first word not consumed by a match
    for i in _starts(g, folded, words.hyphens):
        if i < next_free:
            continue
        word = folded[i]
        if word[0] == "\0":                  # a hyphenated word: whole first, else its parts
            whole = word[1:]
            entry = g.exact.get((whole,))
            code = None if entry is None else _resolve(entry, (whole,), words, i)
            if code:
                found.add(code)
            next_free = i + (2 + whole.count("-") if code is not None else 1)
            continue
        code, length = _match_at(g, words, i)
        if code:
            found.add(code)
        next_free = i + length
    # a row may name two countries at once: 中美 (China and the US), 한미, 俄乌
    return sorted({code for codes in found for code in codes.split("+")})
