"""Completeness: per outlet and day, whether it was collected — from the fetch log where feeds were polled, from
the articles themselves elsewhere (imported archives): each outlet's active range and its days far below its usual
output.

The counts come from the daily per-outlet rollup (schema migration 3), kept exact by its triggers, so this needs no
table of its own: an outlet's year is a few hundred rows."""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import json
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

import numpy as np

from db.engine import POSTGRESQL, dialect
from db.filters import Filters, _marks

# a day is incomplete when an outlet stored less than this share of its usual output for that weekday
LOW_SHARE = 0.15
# ... and its usual output is at least this many articles (below it, an empty day is ordinary, not a gap)
MIN_EXPECTED = 4.0
# the usual output: the median of the same weekday over this many weeks either side, inside the active range
WEEKS_AROUND = 4
# ... and for an empty day at least this share of the same weekday's median over the outlet's whole active range
FLOOR_SHARE = 0.5
# an outlet whose first (last) article is this many days after the first (before the last) of the whole
# database started (stopped) inside the period; a shorter lead is ordinary quiet, not a feed that came or went
STARTED_STOPPED_DAYS = 14

COLLECTED, INCOMPLETE, NONE, INACTIVE = "collected", "incomplete", "none", "inactive"


@dataclass(frozen=True)
class OutletRange:
    """An outlet's active range: the first and last day with articles (UTC), and how it relates to the database's."""
    outlet_id: int
    name: str
    country: str | None
    first: dt.date
    last: dt.date
    started: bool   # its first article came well after the database's first
    stopped: bool   # its last article came well before the database's last

    def describe(self) -> str:
        """'started 2023-10-02', 'stopped after 2023-08-31', 'from 2023-10-02 to 2023-11-30' or 'active'."""
        if self.started and self.stopped:
            return f"only {self.first} to {self.last}"
        if self.started:
            return f"started {self.first}"
        if self.stopped:
            return f"stopped after {self.last}"
        return "active"


@dataclass(frozen=True)
class Gap:
    """One outlet's day of incomplete collection: `n` articles stored where about `expected` were usual."""
    day: dt.date
    outlet_id: int
    name: str
    n: int
    expected: float
    reason: str     # 'failed' (every fetch of its feeds failed), 'none' (no article) or 'low' (far below usual)


# a day of short collection: the day, the outlets short (most missing first), the articles they missed
ShortDay = tuple[dt.date, tuple[str, ...], float]


@dataclass(frozen=True)
class Scope:
    """Which outlets and languages a view covers (empty: all)."""
    outlets: tuple[str, ...] = ()
    source_countries: tuple[str, ...] = ()
    langs: tuple[str, ...] = ()


def scope_of(filters: Filters) -> Scope:
    """The outlets and languages a filtered view covers (its content filters do not change what was collected)."""
    return Scope(filters.outlets, filters.source_countries, filters.langs)


def _outlet_clause(scope: Scope, column: str) -> tuple[str, list]:
    clauses, params = [], []
    for field, values in (("name", scope.outlets), ("country", scope.source_countries)):
        if values:
            clauses.append(f"{column} IN (SELECT id FROM outlets WHERE {field} IN ({_marks(values)}))")
            params.extend(values)
    return " AND ".join(clauses) or "1 = 1", params


class DayCounts(Mapping[dt.date, int]):
    """One outlet's articles per day: the days as ordinals (date.toordinal, ascending) and their counts, in numpy
    arrays, which the gap finding reads whole; as a mapping of date → count for what looks days up one by one."""

    def __init__(self, ordinals: np.ndarray, counts: np.ndarray) -> None:
        order = np.argsort(ordinals, kind="stable")
        self.ordinals, self.counts = ordinals[order], counts[order]

    @classmethod
    def of(cls, days: Mapping[dt.date, int]) -> DayCounts:
        return cls(np.fromiter((d.toordinal() for d in days), dtype=np.int64, count=len(days)),
                   np.fromiter(days.values(), dtype=np.int64, count=len(days)))

    @functools.cached_property
    def _by_day(self) -> dict[dt.date, int]:
        return dict(zip(map(dt.date.fromordinal, self.ordinals.tolist()), self.counts.tolist(), strict=True))

    def __getitem__(self, day: dt.date) -> int:
        return self._by_day[day]

    def __iter__(self) -> Iterator[dt.date]:
        return iter(self._by_day)

    def __len__(self) -> int:
        return len(self.ordinals)

    @property
    def total(self) -> int:
        """All the outlet's articles."""
        return int(self.counts.sum())

    @property
    def first(self) -> dt.date:
        return dt.date.fromordinal(int(self.ordinals[0]))

    @property
    def last(self) -> dt.date:
        return dt.date.fromordinal(int(self.ordinals[-1]))

    def array(self, first: dt.date, span: int) -> np.ndarray:
        """The counts of the `span` days from `first` (0 on a day without articles), as floats."""
        out = np.zeros(span)
        offsets = self.ordinals - first.toordinal()
        inside = (offsets >= 0) & (offsets < span)
        out[offsets[inside]] = self.counts[inside]
        return out


