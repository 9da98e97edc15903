"""Countries: where the stories are (world map) and who covers whom (source country × country in the story)."""

import streamlit as st

from dashboard import figures, queries, state
from dashboard.labels import country_label

filters = state.filters_or_stop()
counts = queries.country_counts(state.fetch, filters)

st.title("Countries")
if counts.empty:
    st.info("No article matching these filters names a country. Widen the date range or remove a filter.",
            icon=":material/search_off:")
    st.stop()

st.subheader("Countries in the story")
st.plotly_chart(figures.world_map(counts), key="world_map", on_select=lambda: state.country_from_map("world_map"),
                selection_mode="points", config=figures.MAP_CONFIG)
st.caption("Click a country to show only the stories that name it. With a country selected, the map shows "
           "which other countries those stories name.")

st.subheader("Who covers whom")
share_col, home_col, min_col = st.columns([3, 3, 2])
normalized = share_col.toggle("Share of the source country's articles", key="who_share", bind="query-params",
                              help="Each row divided by all matching articles from outlets of that source country.")
home = home_col.toggle("Include the home country", value=True, key="who_home",
                       help="Off: leave out each country's outlets writing about their own country, which "
                            "otherwise fills the diagonal and the top columns.")
min_count = min_col.number_input("Fewest articles per cell", min_value=1, max_value=1000, value=figures.MIN_CELL,
                                 key="who_min", help="A cell built from fewer articles is grey: a share of one or "
                                                     "two articles says little.")
grid = queries.cover_grid(state.fetch, filters, home=home)
if grid.empty:
    st.info("No outlets with a known country among these articles.", icon=":material/search_off:")
else:
    st.plotly_chart(figures.who_covers_whom_figure(grid.shares if normalized else grid.counts, normalized,
                                                   counts=grid.counts, sources=grid.sources, named=grid.named,
                                                   min_count=int(min_count)),
                    key="who_covers_whom", on_select=lambda: state.cell_from_heatmap("who_covers_whom"),
                    selection_mode="points", config=figures.CHART_CONFIG)
    st.caption(f"Rows: where the outlets are based, with all their matching articles. Columns: the countries "
               f"their stories name (the most named), with the articles naming each. Grey: fewer than "
               f"{int(min_count):,} articles{'' if home else '; blank: an outlet country on itself, left out'}. "
               "Click a cell to filter by both.")

with st.expander("Table: articles per country in the story"):
    table = counts.assign(name=counts["country"].map(country_label))[["name", "n"]]
    st.dataframe(table, hide_index=True, column_config={"name": "Country", "n": st.column_config.NumberColumn(
        "Articles", format="localized")})
