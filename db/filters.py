"""The filter model: one description of "which articles", shared by the CLI export, the app and the tests."""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import re
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

from db.engine import POSTGRESQL, Connection, dialect, has_table
from db.search import QuerySyntaxError, compile_query


class QueryError(ValueError):
    """A filter value that cannot be used; the message says which and why."""


_SHORT_DAY = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")


def parse_day(value: str | dt.date | None, name: str) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value
    # the date box reads 2023-2-3 as 3 February: a link that it shows as a date must not be refused as one
    short = _SHORT_DAY.fullmatch(value.strip())
    try:
        return dt.date(*map(int, short.groups())) if short else dt.date.fromisoformat(value.strip())
    except ValueError:
        raise QueryError(f"{name}: {value!r} is not an ISO date (YYYY-MM-DD)") from None


def day_after(day: dt.date) -> str:
    """The exclusive upper bound of `published` for the inclusive last day `day`, as stored text. The last day
    Python knows has no next day; '9999-12-31 ~' still sorts after every time stored on it."""
    return (day + dt.timedelta(days=1)).isoformat() if day < dt.date.max else f"{day.isoformat()} ~"


def _marks(values: Sequence) -> str:
    return ", ".join("?" * len(values))


def _names(values: Sequence[str]) -> tuple[str, ...]:
    return tuple(sorted({v.strip() for v in values if v and v.strip()}))


def _codes(values: Sequence[str], case: Callable[[str], str]) -> tuple[str, ...]:
    """Two-letter values in the case their codes are written in; names (Azerbaijan) as given, for `checked`."""
    return tuple(sorted({case(v) if len(v) == 2 else v for v in _names(values)}))


COUNTRIES_MODES = ("any", "all")


@dataclass(frozen=True)
class Field:
    """One filter field, spelled once: its Filters attribute, URL parameter (also the dashboard's session key), CLI
    flag and help, the words that describe it, and its SQL condition over `articles a` joined to `outlets o` and
    over a daily rollup row `r` (for the fields those conditions are written for: {marks} is one ? per value)."""

    name: str
    param: str
    flag: str
    help: str
    label: str = ""
    many: bool = False              # repeatable: a list of values, any of which matches
    sql: str | None = None
    rollup: str | None = None

    @property
    def arg(self) -> str:
        """The keyword of Filters.make that takes this field's loose value."""
        return "countries_mode" if self.name == "countries_all" else self.name


# in the order of Filters' attributes: URL parameters, CLI flags and descriptions follow it
FIELDS = (
    Field("q", "q", "--q", "full-text query, e.g. 'karabakh AND (russia OR rosja)'", "text"),
    Field("date_from", "from", "--from", "first day, YYYY-MM-DD (UTC)", "from",
          rollup="r.day >= ?"),
    Field("date_to", "to", "--to", "last day, YYYY-MM-DD (UTC), inclusive", "to",
          rollup="r.day <= ?"),
    Field("outlets", "outlet", "--outlet", "outlet name, any case (repeatable)", "outlets", True,
          sql="o.name IN ({marks})", rollup="r.outlet_id IN (SELECT id FROM outlets WHERE name IN ({marks}))"),
    Field("langs", "lang", "--lang", "language: ISO 639-1 code or English name (repeatable)", "language", True,
          sql="a.language IN ({marks})", rollup="r.language IN ({marks})"),
    Field("source_countries", "source", "--source-country", "outlet's country: ISO code or English name (repeatable)",
          "source countries", True,
          sql="o.country IN ({marks})", rollup="r.outlet_id IN (SELECT id FROM outlets WHERE country IN ({marks}))"),
    Field("countries", "country", "--country", "country in the story: ISO code or English name (repeatable)",
          "naming", True),
    Field("topics", "topic", "--topic", "topic name, any case (repeatable)", "topics", True),
    Field("categories", "category", "--category", "IPTC category code (repeatable)", "category", True,
          sql="a.category IN ({marks})"),
    Field("countries_all", "countries_mode", "--countries-mode", "any (default): stories naming any of the "
          "--country values; all: stories naming every one of them", "several countries"),
)
FIELDS_BY_NAME = {f.name: f for f in FIELDS}


def check_option(name: str, value: str | None, allowed: Sequence[str]) -> str | None:
    """`value` as one of `allowed` (matched without regard to case), None if not given; QueryError naming it else."""
    if value is None or not value.strip():
        return None
    for option in allowed:
        if option.casefold() == value.strip().casefold():
            return option
    raise QueryError(f"unknown {name} “{value}” ({name} is one of {', '.join(allowed)})")