def daily_counts(conn: sqlite3.Connection, scope: Scope = Scope()) -> dict[int, DayCounts]:
    """Articles per outlet and day (UTC) over all time, for the outlets and languages of `scope`."""
    where, params = _outlet_clause(scope, "outlet_id")
    if scope.langs:
        where += f" AND language IN ({_marks(scope.langs)})"
        params.extend(scope.langs)
    # one row per outlet, its days and counts as two JSON arrays of integers: the drivers hand over a few dozen rows,
    # not ten thousand, each array is parsed in C, and no day is parsed as a date in Python (at 4.8M articles that
    # was most of a Coverage page's time). Days as ordinals (cast: PostgreSQL sums bigints as numeric, which its
    # driver converts value by value).
    if dialect(conn) == POSTGRESQL:
        ordinal, arrays = "CAST(day AS date) - DATE '0001-01-01' + 1", "json_agg(o), json_agg(n)"
    else:
        ordinal, arrays = "CAST(julianday(day) - 1721424.5 AS INTEGER)", "json_group_array(o), json_group_array(n)"
    counts: dict[int, DayCounts] = {}
    for outlet_id, days, ns in conn.execute(f"SELECT outlet_id, {arrays} FROM (SELECT outlet_id, {ordinal} AS o, "
                                            f"CAST(sum(n) AS bigint) AS n FROM daily_articles WHERE outlet_id != 0 "
                                            f"AND {where} GROUP BY outlet_id, day HAVING sum(n) > 0) AS d "
                                            "GROUP BY outlet_id", params):
        counts[outlet_id] = DayCounts(*(np.array(json.loads(v) if isinstance(v, str) else v, dtype=np.int64)
                                        for v in (days, ns)))
    return counts


def database_days(conn: sqlite3.Connection) -> tuple[dt.date, dt.date] | None:
    """The first and last day with articles in the whole database (any outlet)."""
    # min and max apart: each one probe of the rollup's day-first key
    first = conn.execute("SELECT min(day) FROM daily_articles").fetchone()[0]
    last = conn.execute("SELECT max(day) FROM daily_articles").fetchone()[0]
    return (dt.date.fromisoformat(first), dt.date.fromisoformat(last)) if first else None


def _names(conn: sqlite3.Connection) -> dict[int, tuple[str, str | None]]:
    return {r[0]: (r[1], r[2]) for r in conn.execute("SELECT id, name, country FROM outlets")}


def active_ranges(conn: sqlite3.Connection, scope: Scope = Scope(),
                  counts: dict[int, DayCounts] | None = None) -> list[OutletRange]:
    """Every outlet of `scope` that has articles, with its active range; by name."""
    counts = daily_counts(conn, scope) if counts is None else counts
    whole = database_days(conn) if counts else None
    if whole is None:
        return []
    first_all, last_all = whole
    lead = dt.timedelta(days=STARTED_STOPPED_DAYS)
    names = _names(conn)
    ranges = []
    for outlet_id, days in counts.items():
        first, last = days.first, days.last
        name, country = names.get(outlet_id, (f"outlet {outlet_id}", None))
        ranges.append(OutletRange(outlet_id, name, country, first, last, first - first_all >= lead,
                                  last_all - last >= lead))
    return sorted(ranges, key=lambda r: r.name.casefold())


