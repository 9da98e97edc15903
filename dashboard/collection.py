"""What the pages say about collection: a view's incomplete days, outlets collected over only part of its period,
and each outlet's calendar (shaped from db.completeness; no SQL and no Streamlit here)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pandas as pd

from dashboard.labels import md_escape
from db.completeness import INACTIVE, Completeness, Gap, OutletRange
from db.filters import Filters

GAP_COLUMNS = ["day", "outlets", "stored", "usual", "missing", "nothing"]
NAMED_DAYS = 3       # partial days named in the note (the worst first)
NAMED_OUTLETS = 6    # outlets named in the note on changing ranges


def period(result: Completeness, filters: Filters) -> tuple[dt.date | None, dt.date | None]:
    """The days a view shows: its filter's dates, else the days of its outlets' articles."""
    start = filters.date_from or min((r.first for r in result.ranges), default=None)
    end = filters.date_to or max((r.last for r in result.ranges), default=None)
    return start, end


def gap_days(result: Completeness, filters: Filters) -> pd.DataFrame:
    """The view's days with incomplete collection judged from the articles (the fetch log's failures are the outage
    shading): columns day (ISO), outlets (names, most missing first), stored (articles that day), usual (their usual
    output), missing (share of the day's usual output not collected, 0–1), nothing (no article at all)."""
    rows = []
    for day, names, lost in result.short_days(filters.date_from, filters.date_to):
        stored = result.stored_on(day)
        rows.append((day.isoformat(), names, stored, round(lost + stored), lost / max(lost + stored, 1.0),
                     stored == 0))
    return pd.DataFrame(rows, columns=GAP_COLUMNS)


def day_spans(days: list[str]) -> list[str]:
    """ISO days as runs: ['2023-09-22', '2023-09-23', '2023-09-24'] → ['2023-09-22 to 09-24']."""
    spans: list[list[dt.date]] = []
    for day in sorted(dt.date.fromisoformat(d) for d in days):
        if spans and (day - spans[-1][-1]).days == 1:
            spans[-1].append(day)
        else:
            spans.append([day])
    return [f"{s[0]}" if len(s) == 1 else f"{s[0]} to {s[-1]:%m-%d}" if s[0].year == s[-1].year
            else f"{s[0]} to {s[-1]}" for s in spans]


BUCKET_LENGTH = {"day": pd.DateOffset(days=1), "week": pd.DateOffset(weeks=1), "month": pd.DateOffset(months=1)}
NAMED_SPANS = 3      # runs of outage days named in the note on those outside the chart


def outages_within(outages: pd.DataFrame, series: pd.DataFrame, bucket: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The outage days inside the span of the chart's lines, and the others. A view without dates spans its
    articles; the fetch log's failures of a live collector years after an imported archive would squeeze its lines
    against one edge of the chart, so those days go to the caption instead (outside_note)."""
    if outages.empty or series.empty:
        return outages, outages.iloc[0:0]
    start = pd.Timestamp(series["bucket"].min())
    end = pd.Timestamp(series["bucket"].max()) + BUCKET_LENGTH[bucket]
    days = pd.to_datetime(outages["day"])
    inside = (days >= start) & (days < end)
    return outages[inside], outages[~inside]


def outside_note(outside: pd.DataFrame) -> str:
    """The caption on outage days the chart does not reach: how many and when."""
    if outside.empty:
        return ""
    spans = day_spans(list(outside["day"]))
    named = spans[:NAMED_SPANS] + ([f"{len(spans) - NAMED_SPANS} more runs of days"] if len(spans) > NAMED_SPANS
                                   else [])
    days = "1 day" if len(outside) == 1 else f"{len(outside)} days"
    return (f"Not drawn: on {days} outside these articles' period ({_listing(named)}) some of these outlets' feeds "
            "failed every fetch, so nothing was collected there.")


def _listing(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _outlets(names: tuple[str, ...], shown: int = 2) -> str:
    more = len(names) - shown
    listed = ", ".join(md_escape(n) for n in names[:shown])
    return f"{listed} and {more} more" if more > 0 else listed


def whose_gaps(gaps: list[Gap], shown: int = 2) -> str:
    """Whose collection was incomplete on these days, the outlets with the most such days first (Markdown-safe):
    'Bloomberg on 24 of them, Fox News on 3 and 2 more outlets'."""
    days = Counter(g.name for g in gaps).most_common()
    listed = [f"{md_escape(name)} on {n:,} of them" for name, n in days[:shown]]
    more = len(days) - len(listed)
    return ", ".join(listed) + (f" and {more} more outlet{'s' if more > 1 else ''}" if more > 0 else "")


def gap_note(gaps: pd.DataFrame) -> str:
    """The chart's caption on its grey days: which, and whose collection was incomplete (Markdown-safe)."""
    if gaps.empty:
        return ""
    days = "1 day" if len(gaps) == 1 else f"{len(gaps)} days"
    parts = [f"Grey: {days} on which collection was incomplete, so a dip there is missing data, not less coverage."]
    nothing = gaps[gaps["nothing"]]
    if not nothing.empty:
        parts.append(f"Nothing was collected on {_listing(day_spans(list(nothing['day'])))}.")
    partial = gaps[~gaps["nothing"]].sort_values(["missing", "day"], ascending=[False, True])
    if not partial.empty:
        named = [f"{r.day} ({_outlets(r.outlets)})" for r in partial.head(NAMED_DAYS).itertuples()]
        more = len(partial) - len(named)
        tail = f"; {more} more days, hover the grey marks" if more > 0 else ""
        parts.append(f"Outlets far below their usual output: {'; '.join(named)}{tail}.")
    return " ".join(parts)


def _range_text(rng: OutletRange) -> str:
    country = f" ({rng.country})" if rng.country else ""
    return f"{md_escape(rng.name)}{country} {rng.describe()}"


def changed_ranges(result: Completeness, filters: Filters) -> list[OutletRange]:
    """The view's outlets that started or stopped inside its period, the biggest first (they move a line most)."""
    changed = result.changed_within(*period(result, filters))
    return sorted(changed, key=lambda r: -result.counts[r.outlet_id].total if r.outlet_id in result.counts else 0)


def range_note(result: Completeness, filters: Filters, split: str) -> str:
    """A caption when the view's outlets were not all collected over its whole period (Markdown-safe), else ''."""
    changed = changed_ranges(result, filters)
    if not changed:
        return ""
    listed = [_range_text(r) for r in changed[:NAMED_OUTLETS]]
    more = len(changed) - len(listed)
    if more > 0:
        listed.append(f"{more} more (see Sources)")
    what = ("so these lines compare different periods" if split in ("outlet", "source") else
            "so a rise or fall there may be an outlet coming or going")
    return f"Not every outlet was collected over this whole period, {what}: {'; '.join(listed)}."


def calendar_frame(result: Completeness, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Each outlet's days start..end: columns outlet, day (ISO), state, n; outlets by name."""
    names = {r.outlet_id: r.name for r in result.ranges}
    rows = [(names[outlet_id], day.isoformat(), state, n) for outlet_id, day, state, n in result.calendar(start, end)]
    return pd.DataFrame(rows, columns=["outlet", "day", "state", "n"])


def collection_status(result: Completeness) -> dict[str, str]:
    """Per outlet name: 'active', 'started 2023-10-16', 'stopped after 2023-08-31' or 'only … to …'."""
    return {r.name: r.describe() for r in result.ranges}


def calendar_summary(frame: pd.DataFrame) -> dict[str, int]:
    """How many outlet-days of each state the calendar shows (inactive ones left out)."""
    counts = frame[frame["state"] != INACTIVE]["state"].value_counts()
    return {str(k): int(v) for k, v in counts.items()}
