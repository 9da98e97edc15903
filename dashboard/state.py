"""Streamlit glue shared by the pages: cached queries, the current filters, and callbacks that change them."""

from __future__ import annotations

import datetime as dt
import functools
import gc
import logging
import threading
import urllib.parse
from collections.abc import Callable
from contextlib import closing
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import downloads, editing, failures, figures, interact, queries, saved, signin
from dashboard.access import Identity
from dashboard.isocodes import COUNTRIES
from dashboard.labels import SPLITS, filter_vocabulary, md_escape
from db import aggregates, connect, default_db_path, stories
from db.completeness import Completeness
from db.engine import Connection, database_errors
from db.filters import COUNTRIES_MODES, FIELDS, Filters, QueryError, Vocabulary, check_option, closest, parse_day
from db.topics import Topic
from newsradar import explain, health

ARTICLES_PER_PAGE = 50   # the Articles page's rows per page
CACHE_TTL_S = 60          # new articles show within a minute; cached results are shared by every session
# the session keys of the filter widgets are the URL contract's names (db.filters.FIELDS)
LIST_KEYS = tuple(f.param for f in FIELDS if f.many)   # the repeatable ones
FILTER_KEYS = tuple(f.param for f in FIELDS)
# the pages' bound choices: a link's value outside them would be dropped by the widget without a word
URL_OPTIONS = {"countries_mode": COUNTRIES_MODES, "interval": ("day", "week", "month"),
               "measure": ("articles", "share"), "split": tuple(SPLITS), "who_share": ("true", "false"),
               "count": queries.COUNTS}
URL_NUMBERS = {"top": (1, 20), "page": (1, None)}
# every parameter name a link may carry: a name outside them (contry=AZ) would be ignored, showing a wider view
URL_NAMES = tuple(dict.fromkeys((*FILTER_KEYS, *URL_OPTIONS, *URL_NUMBERS)))   # countries_mode is in two
# the parameters that hold one value (the others are lists: country=AZ&country=RU)
SINGLE_NAMES = tuple(name for name in URL_NAMES if name not in {f.param for f in FIELDS if f.many})
STREAMLIT_PARAMS = ("embed", "embed_options")   # Streamlit's own (an embedded app), not the pages'
EXPLAIN_SPIKE = "_explain_spike"   # the first day and line of the spike star last clicked, for the panel to pick
# the parameters of a refused link that its bound widgets dropped, kept in the address (as a query string) so that a
# reload or a copy of it is refused too (check_link_once)
REFUSED = "refused"
# the pages' own settings (bound to the URL) and their defaults: a saved view keeps those that differ
CHART_DEFAULTS = {"interval": "day", "measure": "articles", "split": "none", "top": "8", "who_share": "false",
                  "count": "articles"}


def db_path() -> str:
    """The database the app shows: $NEWSRADAR_DB or the default location."""
    return str(default_db_path())


@st.cache_resource(show_spinner=False)
def ensure_db(path: str) -> str | None:
    """Create or upgrade the database once per process; the error message if that is impossible."""
    try:
        aggregates.ensure_db(path)
    except (OSError, *database_errors()) as exc:
        return f"Cannot open the database {path}: {exc}"
    return None


@st.cache_resource(show_spinner=False)
def freeze_long_lived_objects() -> bool:
    """Once per process: exempt what every run shares (modules, Plotly's validators) from the garbage collector.

    Streamlit collects all garbage after each run, before the browser hears that the run is over; over the whole
    heap of pandas, Plotly and Streamlit that full collection took ~0.2 s of every filter change. Frozen, those
    objects are not walked again; what the runs leave behind is still collected."""
    figures.empty_figure("")  # Plotly builds its validators on first use: build them before freezing
    gc.collect()
    gc.freeze()
    return True


# One cached wrapper per aggregate, each on a fresh read-only connection; an expired result is shown at once while
# a fresh one is computed in the background.
_cached = st.cache_data(ttl=CACHE_TTL_S, max_entries=1024, show_spinner=False, refresh_mode="background")


def _db(path: str) -> closing[Connection]:
    return closing(aggregates.open_db(path))