def closest(value: str, spellings: Mapping[str, str] | Sequence[str], n: int = 3, hint: str = "") -> str:
    """' (did you mean “a”, “b”?)': the valid spellings nearest to `value` (compared without regard to case), or
    those that begin like it, or else `hint`. A Mapping gives each spelling the words it is shown with."""
    shown = spellings if isinstance(spellings, Mapping) else {s: s for s in spellings}
    by_fold: dict[str, str] = {}
    for spelling, words in shown.items():
        by_fold.setdefault(spelling.casefold(), words)
    folded = value.casefold()
    near = difflib.get_close_matches(folded, list(by_fold), n=n * 2, cutoff=0.6)
    near = near or [f for f in by_fold if len(folded) > 2 and f.startswith(folded[:3])]
    words = list(dict.fromkeys(by_fold[f] for f in near))[:n]
    if words:
        return " (did you mean " + ", ".join(f"“{w}”" for w in words) + "?)"
    return f" ({hint})" if hint else ""


@dataclass(frozen=True)
class Vocabulary:
    """What a filter may name: the database's topics, outlets and languages, and the code lists with their names
    (passed in: the names of countries, languages and categories are not the database's to know)."""
    topics: tuple[str, ...]
    outlets: tuple[str, ...]
    countries: Mapping[str, str]          # ISO 3166 alpha-2 code -> name
    languages: Mapping[str, str]          # ISO 639-1 code -> name
    categories: Mapping[str, str]         # category code -> label
    source_countries: tuple[str, ...] = ()   # codes of the outlets' countries (also ones outside `countries`)
    data_languages: tuple[str, ...] = ()     # languages of the stored articles and feeds
    country_aliases: Mapping[str, str] = dataclasses.field(default_factory=dict)   # "Turkey" -> TR: other names

    @cached_property
    def tables(self) -> dict[str, tuple[str, dict[str, str]]]:
        """Per Filters field: (what it is called in a message, folded spelling -> canonical value); built once per
        vocabulary (the dashboard checks its filters against one cached vocabulary on every rerun)."""
        countries = {**{name.casefold(): code for name, code in self.country_aliases.items()},
                     **_lookup(self.countries)}
        sources = {**countries, **{c.casefold(): c for c in self.source_countries}}
        languages = _lookup(self.languages, unique_names=True)
        languages.update({c.casefold(): c for c in self.data_languages})
        return {"countries": ("country", countries), "source_countries": ("source country", sources),
                "langs": ("language", languages), "categories": ("category", _lookup(self.categories)),
                "topics": ("topic", {t.casefold(): t for t in self.topics}),
                "outlets": ("outlet", {o.casefold(): o for o in self.outlets})}

    def spellings(self, field: str) -> dict[str, str]:
        """The valid spellings of `field`'s values, each with the words a suggestion shows: 'Azerbaijan (AZ)'."""
        mapping = {"countries": self.countries, "source_countries": self.countries, "langs": self.languages,
                   "categories": self.categories}.get(field)
        if mapping is None:
            return {v: v for v in (self.topics if field == "topics" else self.outlets)}
        words = {code: f"{name} ({code})" if name != code else code for code, name in mapping.items()}
        out = {**words, **{name: words[code] for code, name in mapping.items()}}
        extra = self.source_countries if field == "source_countries" else (
            self.data_languages if field == "langs" else ())
        return {**out, **{c: words.get(c, c) for c in extra}}

    def hint(self, field: str) -> str:
        """What to write instead, when nothing valid is near the value given."""
        if field in ("countries", "source_countries"):
            return "ISO 3166 codes such as AZ, or English names such as Azerbaijan"
        if field == "langs":
            return "ISO 639-1 codes such as " + ", ".join(self.data_languages[:5] or ("en",))
        values = {"topics": self.topics, "outlets": self.outlets, "categories": tuple(self.categories)}[field]
        return (f"{field}: " + ", ".join(values[:8]) + (", …" if len(values) > 8 else "")) if values else \
            f"there are no {field} yet"


def _lookup(names: Mapping[str, str], unique_names: bool = False) -> dict[str, str]:
    """Folded code or name -> code. unique_names: a name shared by two codes is left out (it is ambiguous)."""
    by_name: dict[str, list[str]] = {}
    for code, name in names.items():
        by_name.setdefault(name.casefold(), []).append(code)
    table = {name: codes[0] for name, codes in by_name.items() if len(codes) == 1 or not unique_names}
    table.update({f"{name} ({code})".casefold(): code for code, name in names.items()})   # as labels show them
    table.update({code.casefold(): code for code in names})
    return table


