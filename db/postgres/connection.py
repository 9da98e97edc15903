"""A psycopg connection dressed as the sqlite3 connection db/ code uses: `?` placeholders, rows by index and name."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import lru_cache
from typing import Any

import psycopg
from psycopg.adapt import Loader
from psycopg.rows import RowMaker

DIALECT = "postgresql"
# quoted strings, quoted names and comments are copied as they are; `?` outside them is a placeholder
_SQL_PART = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*|/\*.*?\*/|::|:[A-Za-z_]\w*|\?|%", re.DOTALL)


@lru_cache(maxsize=4096)
def translate(sql: str) -> str:
    """sqlite3's placeholders as psycopg's (`?` as `%s`, `:name` as `%(name)s`), and a literal `%` doubled (psycopg
    reads `%` as a placeholder); PostgreSQL's `::` casts stay."""
    def part(match: re.Match) -> str:
        text = match.group(0)
        if text == "?":
            return "%s"
        if text.startswith(":") and text != "::":
            return f"%({text[1:]})s"
        if text == "%":
            return "%%"
        return text.replace("%", "%%") if text[0] in "'\"" else text
    return _SQL_PART.sub(part, sql)


class Row(tuple):
    """A result row read by position or by column name, like sqlite3.Row."""

    _names: tuple[str, ...] = ()

    def __getitem__(self, key: Any) -> Any:  # type: ignore[override]
        if isinstance(key, str):
            try:
                return tuple.__getitem__(self, self._names.index(key))
            except ValueError:
                raise IndexError(f"no column {key!r}") from None
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._names)


def _row_factory(cursor: psycopg.Cursor) -> RowMaker[Row]:
    names = tuple(d.name for d in cursor.description or ())
    return type("Row", (Row,), {"_names": names, "__slots__": ()})   # the class makes each row: no call between


class _NumberLoader(Loader):
    """numeric (what sum() of integers gives) as int or float, the numbers SQLite gives, not Decimal."""

    def load(self, data) -> int | float:
        text = bytes(data).decode()
        return int(text) if text.lstrip("-").isdigit() else float(text)


class Cursor:
    """The part of sqlite3.Cursor that db/ uses."""

    def __init__(self, cursor: psycopg.Cursor):
        self._cursor = cursor

    @property
    def lastrowid(self) -> int | None:
        """The id the last INSERT of this connection drew from an identity column (read at once, as sqlite3 code
        does: `execute(…).lastrowid`); None if none has. An id given in the INSERT itself is not seen: new code
        writes RETURNING id, on both engines."""
        conn = self._cursor.connection
        try:
            with conn.transaction(), conn.cursor() as cursor:   # a savepoint: a failure leaves the caller's transaction
                return cursor.execute("SELECT lastval()").fetchone()[0]
        except psycopg.errors.ObjectNotInPrerequisiteState:
            return None

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def description(self):
        return self._cursor.description

    def fetchone(self) -> Row | None:
        return self._cursor.fetchone() if self._cursor.description else None

    def fetchall(self) -> list[Row]:
        return self._cursor.fetchall() if self._cursor.description else []

    def fetchmany(self, size: int) -> list[Row]:
        return self._cursor.fetchmany(size)

    def __iter__(self) -> Iterator[Row]:
        return iter(self._cursor) if self._cursor.description else iter(())

    def close(self) -> None:
        self._cursor.close()


class PgConnection:
    """A PostgreSQL connection in autocommit mode (as db/ opens SQLite: isolation_level=None), so that
    db.schema.transaction's BEGIN … COMMIT marks every transaction."""

    dialect = DIALECT

    def __init__(self, raw: psycopg.Connection, url: str):
        self.raw, self.url = raw, url

    @classmethod
    def open(cls, url: str) -> PgConnection:
        # UTC, as every stored time is (and as SQLite's 'now' is). No JIT compilation: the planner estimates a
        # dashboard aggregate over the full corpus above jit_above_cost, and compiling it took longer than it saved
        # (a page visit of the 2023 corpus: 10-30% of its time). Index reads priced near sequential ones (the default
        # random_page_cost, 4, assumes spinning disks): a view's few thousand rows were joined to their countries by a
        # scan of every article's countries (the shared stories of sport by country, 40 → 19 ms at 477k).
        # values are bound on this side (ClientCursor), as literals: SQLite's untyped `? IS NULL` then runs, where a
        # server-side parameter would have no type PostgreSQL could infer
        raw = psycopg.connect(url, autocommit=True, row_factory=_row_factory, cursor_factory=psycopg.ClientCursor,
                              options="-c TimeZone=UTC -c jit=off -c random_page_cost=1.1")
        raw.adapters.register_loader("numeric", _NumberLoader)
        return cls(raw, url)

    def execute(self, sql: str, params: Sequence | Mapping | None = None) -> Cursor:
        cursor = self.raw.cursor()
        cursor.execute(translate(sql), params if params else None)
        return Cursor(cursor)

    def executemany(self, sql: str, seq: Iterable[Sequence | Mapping]) -> Cursor:
        cursor = self.raw.cursor()
        cursor.executemany(translate(sql), list(seq))
        return Cursor(cursor)

    def commit(self) -> None:
        self.raw.execute("COMMIT") if self.in_transaction else None

    def rollback(self) -> None:
        self.raw.execute("ROLLBACK") if self.in_transaction else None

    @property
    def in_transaction(self) -> bool:
        return self.raw.info.transaction_status != psycopg.pq.TransactionStatus.IDLE

    def close(self) -> None:
        self.raw.close()
