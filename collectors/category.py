"""Subject category of an article: one of the 17 IPTC Media Topics top-level codes.

A linear model over the words of the title and the start of the description (collectors.text.words,
unigrams, bigrams and word prefixes of STEM_BYTES bytes), trained by scripts/train_category.py on weak
labels taken from the article URLs and feeds, then adapted to hand-labelled articles (see
collectors/data/category-model.json). Inference needs numpy only.

Scoring: score[c] = bias[c] + sum(weight[f, c] for each feature occurrence f) / sqrt(number of
occurrences). Training builds its features through `encode()` too, so the two cannot drift apart.
A model may also carry language features ("lang=pl"); the shipped one does not, and then the
`language` argument changes nothing.

Abstention: the model gives a category only when its probability (softmax of the scores) reaches a
threshold: the npz's "abstain_below", which scripts/train_category.py --cv chooses by cross-validation on
the hand labels, or for a model trained before that (the shipped one) the provisional ABSTAIN_BELOW;
below it the model gives no class, never a default one. The model reads only
the languages it was trained on (LANGUAGES) and texts of unknown language. Other languages, and the
articles of a model language on which the model abstains (when that language has seeds), are
classified by keyword seeds, `collectors/data/category-seeds/<language>.tsv` (terms per class, written
by reading each language's news vocabulary): the class whose terms occur most (title twice) wins, a tie
goes to the class more frequent in news (SEED_PRIOR), and no match is UNCLASSIFIED; a language without a
seeds file is always UNCLASSIFIED. Adding a
language is adding its file.

Speed: a batch is tokenized in numpy. Characters that fold() maps to ASCII (Polish letters,
typographic quotes and dashes) are replaced first, then ASCII texts are split into words() tokens with
a byte mask and hashed (64-bit); the few texts still not ASCII go through words() itself. A test checks
that the features equal those of words(). Each class's seed terms compile to one trie-shaped regex (a
character at a time, longest term first), which a test checks counts like the plain alternation of the terms.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import ahocorasick
import numpy as np

from collectors.text import fold, is_word_char, words

CLASSES: tuple[str, ...] = (
    "arts_culture_entertainment", "conflict_war_peace", "crime_law_justice", "disaster_accident_emergency",
    "economy_business_finance", "education", "environment", "health", "human_interest", "labour",
    "lifestyle_leisure", "politics", "religion", "science_technology", "society", "sport", "weather",
)
UNCLASSIFIED = "unclassified"  # stored, filtered, charted and exported like a code; not an IPTC class
MODEL_PATH = Path(__file__).parent / "data" / "category-model.npz"
SEEDS_DIR = Path(__file__).parent / "data" / "category-seeds"
LANGUAGES = ("en", "pl")  # the model's languages; a text of unknown language goes to the model too
ABSTAIN_BELOW = 0.35  # provisional, for a model whose npz has no "abstain_below" (see train_category.py --cv)
SEED_TITLE_WEIGHT = 2  # a seed term in the title counts twice: titles name the subject
# Classes from the most to the least frequent among the 8,400 hand-labelled training articles
# (tests/data/trainset.jsonl): breaks a tie between classes whose seed terms occur equally often.
SEED_PRIOR: tuple[str, ...] = (
    "politics", "crime_law_justice", "economy_business_finance", "sport", "conflict_war_peace",
    "disaster_accident_emergency", "human_interest", "arts_culture_entertainment", "health", "science_technology",
    "lifestyle_leisure", "labour", "society", "environment", "weather", "education", "religion",
)
DESCRIPTION_CHARS = 400  # of the plain-text description: the lede is enough, the rest only costs time
STEM_BYTES = 6  # words longer than this also give a prefix feature ("zamordowac" -> "zamord*"): Polish inflects
STEM_MARK = "*"  # ends a prefix feature; never inside a words() token
_BATCH = 5_000  # articles per vectorised chunk (bounds the temporary arrays to some tens of MB)
_SEP = "\x1e"  # joins a batch into one string; never a word character
_SEP_BYTE = 0x1E
_TAG = re.compile(r"<[^<>]*>")
_PRIME = np.uint64(1_099_511_628_211)  # odd, so invertible modulo 2 ** 64
_PRIME_INVERSE = np.uint64(pow(int(_PRIME), -1, 1 << 64))
_POWERS: tuple[np.ndarray, np.ndarray] = (np.ones(0, np.uint64), np.ones(0, np.uint64))
# Replaced in a whole batch before tokenizing: what fold() does to these characters (Polish letters,
# typographic quotes and dashes), so that most texts become ASCII. The first two undo the gazeta.pl
# feed's mojibake ('ó' as UTF-8 read as ISO-8859-2 / cp1250); tests/test_category.py checks the rest.
_PREFOLD = (("Ăł", "o"), ("Ă“", "o"), ("ą", "a"), ("ć", "c"), ("ę", "e"), ("ł", "l"), ("ń", "n"), ("ó", "o"),
            ("ś", "s"), ("ź", "z"), ("ż", "z"), ("Ą", "a"), ("Ć", "c"), ("Ę", "e"), ("Ł", "l"), ("Ń", "n"),
            ("Ó", "o"), ("Ś", "s"), ("Ź", "z"), ("Ż", "z"), ("’", "'"), ("‘", "'"), ("“", " "), ("”", " "),
            ("„", " "), ("«", " "), ("»", " "), ("\xa0", " "), ("–", " "), ("—", " "), ("…", " "), ("£", " "),
            ("€", " "), ("•", " "), ("´", "'"), ("ʼ", "'"))
_PREFOLD2 = np.zeros(1 << 16, np.uint8)  # 2-byte UTF-8 sequence -> replacement ASCII byte (0: none)
_PREFOLD3 = np.zeros(1 << 16, np.uint8)  # last two bytes of a 3-byte sequence starting 0xE2 -> same
_PREFOLD_ASCII = tuple((b.encode(), g.encode()) for b, g in _PREFOLD if len(b.encode("utf-8")) == 1)
for _bad, _good in _PREFOLD[2:]:
    _enc = _bad.encode("utf-8")
    if len(_enc) == 1:
        continue
    if len(_enc) == 2:
        _PREFOLD2[(_enc[0] << 8) | _enc[1]] = ord(_good)
    else:
        assert len(_enc) == 3 and _enc[0] == 0xE2, _bad
        _PREFOLD3[(_enc[1] << 8) | _enc[2]] = ord(_good)
_LOWER_BYTE = np.arange(256, dtype=np.uint8)
_LOWER_BYTE[65:91] += 32
_WORD_BYTE = np.zeros(256, bool)  # the regex \w in ASCII text after lower-casing: a-z, 0-9, _
_WORD_BYTE[[*range(97, 123), *range(48, 58), 95]] = True


class Index(NamedTuple):
    """Feature lookup: open-addressing table of 64-bit feature hashes -> feature ids (-1: empty slot)."""

    keys: np.ndarray
    ids: np.ndarray
    lang: dict[str, int]
    pad: int  # id of the all-zero padding feature == number of real features
    stems: bool  # whether any feature is a word prefix (else encode() skips their lookup)


class Model(NamedTuple):
    """Feature index, float32 weights (classes x features, plus a zero padding column), biases, class names."""

    index: Index
    weights: np.ndarray
    bias: np.ndarray
    classes: tuple[str, ...]
    abstain_below: float = ABSTAIN_BELOW


def language_tag(language: str | None) -> str | None:
    """'pl-PL' -> 'pl', 'en-gb' -> 'en'; other or missing languages give None."""
    lang = (language or "").strip().lower()[:2]
    return lang if lang in LANGUAGES else None


def _plain(text: str) -> str:
    """Text without HTML tags and entities (feeds put markup, image URLs and &hellip; in descriptions)."""
    if "<" in text:
        text = _TAG.sub(" ", text)
    return html.unescape(text) if "&" in text else text


def _article_texts(items: list[tuple[str, str, str | None]]) -> list[str]:
    """Title and plain-text description of each item, the description cut at DESCRIPTION_CHARS."""
    texts = [f"{_plain(t or '')}\n{_plain(d or '')[:DESCRIPTION_CHARS]}" for t, d, _ in items]
    if any(_SEP in t for t in texts):
        texts = [t.replace(_SEP, " ") for t in texts]
    return texts


def _prefolded(texts: list[str]) -> bytes:
    """UTF-8 of the texts joined by _SEP, with the _PREFOLD replacements done (vectorised)."""
    data = _SEP.join(texts).encode("utf-8")
    for bad, good in _PREFOLD_ASCII:
        data = data.replace(bad, good)
    raw = np.frombuffer(data + b"\0\0\0\0", np.uint8)
    at = np.flatnonzero(raw >= 0xC2)  # lead bytes of multi-byte characters
    if not len(at):
        return data
    nxt = [raw[at + k].astype(np.int64) for k in range(1, 5)]
    code = (raw[at].astype(np.int64) << 8) | nxt[0]
    wide = raw[at] == 0xE2
    target = np.where(wide, _PREFOLD3[(nxt[0] << 8) | nxt[1]], _PREFOLD2[code])
    size = np.where(wide, 3, 2)
    # the mojibake pairs 'Ă' + 'ł' (4 bytes) and 'Ă' + '“' (5 bytes) -> 'o'; their second lead is skipped
    moji4 = (code == 0xC482) & (nxt[1] == 0xC5) & (nxt[2] == 0x82)
    moji5 = (code == 0xC482) & (nxt[1] == 0xE2) & (nxt[2] == 0x80) & (nxt[3] == 0x9C)
    target[moji4 | moji5], size[moji4], size[moji5] = ord("o"), 4, 5
    swallowed = np.zeros(len(raw), bool)
    swallowed[at[moji4 | moji5] + 2] = True
    chosen = (target > 0) & ~swallowed[at]
    at, size = at[chosen], size[chosen]
    out = raw.copy()
    out[at] = target[chosen]
    keep = np.ones(len(raw), bool)
    keep[-4:] = False
    for k in range(1, 5):
        keep[at[size > k] + k] = False
    return out[keep].tobytes()


def article_words(items: list[tuple[str, str, str | None]]) -> list[list[str]]:
    """collectors.text.words() of each article's text (what the model's features are made of)."""
    if not items:
        return []
    return [words(t) for t in _prefolded(_article_texts(items)).decode("utf-8").split(_SEP)]


def stem(word: str) -> str | None:
    """Prefix feature of a word longer than STEM_BYTES (UTF-8) whose first STEM_BYTES bytes are ASCII, else None."""
    raw = word.encode("utf-8")
    return raw[:STEM_BYTES].decode() + STEM_MARK if len(raw) > STEM_BYTES and raw[:STEM_BYTES].isascii() else None


def feature_strings(ws: list[str], language: str | None) -> list[str]:
    """Unigrams, bigrams ('a b'), word prefixes ('abcdef*') and 'lang=xx' of one article's words, with repeats."""
    lang = language_tag(language)
    stems = [s for s in map(stem, ws) if s]
    return (ws + [f"{a} {b}" for a, b in zip(ws, ws[1:], strict=False)] + stems
            + ([f"lang={lang}"] if lang else []))