@_cached
def outlet_days(path: str, filters: Filters) -> pd.DataFrame:
    with _db(path) as conn:
        return aggregates.outlet_days(conn, filters)


@_cached
def label_days(path: str, filters: Filters, kind: str = "country", labels: tuple[str, ...] | None = None
               ) -> pd.DataFrame:
    with _db(path) as conn:
        return aggregates.label_days(conn, filters, kind=kind, labels=labels)


@_cached
def outlet_labels(path: str, filters: Filters, kind: str = "country") -> pd.DataFrame:
    with _db(path) as conn:
        return aggregates.outlet_labels(conn, filters, kind=kind)


@_cached
def label_count(path: str, filters: Filters, kind: str = "country") -> int:
    with _db(path) as conn:
        return aggregates.label_count(conn, filters, kind=kind)


@_cached
def search_counts(path: str, filters: Filters) -> aggregates.SearchCounts:
    with _db(path) as conn:
        return aggregates.search_counts(conn, filters)


@_cached
def day_totals(path: str, filters: Filters) -> pd.DataFrame:
    with _db(path) as conn:
        return aggregates.day_totals(conn, filters)


@_cached
def outlet_totals(path: str, filters: Filters) -> pd.DataFrame:
    with _db(path) as conn:
        return aggregates.outlet_totals(conn, filters)


@_cached
def chosen_outlet_days(path: str, filters: Filters, ids: tuple[int, ...] = ()) -> pd.DataFrame:
    with _db(path) as conn:
        return aggregates.chosen_outlet_days(conn, filters, ids=ids)


@_cached
def top_label_days(path: str, filters: Filters, kind: str = "country", top_n: int = 8) -> pd.DataFrame:
    with _db(path) as conn:
        return aggregates.top_label_days(conn, filters, kind=kind, top_n=top_n)


@_cached
def story_excess(path: str, filters: Filters, keys: tuple[str, ...] = (), bucket: str | None = None,
                 kind: str | None = None, labels: tuple[str, ...] | None = None) -> pd.DataFrame:
    with _db(path) as conn:
        return aggregates.story_excess(conn, filters, keys=keys, bucket=bucket, kind=kind, labels=labels)


@_cached
def shared_matches(path: str, filters: Filters, kind: str | None = None) -> pd.DataFrame:
    with _db(path) as conn:
        return aggregates.shared_matches(conn, filters, kind=kind)


@_cached
def story_page(path: str, filters: Filters, page: int, per_page: int, matches: int = 0) -> list[stories.StoryRow]:
    with _db(path) as conn:
        return queries.told_story_rows(conn, filters, page, per_page, matches)


@_cached
def story_members(path: str, story: int) -> list[tuple[int, str, str | None, str, str]]:
    with _db(path) as conn:
        return stories.members(conn, story)


@_cached
def outlets(path: str) -> pd.DataFrame:
    with _db(path) as conn:
        return aggregates.outlets(conn)


@_cached
def outage_days(path: str, filters: Filters) -> pd.DataFrame:
    with _db(path) as conn:
        return aggregates.outage_days(conn, filters)


@_cached
def topics_table(path: str) -> pd.DataFrame:
    with _db(path) as conn:
        return aggregates.topics_table(conn)


@_cached
def query_preview(path: str, query: str) -> aggregates.Preview:
    with _db(path) as conn:
        return aggregates.query_preview(conn, query)


@_cached
def sources_table(path: str, days: int) -> pd.DataFrame:
    with _db(path) as conn:
        return queries.sources_table(conn, days=days)


@_cached
def article_page(path: str, filters: Filters, page: int, per_page: int, total: int | None) -> pd.DataFrame:
    with _db(path) as conn:
        return queries.article_page(conn, filters, page=page, per_page=per_page, total=total)


@_cached
def _collection(path: str, outlets: tuple[str, ...], source_countries: tuple[str, ...], langs: tuple[str, ...]
                ) -> Completeness:
    with _db(path) as conn:
        return aggregates.collection(conn, outlets=outlets, source_countries=source_countries, langs=langs).ready()


