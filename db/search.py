"""The query language of topics and the full-text filter, compiled to SQLite FTS5 over folded text.

    karabakh OR karabach OR "nagorno karabakh"
    (azerbaijan OR azerbejdzan* OR азербайджан*) AND (russia* OR rosj* OR росси*) NOT football
    karabakh -russia                   title:karabakh   title:"nagorno karabakh"   description:(gas OR oil)

AND, OR and NOT are operators in capitals; words side by side mean AND; -term leaves a term out (= NOT term; a
hyphen inside a word stays part of it: nagorno-karabakh). Lowercase `and` between two terms means AND (the word
itself would add nothing); lowercase `or` and `not` between two terms are refused with a hint, since the word and
the operator mean different searches ("or" in quotes searches the word). "Quoted phrases", prefix* wildcards,
parentheses; title: and description: search one field. Matching ignores case and diacritics (Azerbejdżan =
azerbejdzan) and the letter variants that collectors.text.fold unifies (Arabic ي/ی, Turkish İ/ı, Greek accents).

Scripts written without spaces (Chinese, Japanese kana and kanji, Thai, Lao, Khmer, Myanmar) are indexed one
letter to a token, and a query word in them is the phrase of its letters: 阿塞拜疆 matches inside any run of
characters, without a `*`. Combining marks are part of a word (Devanagari vowel signs: भारत is one word).
Arabic-script and Hebrew words also match with their one-letter proclitics (و ب ل ف ك, ال and its combinations;
Hebrew ו ה ב ל מ ש כ): روسيا finds وروسيا, بروسيا and الروسيا; suffixes need a prefix* as in other languages.

Limits (a query past them is refused with a message, never passed on): MAX_LENGTH characters, MAX_TERMS words
and phrases, and MAX_DEPTH levels of parentheses inside one another. SQLite's FTS5 parser overflows its
stack at about 32 nested groups of the compiled expression, and one level of the query can compile to two
(`a NOT b NOT (…)` subtracts `(b OR (…))`), so MAX_DEPTH keeps every accepted query well inside that.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

from db.text import LETTER, fold

_TOKEN = re.compile(r'\s*(?:(?P<lp>\()|(?P<rp>\))|(?P<quote>")|(?P<word>[^\s()"]+))')
_FIELD = re.compile(r"(title|description):", re.IGNORECASE)
_OTHER_FIELD = re.compile(r"([a-z]+):(?!//)", re.IGNORECASE)   # headline:karabakh (but not a link's https://)
# the index's tokenizer: letters, digits, private-use characters and combining marks make words (without M*,
# unicode61 cut भारत after भ); the rest separates them. _FTS_WORD is the same rule in Python.
TOKENIZE = "unicode61 remove_diacritics 2 categories 'L* N* Co M*'"
_FTS_WORD = re.compile(rf"(?:{LETTER}|[\ue000-\uf8ff])+")
# Thai, Lao, Myanmar, Khmer, kanji's iteration mark, kana, CJK ideographs (and their extensions): written without
# spaces between words. Each letter (and each Thai vowel or tone mark) becomes a token of its own in the index.
_UNSPACED = ("\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3005\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
             "\uf900-\ufaff\U00020000-\U0003134f")
_UNSPACED_WORD = re.compile(rf"[{_UNSPACED}]")


class _SpacingTable(dict):
    """str.translate table that sets each letter (or mark) of those scripts apart with spaces, filled on first
    sight of each character (a regex substitution took three times as long as folding)."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        self[code] = spaced = f" {char} " if _UNSPACED_WORD.match(char) else char
        return spaced


