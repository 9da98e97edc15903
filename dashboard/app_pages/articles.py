"""Articles: the matching articles (or stories, one row each), newest first, a page at a time; export as CSV."""

import datetime as dt

import streamlit as st

from dashboard import collection, details, downloads, queries, state
from dashboard.isocodes import country_name
from dashboard.labels import (
    ARTICLE_ROW_PX,
    ARTICLES_TITLE_PX,
    DESCRIBED_ROW_PX,
    DESCRIBED_TITLE_PX,
    DESCRIPTION_PX,
    LINK_COLUMN_PX,
    STORY_TITLE_PX,
    category_label,
    counted,
)

PER_PAGE = state.ARTICLES_PER_PAGE
# a story's size near its date, in view: after a wide title they were past the window's right edge; the first outlet
# beside the first time (both say who had it first), away from the headline and link, which may be another's
STORY_ORDER = ["published", "outlet", "articles", "outlet_count", "title", "link", "outlets"]

filters = state.filters_or_stop()
counting = state.count()   # the sidebar's Count: one row per article, or per story
total = queries.count_articles(state.fetch, filters)
shown = queries.count_matches(state.fetch, filters, counting, articles=total) if counting == "stories" else total

st.title("Articles")
head, export = st.columns([5, 2], vertical_alignment="bottom")   # room for "Download CSV (newest 200,000)"
head.subheader(counted(shown, counting, "matching"))
if total == 0:
    st.info("No articles match these filters. Widen the date range or remove a filter in the sidebar.",
            icon=":material/search_off:")
    st.stop()

capped = total > downloads.EXPORT_CAP
export.download_button(f"Download CSV (newest {downloads.EXPORT_CAP:,})" if capped else "Download CSV",
                       data=state.csv_download(filters), mime="text/csv", on_click="ignore",
                       file_name=downloads.export_file_name(filters, dt.datetime.now(), total=total),
                       icon=":material/download:", width="stretch",
                       help=f"The newest {downloads.EXPORT_CAP:,} of the {total:,} matching articles (see below), "
                            "UTF-8 for Excel." if capped else
                            "Every matching article (not only this page), UTF-8 for Excel.")
gaps = state.collection(filters).within(filters.date_from, filters.date_to)
if gaps:
    days = sorted({g.day.isoformat() for g in gaps})
    note, button = st.columns([3, 1], vertical_alignment="center")
    note.caption(f"Collection was incomplete on {counted(len(days), 'days')} of the period shown ({', '.join(days[:5])}"
                 f"{', …' if len(days) > 5 else ''}; {collection.whose_gaps(gaps)}): fewer articles there is "
                 "missing data, not less coverage.")
    button.download_button("Incomplete days", data=downloads.incomplete_csv(gaps), mime="text/csv",
                           file_name="incomplete-days.csv", on_click="ignore", icon=":material/download:",
                           width="stretch", help="Each outlet's days of incomplete collection in these dates, CSV.")
if capped:
    st.warning(f"The download holds the newest {downloads.EXPORT_CAP:,} of these {total:,} articles. "
               "For all of them, narrow the filters or run the command below.", icon=":material/warning:")
    # in a popover: a code block loads the browser's syntax highlighter, ~1 s of CPU on every first load of the page
    with st.popover("Command to export all of them", icon=":material/terminal:"):
        st.code(downloads.cli_export_command(filters, state.db_path()), language="bash")

if st.session_state.get("_articles_for", (filters, counting)) != (filters, counting):  # back to the first page
    st.session_state["page"] = 1
st.session_state["_articles_for"] = (filters, counting)
pages = queries.page_count(shown, PER_PAGE)
if asked := state.page_past_the_end(pages):
    st.warning(f"The link asks for page {asked:,}, but these filters give {pages:,} page{'s' * (pages > 1)}: "
               "showing the first.", icon=":material/warning:")
# above the table: below it, the toggle was 50 rows down the page
show_descriptions = counting == "articles" and st.toggle("Show descriptions", key="descriptions")
table_slot = st.empty()
page = st.pagination(pages, key="page", bind="query-params")
# a table of its own per page and filter set: a row ticked on one must not stay ticked on the next, opening the
# dialog of whatever article has taken its place
table_key = f"{counting}_table:{page}:{hash(filters)}"

if counting == "stories":
    story_rows = queries.story_table(state.story_page(state.db_path(), filters, page, PER_PAGE, total))
    event = table_slot.dataframe(
        story_rows, hide_index=True, on_select="rerun", selection_mode="single-row", key=table_key,
        height="content", row_height=ARTICLE_ROW_PX, column_order=STORY_ORDER,
        column_config={
            "published": st.column_config.DatetimeColumn("First (UTC)", format="YYYY-MM-DD HH:mm"),
            "outlet": "First outlet", "title": st.column_config.TextColumn("Title", width=STORY_TITLE_PX),
            "link": st.column_config.LinkColumn("Link", display_text=":material/open_in_new:", width=LINK_COLUMN_PX),
            "articles": st.column_config.NumberColumn("Articles", format="localized"),
            "outlet_count": st.column_config.NumberColumn("Outlets", format="localized"),
            "outlets": st.column_config.TextColumn("Reported by", width="large")})
    st.caption(f"Page {page} of {pages:,}, {PER_PAGE} per page. One row per story, the story with the newest "
               "matching article first; each row shows when and where the story was first published among the "
               "matches (First, First outlet), the headline its matching reports share most (Title, Link) and the "
               "outlets that reported it (copies and other outlets' reports of the same event). Select a row to see "
               "its articles. The download holds every article, with its story.")
    details.story(story_rows, event.selection.rows if event else [])
    st.stop()

rows = state.article_page(state.db_path(), filters, page, PER_PAGE, total)
rows["category"] = rows["category"].map(category_label)
rows["source"] = rows["source"].map(country_name)
# a description next to its title, in view: at the far right, past the tags, a 1280-pixel window never showed it
columns = (["published", "outlet", "title", "link", "description", "source", "countries", "topics", "category"]
           if show_descriptions else ["published", "outlet", "source", "title", "link", "countries", "topics",
                                      "category"])
# the whole page of rows, titles wrapped over up to three lines in a wide column: a scroll box of ten rows with
# clipped titles made analysts open every row to read it
event = table_slot.dataframe(
    rows[columns], hide_index=True, on_select="rerun", selection_mode="single-row", key=table_key,
    height="content", row_height=DESCRIBED_ROW_PX if show_descriptions else ARTICLE_ROW_PX,
    column_config={
        "published": st.column_config.DatetimeColumn("Published (UTC)", format="YYYY-MM-DD HH:mm"),
        "outlet": "Outlet", "source": "Source",
        "title": st.column_config.TextColumn(
            "Title", width=DESCRIBED_TITLE_PX if show_descriptions else ARTICLES_TITLE_PX),
        "link": st.column_config.LinkColumn("Link", display_text=":material/open_in_new:", width=LINK_COLUMN_PX),
        "countries": "Countries", "topics": "Topics", "category": "Category",
        "description": st.column_config.TextColumn("Description", width=DESCRIPTION_PX)})
st.caption(f"Page {page} of {pages:,}, {PER_PAGE} per page. Select a row to read its description.")

details.article(rows, event.selection.rows if event else [])
