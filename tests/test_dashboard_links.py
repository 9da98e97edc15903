"""A link's filters and choices in the app: an unknown value is named with the closest valid ones and nothing is
shown instead of a wider view; names and codes, in any case, are one and the same filter."""

from __future__ import annotations

import re
from contextlib import closing
from pathlib import Path

import pytest
from conftest import no_errors, plain, run_app

from dashboard import queries, saved, state
from dashboard.testing import build_sample_db
from db import connect, topics, views
from db.filters import Filters


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory) -> Path:
    return build_sample_db(tmp_path_factory.mktemp("links") / "sample.db", every=40)


def shown_count(at) -> int:
    return int(re.match(r"([\d,]+) matching articles", at.subheader[0].value).group(1).replace(",", ""))


def expected_count(db: Path, **kwargs) -> int:
    with closing(queries.open_db(db)) as conn:
        return queries.count_articles(conn, Filters.make(**kwargs))


BAD_LINKS = [
    ({"country": "Atlantis"}, "unknown country “Atlantis”", None),
    ({"country": "XX"}, "unknown country “XX”", "ISO 3166"),
    ({"country": "Azerbajan"}, "unknown country “Azerbajan”", "Azerbaijan (AZ)"),
    ({"topic": "Nope"}, "unknown topic “Nope”", "topics:"),
    ({"topic": "Nagorno-Karabak"}, "unknown topic “Nagorno-Karabak”", "Nagorno-Karabakh"),
    ({"outlet": "BBC Nws"}, "unknown outlet “BBC Nws”", "BBC News"),
    ({"lang": "englsh"}, "unknown language “englsh”", "English (en)"),
    ({"source": "Polnd"}, "unknown source country “Polnd”", "Poland (PL)"),
    ({"category": "politcs"}, "unknown category “politcs”", "politics"),
    ({"from": "2023-13-01"}, "from: '2023-13-01' is not an ISO date", None),
    ({"to": "yesterday"}, "to: 'yesterday' is not an ISO date", None),
    ({"interval": "year"}, "unknown interval “year”", "day, week, month"),
    ({"split": "colour"}, "unknown split “colour”", "country"),
    ({"measure": "percent"}, "unknown measure “percent”", "share"),
    ({"countries_mode": "both"}, "unknown countries_mode “both”", "any, all"),
    ({"top": "99"}, "top “99” is not a whole number from 1 to 20", None),
    ({"contry": "AZ"}, "unknown parameter “contry”", "“country”"),
    ({"form": "2023-09-01"}, "unknown parameter “form”", "“from”"),
    ({"xyzzy": "1"}, "unknown parameter “xyzzy”", "parameters: q, from, to, outlet"),
    ({"from": ["2023-09-01", "2023-10-01"]}, "from is given 2 times (2023-09-01, 2023-10-01): give it once", None),
    ({"interval": ["week", "month"]}, "interval is given 2 times (week, month): give it once", None),
]


@pytest.mark.parametrize(("params", "names", "suggests"), BAD_LINKS, ids=[str(p) for p, _, _ in BAD_LINKS])
@pytest.mark.parametrize("page", ["articles", "coverage", "countries"])
def test_a_bad_link_value_is_named_and_nothing_is_shown(sample_db, monkeypatch, params, names, suggests, page):
    at = no_errors(run_app(sample_db, monkeypatch, page, {**params, "q": "karabakh"}))
    message = plain(at.sidebar.error[0])
    assert names in message and (suggests is None or suggests in message)
    refused = plain(at.warning[0])
    assert refused.startswith(("This link cannot be shown as it asks: ", "These filters cannot be applied: "))
    assert "applied: this link" not in refused                          # one lead-in, not two
    # no data table, no chart, no download: the view is refused, not widened to everything
    assert not at.dataframe and not at.get("bidi_component") and not at.get("download_button") and not at.metric


def test_every_parameter_a_saved_view_link_carries_is_known():
    filters = Filters.make("karabakh", "2023-09-01", "2023-09-30", ["BBC News"], ["en"], ["GB"], ["AZ", "AM"],
                           ["Elections"], ["politics"], "all")
    settings = [(key, value) for key, value in state.CHART_DEFAULTS.items()]
    params: dict[str, list[str]] = {}
    for key, value in saved.link_params(filters) + settings + [("page", "2")]:
        params.setdefault(key, []).append(value)
    assert set(params) >= {*state.FILTER_KEYS, *state.CHART_DEFAULTS, "page"}
    assert state.link_problems(params) == []


def test_streamlits_own_parameters_are_not_refused(sample_db, monkeypatch):
    at = no_errors(run_app(sample_db, monkeypatch, "articles", {"embed": "true", "country": "AZ"}))
    assert not at.sidebar.error and shown_count(at) == expected_count(sample_db, countries=["AZ"]) > 0