@_cached
def explanation(path: str, filters: Filters, first: dt.date, last: dt.date) -> explain.Explanation:
    """What happened among the filtered articles from `first` to `last` (the Coverage page's panel)."""
    with _db(path) as conn:
        return explain.explain(conn, filters, *explain.day_span(first, last))


# the Fetch the pages' figures share: each base aggregate answered from its cache, one SQL query per filter set
_FETCHED: dict[Callable, Callable] = {
    aggregates.outlet_days: outlet_days, aggregates.label_days: label_days, aggregates.outlet_labels: outlet_labels,
    aggregates.label_count: label_count, aggregates.day_totals: day_totals, aggregates.outlet_totals: outlet_totals,
    aggregates.top_label_days: top_label_days, aggregates.outlets: outlets,
    aggregates.story_excess: story_excess, aggregates.shared_matches: shared_matches,
    aggregates.chosen_outlet_days: chosen_outlet_days, aggregates.search_counts: search_counts}
_CACHES = (*_FETCHED.values(), story_page, story_members, outage_days, topics_table, query_preview, sources_table,
           article_page, _collection, explanation)


@st.cache_resource(show_spinner=False)
def warm_default_views(path: str) -> threading.Thread:
    """Once per process and database: compute the unfiltered pages' aggregates (and each language's collection) in
    the background, into the same cache the pages read, so that the first visitor's first page does not wait for
    them (the cache then renews them in the background as they expire, as long as they are read). Only the articles'
    aggregates: what the app itself edits (topics, feeds) is left to the pages, so that no result from before an
    edit is cached."""
    thread = threading.Thread(target=_warm, args=(path,), name="newsradar-warm", daemon=True)
    thread.start()
    return thread


def _warm(path: str) -> None:
    def fetch(aggregate: Callable, *args: Any, **kwargs: Any) -> Any:
        return _FETCHED[aggregate](path, *args, **kwargs)

    everything = Filters()
    try:
        queries.headline(fetch, everything, "none")
        queries.coverage(fetch, everything, "day", "none", int(CHART_DEFAULTS["top"]), False)
        outage_days(path, everything)
        _collection(path, (), (), ())
        queries.cover_grid(fetch, everything, home=True)
        queries.country_counts(fetch, everything)
        article_page(path, everything, 1, ARTICLES_PER_PAGE, queries.count_articles(fetch, everything))
        # a language's pages read its outlets' collection, which costs as much as all outlets' (100 ms at 4.8M)
        for language in vocabulary(path).data_languages:
            _collection(path, (), (), (language,))
    except Exception:   # a page computes it again and says what is wrong, if anything is
        logging.getLogger(__name__).exception("warming the dashboard's cache failed")


@st.cache_data(ttl=10, show_spinner=False)
def service_health(path: str) -> dict[str, Any]:
    """newsradar.health.report on the app's database, refreshed every 10 s."""
    with closing(connect(path, readonly=True)) as conn:
        return health.report(conn)


def collection(filters: Filters) -> Completeness:
    """db.completeness for the outlets and languages of `filters` (cached per outlets and languages, not per dates)."""
    return _collection(db_path(), filters.outlets, filters.source_countries, filters.langs)


def fetch(aggregate: Callable, *args: Any, **kwargs: Any) -> Any:
    """A queries.Fetch over the cache: `aggregate` (one of queries.BASE) answered by its cached wrapper."""
    return _FETCHED[aggregate](db_path(), *args, **kwargs)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def vocabulary(path: str) -> Vocabulary:
    """What the filters may name (topics, outlets, languages, codes and names), cached like the queries."""
    with closing(aggregates.open_db(path)) as conn:
        return filter_vocabulary(conn)


def forget_cached() -> None:
    """Drop every cached result (after the app itself changed the database)."""
    for cached in _CACHES:
        cached.clear()
    vocabulary.clear()


def csv_download(filters: Filters) -> Callable[[], bytes]:
    """A callable that builds the capped CSV when the download button is clicked."""
    def build() -> bytes:
        with closing(aggregates.open_db(db_path())) as conn:
            return downloads.csv_export(conn, filters).data
    return build


def count() -> queries.Count:
    """How the pages count, as the sidebar's Count says: every article, or each story once."""
    return "stories" if st.session_state.get("count") == "stories" else "articles"


