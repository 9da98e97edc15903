"""The filter model: one description of "which articles", shared by the CLI export, the app and the tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields

from db.search import QuerySyntaxError, compile_query


class QueryError(ValueError):
    """A filter value that cannot be used; the message says which and why."""


def parse_day(value: str | dt.date | None, name: str) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value.strip())
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


def _codes(values: Sequence[str], upper: bool) -> tuple[str, ...]:
    cleaned = (v.strip() for v in values if v and v.strip())
    return tuple(sorted({v.upper() if upper else v.lower() for v in cleaned}))


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

    @classmethod
    def make(cls, q: str | None = None, date_from: str | dt.date | None = None, date_to: str | dt.date | None = None,
             outlets: Sequence[str] = (), langs: Sequence[str] = (), source_countries: Sequence[str] = (),
             countries: Sequence[str] = (), topics: Sequence[str] = (), categories: Sequence[str] = ()) -> Filters:
        """Validated filters from loose values (strings from a URL, a form or a command line)."""
        start, end = parse_day(date_from, "from"), parse_day(date_to, "to")
        if start and end and start > end:
            raise QueryError(f"from ({start}) is after to ({end})")
        q = (q or "").strip()
        if q:
            try:
                compile_query(q)
            except QuerySyntaxError as exc:
                raise QueryError(f"bad full-text query: {exc.short}") from None
        return cls(q, start, end, _names(outlets), _codes(langs, upper=False), _codes(source_countries, upper=True),
                   _codes(countries, upper=True), _names(topics), _codes(categories, upper=False))

    # URL contract: q, topic, category, country, source, outlet, lang (the lists repeatable), from, to
    _PARAMS = {"q": "q", "date_from": "from", "date_to": "to", "outlets": "outlet", "langs": "lang",
               "source_countries": "source", "countries": "country", "topics": "topic", "categories": "category"}

    @classmethod
    def from_params(cls, params: Mapping[str, str | Sequence[str]]) -> Filters:
        def many(key: str) -> list[str]:
            value = params.get(key, [])
            return [value] if isinstance(value, str) else list(value)

        def one(key: str) -> str | None:
            values = many(key)
            return values[0] if values else None

        return cls.make(one("q"), one("from"), one("to"), many("outlet"), many("lang"), many("source"),
                        many("country"), many("topic"), many("category"))

    def to_params(self) -> dict[str, str | list[str]]:
        out: dict[str, str | list[str]] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value:
                key = self._PARAMS[f.name]
                out[key] = list(value) if isinstance(value, tuple) else str(value)
        return out

    def where(self, correlated: bool = False) -> tuple[str, list]:
        """SQL condition over `articles a` joined to `outlets o`, and its parameters.

        correlated: test the countries and topics of each article looked at (EXISTS) instead of collecting all
        their articles first (IN); faster when dates or an ORDER BY ... LIMIT bound how many are looked at."""
        clauses, params = ["1"], []
        if self.q:
            clauses.append("a.id IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?)")
            params.append(compile_query(self.q))
        if self.date_from:
            clauses.append("a.published >= ?")
            params.append(self.date_from.isoformat())
        if self.date_to:
            clauses.append("a.published < ?")
            params.append(day_after(self.date_to))
        for column, values in (("o.name", self.outlets), ("a.language", self.langs),
                               ("o.country", self.source_countries), ("a.category", self.categories)):
            if values:
                clauses.append(f"{column} IN ({_marks(values)})")
                params.extend(values)
        if self.countries:
            clauses.append(f"EXISTS (SELECT 1 FROM article_countries fc WHERE fc.article_id = a.id AND fc.country IN "
                           f"({_marks(self.countries)}))" if correlated else
                           f"a.id IN (SELECT article_id FROM article_countries WHERE country IN "
                           f"({_marks(self.countries)}))")
            params.extend(self.countries)
        if self.topics:
            clauses.append("EXISTS (SELECT 1 FROM article_topics ft JOIN topics tt ON tt.id = ft.topic_id WHERE "
                           f"ft.article_id = a.id AND tt.name IN ({_marks(self.topics)}))" if correlated else
                           "a.id IN (SELECT article_id FROM article_topics WHERE topic_id IN "
                           f"(SELECT id FROM topics WHERE name IN ({_marks(self.topics)})))")
            params.extend(self.topics)
        return " AND ".join(clauses), params