def test_the_refusal_lasts_until_a_filter_changes(sample_db, monkeypatch):
    at = no_errors(run_app(sample_db, monkeypatch, "articles", {"from": "2023-13-01", "country": "AZ"}))
    assert "2023-13-01" in plain(at.sidebar.error[0])
    at.run()
    assert "2023-13-01" in plain(no_errors(at).sidebar.error[0]) and not at.dataframe
    at.multiselect(key="country").set_value(["RU"]).run()
    assert not no_errors(at).sidebar.error and shown_count(at) == expected_count(sample_db, countries=["RU"])


@pytest.mark.parametrize(("params", "names"), [
    ({"from": "2023-13-01", "country": "AZ"}, "from: '2023-13-01' is not an ISO date"),
    ({"to": "2023-02-30"}, "to: '2023-02-30' is not an ISO date"),
    ({"count": "both"}, "unknown count “both”"),
    ({"countries_mode": "both", "country": "AZ"}, "unknown countries_mode “both”"),
])
def test_a_refused_link_stays_refused_when_its_address_is_reloaded_or_shared(sample_db, monkeypatch, params, names):
    at = no_errors(run_app(sample_db, monkeypatch, "articles", params))
    address = dict(at.query_params)
    # the widget of the bad value dropped it from the address: the address still says what was refused
    assert state.REFUSED in address
    again = no_errors(run_app(sample_db, monkeypatch, "articles", address))
    assert names in plain(again.sidebar.error[0]) and not again.dataframe and not again.get("download_button")
    again.multiselect(key="country").set_value(["RU"]).run()
    assert not no_errors(again).sidebar.error and state.REFUSED not in again.query_params
    assert shown_count(again) == expected_count(sample_db, countries=["RU"])


def test_a_source_country_without_outlets_is_named_not_silently_empty(sample_db, monkeypatch):
    with closing(queries.open_db(sample_db)) as conn:
        sources = set(queries.filter_choices(conn).source_countries)
    assert "TR" not in sources and "PL" in sources
    at = no_errors(run_app(sample_db, monkeypatch, "articles", {"source": ["PL", "TR"]}))
    warning = plain(at.sidebar.warning[0])
    assert "Türkiye (TR)" in warning and "Poland" not in warning and "nothing from there can match" in warning
    assert shown_count(at) == expected_count(sample_db, source_countries=["PL"]) > 0   # the other ones still shown
    alone = no_errors(run_app(sample_db, monkeypatch, "articles", {"source": "PL"}))
    assert not alone.sidebar.warning


def test_a_refused_date_left_behind_by_another_filter_change_is_named(sample_db, monkeypatch):
    # a user trial: a bad From date was refused, then a new search showed every date without a word
    at = no_errors(run_app(sample_db, monkeypatch, "articles", {"q": "karabakh", "from": "2023-02-30",
                                                                  "to": "2023-10-10"}))
    assert "2023-02-30" in plain(at.sidebar.error[0]) and not at.dataframe
    at.text_input(key="q").set_value("karabakh OR armenia").run()
    assert not no_errors(at).sidebar.error
    assert plain(at.sidebar.warning[0]) == ("Not applied from the link: from=2023-02-30. The view shows the filters "
                                            "as set here.")
    assert shown_count(at) == expected_count(sample_db, q="karabakh OR armenia", date_to="2023-10-10") > 0
    at.multiselect(key="country").set_value(["AZ"]).run()   # said until the next change
    assert not no_errors(at).sidebar.warning


def test_clear_filters_ends_a_refusal(sample_db, monkeypatch):
    at = no_errors(run_app(sample_db, monkeypatch, "articles", {"country": "Atlantis"}))
    at.sidebar.button[0].click().run()
    assert not no_errors(at).sidebar.error and shown_count(at) == expected_count(sample_db)


SAME_AS_AZ = [{"country": "Azerbaijan"}, {"country": "azerbaijan"}, {"country": "az"}, {"country": "AZERBAIJAN"}]


@pytest.mark.parametrize("params", SAME_AS_AZ, ids=[p["country"] for p in SAME_AS_AZ])
def test_a_country_name_or_code_in_any_case_is_the_same_filter(sample_db, monkeypatch, params):
    at = no_errors(run_app(sample_db, monkeypatch, "articles", params))
    assert not at.sidebar.error
    assert shown_count(at) == expected_count(sample_db, countries=["AZ"]) > 0
    assert all("AZ" in c.split() for c in at.dataframe[0].value["countries"])