def _expected(counts: np.ndarray) -> np.ndarray:
    """Per outlet (row) and day of `counts` (NaN outside the outlet's active range), the median of the same weekday
    over WEEKS_AROUND weeks either side, inside the range."""
    outlets, span = counts.shape
    # day i's window: days i + 7k for |k| <= WEEKS_AROUND that fall inside the range (NaN outside)
    reach = 7 * WEEKS_AROUND
    padded = np.pad(counts, ((0, 0), (reach, reach)), constant_values=np.nan)
    window = np.stack([padded[:, reach + 7 * k:reach + 7 * k + span] for k in range(-WEEKS_AROUND, WEEKS_AROUND + 1)],
                      axis=2)
    local = _medians(window.reshape(outlets * span, -1)).reshape(outlets, span)
    # an outage of weeks empties the local window: an empty day where half the weekday's median over the whole
    # range is still usual output is a gap too (only an empty one: a feed whose level changed is not low)
    weeks = np.pad(counts, ((0, 0), (0, -span % 7)), constant_values=np.nan).reshape(outlets, -1, 7)
    whole = _medians(weeks.transpose(0, 2, 1).reshape(outlets * 7, -1)).reshape(outlets, 7)[:, np.arange(span) % 7]
    return np.where(counts == 0, np.maximum(local, FLOOR_SHARE * whole), local)