_SPACING = _SpacingTable()
# one-letter proclitics written as part of the next word, and the article ال: روسيا is also وروسيا, بروسيا, الروسيا
_ARABIC_WORD = re.compile(r"[\u0620-\u064a\u066e-\u06d3\u06fa-\u06ff]")
_ARABIC_ARTICLE = "ال"
_ARABIC_PROCLITICS = ("", "و", "ف", "ب", "ل", "ك", "وب", "ول", "فب", "فل", "وك")
_ARABIC_LIL = ("لل", "ولل", "فلل")      # ل + ال drops the alef: للعراق
_HEBREW_WORD = re.compile(r"[\u05d0-\u05ea]")
_HEBREW_PROCLITICS = ("", "ו", "ה", "ב", "ל", "מ", "ש", "כ", "וה", "וב", "ול", "ומ", "וש", "וכ", "שה", "שב", "של",
                      "שמ", "מה", "כש", "וכש")
OPERATORS = ("AND", "OR", "NOT")
FIELDS = ("title", "description")
MAX_LENGTH = 10_000          # characters; the longest default topic has under 300
MAX_TERMS = 1_000            # words and quoted phrases
MAX_DEPTH = 12               # parentheses inside one another
_SHOWN = 100                 # characters of a query shown either side of a problem
# nested groups of the compiled expression (FTS5 fails past about 32): two per level, two around the whole, one
# for the proclitic variants of an Arabic or Hebrew word
_MAX_FTS_DEPTH = 2 * MAX_DEPTH + 3
_TERM_END = ("word", "phrase", "rp")
_TERM_START = ("word", "phrase", "lp", "not", "field", "lower")
_LOWER_HINTS = {
    "or": "lowercase 'or' between two terms: write OR to match either term, or \"or\" in quotes to search for the "
          "word",
    "not": "lowercase 'not' between two terms: write NOT (or -term) to leave a term out, or \"not\" in quotes to "
           "search for the word",
}


class QuerySyntaxError(ValueError):
    """An invalid query; `position` is the 0-based character offset of the problem."""

    def __init__(self, message: str, query: str, position: int):
        start = max(0, position - _SHOWN)   # a long query is shown around the problem only
        end = position + _SHOWN
        shown = ("…" if start else "") + query[start:end] + ("…" if len(query) > end else "")
        pointer = f"\n  {shown}\n  {' ' * (position - start + (1 if start else 0))}^"
        super().__init__(f"{message} (at character {position + 1}){pointer}")
        self.position = position
        self.short = f"{message} (at character {position + 1})"


@dataclass(frozen=True)
class _Tok:
    kind: str          # lp rp word phrase and or not field lower end
    text: str
    pos: int


def _lex(query: str) -> list[_Tok]:
    if len(query) > MAX_LENGTH:
        raise QuerySyntaxError(f"the query is too long ({len(query):,} characters; at most {MAX_LENGTH:,})",
                               query, MAX_LENGTH)
    tokens: list[_Tok] = []
    pos, terms = 0, 0
    while pos < len(query):
        if query[pos].isspace():
            pos += 1
            continue
        match = _TOKEN.match(query, pos)
        start = match.start(match.lastgroup)
        if match.lastgroup == "quote":
            end = query.find('"', start + 1)
            if end < 0:
                raise QuerySyntaxError("unterminated quoted phrase", query, start)
            tokens.append(_Tok("phrase", query[start + 1:end], start))
            pos = end + 1
            terms += 1
            _check_terms(terms, query, start)
            continue
        text = match.group(match.lastgroup)
        special = _special(query, text, start)
        if special is not None:
            tokens.append(special)
            pos = start + len(special.text)
            continue
        kind = text.lower() if text in OPERATORS else match.lastgroup
        if kind == "word" and text.lower() in ("and", "or", "not"):
            kind = "lower"
        if kind in ("word", "lower"):
            terms += 1
            _check_terms(terms, query, start)
        tokens.append(_Tok(kind, text, start))
        pos = match.end()
    tokens.append(_Tok("end", "", len(query)))
    return _resolve_lowercase(tokens, query)


