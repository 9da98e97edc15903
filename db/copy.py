"""`newsradar db copy`: one database into another, SQLite to PostgreSQL or back, in batches, resumable, verified.

Each table is copied in the order of its key, a batch per transaction; a copy that stops (killed, a lost
connection) is run again and goes on after the last key the target holds, so that nothing is copied twice. The
target's rollup triggers stand aside (bulk_load, as in a backfill) and the rollups are copied as they are, except
daily_country_totals, which the target's triggers sum from daily_countries, and daily_feeds, which they count from
the links of articles to feeds. The text index is the target's own:
SQLite's articles_fts or PostgreSQL's articles.search, written from the copied titles and descriptions. Copy from
a database nothing writes to meanwhile (stop the collector): what is written behind the copy's position is not
seen."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from db import rollups, stories
from db.engine import POSTGRESQL, Connection, dialect
from db.schema import schema_version, transaction
from db.tags import countries_by_article

# table -> its key, in the order the tables are copied (a row's references before it)
TABLES: dict[str, tuple[str, ...]] = {
    "outlets": ("id",), "feeds": ("id",), "topics": ("id",), "articles": ("id",),
    "article_feeds": ("article_id", "feed_id"), "article_links": ("norm_link",),
    "article_countries": ("article_id", "country"), "article_topics": ("topic_id", "article_id"),
    "fetch_log": ("id",), "tagger": ("id",), "users": ("name",), "sign_in_failures": ("name", "address"),
    "sign_in_address_failures": ("address",), "saved_views": ("id",), "service_runs": ("id",),
    "service_exits": ("id",), "article_stories": ("article_id",),
    "alert_rules": ("id",), "alert_periods": ("rule_id", "period"), "alert_deliveries": ("id",),
    "daily_articles": ("day", "outlet_id", "language"),
    "daily_categories": ("category", "day", "outlet_id", "language"),
    "daily_category_countries": ("category", "day", "country", "outlet_id", "language"),
    "daily_countries": ("day", "country", "outlet_id", "language"),
    "daily_topics": ("day", "topic_id", "outlet_id", "language"),
    "daily_topic_countries": ("topic_id", "day", "country", "outlet_id", "language"),
    "daily_country_pairs": ("country", "day", "mentioned", "outlet_id", "language"),
}
# counted by the target's triggers, checked like the others
DERIVED = ("daily_country_totals", "daily_feeds", "shared_stories", "story_repeats", "story_repeat_days")
BATCH = 5_000


class CopyError(RuntimeError):
    """A copy that cannot be made; the message says why."""


@dataclass(frozen=True)
class Count:
    table: str
    source: int
    target: int

    @property
    def same(self) -> bool:
        return self.source == self.target


def columns(conn: Connection, table: str) -> list[str]:
    """The table's columns, in their order."""
    if dialect(conn) == POSTGRESQL:
        rows = conn.execute("SELECT column_name FROM information_schema.columns WHERE table_schema = "
                            "current_schema() AND table_name = ? ORDER BY ordinal_position", (table,)).fetchall()
    else:
        rows = conn.execute("SELECT name FROM pragma_table_info(?)", (table,)).fetchall()
    return [r[0] for r in rows]


def _key(conn: Connection, keys: tuple[str, ...]) -> str:
    """The key as the copy orders it: byte order for text on either engine (PostgreSQL sorts by its collation)."""
    postgres = dialect(conn) == POSTGRESQL
    return ", ".join(k if k == "id" or k.endswith("_id") or not postgres else f'{k} COLLATE "C"' for k in keys)


def _last(conn: Connection, table: str, keys: tuple[str, ...]) -> tuple | None:
    order = ", ".join(f"{k} DESC" for k in _key(conn, keys).split(", "))
    row = conn.execute(f"SELECT {', '.join(keys)} FROM {table} ORDER BY {order} LIMIT 1").fetchone()
    return tuple(row) if row else None


def _batches(source: Connection, table: str, keys: tuple[str, ...], cols: list[str], after: tuple | None,
             size: int) -> Iterator[list[tuple]]:
    key = _key(source, keys)
    while True:
        where = f"WHERE ({key}) > ({', '.join('?' * len(keys))})" if after else ""
        rows = source.execute(f"SELECT {', '.join(cols)} FROM {table} {where} ORDER BY {key} LIMIT {size}",
                              after or ()).fetchall()
        if not rows:
            return
        yield [tuple(r) for r in rows]
        after = tuple(rows[-1][cols.index(k)] for k in keys)