def _medians(rows: np.ndarray) -> np.ndarray:
    """The median of each row's numbers, leaving out its NaNs (a row of NaNs only: NaN), without numpy's per-row
    cost of nanmedian: the rows are sorted at once, NaNs last."""
    ordered = np.sort(rows, axis=1)
    valid = np.count_nonzero(~np.isnan(ordered), axis=1)
    index = np.arange(len(ordered))
    with np.errstate(invalid="ignore"):
        return (ordered[index, np.maximum(valid - 1, 0) // 2] + ordered[index, valid // 2]) / 2


def _failed_days(conn: sqlite3.Connection, scope: Scope) -> tuple[dict[int, set[dt.date]], dict[int, set[dt.date]]]:
    """Per outlet, the days its feeds were polled, and the days on which every fetch of all its feeds failed."""
    where, params = _outlet_clause(scope, "f.outlet_id")
    polled: dict[int, set[dt.date]] = defaultdict(set)
    failed: dict[int, set[dt.date]] = defaultdict(set)
    sql = ("SELECT f.outlet_id, substr(fl.started_at, 1, 10), sum(CASE WHEN fl.outcome != 'error' THEN 1 ELSE 0 END) "
           "FROM fetch_log fl "
           f"JOIN feeds f ON f.id = fl.feed_id WHERE f.outlet_id IS NOT NULL AND {where} GROUP BY 1, 2")
    for outlet_id, day, succeeded in conn.execute(sql, params):
        polled[outlet_id].add(dt.date.fromisoformat(day))
        if not succeeded:
            failed[outlet_id].add(dt.date.fromisoformat(day))
    return polled, failed


def outlet_gaps(counts: Mapping[int, Mapping[dt.date, int]], ranges: Iterable[OutletRange],
                polled: dict[int, set[dt.date]], failed: dict[int, set[dt.date]]) -> list[Gap]:
    """The incomplete days of each outlet inside its active range (pure: the tests feed it counts directly)."""
    ranges = list(ranges)
    if not ranges:
        return []
    # every outlet at once: a row each over the days of all their ranges, NaN outside the outlet's own
    origin = min(r.first for r in ranges)
    stored = np.full((len(ranges), (max(r.last for r in ranges) - origin).days + 1), np.nan)
    for row, rng in enumerate(ranges):
        first, span = (rng.first - origin).days, (rng.last - rng.first).days + 1
        stored[row, first:first + span] = _as_array(counts.get(rng.outlet_id, {}), rng.first, span)
    usual = _expected(stored)
    with np.errstate(invalid="ignore"):
        low = (usual >= MIN_EXPECTED) & (stored < LOW_SHARE * usual)
    flagged: dict[int, set[dt.date]] = defaultdict(set)
    for row, offset in zip(*np.nonzero(low), strict=True):
        flagged[int(row)].add(origin + dt.timedelta(days=int(offset)))
    gaps = []
    for row, rng in enumerate(ranges):
        fails = failed.get(rng.outlet_id, set())
        marked = (flagged[row] - polled.get(rng.outlet_id, set())) | {d for d in fails if rng.first <= d <= rng.last}
        for day in marked:   # inside the outlet's range: its stored count is a number there
            offset = (day - origin).days
            n, expected = int(stored[row, offset]), float(usual[row, offset])
            reason = "failed" if day in fails else "none" if n == 0 else "low"
            gaps.append(Gap(day, rng.outlet_id, rng.name, n, expected, reason))
    return sorted(gaps, key=lambda g: (g.day, g.name.casefold()))


def _as_array(days: Mapping[dt.date, int], first: dt.date, span: int) -> np.ndarray:
    """The counts of `span` days from `first` (the tests pass plain dicts)."""
    return (days if isinstance(days, DayCounts) else DayCounts.of(days)).array(first, span)


@dataclass(frozen=True)
class Completeness:
    """What a view needs to know: the outlets' active ranges and their incomplete days."""
    ranges: list[OutletRange]
    gaps: list[Gap]
    counts: dict[int, DayCounts]

    def ready(self) -> Completeness:
        """This result with the lookups a page makes on every visit computed: a cache that hands out copies
        (Streamlit's pickles) then copies them too, instead of each visit grouping ten years of days again."""
        _ = self._short, self._per_day
        return self

    @functools.cached_property
    def _per_day(self) -> dict[int, int]:
        days = [c.ordinals for c in self.counts.values()]
        if not days:
            return {}
        ordinals, inverse = np.unique(np.concatenate(days), return_inverse=True)
        totals = np.bincount(inverse, weights=np.concatenate([c.counts for c in self.counts.values()]))
        return dict(zip(ordinals.tolist(), totals.astype(np.int64).tolist(), strict=True))

    def stored_on(self, day: dt.date) -> int:
        """Articles stored on `day` by all the outlets."""
        return self._per_day.get(day.toordinal(), 0)

    @functools.cached_property
    def _short(self) -> tuple[list[int], list[ShortDay]]:
        by_day: dict[dt.date, list[Gap]] = {}
        for gap in self.gaps:
            if gap.reason != "failed":
                by_day.setdefault(gap.day, []).append(gap)
        days = sorted(by_day)
        return [day.toordinal() for day in days], [
            (day, tuple(g.name for g in sorted(by_day[day], key=lambda g: g.n - g.expected)),
             sum(max(g.expected - g.n, 0.0) for g in by_day[day])) for day in days]

    def short_days(self, start: dt.date | None, end: dt.date | None) -> list[ShortDay]:
        """The days start..end on which outlets stored fewer articles than usual (failed fetches aside), in order:
        each with those outlets, most missing first, and how many articles they missed. Grouped once per result:
        ten years of an outlet set are some 10,000 such outlet days, and a page asks on every visit."""
        ordinals, days = self._short
        low = 0 if start is None else bisect.bisect_left(ordinals, start.toordinal())
        high = len(days) if end is None else bisect.bisect_right(ordinals, end.toordinal())
        return days[low:high]

    def within(self, start: dt.date | None, end: dt.date | None) -> list[Gap]:
        return [g for g in self.gaps if (start is None or g.day >= start) and (end is None or g.day <= end)]

    def changed_within(self, start: dt.date | None, end: dt.date | None) -> list[OutletRange]:
        """The outlets that started or stopped inside start..end (a comparison over it mixes periods)."""
        inside = lambda day: (start is None or day > start) and (end is None or day <= end)  # noqa: E731
        return [r for r in self.ranges if (r.started and inside(r.first)) or
                (r.stopped and inside(r.last + dt.timedelta(days=1)))]

    def calendar(self, start: dt.date, end: dt.date) -> list[tuple[int, dt.date, str, int]]:
        """(outlet_id, day, state, articles) for every outlet and day start..end; state is collected, incomplete
        (failed fetches or far below usual), none (no article) or inactive (outside its range)."""
        gaps = {(g.outlet_id, g.day): g for g in self.gaps}
        rows = []
        for rng in self.ranges:
            days = self.counts.get(rng.outlet_id, {})
            day = start
            while day <= end:
                n = days.get(day, 0)
                gap = gaps.get((rng.outlet_id, day))
                if not rng.first <= day <= rng.last:
                    state = INACTIVE
                elif n == 0:  # shown even where an empty day is ordinary for the outlet: the cell says what is stored
                    state = NONE
                else:
                    state = COLLECTED if gap is None else INCOMPLETE
                rows.append((rng.outlet_id, day, state, n))
                day += dt.timedelta(days=1)
        return rows


def completeness(conn: sqlite3.Connection, scope: Scope = Scope()) -> Completeness:
    """The active ranges and incomplete days of the outlets (and languages) of `scope`, over all time."""
    counts = daily_counts(conn, scope)
    ranges = active_ranges(conn, scope, counts)
    polled, failed = _failed_days(conn, scope)
    return Completeness(ranges, outlet_gaps(counts, ranges, polled, failed), counts)