def _special(query: str, text: str, start: int) -> _Tok | None:
    """A leading '-' (NOT) or a 'title:' / 'description:' field prefix at the start of a word, else None."""
    after = query[start + len(text):start + len(text) + 1]
    if text.startswith("-"):
        if len(text) > 1 or after in ('"', "("):
            return _Tok("not", "-", start)
        raise QuerySyntaxError("'-' leaves out the term right after it: write -russia, without a space", query,
                               start)
    field = _FIELD.match(text)
    if field is None:
        other = _OTHER_FIELD.match(text)
        if other and len(text) > len(other.group(0)):   # it would be searched as one word, and match nothing
            written = _as_written(query, start, text)
            raise QuerySyntaxError(f"unknown field {other.group(0)} (the fields are title: and description:); to "
                                   f"search the text as written, put it in quotes: \"{written}\"", query, start)
        return None
    if len(text) == len(field.group(0)) and after not in ('"', "("):
        raise QuerySyntaxError(f"{field.group(0)} needs a term right after it, e.g. {field.group(0)}karabakh",
                               query, start)
    return _Tok("field", field.group(0), start)


def _as_written(query: str, start: int, word: str) -> str:
    """The text from `start` to the next space (headline:<script>alert(1)</script>, not the word token before its
    "("), without the parentheses that close an enclosing group; the `word` token if it holds a quote."""
    chunk = query[start:].split(None, 1)[0]
    while chunk.endswith(")") and chunk.count(")") > chunk.count("("):
        chunk = chunk[:-1]
    return word if '"' in chunk else chunk


def _resolve_lowercase(tokens: list[_Tok], query: str) -> list[_Tok]:
    """A lowercase and/or/not between two terms is AND, or refused with a hint; anywhere else it is a word."""
    for i, tok in enumerate(tokens):
        if tok.kind != "lower":
            continue
        between = i > 0 and tokens[i - 1].kind in _TERM_END and tokens[i + 1].kind in _TERM_START
        word = tok.text.lower()
        if not between:
            tokens[i] = _Tok("word", tok.text, tok.pos)
        elif word == "and":
            tokens[i] = _Tok("and", tok.text, tok.pos)
        else:
            raise QuerySyntaxError(_LOWER_HINTS[word], query, tok.pos)
    return tokens


def _check_terms(terms: int, query: str, position: int) -> None:
    if terms > MAX_TERMS:
        raise QuerySyntaxError(f"the query has too many terms (at most {MAX_TERMS:,} words and phrases)", query,
                               position)


