"""newsradar dashboard: the navigation and the sidebar filters every page shares.

    streamlit run dashboard/app.py            (or: newsradar dashboard [--port N])

The filters live in the URL (q, topic, category, country, source, outlet, lang, from, to), so a link
reproduces the view. The database is $NEWSRADAR_DB (or the default location). Unless auth.mode is none, a
visitor who is not signed in sees the sign-in screen and nothing else (dashboard/signin.py). An exception nobody
expected ends the run with one sentence (dashboard/failures.py), never a traceback.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import streamlit as st

from collectors.category import CLASSES, UNCLASSIFIED
from dashboard import failures, history, queries, saved, signin, state
from dashboard.isocodes import COUNTRIES, language_name
from dashboard.labels import category_label, country_label, md_escape
from db.filters import COUNTRIES_MODES, FIELDS, Vocabulary

st.set_page_config(page_title="newsradar", page_icon="📡", layout="wide")


def _names(codes: list[str]) -> str:
    """The source countries in the data, for a help text (markdown): a code nobody checked is shown as it is."""
    return md_escape(", ".join(country_label(c) for c in codes))


KEY = {f.name: f.param for f in FIELDS}  # each filter widget's session key: the field's URL name, bound to it


def _country_name(code: str) -> str:
    """What the country pickers show and search (typing "Azer" finds Azerbaijan); a value not in the list as given."""
    entry = COUNTRIES.get(code)
    return entry[1] if entry else code


def _pickers(choices: Vocabulary) -> dict[str, tuple[list[str], Callable[[str], str]]]:
    """Per URL parameter of a picker that shows names for codes: its options (codes) and what it shows for them."""
    countries = sorted(COUNTRIES, key=_country_name)
    return {"category": ([*CLASSES, UNCLASSIFIED], category_label), "country": (countries, _country_name),
            "source": (sorted(set(choices.source_countries) | set(COUNTRIES), key=_country_name), _country_name),
            "lang": (list(choices.data_languages), language_name)}


def _sidebar(choices: Vocabulary, pickers: dict[str, tuple[list[str], Callable[[str], str]]]) -> None:
    """The filters (bound to the URL), their error if they cannot be applied, and who is signed in.

    accept_new_options: a link's value that is no option (country=Atlantis, topic=Nope) reaches the filters as given
    and is refused there with a message, instead of being dropped by the widget (which would widen the view).
    select_all=False: Streamlit's first option "Select 2 matches" would take Enter after a typed name ("United
    States") to add every option containing it (the Minor Outlying Islands too)."""
    changed = {"on_change": state.filters_changed, "bind": "query-params"}
    lists = {**changed, "accept_new_options": True, "select_all": False}
    st.text_input("Search titles and descriptions", key=KEY["q"], placeholder='karabakh OR "lachin corridor"',
                  help='AND, OR, NOT (in capitals), -term, "phrases", prefix*, (parentheses), title: and '
                       'description:. Case and accents are ignored.',
                  **changed)
    st.multiselect("Topics", choices.topics, key=KEY["topics"], placeholder="any topic", **lists)
    st.multiselect("Category", pickers["category"][0], key=KEY["categories"], format_func=category_label,
                   placeholder="any category",
                   help="IPTC Media Topics, top level; 'unclassified': the tagger was not sure enough to give one.",
                   **lists)
    # the pickers show names; a link may give codes or names (country=AZ, country=Azerbaijan), any case
    st.multiselect("Countries in the story", pickers["country"][0], key=KEY["countries"], format_func=_country_name,
                   placeholder="any (name or ISO code)", help="Countries the story refers to.", **lists)
    st.segmented_control("Several countries", list(COUNTRIES_MODES), default="any", key=KEY["countries_all"],
                         required=True, help="any: stories naming at least one of them; all: stories naming every "
                         "one of them.", **changed)
    st.multiselect("Source countries", pickers["source"][0], key=KEY["source_countries"], format_func=_country_name,
                   placeholder="any (name or ISO code)",
                   help="Where the outlet is based. " + _names(choices.source_countries), **lists)
    st.multiselect("Outlets", choices.outlets, key=KEY["outlets"], placeholder="any outlet", **lists)
    st.multiselect("Language", pickers["lang"][0], key=KEY["langs"], format_func=language_name,
                   placeholder="any (name or ISO 639-1 code)", help="The languages of the stored articles.", **lists)
    bounds = {"min_value": dt.date(1990, 1, 1), "max_value": dt.date.today() + dt.timedelta(days=1)}
    st.date_input("From", value=None, key=KEY["date_from"], help="First day (UTC).", **bounds, **changed)
    st.date_input("To", value=None, key=KEY["date_to"], help="Last day, inclusive (UTC).", **bounds, **changed)
    st.button("Clear filters", on_click=state.clear_filters, icon=":material/filter_alt_off:", width="stretch")
    # not a filter (Clear filters keeps it): how every page counts what the filters match
    st.segmented_control("Count", list(state.URL_OPTIONS["count"]), default=state.CHART_DEFAULTS["count"],
                         key="count", bind="query-params", required=True,
                         help="Articles: every matching article. " + queries.STORIES_MEANING)
    filters, error = state.read_filters()
    st.session_state["_filters"], st.session_state["_filter_error"] = filters, error
    if error:
        st.error(md_escape(error), icon=":material/error:")
    elif filters is not None and len(filters.countries) > 1:
        st.caption(md_escape("Stories " + saved.countries_words(filters) + "."))
    elif dropped := state.dropped_from_link():
        st.warning(md_escape(f"Not applied from the link: {dropped}. The view shows the filters as set here."),
                   icon=":material/link_off:")
    missing = filters.sources_without_outlets(choices) if filters is not None else ()
    if missing:
        st.warning(md_escape(f"No outlet based in {', '.join(country_label(c) for c in missing)} is collected: "
                             "nothing from there can match. Add its feeds on the Sources page."),
                   icon=":material/rss_feed:")