def vocabulary(conn: sqlite3.Connection, countries: Mapping[str, str], languages: Mapping[str, str],
               categories: Mapping[str, str], country_aliases: Mapping[str, str] | None = None) -> Vocabulary:
    """The Vocabulary of this database: its topics, outlets, outlets' countries and languages."""
    column = lambda sql: tuple(r[0] for r in conn.execute(sql).fetchall())  # noqa: E731
    rollup = has_table(conn, "daily_articles")
    data_languages = column("SELECT language FROM outlets WHERE language IS NOT NULL UNION "
                            "SELECT language FROM feeds WHERE language IS NOT NULL" +
                            (" UNION SELECT DISTINCT language FROM daily_articles WHERE language != ''"
                             if rollup else "") + " ORDER BY 1")
    return Vocabulary(column("SELECT name FROM topics ORDER BY name"), column("SELECT name FROM outlets ORDER BY name"),
                      countries, languages, categories,
                      column("SELECT DISTINCT country FROM outlets WHERE country IS NOT NULL ORDER BY 1"),
                      data_languages, country_aliases or {})


@dataclass(frozen=True)
class Filters:
    q: str = ""                                  # full-text query (db.search language)
    date_from: dt.date | None = None             # inclusive, UTC days
    date_to: dt.date | None = None               # inclusive
    outlets: tuple[str, ...] = ()
    langs: tuple[str, ...] = ()
    source_countries: tuple[str, ...] = ()       # where the outlet is based
    countries: tuple[str, ...] = ()              # countries in the story (any of them)
    topics: tuple[str, ...] = ()                 # topic names (any of them)
    categories: tuple[str, ...] = ()             # IPTC codes (any of them)
    countries_all: bool = False                  # several countries: all of them in the same story, not any

    @classmethod
    def make(cls, q: str | None = None, date_from: str | dt.date | None = None, date_to: str | dt.date | None = None,
             outlets: Sequence[str] = (), langs: Sequence[str] = (), source_countries: Sequence[str] = (),
             countries: Sequence[str] = (), topics: Sequence[str] = (), categories: Sequence[str] = (),
             countries_mode: str | None = None) -> Filters:
        """Filters from loose values (strings from a URL, a form or a command line), their form checked; the values
        themselves are checked against the database by `checked`."""
        start, end = parse_day(date_from, "from"), parse_day(date_to, "to")
        if start and end and start > end:
            raise QueryError(f"from ({start}) is after to ({end})")
        q = (q or "").strip()
        if q:
            try:
                compile_query(q)
            except QuerySyntaxError as exc:
                raise QueryError(f"bad full-text query: {exc.short}") from None
        mode = check_option("countries_mode", countries_mode, COUNTRIES_MODES) or "any"
        # with fewer than two countries "all" and "any" are the same filter (and the same rollups answer it)
        story = _codes(countries, str.upper)
        return cls(q, start, end, _names(outlets), _codes(langs, str.lower), _codes(source_countries, str.upper),
                   story, _names(topics), _codes(categories, str.lower), mode == "all" and len(story) > 1)

    @classmethod
    def from_values(cls, values: Mapping[str, object]) -> Filters:
        """Filters.make from loose values keyed by their URL names (FIELDS' param): a sequence (or None) for a
        repeatable field, one value (or None) for the others; a missing key is no filter."""
        return cls.make(**{f.arg: values.get(f.param) or (() if f.many else None) for f in FIELDS})

    @classmethod
    def from_params(cls, params: Mapping[str, str | Sequence[str]]) -> Filters:
        """Filters from a URL's parameters (one string or a list of them per name; the first counts for a single
        field)."""
        def values(key: str) -> list[str]:
            value = params.get(key, [])
            return [value] if isinstance(value, str) else list(value)

        return cls.from_values({f.param: values(f.param) if f.many else next(iter(values(f.param)), None)
                                for f in FIELDS})

    def to_params(self) -> dict[str, str | list[str]]:
        """The URL parameters of these filters (the URL contract), in FIELDS' order, without the empty ones."""
        out: dict[str, str | list[str]] = {}
        for f in FIELDS:
            value = getattr(self, f.name)
            if value is True:
                out[f.param] = "all"
            elif value:
                out[f.param] = list(value) if isinstance(value, tuple) else str(value)
        return out

    def sources_without_outlets(self, known: Vocabulary) -> tuple[str, ...]:
        """The source countries named that no outlet of the database is based in: valid, but nothing can match them."""
        return tuple(code for code in self.source_countries if code not in known.source_countries)

    def checked(self, known: Vocabulary) -> Filters:
        """The same filters with every value spelled as the database and the URL contract spell it (codes in capitals,
        a country or language name replaced by its code, names matched without regard to case); QueryError naming
        every value that matches nothing, with the closest valid ones, so that a view is never silently widened."""
        problems: list[str] = []
        resolved = {}
        for name, (what, table) in known.tables.items():
            values = []
            for value in getattr(self, name):
                match = table.get(value.casefold())
                if match is None:
                    problems.append(f"unknown {what} “{value}”"
                                    f"{closest(value, known.spellings(name), hint=known.hint(name))}")
                else:
                    values.append(match)
            resolved[name] = tuple(sorted(set(values)))
        if problems:
            raise QueryError("; ".join(problems))
        return dataclasses.replace(self, **resolved)

    def where(self, correlated: bool = False, dialect: str = "sqlite",
              topic_ids: Sequence[int] | None = None) -> tuple[str, list]:
        """SQL condition over `articles a` joined to `outlets o`, and its parameters.

        correlated: test the countries and topics of each article looked at (EXISTS) instead of collecting all
        their articles first (IN); faster when dates or an ORDER BY ... LIMIT bound how many are looked at.
        dialect: the engine's (db.engine.dialect); only the text search is written differently.
        topic_ids: the ids of the topics named, as read from the database (`where_in` reads them): the condition
        then names them instead of looking their names up."""
        postgres = dialect == "postgresql"
        clauses, params = ["true" if postgres else "1"], []
        if self.q and postgres:
            from db.postgres.text import tsquery

            clauses.append("a.search @@ CAST(? AS tsquery)")
            params.append(tsquery(self.q))
        elif self.q:
            clauses.append("a.id IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?)")
            params.append(compile_query(self.q))
        if self.date_from:
            clauses.append("a.published >= ?")
            params.append(self.date_from.isoformat())
        if self.date_to:
            clauses.append("a.published < ?")
            params.append(day_after(self.date_to))
        for f in FIELDS:
            values = getattr(self, f.name)
            if f.sql and values:
                clauses.append(f.sql.format(marks=_marks(values)))
                params.extend(values)
        if self.countries and self.countries_all:
            # one test per country: every one of them is named in the article
            for country in self.countries:
                clauses.append("EXISTS (SELECT 1 FROM article_countries fc WHERE fc.article_id = a.id AND "
                               "fc.country = ?)" if correlated else
                               "a.id IN (SELECT article_id FROM article_countries WHERE country = ?)")
                params.append(country)
        elif self.countries:
            clauses.append(f"EXISTS (SELECT 1 FROM article_countries fc WHERE fc.article_id = a.id AND fc.country IN "
                           f"({_marks(self.countries)}))" if correlated else
                           f"a.id IN (SELECT article_id FROM article_countries WHERE country IN "
                           f"({_marks(self.countries)}))")
            params.extend(self.countries)
        if self.topics and topic_ids is not None:
            ids = ", ".join(str(int(i)) for i in topic_ids) or "NULL"   # no id: no topic of that name, no article
            clauses.append(f"EXISTS (SELECT 1 FROM article_topics ft WHERE ft.article_id = a.id AND ft.topic_id IN "
                           f"({ids}))" if correlated else
                           f"a.id IN (SELECT article_id FROM article_topics WHERE topic_id IN ({ids}))")
        elif self.topics:
            clauses.append("EXISTS (SELECT 1 FROM article_topics ft JOIN topics tt ON tt.id = ft.topic_id WHERE "
                           f"ft.article_id = a.id AND tt.name IN ({_marks(self.topics)}))" if correlated else
                           "a.id IN (SELECT article_id FROM article_topics WHERE topic_id IN "
                           f"(SELECT id FROM topics WHERE name IN ({_marks(self.topics)})))")
            params.extend(self.topics)
        return " AND ".join(clauses), params


def where_in(conn: Connection, filters: Filters, correlated: bool = False) -> tuple[str, list]:
    """filters.where() for the engine of `conn`. PostgreSQL gets the topics by their ids, read here: its planner
    estimates a topic's articles from the id's statistics, where a lookup by name gets the average topic's (the
    Russia–Ukraine war's first page of stories read by a hash of all its articles: 34 ms, by the id 2 ms)."""
    engine = dialect(conn)
    ids = None
    if filters.topics and engine == POSTGRESQL:
        ids = [row[0] for row in conn.execute(f"SELECT id FROM topics WHERE name IN ({_marks(filters.topics)})",
                                              list(filters.topics)).fetchall()]
    return filters.where(correlated, engine, ids)