class _Parser:
    """Recursive descent: or := and (OR and)*; and := unary (AND? unary)*; unary := NOT unary | field? atom.

    `depth` counts the open parentheses, so that the recursion (and FTS5's parser) stays bounded; `field` is
    the field prefix being parsed, if any (a field inside another is refused)."""

    def __init__(self, query: str):
        self.query, self.tokens, self.i, self.depth, self.field = query, _lex(query), 0, 0, None

    def deeper(self, tok: _Tok) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.fail(f"the query is nested too deeply (at most {MAX_DEPTH} levels of parentheses)",
                            tok)

    def peek(self) -> _Tok:
        return self.tokens[self.i]

    def take(self) -> _Tok:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def fail(self, message: str, tok: _Tok) -> QuerySyntaxError:
        return QuerySyntaxError(message, self.query, tok.pos)

    def parse(self) -> tuple:
        if self.peek().kind == "end":
            raise self.fail("the query is empty", self.peek())
        node = self.parse_or()
        tok = self.peek()
        if tok.kind == "rp":
            raise self.fail("')' without a matching '('", tok)
        if tok.kind != "end":
            raise self.fail(f"unexpected {tok.text!r}", tok)
        return node

    def parse_or(self) -> tuple:
        items = [self.parse_and()]
        while self.peek().kind == "or":
            self.take()
            items.append(self.parse_and())
        return items[0] if len(items) == 1 else ("or", *items)

    def parse_and(self) -> tuple:
        items = [self.parse_unary()]
        while self.peek().kind in ("and", "not", "word", "phrase", "lp", "field"):
            if self.peek().kind == "and":
                self.take()
            items.append(self.parse_unary())
        return items[0] if len(items) == 1 else ("and", *items)

    def parse_unary(self) -> tuple:
        tok = self.peek()
        if tok.kind == "not":
            self.take()
            if self.peek().kind == "not":   # refused anyway (NOT needs a term); here before it can recurse deeply
                raise self.fail("NOT cannot follow NOT", self.peek())
            return ("not", self.parse_unary())
        if tok.kind == "field":
            return self.parse_field(self.take())
        return self.parse_atom()

    def parse_field(self, tok: _Tok) -> tuple:
        if self.field is not None:
            raise self.fail(f"{tok.text} inside {self.field}(…): a term is searched in one field at a time", tok)
        if self.peek().kind not in ("word", "phrase", "lp"):
            raise self.fail(f"{tok.text} needs a term, a \"phrase\" or (parentheses) right after it", tok)
        self.field = tok.text
        node = self.parse_atom()
        self.field = None
        return ("field", tok.text[:-1].lower(), node)

    def parse_atom(self) -> tuple:
        tok = self.take()
        if tok.kind == "lp":
            if self.peek().kind == "rp":
                raise self.fail("empty parentheses", self.peek())
            self.deeper(tok)
            node = self.parse_or()
            if self.peek().kind != "rp":
                raise self.fail("'(' is never closed", tok)
            self.take()
            self.depth -= 1
            return node
        if tok.kind == "word":
            return self.term(tok)
        if tok.kind == "phrase":
            words = _words(tok.text)
            if not words:
                raise self.fail("empty quoted phrase", tok)
            return _with_proclitics(words, False)
        if tok.kind == "end":
            raise self.fail("the query ends where a term is expected", tok)
        if tok.kind == "rp":
            raise self.fail("')' where a term is expected", tok)
        raise self.fail(f"{tok.text} needs a term on both sides", tok)

    def term(self, tok: _Tok) -> tuple:
        text = tok.text
        prefix = text.endswith("*")
        words = _words(text.rstrip("*"))
        if not words:
            raise self.fail(f"{text!r} has no letters or digits to search for", tok)
        if "*" in text.rstrip("*"):
            raise self.fail("'*' is only allowed at the end of a word", tok)
        if prefix and _UNSPACED_WORD.match(words[-1]):
            prefix = False      # a word in Chinese or Thai matches inside longer runs anyway
        if prefix and len(words[-1]) < 2:
            raise self.fail("a prefix* needs at least 2 letters", tok)
        return _with_proclitics(words, prefix)


def _words(text: str) -> list[str]:
    """The index's tokens of `text`, as the tokenizer cuts them."""
    return _FTS_WORD.findall(fts_text(text))


def _with_proclitics(words: list[str], prefix: bool) -> tuple:
    """The phrase `words`, or, when it starts with an Arabic-script or Hebrew word, any of its proclitic forms."""
    first, rest = words[0], tuple(words[1:])
    if _ARABIC_WORD.match(first):
        base = first[len(_ARABIC_ARTICLE):] if first.startswith(_ARABIC_ARTICLE) and len(first) > 3 else first
        forms = [p + a + base for p in _ARABIC_PROCLITICS for a in ("", _ARABIC_ARTICLE)
                 if not (a and p.endswith("ل"))] + [lil + base for lil in _ARABIC_LIL]
    elif _HEBREW_WORD.match(first):
        forms = [p + first for p in _HEBREW_PROCLITICS]
    else:
        return ("phrase", tuple(words), prefix)
    return ("or", *(("phrase", (fold(form), *rest), prefix) for form in forms))


def parse(query: str) -> tuple:
    """The syntax tree of `query`; raises QuerySyntaxError pointing at the problem."""
    return _Parser(query).parse()


