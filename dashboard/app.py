"""newsradar dashboard: the navigation and the sidebar filters every page shares.

    streamlit run dashboard/app.py            (or: newsradar dashboard [--port N])

The filters live in the URL (q, topic, category, country, source, outlet, lang, from, to), so a link
reproduces the view. The database is $NEWSRADAR_DB (or the default location). Unless auth.mode is none, a
visitor who is not signed in sees the sign-in screen and nothing else (dashboard/signin.py). An exception nobody
expected ends the run with one sentence (dashboard/failures.py), never a traceback.
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

from collectors.category import CLASSES
from dashboard import failures, signin, state
from dashboard.isocodes import COUNTRIES, LANGUAGES
from dashboard.labels import country_label, language_label, md_escape
from dashboard.queries import Choices

st.set_page_config(page_title="newsradar", page_icon="📡", layout="wide")


def _names(codes: list[str]) -> str:
    """The source countries in the data, for a help text (markdown): a code nobody checked is shown as it is."""
    return md_escape(", ".join(country_label(c) for c in codes))


def _sidebar(choices: Choices) -> None:
    """The filters (bound to the URL), their error if they cannot be applied, and who is signed in."""
    first_languages = list(choices.languages)
    st.text_input("Search titles and descriptions", key="q", bind="query-params",
                  placeholder='karabakh OR "lachin corridor"',
                  help='AND, OR, NOT (in capitals), -term, "phrases", prefix*, (parentheses), title: and '
                       'description:. Case and accents are ignored.')
    st.multiselect("Topics", choices.topics, key="topic", bind="query-params", placeholder="any topic")
    # the options are the codes themselves: a bound widget writes its displayed option to the URL, and the URL
    # contract (db.filters.Filters.from_params) is country=AZ, not a display name
    st.multiselect("Category", list(CLASSES), key="category", bind="query-params", placeholder="any category",
                   help="IPTC Media Topics, top level.")
    st.multiselect("Countries in the story", sorted(COUNTRIES), key="country", bind="query-params",
                   placeholder="any (ISO codes: AZ, UA, …)", help="Countries the story refers to, as ISO 3166 codes.")
    st.multiselect("Source countries", sorted(set(choices.source_countries) | set(COUNTRIES)), key="source",
                   bind="query-params", placeholder="any (ISO codes: PL, GB, …)",
                   help="Where the outlet is based (ISO 3166 codes). " + _names(choices.source_countries))
    st.multiselect("Outlets", choices.outlets, key="outlet", bind="query-params", placeholder="any outlet")
    st.multiselect("Language", first_languages + sorted(set(LANGUAGES) - set(first_languages)), key="lang",
                   bind="query-params", placeholder="any (ISO codes: en, pl, …)",
                   help="ISO 639-1 codes. " + md_escape(", ".join(language_label(c) for c in first_languages)))
    bounds = {"min_value": dt.date(1990, 1, 1), "max_value": dt.date.today() + dt.timedelta(days=1)}
    st.date_input("From", value=None, key="from", bind="query-params", help="First day (UTC).", **bounds)
    st.date_input("To", value=None, key="to", bind="query-params", help="Last day, inclusive (UTC).", **bounds)
    st.button("Clear filters", on_click=state.clear_filters, icon=":material/filter_alt_off:", width="stretch")
    filters, error = state.read_filters()
    st.session_state["_filters"], st.session_state["_filter_error"] = filters, error
    if error:
        st.error(md_escape(error), icon=":material/error:")


def main() -> None:
    state.freeze_long_lived_objects()
    problem = state.ensure_db(state.db_path())
    if problem:
        st.error(md_escape(problem), icon=":material/error:")
        st.stop()
    pages = [
        st.Page("app_pages/coverage.py", title="Coverage", icon=":material/show_chart:", default=True),
        st.Page("app_pages/countries.py", title="Countries", icon=":material/public:", url_path="countries"),
        st.Page("app_pages/articles.py", title="Articles", icon=":material/article:", url_path="articles"),
        st.Page("app_pages/topics.py", title="Topics", icon=":material/label:", url_path="topics"),
        st.Page("app_pages/sources.py", title="Sources", icon=":material/rss_feed:", url_path="sources"),
        st.Page("app_pages/views.py", title="Saved views", icon=":material/bookmarks:", url_path="views"),
    ]
    users_page = st.Page("app_pages/users.py", title="Users", icon=":material/group:", url_path="users")
    # before anything that reads the database for display: without a session, the sign-in screen is all there is
    # (the pages are only registered, not run, so that the page asked for is the one shown after signing in)
    config = signin.load_config()   # once per run; a broken configuration stops here with its message
    user = signin.require_identity(config, keep_page=lambda: st.navigation([*pages, users_page], position="hidden"))
    st.session_state["_user"] = user   # for the pages to decide what to show; every change checks the role again
    mode = config["auth.mode"]
    with st.sidebar:
        _sidebar(state.query("filter_choices"))
        signin.account_box(user, mode)
    if user.is_admin and mode == "password":   # other modes keep their accounts elsewhere (the proxy, the provider)
        pages.append(users_page)
    st.navigation(pages, position="top").run()


try:
    main()
except Exception as exc:   # st.stop(), st.rerun() and st.switch_page() are not Exceptions: they pass
    st.error(md_escape(failures.explain(exc)), icon=":material/error:")
