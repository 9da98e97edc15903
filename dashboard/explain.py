"""The Coverage page's "What happened" panel: top stories, rising terms, and who is above baseline (issue 15).

It explains the period shown, or a starred spike picked below the chart. Feed text is rendered inert (md_escape)
and only http(s) links become clickable. A period longer than LAZY_DAYS is explained on request only: reading and
scoring every text of a year takes a while, and most visits do not ask.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from dashboard import state
from dashboard.isocodes import country_name
from dashboard.labels import md_escape
from dashboard.queries import safe_link
from db.explain import StoryChange
from db.filters import Filters
from newsradar.explain import Explanation, Share, found_words, period_words, share_against

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


def choices(filters: Filters, series: pd.DataFrame, peaks: pd.DataFrame, interval: str
            ) -> dict[str, tuple[dt.date, dt.date]]:
    """What the panel can explain, by label: the period shown, then each starred spike's bucket, biggest first."""
    out: dict[str, tuple[dt.date, dt.date]] = {}
    if not series.empty:
        first = filters.date_from or series["bucket"].min().date()
        last = filters.date_to or _span(series["bucket"].max(), interval)[1]
        out[f"The period shown, {period_words(*_days(first, last))}"] = (first, last)
    for row in peaks.drop_duplicates("bucket").head(SPIKES_LISTED).itertuples():
        first, last = _span(row.bucket, interval)
        out[f"★ spike of {period_words(*_days(first, last))}, {row.ratio:.1f}×"] = (first, last)
    return out


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
    return (f"{_link(story.title, story.link)} — {story.now} article{plural} in {outlets}, {grew}; first: "
            f"{md_escape(story.outlet or 'unknown outlet')}, {md_escape(story.published[:16])} UTC")


def share_md(share: Share, country: bool) -> str:
    label = country_name(share.label) if country else share.label
    return f"{md_escape(label)}: {share.now:,} {share_against(share)}"


def show(found: Explanation) -> None:
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
        st.markdown("**Source countries above their baseline**")
        st.markdown("\n".join(f"- {share_md(s, True)}" for s in found.countries)
                    or "None, or the outlets' countries are not known.")


def panel(filters: Filters, series: pd.DataFrame, peaks: pd.DataFrame, interval: str) -> None:
    """The "What happened" panel under the Coverage chart."""
    options = choices(filters, series, peaks, interval)
    if not options:
        return
    st.subheader("What happened")
    labels = list(options)
    # a starred spike is what needs explaining most: the biggest is picked first, or the one clicked on the chart
    default = 1 if len(labels) > 1 else 0
    clicked = st.session_state.pop(state.EXPLAIN_SPIKE, None)
    for label in labels[1:]:
        if options[label][0] == clicked:
            st.session_state["explain_period"] = label
    picked = st.selectbox("Explain", labels, index=default, key="explain_period",
                          help="The top stories, the terms that rose and who is above the baseline: the window "
                               "before, as long as the period and at least 14 days.")
    first, last = options[picked]
    if (last - first).days >= LAZY_DAYS and not st.toggle("Explain this long period", key="explain_long",
                                                         help="Reading every text of a long period takes a while."):
        return
    with st.spinner("Reading the period and the window before…"):
        show(state.explanation(state.db_path(), filters, first, last))
