"""Alerts: the rules that tell the team about spikes, digests and new matches — list, add, remove."""

import streamlit as st

from dashboard import alerts, state
from dashboard.labels import md_escape

st.title("Alerts")
st.caption("A rule watches a topic, a saved view or a query and writes to e-mail addresses or Apprise URLs (Slack, "
           "Teams, Discord, webhooks): on a spike (the chart's stars, at a sensitivity), a daily or weekly digest, or "
           "new matches (at most one message an hour). `newsradar serve` checks them every minute. Analysts add "
           "and remove their own rules; admins also the team's. The command line does the same: `newsradar alerts`.")
state.show_outcome("_alert_outcome")
me = state.user()
path = state.db_path()

for line in alerts.waiting(path, me):
    st.warning(md_escape(line), icon=":material/schedule_send:")   # rule names and errors are text, not markdown

rules = alerts.rows(path, me)
if not rules:
    st.info("No alert rules yet. Add one below.", icon=":material/notifications:")
for rule in rules:
    with st.container(border=True):
        about, actions = st.columns([4, 1], vertical_alignment="center")
        # names, queries and subjects are user and feed text: shown as text
        about.text(f"{rule.name} — {rule.words}\nto {rule.channels}\nowned by {rule.owner}; {rule.last}")
        if rule.broken:
            about.error(md_escape(f"Broken: {rule.broken} no longer exists."), icon=":material/link_off:")
        if rule.removable:
            actions.button("Remove", key=f"remove_alert_{rule.name}", icon=":material/delete:",
                           on_click=state.remove_alert, args=(rule.name,))

with st.container(border=True):
    st.markdown("**Add a rule**")
    watched = alerts.targets(path)
    name, target = st.columns(2)
    name.text_input("Name", key="alert_name", max_chars=120, placeholder="Karabakh spikes")
    target.segmented_control("Watch", list(alerts.TARGET_WORDS), key="alert_target", default="topic",
                             format_func=alerts.TARGET_WORDS.get, required=True)
    chosen = st.session_state.get("alert_target") or "topic"
    if chosen == "query":
        st.text_input("Query", key="alert_query", placeholder="karabakh OR karabach*")
    else:
        st.selectbox("Topic" if chosen == "topic" else "Saved view", watched[chosen], key=f"alert_{chosen}",
                     index=None, placeholder="pick one")
    kind, sensitivity = st.columns([3, 2])   # room for "new matches", the fourth kind
    kind.segmented_control("Kind", list(alerts.KIND_WORDS), key="alert_kind", default="spike",
                           format_func=alerts.KIND_WORDS.get, required=True)
    if (st.session_state.get("alert_kind") or "spike") == "spike":
        sensitivity.segmented_control("Sensitivity", ["low", "medium", "high"], key="alert_sensitivity",
                                      default="medium", required=True,
                                      help="medium: the chart's stars (2× the mean of the previous 14 days, 3 "
                                           "standard deviations, 5 articles); low: 3×, 4, 10; high: 1.5×, 2, 3")
    else:
        sensitivity.checkbox("Send a digest also when nothing matched", key="alert_keep_empty")
    st.text_area("Send to", key="alert_channels", placeholder="desk@example.org\nslack://TokenA/TokenB/TokenC",
                 help="E-mail addresses and Apprise URLs, one a line.")
    if me.is_admin:
        st.checkbox("For the team (only admins change it)", key="alert_shared", value=True)
    st.button("Add the rule", type="primary", icon=":material/add_alert:", on_click=state.add_alert_from_form)
