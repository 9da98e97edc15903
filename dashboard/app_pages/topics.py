"""Topics: the team's watch topics — list, create, edit, delete — with a live count for the query as typed."""

import streamlit as st

from dashboard import state
from dashboard.labels import ARTICLE_ROW_PX, md_escape
from db.search import QuerySyntaxError

st.title("Topics")
st.caption("A topic is a saved search applied to every article, old and new, and shared by the team. Query "
           'language: AND, OR, NOT in capitals (words side by side mean AND; lowercase "and" too), -term to '
           'leave a word out, "quoted phrases", prefix*, (parentheses), title: and description: for one field '
           "(title:karabakh). Case, accents and letter variants are ignored; Chinese and Japanese words match "
           "inside longer text; other languages' endings need a prefix*.")
state.show_outcome("_topic_outcome")

table = state.topics_table(state.db_path())
if table.empty:
    st.info("No topics yet. Create the first one below (or run `newsradar topics import` for the defaults).",
            icon=":material/label_off:")
else:
    # every topic, queries and descriptions wrapped over three lines: a scroll box of ten clipped rows hid the rest
    st.dataframe(table[["name", "articles", "query", "description"]], hide_index=True, height="content",
                 row_height=ARTICLE_ROW_PX, column_config={
                     "name": "Topic", "articles": st.column_config.NumberColumn("Articles", format="localized"),
                     "query": st.column_config.TextColumn("Query", width=330),
                     "description": st.column_config.TextColumn("Description", width=250)})

if not state.user().is_admin:
    st.caption("Admins create, edit and delete topics.")
    st.stop()

picked = st.selectbox("Create or edit", [state.NEW_TOPIC, *table["name"]], key="topic_pick",
                      on_change=state.load_topic_draft, format_func=lambda n: n or "(new topic)")
with st.container(border=True):
    st.text_input("Name", key="draft_name", max_chars=120)
    query = st.text_area("Query", key="draft_query", height=90, placeholder='karabakh OR "lachin corridor"',
                         help="The count and the newest matches below follow the query as you type "
                              "(press Ctrl+Enter or click outside the box).")
    st.text_input("Description", key="draft_description")

    if query.strip():
        try:
            preview = state.query_preview(state.db_path(), query.strip())
        except QuerySyntaxError as exc:
            st.error(f"Not a valid query: {md_escape(exc.short)}", icon=":material/error:")
            st.code(f"{query.strip()}\n{' ' * exc.position}^", language=None)
        else:
            st.markdown(f"**{preview.count:,}** stored articles match.")
            if preview.headlines:
                st.dataframe([{"published": p, "outlet": o, "title": t} for p, o, t in preview.headlines],
                             hide_index=True, column_config={
                                 "published": "Published (UTC)", "outlet": "Outlet",
                                 "title": st.column_config.TextColumn("Newest matches", width="large")})

    save, delete = st.columns(2)
    save.button("Create topic" if picked == state.NEW_TOPIC else "Save changes", type="primary",
                icon=":material/save:", on_click=state.save_topic_draft)
    if picked != state.NEW_TOPIC:
        with delete.popover("Delete topic", icon=":material/delete:"):
            st.text(f"Delete the topic “{picked}” for everyone? Its articles stay.")
            st.button("Delete", type="primary", key="confirm_delete", on_click=state.delete_picked_topic)
