"""Browser history for the filters: a change of a URL-bound widget becomes a new history entry, so Back undoes it.

Streamlit's bound widgets write their value to the URL with history.replaceState, so Back left the dashboard
instead of restoring the previous filters. The script below turns exactly those writes (the call comes from the
binding's updateUrlParam, and the query string changes) into pushState. Streamlit itself handles Back: on a
history navigation the URL wins over the session's widget values (its _handle_query_param_binding). Every other
replaceState (Streamlit's own corrections after Back) is left as it was, and the several pushes of one run (Clear
filters moves every bound widget, each writing the URL) make one entry."""

from __future__ import annotations

import streamlit as st

_SCRIPT = """<script>
(() => {
  const history = window.history;
  if (history.__newsradarPush) return;
  history.__newsradarPush = true;
  const replace = history.replaceState.bind(history), push = history.pushState.bind(history);
  let pushedThisRun = false;   // one action, one entry: a run that moves several bound widgets pushes once
  new MutationObserver(() => {
    const app = document.querySelector("[data-testid=stApp]");
    if (app && app.dataset.testScriptState === "notRunning") pushedThisRun = false;
  }).observe(document.documentElement, {subtree: true, attributeFilter: ["data-test-script-state"]});
  history.pushState = function (state, unused, url) {
    if (pushedThisRun) return replace(state, unused, url);
    pushedThisRun = true;
    return push(state, unused, url);
  };
  history.replaceState = function (state, unused, url) {
    const target = url == null ? null : new URL(url, window.location.href);
    const fromBinding = (new Error().stack || "").includes("updateUrlParam");
    if (fromBinding && target && target.pathname === window.location.pathname
        && target.search !== window.location.search) {
      return history.pushState(state, unused, url);
    }
    return replace(state, unused, url);
  };
})();
</script>"""


def push_filter_changes() -> None:
    """Install the script in the page once (it survives reruns; installing it twice does nothing)."""
    st.html(_SCRIPT, unsafe_allow_javascript=True, width="content")