def _with_countries(source: Connection, rows: list[tuple], id_column: int) -> list[tuple]:
    """Each article row with its countries in the source (sorted, None for none), as PostgreSQL's row keeps them."""
    ids = [r[id_column] for r in rows]
    found = countries_by_article(tuple(row) for row in source.execute(
        "SELECT article_id, country FROM article_countries WHERE article_id BETWEEN ? AND ?", (min(ids), max(ids))))
    return [(*r, found.get(r[id_column])) for r in rows]


def _write(target: Connection, table: str, cols: list[str], rows: list[tuple]) -> None:
    """One batch in one transaction, the rollup triggers aside; the target's text index written beside articles."""
    postgres = dialect(target) == POSTGRESQL
    marks = ["?"] * len(cols)   # (SQLite)
    if postgres and table == "articles":
        from db.postgres.text import tsvector

        title, description = cols.index("title"), cols.index("description")
        rows = [(*r, tsvector(r[title], r[description])) for r in rows]
        cols = [*cols, "search"]
    with transaction(target):
        target.execute("INSERT INTO bulk_load (flag) VALUES (1)")
        if postgres:   # COPY: a batch is atomic and the copy resumes after the target's last key, so no row is there
            with target.raw.cursor().copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as stream:
                for row in rows:
                    stream.write_row(row)
        else:
            target.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join(marks)}) "
                               "ON CONFLICT DO NOTHING", rows)
        if table == "articles" and not postgres:
            ids = [r[cols.index("id")] for r in rows]
            target.execute("INSERT INTO articles_fts (rowid, title, description) SELECT id, fts_text(title), "
                           "fts_text(description) FROM articles WHERE id BETWEEN ? AND ?", (min(ids), max(ids)))
        if table == "article_stories":   # their shared rows and repeats: the row triggers stood aside
            article, story = cols.index("article_id"), cols.index("story_id")
            grouped = [(r[article], r[story]) for r in rows if r[article] != r[story]]
            stories.share(target, grouped)
            rollups.recount_stories(target, {pair[1] for pair in grouped})
        target.execute("DELETE FROM bulk_load")


def _identities(target: Connection) -> None:
    """PostgreSQL's id sequences past the copied ids (SQLite takes max(id) + 1 by itself)."""
    if dialect(target) != POSTGRESQL:
        return
    for table, keys in TABLES.items():
        if keys == ("id",) and table != "tagger":
            target.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                           f"coalesce((SELECT max(id) FROM {table}), 0) + 1, false)")


def counts(source: Connection, target: Connection) -> list[Count]:
    return [Count(t, source.execute(f"SELECT count(*) FROM {t}").fetchone()[0],
                  target.execute(f"SELECT count(*) FROM {t}").fetchone()[0]) for t in (*TABLES, *DERIVED)]


def copy(source: Connection, target: Connection, batch: int = BATCH,
         progress: Callable[[str, int], None] | None = None) -> list[Count]:
    """Copy every table of `source` into `target` (both at the same schema version), going on where an earlier
    copy stopped; returns the per-table counts of both (CopyError if they differ)."""
    if dialect(source) == dialect(target) and getattr(source, "url", 1) == getattr(target, "url", 2):
        raise CopyError("the source and the target are the same database")
    # the source is read only, so never migrated here: an older one lacks the newer tables the copy writes
    older, newer = schema_version(source), schema_version(target)
    if older != newer:
        raise CopyError(f"the source has schema version {older} and the target {newer}: open the source once with "
                        "this newsradar (for instance `newsradar --db SOURCE stats`), which brings it up to date, "
                        "then copy again")
    for table, keys in TABLES.items():
        target_cols = set(columns(target, table))
        cols = [c for c in columns(source, table) if c in target_cols and c != "search"]
        after = _last(target, table, keys)
        # into PostgreSQL from SQLite: the articles' countries written with their rows (migration 35), not by its
        # triggers rewriting every article's row when the country rows follow
        countries = table == "articles" and "countries" in target_cols and "countries" not in cols
        for rows in _batches(source, table, keys, cols, after, batch):
            if countries:
                _write(target, table, [*cols, "countries"], _with_countries(source, rows, cols.index("id")))
            else:
                _write(target, table, cols, rows)
            if progress:
                progress(table, len(rows))
    _identities(target)
    if dialect(target) == POSTGRESQL:   # the planner's statistics, and the GIN index's pending list merged (a search
        target.execute(f"VACUUM (ANALYZE) {', '.join(TABLES)}")   # waits on a long one: 100× slower until VACUUM)
    result = counts(source, target)
    different = [c for c in result if not c.same]
    if different:
        raise CopyError("the copy differs from its source: " + ", ".join(
            f"{c.table} {c.target:,} rows of {c.source:,}" for c in different))
    return result