def user() -> Identity:
    """Who app.py let in on this run (what to show; the callbacks ask dashboard/signin.py again before acting)."""
    return st.session_state["_user"]


# the filters ---------------------------------------------------------------------------------------------------

def link_problems(params: dict[str, list[str]]) -> list[str]:
    """What in a link's parameter names, dates, countries_mode and page choices cannot be honoured (their bound widgets
    would drop it silently); the list values (countries, topics, …) reach the widgets as given and are checked with
    the filters."""
    problems = []
    for key, values in params.items():
        if key == REFUSED:
            problems += link_problems(urllib.parse.parse_qs(values[0] if values else "", keep_blank_values=True))
            continue
        if key not in URL_NAMES and key not in STREAMLIT_PARAMS:
            problems.append(f"an unknown parameter “{key}”"
                            f"{closest(key, URL_NAMES, hint='parameters: ' + ', '.join(URL_NAMES))}")
        elif key in SINGLE_NAMES and len(set(values)) > 1:   # the widget would keep the first without a word
            problems.append(f"{key} is given {len(values)} times ({', '.join(values)}): give it once")
        for value in values[:1]:
            try:
                if key in ("from", "to"):
                    parse_day(value, key)
                elif key in URL_OPTIONS:
                    check_option(key, value, URL_OPTIONS[key])
                elif key in URL_NUMBERS:
                    _check_number(key, value, *URL_NUMBERS[key])
            except QueryError as exc:
                problems.append(str(exc))
    return problems


def _check_number(key: str, value: str, low: int, high: int | None) -> None:
    if not value.strip().isdigit() or not low <= int(value) <= (high or int(value)):
        raise QueryError(f"{key} “{value}” is not a whole number from {low}" + (f" to {high}" if high else " up"))


def check_link_once() -> None:
    """On a session's first run, before the bound widgets read the link: remember what in it cannot be honoured, so
    that the pages refuse the view (until a filter is changed or cleared) instead of showing it wider than asked."""
    ss = st.session_state
    if ss.get("_link_checked"):
        return
    ss["_link_checked"] = True
    params = {key: st.query_params.get_all(key) for key in st.query_params}
    if params.get("page", [""])[0].strip().isdigit():
        ss["_link_page"] = int(params["page"][0])   # the pagination widget drops a page past the last one silently
    problems = link_problems(params)
    if problems:
        ss["_link_problem"] = "this link cannot be shown as it asks: " + "; ".join(problems)
        # the bound widgets drop what they cannot show from the address: kept there under REFUSED while the view is
        # refused, so that a reload or a copy of the address is refused too, not shown wider
        ss["_link_refused"] = [(key, value) for key, values in params.items() if key != REFUSED
                               and link_problems({key: values}) for value in values] + urllib.parse.parse_qsl(
            st.query_params.get(REFUSED, ""), keep_blank_values=True)
    keep_chart_settings(ss)


def page_past_the_end(pages: int) -> int | None:
    """The page a link asked for, once, if the view has fewer pages (the pagination widget shows page 1 instead)."""
    asked = st.session_state.pop("_link_page", None)
    return asked if asked is not None and asked > pages else None


def keep_refused_link() -> None:
    """After the widgets ran: the refused parameters of the link in the address while the view is refused (the
    widgets' own are dropped by them), and out of it once a filter changed (check_link_once)."""
    ss = st.session_state
    if not ss.get("_link_problem"):
        ss.pop("_link_refused", None)
    kept = urllib.parse.urlencode([(key, value) for key, value in ss.get("_link_refused", [])
                                   if key not in st.query_params])
    if kept and st.query_params.get(REFUSED) != kept:
        st.query_params[REFUSED] = kept
    elif not kept and REFUSED in st.query_params:
        del st.query_params[REFUSED]


def keep_chart_settings(ss: Any) -> None:
    """A link's chart settings into the session, so that they hold when the visitor moves to the page that has the
    chart (a saved view opens on the Articles page; Streamlit drops URL params no widget of that page is bound to)."""
    _apply_settings(ss, {key: st.query_params.get(key) for key in CHART_DEFAULTS})