def _fts(node: tuple) -> str:
    kind = node[0]
    if kind == "phrase":
        return '"' + " ".join(node[1]) + '"' + ("*" if node[2] else "")
    if kind == "field":
        return f"{node[1]} : " + _fts(node[2])
    if kind == "or":
        flat = [c for n in node[1:] for c in (n[1:] if n[0] == "or" else (n,))]
        return "(" + " OR ".join(_fts(n) for n in flat) + ")"
    if kind == "not":
        raise ValueError("a bare NOT is compiled by its AND")
    positives = [n for n in node[1:] if n[0] != "not"]
    negatives = [n[1] for n in node[1:] if n[0] == "not"]
    text = "(" + " AND ".join(_fts(n) for n in positives) + ")"
    if negatives:
        text = "(" + text + " NOT " + (_fts(("or", *negatives)) if len(negatives) > 1 else _fts(negatives[0])) + ")"
    return text


def first_words(fts: str) -> list[tuple[str, bool]]:
    """The first word of every phrase of a compiled expression (NOT's too), and whether it is a prefix (a one-word
    phrase with *): a text that holds none of them matches nothing. Compiled phrases are index tokens in quotes."""
    return [(phrase.split(" ", 1)[0], star == "*" and " " not in phrase)
            for phrase, star in re.findall(r'"([^"]*)"(\*?)', fts) if phrase]


_NOT_ALONE = "NOT needs a term to subtract from, e.g. 'karabakh NOT football' or 'karabakh -football'"


def _check_not(node: tuple, query: str) -> None:
    """NOT subtracts from what it stands beside; alone it would match almost everything."""
    if node[0] == "not":
        raise QuerySyntaxError(_NOT_ALONE, query, 0)
    if node[0] == "field":
        _check_not(node[2], query)
    if node[0] in ("or", "and"):
        children = node[1:]
        if node[0] == "and" and all(c[0] == "not" for c in children):
            raise QuerySyntaxError(_NOT_ALONE, query, 0)
        for child in children:
            _check_not(child[1] if child[0] == "not" and node[0] == "and" else child, query)


@functools.lru_cache(maxsize=1024)
def compile_query(query: str) -> str:
    """An FTS5 MATCH expression for `query` over the folded articles_fts index.

    Remembered: an import compiles every topic's query twice per batch (the twelve default topics: 0.76 s of a
    100,000-article import), and a page compiles its filter's several times."""
    tree = parse(query)
    _check_not(tree, query)
    fts = _fts(tree if tree[0] not in ("phrase", "field") else ("and", tree))
    if _nesting(fts) > _MAX_FTS_DEPTH:   # not reached while MAX_DEPTH holds; a guard should the compiler change
        raise QuerySyntaxError("the query is nested too deeply", query, 0)
    return fts


def _nesting(fts: str) -> int:
    """The deepest nesting of parentheses outside quoted phrases (compiled phrases hold no quotes)."""
    depth = deepest = 0
    for part in fts.split('"')[::2]:
        for char in part:
            if char == "(":
                depth += 1
                deepest = max(deepest, depth)
            elif char == ")":
                depth -= 1
    return deepest


def fts_text(text: str) -> str:
    """What the index holds for a field: folded, so that queries ignore case and diacritics, with each letter of
    a script written without spaces (Chinese, Japanese, Thai) set apart as a word of its own."""
    folded = fold(text)
    if folded.isascii():
        return folded
    if not _UNSPACED_WORD.search(folded):
        return folded
    # composed again: fold takes half-width ｾﾞ apart into セ and a combining voicing mark, where ゼ is one letter
    return unicodedata.normalize("NFC", folded).translate(_SPACING)


def fts_table(name: str) -> str:
    """The CREATE statement of a full-text index of folded titles and descriptions (fill it with fts_text)."""
    return (f"CREATE VIRTUAL TABLE {name} USING fts5(title, description, content='', "
            f"tokenize=\"{TOKENIZE}\")")