def main() -> None:
    state.freeze_long_lived_objects()
    problem = state.ensure_db(state.db_path())
    if problem:
        st.error(md_escape(problem), icon=":material/error:")
        st.stop()
    state.warm_default_views(state.db_path())
    pages = [
        st.Page("app_pages/coverage.py", title="Coverage", icon=":material/show_chart:", default=True),
        st.Page("app_pages/countries.py", title="Countries", icon=":material/public:", url_path="countries"),
        st.Page("app_pages/articles.py", title="Articles", icon=":material/article:", url_path="articles"),
        st.Page("app_pages/topics.py", title="Topics", icon=":material/label:", url_path="topics"),
        st.Page("app_pages/sources.py", title="Sources", icon=":material/rss_feed:", url_path="sources"),
        st.Page("app_pages/views.py", title="Saved views", icon=":material/bookmarks:", url_path="views"),
        st.Page("app_pages/alerts.py", title="Alerts", icon=":material/notifications:", url_path="alerts"),
    ]
    users_page = st.Page("app_pages/users.py", title="Users", icon=":material/group:", url_path="users")
    # before anything that reads the database for display: without a session, the sign-in screen is all there is
    # (the pages are only registered, not run, so that the page asked for is the one shown after signing in)
    config = signin.load_config()   # once per run; a broken configuration stops here with its message
    user = signin.require_identity(config, keep_page=lambda: st.navigation([*pages, users_page], position="hidden"))
    st.session_state["_user"] = user   # for the pages to decide what to show; every change checks the role again
    mode = config["auth.mode"]
    state.check_link_once()   # before the bound widgets drop what they cannot show
    with st.sidebar:
        choices = state.vocabulary(state.db_path())
        pickers = _pickers(choices)
        _sidebar(choices, pickers)
        signin.account_box(user, mode)
        # the pickers write the names they show to the URL: the page's script writes their codes instead
        history.push_filter_changes({key: {show(code): code for code in options}
                                     for key, (options, show) in pickers.items()})
        state.keep_refused_link()
    if user.is_admin and mode == "password":   # other modes keep their accounts elsewhere (the proxy, the provider)
        pages.append(users_page)
    st.navigation(pages, position="top").run()


try:
    main()
except Exception as exc:   # st.stop(), st.rerun() and st.switch_page() are not Exceptions: they pass
    st.error(md_escape(failures.explain(exc)), icon=":material/error:")