@pytest.mark.parametrize(("params", "kwargs"), [
    ({"lang": "English"}, {"langs": ["en"]}),
    ({"lang": "PL"}, {"langs": ["pl"]}),
    ({"outlet": "bbc news"}, {"outlets": ["BBC News"]}),
    ({"topic": "nagorno-karabakh"}, {"topics": ["Nagorno-Karabakh"]}),
    ({"source": "poland"}, {"source_countries": ["PL"]}),
    ({"category": "Politics"}, {"categories": ["politics"]}),
])
def test_names_are_matched_without_regard_to_case(sample_db, monkeypatch, params, kwargs):
    at = no_errors(run_app(sample_db, monkeypatch, "articles", params))
    assert not at.sidebar.error and shown_count(at) == expected_count(sample_db, **kwargs) > 0


def test_all_countries_means_the_same_story(sample_db, monkeypatch):
    params = {"country": ["AM", "AZ"]}
    any_of = no_errors(run_app(sample_db, monkeypatch, "articles", params))
    all_of = no_errors(run_app(sample_db, monkeypatch, "articles", {**params, "countries_mode": "all"}))
    n_any, n_all = shown_count(any_of), shown_count(all_of)
    assert n_any == expected_count(sample_db, countries=["AM", "AZ"])
    assert 0 < n_all == expected_count(sample_db, countries=["AM", "AZ"], countries_mode="all") < n_any
    assert all({"AM", "AZ"} <= set(c.split()) for c in all_of.dataframe[0].value["countries"])
    assert "naming Armenia (AM) or Azerbaijan (AZ)" in plain(any_of.sidebar.caption[-1])
    assert "naming Armenia (AM) and Azerbaijan (AZ)" in plain(all_of.sidebar.caption[-1])


@pytest.mark.parametrize("page", ["coverage", "countries"])
def test_all_countries_on_the_charts_agree_with_the_articles(sample_db, monkeypatch, page):
    """Two countries in one story are not a rollup: the headline counts the articles themselves."""
    at = no_errors(run_app(sample_db, monkeypatch, page, {"country": ["AM", "AZ"], "countries_mode": "all"}))
    assert not at.sidebar.error and not at.warning
    if page == "coverage":
        assert at.metric[0].value == f"{expected_count(sample_db, countries=['AM', 'AZ'], countries_mode='all'):,}"


def test_the_language_filter_offers_the_languages_of_the_data(sample_db, monkeypatch):
    at = no_errors(run_app(sample_db, monkeypatch, "articles"))
    with closing(connect(sample_db)) as conn:
        stored = {r[0] for r in conn.execute("SELECT DISTINCT language FROM articles")}
    assert set(at.multiselect(key="lang").options) >= {"English", "Polish"}
    assert len(at.multiselect(key="lang").options) < 20 and stored <= {"en", "pl", "ru", "de", "fr", "uk", None}


def test_a_saved_view_of_a_deleted_topic_opens_refused_naming_it(tmp_path, monkeypatch):
    db = build_sample_db(tmp_path / "s.db", every=200)
    with closing(connect(db)) as conn:
        views.save_view(conn, "Votes", "ana", Filters.make(topics=["Elections"], countries=["PL"]))
        topics.remove_topic(conn, "Elections")
    at = no_errors(run_app(db, monkeypatch, "views", auth_mode="none"))
    assert "no longer exists: the topic “Elections”" in " ".join(t.value for t in at.text)
    next(b for b in at.button if b.key and b.key.startswith("open_view_")).click().run()
    at = no_errors(at)
    assert "cannot be applied" in plain(at.warning[0]) and at.multiselect(key="topic").value == ["Elections"]
    gone = "the saved view “Votes” refers to the topic “Elections”, which no longer exists"
    assert gone in plain(at.sidebar.error[0])
    assert not at.dataframe and not at.get("download_button")


def test_a_date_written_without_leading_zeros_is_the_date_the_date_box_shows(sample_db, monkeypatch):
    at = no_errors(run_app(sample_db, monkeypatch, "articles", {"from": "2023-9-1", "to": "2023-9-30"}))
    assert not at.sidebar.error and at.date_input(key="from").value.isoformat() == "2023-09-01"
    assert shown_count(at) == expected_count(sample_db, date_from="2023-09-01", date_to="2023-09-30") > 0


@pytest.mark.parametrize(("asked", "warned"), [("999", True), ("1", False), ("2", False)])
def test_a_link_to_a_page_past_the_last_says_so(sample_db, monkeypatch, asked, warned):
    at = no_errors(run_app(sample_db, monkeypatch, "articles", {"source": "PL", "page": asked}))
    pages = queries.page_count(expected_count(sample_db, source_countries=["PL"]), state.ARTICLES_PER_PAGE)
    assert pages >= 2
    warnings = [plain(w) for w in at.warning if "asks for page" in plain(w)]
    assert warnings == ([f"The link asks for page 999, but these filters give {pages} pages: showing the first."]
                        if warned else [])
    assert at.caption[-1].value.startswith(f"Page {1 if warned else int(asked)} of {pages}")
    at.run()   # said once: the next rerun shows the page without it
    assert not [w for w in no_errors(at).warning if "asks for page" in plain(w)]
