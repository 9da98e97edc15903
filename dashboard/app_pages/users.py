"""Users (admins, password sign-in): add accounts, change roles, reset passwords, remove accounts."""

from contextlib import closing

import pandas as pd
import streamlit as st

from dashboard import state
from dashboard.access import ADMIN, ANALYST
from db import connect
from db.users import MIN_PASSWORD, list_users

st.title("Users")
st.caption("Admins manage feeds, topics and users; analysts browse, save views and export. The command line "
           "does the same: `newsradar users add|remove|list|passwd`.")
state.show_outcome("_user_outcome")
if not state.user().is_admin:   # app.py lists this page for admins only; a stale session must not see it either
    st.error("Only an admin can manage users.", icon=":material/lock:")
    st.stop()

with closing(connect(state.db_path(), readonly=True)) as conn:
    accounts = list_users(conn)
st.dataframe(pd.DataFrame([vars(a) for a in accounts], columns=["name", "role", "created", "updated"]),
             hide_index=True, column_config={"name": "Name", "role": "Role", "created": "Created (UTC)",
                                             "updated": "Changed (UTC)"})

add, change = st.columns(2)
with add.form("add_user", border=True):
    st.markdown("**Add a user**")
    st.text_input("Name", key="new_user_name", max_chars=64)
    st.text_input("Password", key="new_user_password", type="password", autocomplete="new-password",
                  help=f"At least {MIN_PASSWORD} characters; tell it to the user in person.")
    st.segmented_control("Role", [ANALYST, ADMIN], key="new_user_role", default=ANALYST)
    st.form_submit_button("Add user", type="primary", icon=":material/person_add:", on_click=state.add_user_from_form)

with change.container(border=True):
    st.markdown("**Change a user**")
    names = [a.name for a in accounts]
    picked = st.selectbox("User", names, key="user_pick", index=None, placeholder="pick a user",
                          on_change=state.forget_user_role)
    if picked:
        role, set_role = st.columns([2, 1], vertical_alignment="bottom")
        role.segmented_control("Role", [ANALYST, ADMIN], key="user_role",
                               default=next(a.role for a in accounts if a.name == picked))
        set_role.button("Set role", key="set_role", on_click=state.change_user, args=("role",))
        password, reset = st.columns([2, 1], vertical_alignment="bottom")
        password.text_input("New password", key="user_password", type="password", autocomplete="new-password")
        reset.button("Reset password", key="reset_password", on_click=state.change_user, args=("password",))
        with st.popover("Remove user", icon=":material/person_remove:"):
            st.text(f"Remove the account {picked}? Their saved views stay.")
            st.button("Remove", type="primary", key="confirm_remove_user", on_click=state.change_user,
                      args=("remove",))
