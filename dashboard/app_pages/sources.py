"""Sources: every feed with its outlet, status and recent output; add a feed or import an OPML file."""

import streamlit as st

from collectors.feedlists import FeedListError, parse_feed_list
from dashboard import chart, collection, figures, state
from dashboard.labels import country_label, language_label, md_escape
from db.completeness import STARTED_STOPPED_DAYS
from db.filters import Filters

WINDOW_DAYS = 30

def _utc(stamp: str | None) -> str:
    return f"{stamp} UTC" if stamp else "never"


st.title("Sources")
state.show_outcome("_feed_outcome")
service = state.service_health(state.db_path())
say = {"ok": st.success, "degraded": st.warning, "failing": st.error}.get(service["status"], st.info)
say(md_escape(f"Service: {service['reason']}. Last article stored: {_utc(service['last_article_stored'])}; "
              f"last feed fetched: {_utc(service['last_fetch'])}."), icon=":material/monitor_heart:")
if not service["tags"]["current"]:
    st.warning(md_escape(f"Tags: {service['tags']['message']}."), icon=":material/sell:")
feeds = state.sources_table(state.db_path(), WINDOW_DAYS)
collected = state.collection(Filters())
ranges = collection.collection_status(collected)

if feeds.empty:
    st.info("No feeds yet. Add one below, import an OPML file, or run `newsradar seed` for the default list.",
            icon=":material/rss_feed:")
else:
    # an "active" feed whose outlet stored nothing for weeks is not active: say when it stopped (or started)
    feeds["collection"] = feeds["outlet"].map(ranges).fillna("no articles")
    stopped = (feeds["status"] == "active") & feeds["collection"].str.startswith(("stopped", "only"))
    feeds.loc[stopped, "status"] = feeds.loc[stopped, "collection"]
    failing = int((feeds["status"] != "active").sum())
    total, bad = st.columns(2)
    total.metric("Feeds", f"{len(feeds):,}")
    bad.metric("Not active", f"{failing:,}", help="failing, gone, duplicate, disabled, or stopped (no article for "
               f"{STARTED_STOPPED_DAYS} days or more before the newest one)")
    shown = feeds.assign(country=feeds["country"].map(country_label), language=feeds["language"].map(language_label))
    text = ["outlet", "last_success_at", "last_error_kind", "last_error", "last_error_at"]
    shown[text] = shown[text].fillna("")
    st.dataframe(
        shown[["outlet", "country", "language", "status", "collection", "per_day", "articles_per_day",
               "last_success_at", "last_error_kind", "last_error", "last_error_at", "url"]], hide_index=True,
        column_config={
            "outlet": "Outlet", "country": "Country", "language": "Language", "status": "Status",
            "collection": st.column_config.TextColumn(
                "Collected", width="medium",
                help="active, or when the outlet's articles started or stopped (first and last day)"),
            "last_success_at": "Last success (UTC)", "last_error_kind": "Last error", "last_error": "Error detail",
            "last_error_at": "Error at (UTC)",
            "per_day": st.column_config.LineChartColumn(f"Articles per day, last {WINDOW_DAYS} days", y_min=0),
            "articles_per_day": st.column_config.NumberColumn("Per day", format="%.1f"),
            "url": st.column_config.LinkColumn("Feed URL")})
    st.caption(f"The sparkline covers the {WINDOW_DAYS} days up to the newest stored article.")

    chosen = st.session_state.get("_filters") or Filters()
    start, end = collection.period(collected, chosen)
    if start and end:
        st.subheader("Collection calendar")
        calendar = collection.calendar_frame(collected, start, end)
        chart.calendar(figures.calendar_data(calendar), key="collection_calendar")
        tally = collection.calendar_summary(calendar)
        st.caption(f"Each outlet's days from {start} to {end} (the sidebar's dates, else every day with articles): "
                   f"{tally.get('collected', 0):,} outlet-days collected, {tally.get('incomplete', 0):,} far below "
                   f"the outlet's usual output for that weekday, {tally.get('none', 0):,} with no article. Days before "
                   "an outlet's first or after its last article are left blank.")

if not state.user().is_admin:
    st.caption("Admins add feeds and import feed lists.")
    st.stop()

add, upload = st.columns(2)
with add.form("add_feed", clear_on_submit=False, border=True):
    st.markdown("**Add a feed**")
    st.text_input("Feed URL (RSS or Atom)", key="feed_url", placeholder="https://example.com/rss.xml")
    st.text_input("Outlet", key="feed_outlet")
    country, language = st.columns(2)
    country.text_input("Country (ISO code)", key="feed_country", max_chars=2, placeholder="PL")
    language.text_input("Language (ISO code)", key="feed_language", max_chars=3, placeholder="pl")
    st.form_submit_button("Add feed", type="primary", icon=":material/add:", on_click=state.add_feed_from_form)

with upload.container(border=True):
    st.markdown("**Import a feed list**")
    file = st.file_uploader("OPML (or CSV: feed_url,outlet,country,language)", type=["opml", "xml", "csv"],
                            key="feed_file")
    if file is not None:
        try:
            specs, skipped = parse_feed_list(file.getvalue())
        except FeedListError as exc:
            st.error(f"Cannot import this file: {md_escape(exc)}", icon=":material/error:")
        else:
            entries = "1 entry" if skipped == 1 else f"{skipped} entries"
            note = f" ({entries} without an http(s) URL skipped)" if skipped else ""
            st.text(f"{len(specs):,} feeds in {file.name}{note}.")
            st.button(f"Import {len(specs):,} feeds", type="primary", disabled=not specs, key="import_feeds",
                      on_click=state.import_uploaded_feeds, args=(specs,))
