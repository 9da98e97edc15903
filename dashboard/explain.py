"""The Coverage page's "What happened" panel: top stories, rising terms, and who is above baseline (issue 15).

It explains the period shown, or a starred spike picked below the chart. Feed text is rendered inert (md_escape)
and only http(s) links become clickable. A period longer than LAZY_DAYS is explained on request only: reading and
scoring every text of a year takes a while, and most visits do not ask.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import NamedTuple

import pandas as pd
import streamlit as st

from dashboard import state
from dashboard.isocodes import country_name
from dashboard.labels import country_label, md_escape
from dashboard.queries import SPLIT_FIELDS, safe_link
from db.completeness import OutletRange
from db.explain import StoryChange
from db.filters import Filters
from newsradar.explain import (
    NO_COUNTRY_ABOVE,
    Explanation,
    Share,
    first_words,
    found_words,
    period_words,
    share_against,
)

LAZY_DAYS = 62
SPIKES_LISTED = 10
_URL_UNSAFE = str.maketrans({"(": "%28", ")": "%29", " ": "%20", "<": "%3C", ">": "%3E", "\\": "%5C"})


def _span(bucket: pd.Timestamp, interval: str) -> tuple[dt.date, dt.date]:
    """The first and last day of a chart bucket."""
    first = bucket.date()
    if interval == "week":
        return first, first + dt.timedelta(days=6)
    if interval == "month":
        return first, (bucket + pd.offsets.MonthEnd(0)).date()
    return first, first


class Choice(NamedTuple):
    """A period the panel can explain: its first and last day, and the line of a split chart it spiked on."""
    first: dt.date
    last: dt.date
    line: str | None = None


def choices(filters: Filters, series: pd.DataFrame, peaks: pd.DataFrame, interval: str, split: str = "none"
            ) -> dict[str, Choice]:
    """What the panel can explain, by label: the period shown, then each starred spike's bucket (and line, on a
    split chart), biggest first."""
    out: dict[str, Choice] = {}
    if not series.empty:
        first = filters.date_from or series["bucket"].min().date()
        last = filters.date_to or _span(series["bucket"].max(), interval)[1]
        out[f"The period shown, {period_words(*_days(first, last))}"] = Choice(first, last)
    for row in peaks.drop_duplicates(["bucket", "label"]).head(SPIKES_LISTED).itertuples():
        first, last = _span(row.bucket, interval)
        line = None if split == "none" else str(row.label)
        named = f" ({line_name(line, split)})" if line else ""
        out[f"★ spike of {period_words(*_days(first, last))}{named}, {row.ratio:.1f}×"] = Choice(first, last, line)
    return out


def line_name(line: str, split: str) -> str:
    """A chart line as the chart's legend names it: a country by name and code, an outlet or topic by its name."""
    return country_label(line) if split in ("country", "source") else line


def explained(filters: Filters, split: str, line: str | None) -> Filters:
    """The filters the explanation of a spike reads: those of the chart, narrowed to the line that spiked."""
    field = SPLIT_FIELDS.get(split)
    return dataclasses.replace(filters, **{field: (line,)}) if line and field else filters


def _days(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime(first.year, first.month, first.day, tzinfo=dt.UTC)
    return start, dt.datetime(last.year, last.month, last.day, tzinfo=dt.UTC) + dt.timedelta(days=1)


def _link(text: str, link: str) -> str:
    url = safe_link(link)
    shown = md_escape(" ".join(text.split()) or "(no title)")
    return f"[{shown}]({url.translate(_URL_UNSAFE)})" if url else shown


def story_md(story: StoryChange) -> str:
    grew = f"{story.before} in the baseline" if story.before else "new"
    plural = "" if story.now == 1 else "s"
    outlets = "1 outlet" if story.outlets == 1 else f"{story.outlets} outlets"
    return (f"{_link(story.title, story.link)} — {story.now} article{plural} in {outlets}, {grew}; "
            f"{md_escape(first_words(story))}")


def share_md(share: Share, country: bool) -> str:
    label = country_name(share.label) if country else share.label
    return f"{md_escape(label)}: {share.now:,} {share_against(share)}"


def started_note(found: Explanation, ranges: list[OutletRange]) -> str:
    """A caption when outlets above their baseline were first collected inside the baseline window or the period
    (Markdown-safe), else '': their rise is partly their collection starting, not more coverage."""
    above = {share.label for share in found.outlets}
    new = sorted((r.first, r.name) for r in ranges
                 if r.started and r.name in above and r.first >= found.before.date())
    if not new:
        return ""
    named = ", ".join(f"{md_escape(name)} (from {first.isoformat()})" for first, name in new)
    return (f"Collected only since the baseline window began: {named}. Part of their rise is their collection "
            "starting, not more coverage.")


def show(found: Explanation, ranges: list[OutletRange] | None = None) -> None:
    st.caption(found_words(found))
    stories, who = st.columns([3, 2])
    with stories:
        st.markdown("**Largest stories**")
        st.markdown("\n".join(f"{i}. {story_md(s)}" for i, s in enumerate(found.largest, 1)) or "None.")
        if found.growing:
            st.markdown("**Fastest-growing stories**")
            st.markdown("\n".join(f"{i}. {story_md(s)}" for i, s in enumerate(found.growing, 1)))
    with who:
        st.markdown("**Terms that rose**")
        st.markdown(md_escape(", ".join(found.terms)) or "None.")
        st.markdown("**Outlets above their baseline**")
        st.markdown("\n".join(f"- {share_md(s, False)}" for s in found.outlets) or "None.")
        if note := started_note(found, ranges or []):
            st.caption(note)
        st.markdown("**Source countries above their baseline**")
        st.markdown("\n".join(f"- {share_md(s, True)}" for s in found.countries)
                    or f"{NO_COUNTRY_ABOVE.capitalize()}.")


def panel(filters: Filters, series: pd.DataFrame, peaks: pd.DataFrame, interval: str, split: str = "none",
          counting: str = "articles") -> None:
    """The "What happened" panel under the Coverage chart."""
    options = choices(filters, series, peaks, interval, split)
    if not options:
        return
    st.subheader("What happened")
    labels = list(options)
    # a starred spike is what needs explaining most: the biggest is picked first, or the one clicked on the chart
    default = 1 if len(labels) > 1 else 0
    clicked = st.session_state.pop(state.EXPLAIN_SPIKE, None)
    for label in labels[1:]:
        if clicked and (options[label].first, options[label].line or "all") == clicked:
            st.session_state["explain_period"] = label
    picked = st.selectbox("Explain", labels, index=default, key="explain_period",
                          help="The top stories, the terms that rose and who is above the baseline: the window "
                               "before, as long as the period and at least 14 days.")
    first, last, line = options[picked]
    if (last - first).days >= LAZY_DAYS and not st.toggle("Explain this long period", key="explain_long",
                                                         help="Reading every text of a long period takes a while."):
        return
    if line:
        st.caption(md_escape(f"The line that spiked: {line_name(line, split)}, its articles only."))
    if counting == "stories":
        st.caption("The explanation counts articles: a story's copies and reports are each one.")
    with st.spinner("Reading the period and the window before…"):
        show(state.explanation(state.db_path(), explained(filters, split, line), first, last),
             state.collection(filters).ranges)
