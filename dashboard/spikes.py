"""Spikes: the buckets in which coverage is far above its own recent baseline (as the monitoring suites alert).

A bucket is a spike when it holds at least MIN_ARTICLES matching articles and its value (articles or share) is
both above the mean of the previous WINDOW buckets by Z standard deviations and at least RATIO times that mean.
Each line of a split chart is judged against its own past, and only once it has one: MIN_HISTORY buckets since its
first article (a line that starts mid-period, as an outlet whose collection began then, has no baseline yet; a niche
line with a few articles a fortnight has one, near zero, and its jump is the spike an analyst asks about).
"other" is a mixture of lines that changes with the period, never judged.
"""

from __future__ import annotations

import pandas as pd

from dashboard.labels import md_escape

WINDOW = 14          # Meltwater compares a day with the previous 14
MIN_HISTORY = WINDOW  # fewer buckets than this since a line's first article: no baseline yet, no verdict
OTHER = "other"      # the label of the lines beyond the top N (dashboard/queries.py)
Z = 3.0
RATIO = 2.0
MIN_ARTICLES = 5


def spikes(series: pd.DataFrame, z: float = Z, ratio: float = RATIO, min_articles: int = MIN_ARTICLES) -> pd.DataFrame:
    """Rows of a coverage series (bucket, label, n, value) that are spikes, with their baseline and ratio (the chart
    uses the defaults; an alert's sensitivity moves `z`, `ratio` and `min_articles`)."""
    found = []
    for label, rows in series.sort_values("bucket").groupby("label", sort=False):
        if label == OTHER:
            continue
        past = rows["value"].shift(1).rolling(WINDOW, min_periods=WINDOW)
        mean, std = past.mean(), past.std(ddof=0).fillna(0.0)
        hit = ((rows["n"] >= min_articles) & (rows["value"] > mean + z * std) & (rows["value"] >= ratio * mean)
               & (mean > 0) & _judged(rows))
        found.append(rows[hit].assign(baseline=mean[hit], ratio=rows["value"][hit] / mean[hit]))
    if not found:
        return series.head(0).assign(baseline=pd.Series(dtype=float), ratio=pd.Series(dtype=float))
    return pd.concat(found).sort_values("ratio", ascending=False, kind="stable").reset_index(drop=True)


def _judged(rows: pd.DataFrame) -> pd.Series:
    """Per bucket of one line (in order): whether it has a baseline, MIN_HISTORY earlier buckets since its first
    article. (Before a dated view only the buckets with articles are there, then the WINDOW buckets before its start,
    all of them: a line that had articles before those has at least MIN_HISTORY buckets at the view's start, as on
    the chart of all dates.)"""
    started = (rows["n"] > 0).cummax().astype(int)
    return started.shift(1, fill_value=0).cumsum() >= MIN_HISTORY


def spikes_shown(shown: pd.DataFrame, before: pd.DataFrame | None = None) -> pd.DataFrame:
    """The spikes of `shown` (a coverage series), each line judged with its buckets `before` the dates shown too (as
    dashboard.queries.coverage_before gives them, if the dates start later): a date range that starts mid-story keeps
    the baseline its lines had, and so their spikes."""
    if before is None or before.empty or shown.empty:
        return spikes(shown)
    found = spikes(_with_history(shown, before))
    return found[found["bucket"] >= shown["bucket"].min()].reset_index(drop=True)


def _with_history(shown: pd.DataFrame, before: pd.DataFrame | None) -> pd.DataFrame:
    """`shown` with its lines' buckets `before` its first one (as coverage_before gives them), if any."""
    if before is None or before.empty or shown.empty:
        return shown
    return pd.concat([before[before["bucket"] < shown["bucket"].min()], shown], ignore_index=True)


def spike_note(peaks: pd.DataFrame, split: str, bucket: str, most: int = 3) -> str:
    """The caption under the chart (markdown): the biggest spikes, with how far above their baseline they are."""
    shown = []
    for row in peaks.head(most).itertuples():
        when = row.bucket.strftime("%Y-%m-%d")
        line = "" if split == "none" else f" ({md_escape(row.label)})"
        shown.append(f"{when}{line}, {row.ratio:.1f}×")
    more = f" and {len(peaks) - most} more" if len(peaks) > most else ""
    return (f"Stars: spikes, {bucket}s at least {RATIO:.0f}× the mean of {window_words(bucket)} and "
            f"{Z:.0f} standard deviations above it — {'; '.join(shown)}{more}. A line is judged from "
            f"{MIN_HISTORY} {bucket}s after its first article; \"{OTHER}\" is not judged.")


def unjudged_note(shown: pd.DataFrame, before: pd.DataFrame | None, split: str, bucket: str) -> str:
    """A caption naming the lines not judged for spikes (too little history), so that "no star" is not read as "no
    spike" (Markdown-safe): those never judged in the dates shown, and those judged only from a later date that had
    a bucket big enough to be a spike before it (a line whose outlets' collection began in the dates shown); '' when
    every line was judged wherever it could have spiked."""
    whole = _with_history(shown, before).sort_values("bucket", kind="stable")
    first = shown["bucket"].min()
    lines = [label for label in shown["label"].unique() if label != OTHER]
    never, late = [], []
    for label in lines:
        rows = whole[whole["label"] == label]
        judged, inside = _judged(rows), rows["bucket"] >= first
        # a bucket with a full window before it, which only the history rule left unjudged (the first WINDOW
        # buckets of the archive are every line's, and go without saying)
        windowed = pd.Series(range(len(rows)), index=rows.index) >= WINDOW
        if not (judged & inside).any():
            never.append(label)
        elif (~judged & inside & windowed & (rows["n"] >= MIN_ARTICLES)).any():
            late.append((label, rows["bucket"][judged & inside].min()))
    if not never and not late:
        return ""
    why = f"fewer than {MIN_HISTORY} {bucket}s since the first article, so no baseline to be far above"
    if split == "none" and late:
        return (f"Judged for spikes only from {late[0][1]:%Y-%m-%d}: the first article came fewer than {MIN_HISTORY} "
                f"{bucket}s before, so there was no baseline to be far above.")
    if split == "none" or len(never) == len(lines):
        return f"No line is judged for spikes here: {why}."
    parts = [f"Not judged for spikes ({why}): {_some(never)}."] if never else []
    if late:
        parts.append(f"Judged for spikes only from {MIN_HISTORY} {bucket}s after their first article: "
                     + _some([f"{label} from {day:%Y-%m-%d}" for label, day in late]) + ".")
    return " ".join(parts)


def _some(labels: list, most: int = 5) -> str:
    return ", ".join(md_escape(str(label)) for label in labels[:most]) + (" and more" if len(labels) > most else "")


def window_words(bucket: str) -> str:
    """The baseline window in the unit shown: "the previous 14 days" (weeks, months)."""
    return f"the previous {WINDOW} {bucket}s"
