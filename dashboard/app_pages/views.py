"""Saved views: the team's named filter sets — save the current filters, open one, delete one's own."""

import streamlit as st

from dashboard import saved, state

st.title("Saved views")
st.caption("A view is a named set of sidebar filters, shared with the whole team. Open sets the filters and "
           "shows its articles here; Link opens it in a new tab, and the address under each view is the view to "
           "share, with the chart's settings (interval, split, measure, lines) as they were when it was saved.")
if st.session_state.pop("_open_articles", False):   # set by the Open button's callback
    # {} rather than None: the filter params are bound to the sidebar widgets, which write them back themselves
    st.switch_page("app_pages/articles.py", query_params={})
state.show_outcome("_view_outcome")
me = state.user()

with st.form("save_view", border=True):
    filters, error = st.session_state.get("_filters"), st.session_state.get("_filter_error")
    if error or filters is None:
        st.text("The current filters cannot be applied; fix them in the sidebar to save them.")
    else:
        st.text(f"Current filters: {saved.describe(filters)}")
    st.text_input("Name", key="view_name", max_chars=120, placeholder="Karabakh, September")
    st.form_submit_button("Save the current filters", type="primary", icon=":material/bookmark_add:",
                          on_click=state.save_current_view)

views = saved.rows(state.db_path(), me)
base = state.app_base("views")
if not views:
    st.info("No saved views yet. Set the filters in the sidebar, then save them above.", icon=":material/bookmarks:")
for view in views:
    with st.container(border=True):
        title, actions = st.columns([4, 1], vertical_alignment="center")
        # user text, shown as text (markdown would turn a name like "see http://…" into a link)
        title.text(f"{view.name}\n{view.words}\nsaved by {view.owner}, {view.created} UTC")
        if view.usable:
            link = saved.view_link(base, view.params)
            title.code(link, language=None, wrap_lines=True)
            # a new tab is a new session, where the link's params set the sidebar (they lose to it in this one)
            actions.link_button("Link", link, icon=":material/link:", help="Open the view in a new tab")
            actions.button("Open", key=f"open_view_{view.id}", icon=":material/open_in_new:", type="primary",
                           on_click=state.open_saved_view, args=(view.filters, view.name, view.gone, view.settings))
        if view.deletable:
            actions.button("Delete", key=f"delete_view_{view.id}", icon=":material/delete:",
                           on_click=state.delete_saved_view, args=(view.id,))