def _apply_settings(ss: Any, settings: dict[str, str | None]) -> None:
    """The chart settings given as the URL spells them into the session, those that can be honoured."""
    for key, text in settings.items():
        if key in CHART_DEFAULTS and text is not None and not link_problems({key: [text]}):
            ss[key] = text == "true" if key == "who_share" else int(text) if key == "top" else text


def filters_changed() -> None:
    """Callback of every filter: a changed view no longer carries the link's or the saved view's problem. What of the
    link was refused and is no longer in the view (a bad date: its widget dropped it) is then named once more
    (dropped_from_link), so that the view, wider now, is not taken for the one the link asked for."""
    ss = st.session_state
    if ss.pop("_link_problem", None) and ss.get("_link_refused"):
        ss["_link_dropped"] = ", ".join(f"{key}={value}" for key, value in ss["_link_refused"])
    else:
        ss.pop("_link_dropped", None)


def dropped_from_link() -> str | None:
    """The refused parts of the link that a filter change left out of the view (until the next change)."""
    return st.session_state.get("_link_dropped")


def read_filters() -> tuple[Filters | None, str | None]:
    """The filters the sidebar widgets hold now, their values checked against the database, or the message saying
    why they cannot be used."""
    ss = st.session_state
    problem = ss.get("_link_problem")
    try:
        filters = Filters.from_values({key: ss.get(key) for key in FILTER_KEYS}).checked(vocabulary(db_path()))
    except QueryError as exc:
        return None, "; ".join(p for p in (problem, str(exc)) if p)
    return (None, problem) if problem else (filters, None)


def filters_or_stop() -> Filters:
    """The current filters; if they are unusable, say why and stop the page there (no traceback, no data)."""
    filters, error = st.session_state.get("_filters"), st.session_state.get("_filter_error")
    if error or filters is None:
        reason = md_escape(error or "unknown problem")
        # a link's problem says so itself ("this link cannot be shown as it asks: …"): one lead-in, not two
        link = reason.startswith("this link")
        said = f"{reason[0].upper()}{reason[1:]}" if link else f"These filters cannot be applied: {reason}"
        # a link's bad date or option is in no sidebar field to fix: a change of any filter shows the view without it
        fix = ("Change a filter in the sidebar to see the view without what was refused, or clear the filters"
               if link else "Correct the filter in the sidebar, or clear the filters")
        st.warning(f"{said}. {fix}.", icon=":material/search_off:")
        st.stop()
    return filters


def clear_filters() -> None:
    """Callback: every filter back to its default (which also clears them from the URL)."""
    for key in LIST_KEYS:
        st.session_state[key] = []
    st.session_state["q"] = ""
    st.session_state["from"] = None
    st.session_state["to"] = None
    st.session_state["countries_mode"] = "any"
    filters_changed()


# chart clicks ------------------------------------------------------------------------------------------------

def coverage_chart_picked(chart_key: str) -> None:
    """Callback: a box dragged across the coverage chart becomes the date range; a spike's star clicked is the
    period the "What happened" panel explains (dashboard/explain.py)."""
    event = st.session_state.get(chart_key)
    span = interact.box_date_range(event)
    if span:
        st.session_state["from"], st.session_state["to"] = span
        filters_changed()
    spike = interact.clicked_spike(event)
    if spike:
        st.session_state[EXPLAIN_SPIKE] = spike


def country_from_map(chart_key: str) -> None:
    """Callback: a country clicked on the map becomes the country filter."""
    code = interact.clicked_country(st.session_state.get(chart_key))
    if code:
        st.session_state["country"] = [code]
        filters_changed()


def cell_from_heatmap(chart_key: str) -> None:
    """Callback: a clicked who-covers-whom cell filters by its source country and country in the story."""
    cell = interact.clicked_cell(st.session_state.get(chart_key))
    if cell:
        source, country = cell
        if country in COUNTRIES:
            st.session_state["country"] = [country]
        if source in COUNTRIES:
            st.session_state["source"] = [source]
        filters_changed()


# topics and feeds ----------------------------------------------------------------------------------------------

NEW_TOPIC = ""  # the topic picker's "new topic" entry


def _say(key: str, outcome: editing.Outcome) -> None:
    st.session_state[key] = outcome


