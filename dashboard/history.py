"""Browser history for the filters: a change of a URL-bound widget becomes a new history entry, so Back undoes it.

Streamlit's bound widgets write their value to the URL with history.replaceState, so Back left the dashboard
instead of restoring the previous filters. The script below turns exactly those writes (the call comes from the
binding's updateUrlParam, and the query string changes) into pushState. Streamlit itself handles Back: on a
history navigation the URL wins over the session's widget values (its _handle_query_param_binding). Every other
replaceState (Streamlit's own corrections after Back) is left as it was.

One action, one entry. A bound widget's write is the user's own change (Streamlit writes only those), so it always
starts an entry: two quick picks are two Back steps even when the second comes before the first one's run ended.
The writes the script makes (Clear filters moves every bound widget; a filter change sends the Articles page back
to page 1) come as pushState calls during the run, and join the entry of the action that caused them: only the
first of them since the last action pushes. An action is a bound write, a click or Enter/Space on a button, or the
end of a run; a run that ends within one frame never shows "running", so the end of a run alone would not do. A
write that leaves the URL as it is never pushes: such an entry is a Back that changes nothing. (A run's write that
comes after the previous run's end has started a new action, on a busy machine, would make one: the likely cause
of a Back step missing twice in the quick-picks browser test under load, never reproduced alone.)

The pickers show names (a country's, a category's, a language's) and a bound widget writes the option as shown; the
script writes the code instead (country=AZ, not country=Azerbaijan), so that a link says what the filter means in
the URL contract's terms, whatever wrote it: the widget, Streamlit's own correction of the URL, or a link by name."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping

import streamlit as st

_SCRIPT = """<script>
(() => {
  const history = window.history;
  if (history.__newsradarPush) return;
  history.__newsradarPush = true;
  const replace = history.replaceState.bind(history), push = history.pushState.bind(history);
  const codes = __CODES__;   // per parameter: the name a picker shows -> its code
  const byCode = (url) => {
    if (url == null) return url;
    const target = new URL(url, window.location.href);
    let changed = false;
    for (const [key, names] of Object.entries(codes)) {
      const values = target.searchParams.getAll(key);
      if (!values.some(v => Object.hasOwn(names, v))) continue;
      target.searchParams.delete(key);
      for (const v of values) target.searchParams.append(key, Object.hasOwn(names, v) ? names[v] : v);
      changed = true;
    }
    return changed ? target.href : url;
  };
  const toCodes = () => {
    const url = byCode(window.location.href);
    if (url !== window.location.href) replace(history.state, "", url);
  };
  let pushedThisAction = false;   // see the module's docstring: the script's pushes join the action's entry
  const actionStarts = () => { pushedThisAction = false; };
  window.addEventListener("pointerdown", (event) => { if (event.isTrusted) actionStarts(); }, true);
  window.addEventListener("keydown", (event) => {
    if (event.isTrusted && (event.key === "Enter" || event.key === " ") && event.target.closest?.("button")) {
      actionStarts();
    }
  }, true);
  new MutationObserver(() => {
    const app = document.querySelector("[data-testid=stApp]");
    if (app && app.dataset.testScriptState === "notRunning") {
      actionStarts();
      toCodes();   // Streamlit's own writes of the URL do not all pass through the functions below
    }
  }).observe(document.documentElement, {subtree: true, attributeFilter: ["data-test-script-state"]});
  toCodes();
  history.pushState = function (state, unused, url) {
    url = byCode(url);
    // nothing to undo: an entry with the URL already shown would take a Back that changes nothing
    const same = url != null && new URL(url, window.location.href).href === window.location.href;
    if (pushedThisAction || same) return replace(state, unused, url);
    pushedThisAction = true;
    return push(state, unused, url);
  };
  history.replaceState = function (state, unused, url) {
    url = byCode(url);
    const target = url == null ? null : new URL(url, window.location.href);
    const fromBinding = (new Error().stack || "").includes("updateUrlParam");
    if (fromBinding && target && target.pathname === window.location.pathname
        && target.search !== window.location.search) {
      actionStarts();   // the user's own change: an entry of its own, whatever run is still going
      return history.pushState(state, unused, url);
    }
    return replace(state, unused, url);
  };
})();
</script>"""


def push_filter_changes(coded: Mapping[str, Mapping[str, str]]) -> None:
    """Install the script in the page once (it survives reruns; installing it twice does nothing). `coded`: per URL
    parameter, each code its picker shows under a name, by that name ({"country": {"Azerbaijan": "AZ"}})."""
    st.html(_script(json.dumps({key: {name: code for name, code in names.items() if name != code}
                                for key, names in coded.items()}, sort_keys=True)),
            unsafe_allow_javascript=True, width="content")


@functools.cache
def _script(codes: str) -> str:
    # inside <script>: no "<" may close the element early (the names are the code lists', but the rule costs nothing)
    return _SCRIPT.replace("__CODES__", codes.replace("<", "\\u003c"))
