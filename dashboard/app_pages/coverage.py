"""Coverage: headline figures and the coverage-over-time chart (drag a box across it to pick dates)."""

import streamlit as st

from dashboard import chart, collection, explain, figures, queries, state
from dashboard.labels import SPLITS, counted
from dashboard.spikes import spike_note, spikes_shown, unjudged_note
from db.filters import Filters

filters = state.filters_or_stop()
# the chart's split and interval as last chosen: with a content filter, a split by country shares its query with the
# headline, and a dated view's stories are fetched once for the headline, the chart and its spikes' baseline
counting = state.count()
last_split = st.session_state.get("split", "none")
reach = queries.spike_reach(filters, st.session_state.get("interval", state.CHART_DEFAULTS["interval"]), last_split)
head = queries.headline(state.fetch, filters, last_split, counting, reach)
unit = "stories" if counting == "stories" else "articles"

st.title("Coverage")
if head.articles == 0:
    if filters == Filters():
        st.info("The database has no articles yet. Start the collector (`make run`, or `newsradar collect`), "
                "import an archive (`newsradar backfill FILE`) or load the demo (`newsradar demo`).",
                icon=":material/inbox:")
    else:
        st.info("No articles match these filters. Widen the date range or remove a filter in the sidebar.",
                icon=":material/search_off:")
    st.stop()

articles, outlets, countries, busiest = st.columns(4)
articles.metric(unit.capitalize(), f"{head.articles:,}",
                help=queries.STORIES_MEANING if counting == "stories" else None)
outlets.metric("Outlets", f"{head.outlets:,}")
countries.metric("Countries in the story", f"{head.countries:,}")
busiest.metric("Busiest day", head.busiest_day or "–", counted(head.busiest_count, unit), delta_color="off",
               delta_arrow="off")

interval, measure, split, top = st.columns([3, 2, 3, 2])
# the choices are state.URL_OPTIONS (what a link may ask for), the defaults state.CHART_DEFAULTS
bucket = interval.segmented_control("Interval", list(state.URL_OPTIONS["interval"]),
                                    default=state.CHART_DEFAULTS["interval"], key="interval", bind="query-params",
                                    required=True)
# bound widgets write the option as shown to the URL: the options are short words, explained in the help
share = measure.segmented_control(
    "Measure", list(state.URL_OPTIONS["measure"]), default=state.CHART_DEFAULTS["measure"], key="measure",
    bind="query-params", required=True,
    help="Articles: how many match (stories, when the sidebar counts stories). Share: the percentage of all "
         "articles (or stories) from the same outlets in that interval (Media Cloud's normalization), so a "
         "prolific outlet does not look more interested.") == "share"
by = split.selectbox("Split by", list(state.URL_OPTIONS["split"]), key="split", bind="query-params",
                     help="; ".join(f"{key}: {label}" for key, label in SPLITS.items()))
low, high = state.URL_NUMBERS["top"]
top_n = top.number_input("Lines (top N + other)", min_value=low, max_value=high,
                         value=int(state.CHART_DEFAULTS["top"]), key="top", bind="query-params", disabled=by == "none")

series = queries.coverage(state.fetch, filters, bucket, by, int(top_n), share, counting)
outages, outside = collection.outages_within(state.outage_days(state.db_path(), filters), series, bucket)
collected = state.collection(filters)
gaps = collection.gap_days(collected, filters)
# a line's baseline reaches back before the dates shown: zooming in keeps its spikes
before = queries.coverage_before(state.fetch, filters, series, bucket, by, share, counting)
peaks = spikes_shown(series, before)
figure = figures.coverage_figure(series, outages, split=by, normalized=share, bucket=bucket, peaks=peaks, gaps=gaps,
                                 counted=unit)
chart.plotly_chart(figure, key="coverage_chart", on_select=lambda: state.coverage_chart_picked("coverage_chart"),
                selection_mode="box", config=figures.CHART_CONFIG)
notes = ["Drag a box across the chart to set the date range."]
if counting == "stories":
    notes.append(f"Counting stories: each story once per {bucket} — copies and other outlets' reports of the same "
                 "event count once.")
if by in ("country", "topic"):
    one = "A story" if counting == "stories" else "An article"
    notes.append(f"{one} counts once in each of its {'countries' if by == 'country' else 'topics'}.")
if not peaks.empty:
    notes.append(spike_note(peaks, by, bucket))
notes.append(unjudged_note(series, before, by, bucket))
if not outages.empty:
    days = "1 day" if len(outages) == 1 else f"{len(outages)} days"
    notes.append(f"Shaded: {days} on which some of these outlets' feeds failed every fetch — "
                 "a drop there may be an outage, not less coverage.")
notes.append(collection.outside_note(outside))
notes += [note for note in (collection.gap_note(gaps), collection.range_note(collected, filters, by)) if note]
st.caption(" ".join(note for note in notes if note))
explain.panel(filters, series, peaks, bucket, by, counting)