def reports_to(key: str, doing: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Decorator of a callback: a failure (a read-only database, anything unexpected) becomes the outcome under
    `key`, said in one sentence ("`doing`: why."), instead of a traceback on the page."""
    def wrap(callback: Callable[..., None]) -> Callable[..., None]:
        @functools.wraps(callback)
        def guarded(*args: Any, **kwargs: Any) -> None:
            try:
                callback(*args, **kwargs)
            except Exception as exc:   # a callback's exception would reach the page as a traceback
                _say(key, editing.Outcome(False, failures.explain(exc, doing)))
        return guarded
    return wrap


def show_outcome(key: str) -> None:
    """Show (once) the result a callback left under `key`."""
    outcome = st.session_state.pop(key, None)
    if outcome is not None:
        (st.success if outcome.ok else st.error)(md_escape(outcome.text), icon=":material/check:" if outcome.ok
                                                 else ":material/error:")


@reports_to("_topic_outcome", "Cannot load the topic")
def load_topic_draft() -> None:
    """Callback: the picked topic's name, query and description into the form (empty for a new topic)."""
    name = st.session_state.get("topic_pick", NEW_TOPIC)
    table = topics_table(db_path())
    row = table[table["name"] == name]
    values = row.iloc[0] if len(row) else {"name": "", "query": "", "description": ""}
    for field in ("name", "query", "description"):
        st.session_state[f"draft_{field}"] = values[field]


@reports_to("_topic_outcome", "Cannot save the topic")
def save_topic_draft() -> None:
    """Callback: save the form as a new topic or over the picked one."""
    ss = st.session_state
    topic = Topic(ss.get("draft_name", "").strip(), ss.get("draft_query", "").strip(),
                  ss.get("draft_description", "").strip())
    old = ss.get("topic_pick") or None
    outcome = editing.save_topic(db_path(), topic, old_name=old, actor=signin.current())
    if outcome.ok:
        forget_cached()
        ss["topic_pick"] = topic.name
    _say("_topic_outcome", outcome)


@reports_to("_topic_outcome", "Cannot delete the topic")
def delete_picked_topic() -> None:
    """Callback: delete the picked topic and empty the form."""
    outcome = editing.delete_topic(db_path(), st.session_state.get("topic_pick", NEW_TOPIC), actor=signin.current())
    forget_cached()
    st.session_state["topic_pick"] = NEW_TOPIC
    for field in ("name", "query", "description"):
        st.session_state[f"draft_{field}"] = ""
    _say("_topic_outcome", outcome)


@reports_to("_feed_outcome", "Cannot add the feed")
def add_feed_from_form() -> None:
    """Callback: add the feed typed into the Sources page's form."""
    ss = st.session_state
    outcome = editing.add_feed(db_path(), ss.get("feed_url", ""), ss.get("feed_outlet", ""),
                               ss.get("feed_country", ""), ss.get("feed_language", ""), actor=signin.current())
    if outcome.ok:
        forget_cached()
        for key in ("feed_url", "feed_outlet", "feed_country", "feed_language"):
            ss[key] = ""
    _say("_feed_outcome", outcome)


@reports_to("_feed_outcome", "Cannot import the feeds")
def import_uploaded_feeds(specs: list) -> None:
    """Callback: add the feeds of the uploaded feed list."""
    outcome = editing.import_feed_list(db_path(), specs, actor=signin.current())
    forget_cached()
    _say("_feed_outcome", outcome)


# saved views and accounts --------------------------------------------------------------------------------------

@reports_to("_view_outcome", "Cannot save the view")
def save_current_view() -> None:
    """Callback: save the sidebar's filters under the name typed."""
    ss = st.session_state
    filters, _ = read_filters()
    outcome = saved.save(db_path(), ss.get("view_name", ""), filters, actor=signin.current(),
                         settings=chart_settings())
    if outcome.ok:
        ss["view_name"] = ""
    _say("_view_outcome", outcome)


def chart_settings() -> dict[str, str]:
    """The session's chart settings that differ from the defaults, as the URL spells them ({"interval": "week"})."""
    values = {key: st.session_state.get(key) for key in CHART_DEFAULTS}
    texts = {key: str(value).lower() if isinstance(value, bool) else str(value) for key, value in values.items()
             if value is not None}
    return {key: text for key, text in texts.items() if text != CHART_DEFAULTS[key]}


def app_base(page_path: str) -> str:
    """The dashboard's address as the visitor's browser reaches it (https://host/prefix/), '' when unknown."""
    return saved.app_base(st.context.url, page_path)


def open_saved_view(filters: Filters, name: str = "", gone: tuple[str, ...] = (),
                    settings: dict[str, str] | None = None) -> None:
    """Callback: set the sidebar filters to a saved view's (the bound widgets then put them in the URL) and go to
    the Articles page. A link would not do: inside a session the widgets' own values win over a link's params.
    A view whose parts are `gone` opens refused, with a message naming them (never wider than it was saved)."""
    ss = st.session_state
    ss["q"], ss["from"], ss["to"] = filters.q, filters.date_from, filters.date_to
    for field in FIELDS:
        if field.many:
            ss[field.param] = list(getattr(filters, field.name))
    ss["countries_mode"] = "all" if filters.countries_all else "any"
    _apply_settings(ss, settings or {})
    filters_changed()
    if gone:
        ss["_link_problem"] = f"the saved view “{name}” refers to {' and '.join(gone)}, which no longer exists"
    ss["_open_articles"] = True


@reports_to("_view_outcome", "Cannot delete the view")
def delete_saved_view(view_id: int) -> None:
    """Callback: delete a saved view (the owner's or, for an admin, anyone's)."""
    _say("_view_outcome", saved.delete(db_path(), view_id, actor=signin.current()))


@reports_to("_user_outcome", "Cannot add the user")
def add_user_from_form() -> None:
    """Callback: create the account typed into the Users page's form."""
    ss = st.session_state
    outcome = editing.add_user(db_path(), ss.get("new_user_name", ""), ss.get("new_user_password", ""),
                               ss.get("new_user_role", "analyst"), actor=signin.current())
    ss["new_user_password"] = ""
    if outcome.ok:
        ss["new_user_name"] = ""
    _say("_user_outcome", outcome)


def forget_user_role() -> None:
    """Callback: another user picked, so the role control starts from that user's role."""
    st.session_state.pop("user_role", None)


@reports_to("_user_outcome", "Cannot change the user")
def change_user(action: str) -> None:
    """Callback: remove, change the role of, or reset the password of the account picked on the Users page."""
    ss = st.session_state
    name, actor = ss.get("user_pick", ""), signin.current()
    if action == "remove":
        outcome = editing.remove_user(db_path(), name, actor=actor)
    elif action == "role":
        outcome = editing.set_user_role(db_path(), name, ss.get("user_role") or "", actor=actor)
    else:
        outcome = editing.reset_password(db_path(), name, ss.get("user_password", ""), actor=actor)
        ss["user_password"] = ""
    _say("_user_outcome", outcome)


# alert rules ---------------------------------------------------------------------------------------------------

@reports_to("_alert_outcome", "Cannot add the alert rule")
def add_alert_from_form() -> None:
    """Callback: add the rule described on the Alerts page."""
    from dashboard import alerts

    ss = st.session_state
    target = ss.get("alert_target") or "topic"
    outcome = alerts.add(db_path(), name=ss.get("alert_name", ""), target=target, ref=ss.get(f"alert_{target}") or "",
                         kind=ss.get("alert_kind") or "spike", channels=ss.get("alert_channels", ""),
                         sensitivity=ss.get("alert_sensitivity") or "medium",
                         keep_empty=bool(ss.get("alert_keep_empty")), shared=bool(ss.get("alert_shared")),
                         actor=signin.current())
    if outcome.ok:
        ss["alert_name"] = ss["alert_channels"] = ""
    _say("_alert_outcome", outcome)


@reports_to("_alert_outcome", "Cannot remove the alert rule")
def remove_alert(name: str) -> None:
    """Callback: remove a rule (its owner's or, for an admin, any)."""
    from dashboard import alerts

    _say("_alert_outcome", alerts.remove(db_path(), name, actor=signin.current()))