def tokens(title: str, description: str, language: str | None = None) -> list[str]:
    """Feature strings of one article (for inspection and training)."""
    return feature_strings(article_words([(title, description, language)])[0], language)


def _mix(h: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: spreads polynomial hashes over all 64 bits."""
    h = h ^ (h >> np.uint64(30))
    h = h * np.uint64(0xBF58476D1CE4E5B9)
    h = h ^ (h >> np.uint64(27))
    h = h * np.uint64(0x94D049BB133111EB)
    return h ^ (h >> np.uint64(31))


def _powers(n: int) -> tuple[np.ndarray, np.ndarray]:
    """_PRIME ** k and _PRIME ** -k modulo 2 ** 64 for k < n (cached, grown as needed)."""
    global _POWERS
    if len(_POWERS[0]) < n:
        size = max(n, 2 * len(_POWERS[0]))
        up, down = np.ones(size, np.uint64), np.ones(size, np.uint64)
        up[1:] = np.cumprod(np.full(size - 1, _PRIME, np.uint64))
        down[1:] = np.cumprod(np.full(size - 1, _PRIME_INVERSE, np.uint64))
        _POWERS = (up, down)
    return _POWERS


def _hash_runs(buf: np.ndarray, inside: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Start offsets, 64-bit hashes and prefix hashes of the runs of bytes where `inside` is true (the tokens).

    The hash of bytes b[s:e] is mix(sum(b[k] * P ** (k - s)) xor (e - s)), from prefix sums of b[k] * P ** k.
    The prefix hash is that of b[s:s + STEM_BYTES] for runs longer than STEM_BYTES, else 0 (no prefix feature).
    """
    edges = np.diff(inside.view(np.int8), prepend=np.int8(0), append=np.int8(0))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    up, down = _powers(len(buf) + 1)
    prefix = np.zeros(len(buf) + 1, np.uint64)
    np.cumsum(buf * up[:len(buf)], out=prefix[1:])
    sums = (prefix[ends] - prefix[starts]) * down[starts]
    long = ends - starts > STEM_BYTES
    cut = np.where(long, starts + STEM_BYTES, starts)
    stems = _mix(((prefix[cut] - prefix[starts]) * down[starts]) ^ np.uint64(STEM_BYTES))
    return starts, _mix(sums ^ (ends - starts).astype(np.uint64)), np.where(long, stems, np.uint64(0))


def _stem_key(h: np.ndarray) -> np.ndarray:
    """Table key of a word-prefix feature from the prefix's hash (distinct from the key of the same word)."""
    return _mix(h + np.uint64(0x632BE59BD9B4E019))


def _bigram(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Hash of a word pair from the two word hashes."""
    return _mix(first * np.uint64(0x9E3779B97F4A7C15) + second + np.uint64(1))


def _ascii_tokens(buf: np.ndarray) -> np.ndarray:
    """Which bytes of lower-cased ASCII text are inside a collectors.text.words() token.

    For ASCII, words() is the regex \\w+(?:['-]\\w+)* on text.lower(): word characters, plus an
    apostrophe or hyphen that has a word character on both sides.
    """
    word = _WORD_BYTE[buf]
    joiner = (buf == 39) | (buf == 45)
    joiner[1:-1] &= word[:-2] & word[2:]
    joiner[[0, -1]] = False  # buf is never empty: every article text has its "\n"
    return word | joiner


def _row_hashes(buf: np.ndarray, inside: np.ndarray, row_starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row number and (hash, prefix hash) pairs of every token of a buffer whose rows start at row_starts."""
    starts, hashes, stems = _hash_runs(buf, inside)
    return np.searchsorted(row_starts, starts, side="right") - 1, np.stack([hashes, stems], axis=1)


def _token_hashes(items: list[tuple[str, str, str | None]]) -> tuple[np.ndarray, np.ndarray]:
    """(row, [word hash, prefix hash]) of every words() token of the items, in reading order within each row.

    ASCII texts (most, once _PREFOLD is done) are tokenized in numpy; others go through words().
    """
    raw = _prefolded(_article_texts(items))
    buf = _LOWER_BYTE[np.frombuffer(raw, np.uint8)]
    bounds = np.concatenate(([-1], np.flatnonzero(buf == _SEP_BYTE), [len(buf)]))
    high = np.add.reduceat(buf >= 128, bounds[:-1] + 1)  # rows are never empty: each has its "\n"
    inside = _ascii_tokens(buf)
    other = np.flatnonzero(high)
    for r in other:  # mask out the non-ASCII rows here, hash their words() below
        inside[bounds[r] + 1:bounds[r + 1]] = False
    rows, hashes = _row_hashes(buf, inside, bounds[:-1] + 1)
    if len(other):
        texts = [raw[bounds[r] + 1:bounds[r + 1]].decode("utf-8") for r in other]
        joined = np.frombuffer(_SEP.join(" ".join(words(t)) for t in texts).encode("utf-8"), np.uint8)
        seps = np.concatenate(([0], np.flatnonzero(joined == _SEP_BYTE) + 1))
        more_rows, more = _row_hashes(joined, (joined != 32) & (joined != _SEP_BYTE), seps)
        rows = np.concatenate([rows, other[more_rows]])
        hashes = np.concatenate([hashes, more])
        order = np.argsort(rows, kind="stable")
        rows, hashes = rows[order], hashes[order]
    return rows, hashes


def build_index(vocab: list[str]) -> Index:
    """Index of a feature list (position in the list = feature id)."""
    lang: dict[str, int] = {}
    feats: list[int] = []
    firsts: list[str] = []
    lasts: list[str] = []
    single: list[bool] = []
    for f, feature in enumerate(vocab):
        first, space, rest = feature.partition(" ")
        if first.startswith("lang="):
            lang[first[5:]] = f
            continue
        feats.append(f)
        firsts.append(first)
        lasts.append(rest.rpartition(" ")[2] if space else first)
        single.append(not space)
    prefix = np.array([first.endswith(STEM_MARK) for first in firsts], bool)
    first, second = _word_hashes([w.removesuffix(STEM_MARK) for w in firsts + lasts]).reshape(2, -1)
    keys = np.where(prefix, _stem_key(first), np.where(np.array(single, bool), _mix(first), _bigram(first, second)))
    table_keys, table_ids = _hash_table(keys, np.array(feats, np.int64))
    return Index(table_keys, table_ids, lang, len(vocab), bool(prefix.any()))


def _word_hashes(words: list[str]) -> np.ndarray:
    """The hash of each word (none empty or holding a space), as _hash_runs gives it in a text."""
    buf = np.frombuffer(" ".join(words).encode("utf-8"), np.uint8)
    hashes = _hash_runs(buf, buf != 32)[1]
    assert len(hashes) == len(words)
    return hashes


def _hash_table(keys: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Linear-probing table at most 1/4 full; a collision goes to the next free slot, lowest id first."""
    size = 1 << max(4, int(4 * len(keys) - 1).bit_length())
    table_keys, table_ids = np.zeros(size, np.uint64), np.full(size, -1, np.int64)
    slot = keys & np.uint64(size - 1)
    todo = np.argsort(ids, kind="stable")
    while len(todo):
        free = todo[table_ids[slot[todo]] == -1]
        won = free[np.unique(slot[free], return_index=True)[1]]
        table_keys[slot[won]], table_ids[slot[won]] = keys[won], ids[won]
        todo = np.setdiff1d(todo, won, assume_unique=True)
        slot[todo] = (slot[todo] + np.uint64(1)) & np.uint64(size - 1)
    return table_keys, table_ids


def _lookup(index: Index, keys: np.ndarray) -> np.ndarray:
    """Feature id of each hash, or index.pad."""
    mask = np.uint64(len(index.keys) - 1)
    out = np.full(len(keys), index.pad, np.int64)
    slot = keys & mask
    todo = np.arange(len(keys))
    while len(todo):
        found = index.ids[slot[todo]]
        hit = (found >= 0) & (index.keys[slot[todo]] == keys[todo])
        out[todo[hit]] = found[hit]
        todo = todo[(found >= 0) & ~hit]  # occupied by another key: probe the next slot
        slot[todo] = (slot[todo] + np.uint64(1)) & mask
    return out


def encode(index: Index, items: list[tuple[str, str, str | None]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Word features of a batch as (row, feature id) arrays grouped by row, and each row's language feature."""
    if not items:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64)
    rows, pairs = _token_hashes(items)
    hashes, stems = pairs[:, 0], pairs[:, 1]
    uni = _lookup(index, _mix(hashes))
    big, pre = np.full_like(uni, index.pad), np.full_like(uni, index.pad)
    same = np.flatnonzero(rows[:-1] == rows[1:])
    big[same] = _lookup(index, _bigram(hashes[same], hashes[same + 1]))
    if index.stems:
        long = np.flatnonzero(stems)
        pre[long] = _lookup(index, _stem_key(stems[long]))
    feats = np.stack([uni, big, pre], axis=1).ravel()
    keep = feats != index.pad
    tag = {lg: index.lang.get(language_tag(lg) or "", index.pad) for lg in {it[2] for it in items}}
    lang = np.fromiter((tag[it[2]] for it in items), np.int64, len(items))
    return np.repeat(rows, 3)[keep], feats[keep], lang


@lru_cache(maxsize=2)
def load_model(path: Path | str = MODEL_PATH) -> Model:
    """Read the packaged model once: vocabulary, dequantized float32 weights and biases."""
    with np.load(path, allow_pickle=False) as npz:
        vocab = bytes(npz["vocab"]).decode("utf-8").split("\n")
        weights = npz["weights"].astype(np.float32) * npz["scale"].astype(np.float32)[:, None]
        bias = npz["bias"].astype(np.float32)
        classes = tuple(str(c) for c in npz["classes"])
        threshold = float(npz["abstain_below"]) if "abstain_below" in npz.files else ABSTAIN_BELOW
    padded = np.ascontiguousarray(np.hstack([weights.T, np.zeros((weights.shape[1], 1), np.float32)]))
    return Model(build_index(vocab), padded, bias, classes, threshold)


def scores_many(items: list[tuple[str, str, str | None]], model: Model | None = None) -> np.ndarray:
    """Class scores, one row per (title, description, language) item, columns in model.classes order."""
    model = model or load_model()
    out = np.empty((len(items), len(model.classes)), np.float32)
    for start in range(0, len(items), _BATCH):
        chunk = items[start:start + _BATCH]
        rows, feats, lang = encode(model.index, chunk)
        counts = np.bincount(rows, minlength=len(chunk))
        sums = model.weights[:, lang].T  # the padding column (no language feature) is zero
        present = np.flatnonzero(counts)
        offsets = (np.cumsum(counts) - counts)[present]
        for c, column in enumerate(model.weights):  # one 1-D gather per class: much faster than a 2-D one
            if len(present):
                sums[present, c] += np.add.reduceat(column[feats], offsets)
        counts += lang != model.index.pad
        out[start:start + len(chunk)] = sums / np.sqrt(np.maximum(counts, 1))[:, None] + model.bias
    return out


def confident(scores: np.ndarray, model: Model) -> list[str]:
    """The top class of each row of scores, or UNCLASSIFIED where its probability is below the model's threshold."""
    if not len(scores):
        return []
    z = np.exp(scores - scores.max(axis=1, keepdims=True))
    top = (z / z.sum(axis=1, keepdims=True)).max(axis=1)
    best = scores.argmax(axis=1)
    return [model.classes[b] if p >= model.abstain_below else UNCLASSIFIED for b, p in zip(best, top, strict=True)]


_SPACES = re.compile(r"\s+")


class Seeds(NamedTuple):
    """A language's seed terms in one Aho-Corasick automaton: a folded term -> ((class index, prefix?), ...) in
    the order of the classes' first lines, so that a term listed for two classes counts for the first."""
    automaton: ahocorasick.Automaton
    classes: tuple[str, ...]
    inside: bool  # terms match inside words (languages written without spaces, or with attached clitics)


@lru_cache(maxsize=64)
def seeds(language: str) -> Seeds | None:
    """The seed terms of a language, or None: no file.

    Lines: `class<TAB>term, term*, ...` (a class may have several lines); `#` starts a comment; a line
    `@match<TAB>inside` makes terms match inside words (languages written without spaces, or whose
    clitics attach to words).
    """
    if not re.fullmatch(r"[a-z]{2,3}", language or ""):
        return None
    path = SEEDS_DIR / f"{language}.tsv"
    if not path.is_file():
        return None
    lines = [line.split("\t", 1) for line in path.read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.startswith("#")]
    inside = any(key.strip() == "@match" and rest.strip() == "inside" for key, rest in lines)
    terms: dict[str, list[str]] = {}
    for key, rest in lines:
        if key.strip() in CLASSES:
            terms.setdefault(key.strip(), []).extend(rest.split(","))
    kinds: dict[str, dict[int, bool]] = {}   # folded term -> class index -> whether a prefix ('term*')
    for k, code in enumerate(terms):
        for raw in terms[code]:
            term = raw.strip()
            folded = _SPACES.sub(" ", fold(term.removesuffix("*")).strip())
            if folded:
                kinds.setdefault(folded, {})[k] = kinds.get(folded, {}).get(k, False) or term.endswith("*")
    automaton = ahocorasick.Automaton()
    for folded, by_class in kinds.items():
        automaton.add_word(folded, (len(folded), tuple(sorted(by_class.items()))))
    automaton.make_automaton()
    return Seeds(automaton, tuple(terms), inside)


def _seed_matches(found: Seeds, text: str) -> list[int]:
    """The class index of each seed term in folded text: at each place the longest term that matches there (as a
    whole word, or as a prefix for 'term*', unless terms match inside words), then on after it."""
    candidates = []
    end_of_text = len(text) - 1
    for end, (length, by_class) in found.automaton.iter(text):
        start = end - length + 1
        if not found.inside and start and is_word_char(text[start - 1]):
            continue                   # inside a word: not the start of a term
        whole = found.inside or end == end_of_text or not is_word_char(text[end + 1])
        for k, prefix in by_class:
            if prefix or whole:
                candidates.append((start, -length, k))
                break
    out, free = [], 0
    for start, negative_length, k in sorted(candidates):
        if start >= free:
            out.append(k)
            free = start - negative_length
    return out


def seed_class(title: str, description: str, language: str) -> str:
    """The class whose seed terms occur most in the article (title counting SEED_TITLE_WEIGHT times), or
    UNCLASSIFIED on no match or a language without seeds; a tie goes to the class more frequent in news
    (SEED_PRIOR), since both classes have the text's evidence."""
    found = seeds(language)
    if found is None:
        return UNCLASSIFIED
    votes: dict[str, int] = {}
    for text, weight in ((title, SEED_TITLE_WEIGHT), (description, 1)):
        plain = _SPACES.sub(" ", fold(_plain(text or "")[:DESCRIPTION_CHARS]))
        for k in _seed_matches(found, plain):
            votes[found.classes[k]] = votes.get(found.classes[k], 0) + weight
    if not votes:
        return UNCLASSIFIED
    return max(votes, key=lambda code: (votes[code], -SEED_PRIOR.index(code)))


def model_language(language: str | None) -> bool:
    """Whether the model reads this language: its training languages, or an unknown language."""
    code = (language or "").strip().lower()[:2]
    return not code or code in LANGUAGES


def classify_many(items: list[tuple[str, str, str | None]]) -> list[str]:
    """IPTC code (or UNCLASSIFIED) of each (title, description, language) item."""
    if not items:
        return []
    model = load_model()
    by_model = [k for k, item in enumerate(items) if model_language(item[2])]
    out = [UNCLASSIFIED] * len(items)
    if by_model:
        labels = confident(scores_many([items[k] for k in by_model], model), model)
        for k, label in zip(by_model, labels, strict=True):
            out[k] = label
    for k, (title, description, language) in enumerate(items):
        # the seeds read the other languages, and a model language's articles where the model abstains
        if out[k] == UNCLASSIFIED and (language or "").strip():
            out[k] = seed_class(title, description, (language or "").strip().lower()[:2])
    return out


def classify(title: str, description: str, language: str | None = None) -> str:
    """IPTC code (or UNCLASSIFIED) of one article."""
    return classify_many([(title, description, language)])[0]
