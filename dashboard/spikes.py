"""Spikes: the buckets in which coverage is far above its own recent baseline (as the monitoring suites alert).

A bucket is a spike when it holds at least MIN_ARTICLES matching articles and its value (articles or share) is
both above the mean of the previous WINDOW buckets by Z standard deviations and at least RATIO times that mean.
Each line of a split chart is judged against its own past.
"""

from __future__ import annotations

import pandas as pd

from dashboard.labels import md_escape

WINDOW = 14          # Meltwater compares a day with the previous 14
MIN_HISTORY = 7      # fewer earlier buckets than this: no baseline yet, no verdict
Z = 3.0
RATIO = 2.0
MIN_ARTICLES = 5


def spikes(series: pd.DataFrame) -> pd.DataFrame:
    """Rows of a coverage series (bucket, label, n, value) that are spikes, with their baseline and ratio."""
    found = []
    for _label, rows in series.sort_values("bucket").groupby("label", sort=False):
        past = rows["value"].shift(1).rolling(WINDOW, min_periods=MIN_HISTORY)
        mean, std = past.mean(), past.std(ddof=0).fillna(0.0)
        hit = ((rows["n"] >= MIN_ARTICLES) & (rows["value"] > mean + Z * std) & (rows["value"] >= RATIO * mean)
               & (mean > 0))
        found.append(rows[hit].assign(baseline=mean[hit], ratio=rows["value"][hit] / mean[hit]))
    if not found:
        return series.head(0).assign(baseline=pd.Series(dtype=float), ratio=pd.Series(dtype=float))
    return pd.concat(found).sort_values("ratio", ascending=False, kind="stable").reset_index(drop=True)


def spike_note(peaks: pd.DataFrame, split: str, bucket: str, most: int = 3) -> str:
    """The caption under the chart (markdown): the biggest spikes, with how far above their baseline they are."""
    shown = []
    for row in peaks.head(most).itertuples():
        when = row.bucket.strftime("%Y-%m-%d")
        line = "" if split == "none" else f" ({md_escape(row.label)})"
        shown.append(f"{when}{line}, {row.ratio:.1f}×")
    more = f" and {len(peaks) - most} more" if len(peaks) > most else ""
    return (f"Stars: spikes, {bucket}s at least {RATIO:.0f}× the mean of the previous {WINDOW} {bucket}s and "
            f"{Z:.0f} standard deviations above it — {'; '.join(shown)}{more}.")
