"""Countries: where the stories are (world map) and who covers whom (source country × country in the story)."""

import streamlit as st

from dashboard import chart, figures, queries, state
from dashboard.labels import country_label

filters = state.filters_or_stop()
counting = state.count()   # the sidebar's Count: every article, or each story once
counts = queries.country_counts(state.fetch, filters, counting)

st.title("Countries")
if counts.empty:
    st.info("No article matching these filters names a country. Widen the date range or remove a filter.",
            icon=":material/search_off:")
    st.stop()

st.subheader("Countries in the story")
chart.plotly_chart(figures.world_map(counts, counting), key="world_map",
                   on_select=lambda: state.country_from_map("world_map"), selection_mode="points",
                   config=figures.MAP_CONFIG)
st.caption("Click a country to show only the stories that name it. With a country selected, the map shows "
           "which other countries those stories name.")

st.subheader("Who covers whom")
share_col, home_col, min_col = st.columns([3, 3, 2])
normalized = share_col.toggle(f"Share of the source country's {counting}", key="who_share", bind="query-params",
                              help=f"Each row divided by all matching {counting} from outlets of that source "
                                   "country.")
home = home_col.toggle("Include the home country", value=True, key="who_home",
                       help="Off: leave out each country's outlets writing about their own country, which "
                            "otherwise fills the diagonal and the top columns.")
min_count = min_col.number_input("Fewest per cell", min_value=1, max_value=1000, value=figures.MIN_CELL,
                                 key="who_min", help="A cell built from fewer articles (or stories, when counting "
                                                     "them) is grey: a share of one or two says little.")
grid = queries.cover_grid(state.fetch, filters, home=home, count=counting)
if grid.empty:
    st.info("No outlets with a known country among these articles.", icon=":material/search_off:")
else:
    chart.plotly_chart(figures.who_covers_whom_figure(grid.shares if normalized else grid.counts, normalized,
                                                   counts=grid.counts, sources=grid.sources, named=grid.named,
                                                   min_count=int(min_count), counted=counting),
                    key="who_covers_whom", on_select=lambda: state.cell_from_heatmap("who_covers_whom"),
                    selection_mode="points", config=figures.CHART_CONFIG)
    stories = (" Counting stories: each story once per cell, per row and per column — copies and other outlets' "
               "reports of the same event count once" + ("" if home else "; with the home country left out, a column "
               "adds up its cells, so a story reported from two source countries counts twice there") + "."
               if counting == "stories" else "")
    st.caption(f"Rows: where the outlets are based, with all their matching {counting}. Columns: the countries "
               f"their stories name (the most named), with the {counting} naming each. Grey: fewer than "
               f"{int(min_count):,} {counting}{'' if home else '; blank: an outlet country on itself, left out'}. "
               f"Click a cell to filter by both.{stories}")

# a switch, not an expander: a table's grid loads and draws even while an expander hides it, about 0.4 s of every
# first load of this page
if st.toggle(f"Table: {counting} per country in the story", key="country_table"):
    table = counts.assign(name=counts["country"].map(country_label))[["name", "n"]]
    st.dataframe(table, hide_index=True, column_config={"name": "Country", "n": st.column_config.NumberColumn(
        counting.capitalize(), format="localized")})
