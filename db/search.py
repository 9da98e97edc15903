"""The query language of topics and the full-text filter, compiled to SQLite FTS5 over folded text.

    karabakh OR karabach OR "nagorno karabakh"
    (azerbaijan OR azerbejdzan* OR азербайджан*) AND (russia* OR rosj* OR росси*) NOT football

AND, OR and NOT are operators only in capitals; words side by side mean AND. "Quoted phrases",
prefix* wildcards, parentheses. Matching ignores case and diacritics (Azerbejdżan = azerbejdzan).

Limits (a query past them is refused with a message, never passed on): MAX_LENGTH characters, MAX_TERMS words
and phrases, and MAX_DEPTH levels of parentheses inside one another. SQLite's FTS5 parser overflows its
stack at about 32 nested groups of the compiled expression, and one level of the query can compile to two
(`a NOT b NOT (…)` subtracts `(b OR (…))`), so MAX_DEPTH keeps every accepted query well inside that.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from collectors.text import fold

_TOKEN = re.compile(r'\s*(?:(?P<lp>\()|(?P<rp>\))|(?P<quote>")|(?P<word>[^\s()"]+))')
_FTS_WORD = re.compile(r"[^\W_]+")          # unicode61 splits on everything but letters and digits
OPERATORS = ("AND", "OR", "NOT")
MAX_LENGTH = 10_000          # characters; the longest default topic has under 300
MAX_TERMS = 1_000            # words and quoted phrases
MAX_DEPTH = 12               # parentheses inside one another
_SHOWN = 100                 # characters of a query shown either side of a problem
_MAX_FTS_DEPTH = 2 * MAX_DEPTH + 2   # nested groups of the compiled expression (FTS5 fails past about 32)


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
    kind: str          # lp rp word phrase and or not end
    text: str
    pos: int


def _lex(query: str) -> list[_Tok]:
    if len(query) > MAX_LENGTH:
        raise QuerySyntaxError(f"the query is too long ({len(query):,} characters; at most {MAX_LENGTH:,})",
                               query, MAX_LENGTH)
    tokens, pos, terms = [], 0, 0
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
        kind = text.lower() if text in OPERATORS else match.lastgroup
        if kind == "word":
            terms += 1
            _check_terms(terms, query, start)
        tokens.append(_Tok(kind, text, start))
        pos = match.end()
    tokens.append(_Tok("end", "", len(query)))
    return tokens


def _check_terms(terms: int, query: str, position: int) -> None:
    if terms > MAX_TERMS:
        raise QuerySyntaxError(f"the query has too many terms (at most {MAX_TERMS:,} words and phrases)", query,
                               position)


class _Parser:
    """Recursive descent: or := and (OR and)*; and := unary (AND? unary)*; unary := NOT unary | atom.

    `depth` counts the open parentheses, so that the recursion (and FTS5's parser) stays bounded."""

    def __init__(self, query: str):
        self.query, self.tokens, self.i, self.depth = query, _lex(query), 0, 0

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
        while self.peek().kind in ("and", "not", "word", "phrase", "lp"):
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
        return self.parse_atom()

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
            words = _FTS_WORD.findall(fold(tok.text))
            if not words:
                raise self.fail("empty quoted phrase", tok)
            return ("phrase", tuple(words), False)
        if tok.kind == "end":
            raise self.fail("the query ends where a term is expected", tok)
        if tok.kind == "rp":
            raise self.fail("')' where a term is expected", tok)
        raise self.fail(f"{tok.text} needs a term on both sides", tok)

    def term(self, tok: _Tok) -> tuple:
        text = tok.text
        prefix = text.endswith("*")
        words = _FTS_WORD.findall(fold(text.rstrip("*")))
        if not words:
            raise self.fail(f"{text!r} has no letters or digits to search for", tok)
        if "*" in text.rstrip("*"):
            raise self.fail("'*' is only allowed at the end of a word", tok)
        if prefix and len(words[-1]) < 2:
            raise self.fail("a prefix* needs at least 2 letters", tok)
        return ("phrase", tuple(words), prefix)


def parse(query: str) -> tuple:
    """The syntax tree of `query`; raises QuerySyntaxError pointing at the problem."""
    return _Parser(query).parse()


def _fts(node: tuple) -> str:
    kind = node[0]
    if kind == "phrase":
        return '"' + " ".join(node[1]) + '"' + ("*" if node[2] else "")
    if kind == "or":
        return "(" + " OR ".join(_fts(n) for n in node[1:]) + ")"
    if kind == "not":
        raise ValueError("a bare NOT is compiled by its AND")
    positives = [n for n in node[1:] if n[0] != "not"]
    negatives = [n[1] for n in node[1:] if n[0] == "not"]
    text = "(" + " AND ".join(_fts(n) for n in positives) + ")"
    if negatives:
        text = "(" + text + " NOT " + (_fts(("or", *negatives)) if len(negatives) > 1 else _fts(negatives[0])) + ")"
    return text


def _check_not(node: tuple, query: str) -> None:
    """NOT subtracts from what it stands beside; alone it would match almost everything."""
    if node[0] == "not":
        raise QuerySyntaxError("NOT needs a term to subtract from, e.g. 'karabakh NOT football'", query, 0)
    if node[0] in ("or", "and"):
        children = node[1:]
        if node[0] == "and" and all(c[0] == "not" for c in children):
            raise QuerySyntaxError("NOT needs a term to subtract from, e.g. 'karabakh NOT football'", query, 0)
        for child in children:
            _check_not(child[1] if child[0] == "not" and node[0] == "and" else child, query)


def compile_query(query: str) -> str:
    """An FTS5 MATCH expression for `query` over the folded articles_fts index."""
    tree = parse(query)
    _check_not(tree, query)
    fts = _fts(tree if tree[0] != "phrase" else ("and", tree))
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
    """What the index holds for a field: folded, so that queries ignore case and diacritics."""
    return fold(text)
