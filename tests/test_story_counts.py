"""Counting stories: two outlets' copies of one report count twice as articles and once as a story, in the headline,
the coverage chart (per day, week and month, split or not, counts and share), who covers whom and the Articles
page, under every kind of filter."""

from __future__ import annotations

import datetime as dt
from contextlib import closing

import pytest
from conftest import no_errors, run_app

from dashboard import queries as q
from dashboard import state
from dashboard.testing import add_articles, recording_fetch
from db import aggregates, connect, stories, topics, transaction
from db.copy import copy
from db.filters import Filters

# (story key, outlet, source country, title, published): one key is one story; None: an article never grouped
ARTICLES = [
    ("karabakh", "Herald", "GB", "Azerbaijan launches offensive in Karabakh", "2023-09-19 08:00:00"),
    ("karabakh", "Gazeta", "PL", "Azerbaijan launches offensive in Karabakh", "2023-09-19 09:00:00"),
    ("karabakh", "Gazeta", "PL", "Azerbaijan offensive in Karabakh: Stepanakert shelled", "2023-09-19 12:00:00"),
    ("karabakh", "Courier", "US", "Azerbaijan offensive in Karabakh enters second day", "2023-09-20 07:00:00"),
    ("election", "Herald", "GB", "Poland votes in a tense election", "2023-10-15 10:00:00"),
    ("election", "Courier", "US", "Poland votes in a tense election", "2023-10-15 11:00:00"),
    ("grain", "Gazeta", "PL", "Ukraine grain exports resume", "2023-09-21 10:00:00"),
    (None, "Herald", "GB", "Ukraine grain talks stall", "2023-09-21 11:00:00"),
    (None, "Courier", "US", "Weather in Poland turns cold", "2023-10-16 09:00:00"),
]

FILTERS = {"everything": Filters(), "text": Filters.from_params({"q": "karabakh OR poland"}),
           "topic": Filters.from_params({"topic": "Karabakh"}), "country": Filters.from_params({"country": "AZ"}),
           "source": Filters.from_params({"source": "PL"}), "outlet": Filters.from_params({"outlet": "Herald"}),
           "dates": Filters.from_params({"from": "2023-09-19", "to": "2023-09-20"}),
           # a content filter within dates: read from the shared stories' own day, the last day included
           "country, dates": Filters.from_params({"country": "AZ", "from": "2023-09-19", "to": "2023-09-19"}),
           "topic, language": Filters.from_params({"topic": "Karabakh", "lang": "en"})}


@pytest.fixture
def story_db(tmp_path):
    path = tmp_path / "stories.db"
    with closing(connect(path)) as conn:
        fill(conn)
    return path


def fill(conn) -> None:
    """The articles of ARTICLES, the Karabakh topic, and their stories as the grouping would write them."""
    for i, (_, outlet, country, title, published) in enumerate(ARTICLES):
        add_articles(conn, f"https://{outlet.lower()}.example/rss",
                     [(title, f"https://{outlet.lower()}.example/{i}", published)], outlet=outlet, country=country)
    with transaction(conn):
        topics.save_topic(conn, topics.Topic("Karabakh", "karabakh OR stepanakert"))
    ids = [conn.execute("SELECT id FROM articles WHERE link = ?", (f"https://{o.lower()}.example/{i}",)).fetchone()[0]
           for i, (_, o, *_rest) in enumerate(ARTICLES)]
    first: dict[str, int] = {}
    pairs = []
    for key, article in zip((a[0] for a in ARTICLES), ids, strict=True):
        if key:
            pairs.append((article, first.setdefault(key, article)))
    with transaction(conn):
        stories.set_stories(conn, pairs)


def expected(filters: Filters, conn) -> dict[str, set]:
    """The stories of the matching articles by their day: what counting each story once must give."""
    where, params = filters.where(dialect=getattr(conn, "dialect", "sqlite"))
    rows = conn.execute(f"SELECT substr(a.published, 1, 10), coalesce(s.story_id, a.id) FROM articles a "
                        f"LEFT JOIN outlets o ON o.id = a.outlet_id {stories.JOIN_STORY} WHERE {where}",
                        params).fetchall()
    days: dict[str, set] = {}
    for day, story in rows:
        days.setdefault(day, set()).add(story)
    return days


@pytest.mark.parametrize("name", FILTERS)
def test_stories_count_each_story_once_under_every_filter(story_db, name):
    filters = FILTERS[name]
    with closing(connect(story_db, readonly=True)) as conn:
        days = expected(filters, conn)
        assert q.count_matches(conn, filters, "stories") == len(set().union(*days.values())) > 0
        assert q.count_matches(conn, filters, "stories") == stories.total(conn, filters, "stories")
        assert q.count_matches(conn, filters, "articles") == stories.total(conn, filters, "articles")
        head = q.headline(conn, filters, count="stories")
        assert head.articles == q.count_matches(conn, filters, "stories")
        assert head.busiest_count == max(len(s) for s in days.values())
        series = q.coverage(conn, filters, "day", count="stories")
        drawn = {b.strftime("%Y-%m-%d"): n for b, n in zip(series["bucket"], series["n"], strict=True) if n}
        assert drawn == {day: len(s) for day, s in days.items()}


@pytest.mark.parametrize("name", ["everything", "text", "outlet", "country", "country, dates", "topic, language"])
def test_both_engines_count_the_articles_beyond_each_storys_first_alike(story_db, engine, name):
    with closing(connect(story_db)) as source:   # the collector's path on PostgreSQL is another part's: copied
        copy(source, engine)
        grouped = source.execute("SELECT article_id, story_id FROM article_stories").fetchall()
    with transaction(engine):   # written as the grouping writes them, so that migration 17's triggers keep count
        stories.set_stories(engine, [tuple(r) for r in grouped])
    filters = FILTERS[name]
    excess = aggregates.story_excess(engine, filters, keys=("source",), bucket="week")
    got = {(week, source): int(n) for week, source, n in excess.itertuples(index=False)}
    assert got == {cell: articles - len(cell_stories) for cell, (articles, cell_stories)
                   in _week_source_stories(engine, filters).items() if articles > len(cell_stories)}


@pytest.mark.parametrize("name", ["text", "topic", "country", "topic, language"])
@pytest.mark.parametrize("kind", [None, "country", "topic"])
def test_both_engines_list_a_content_filters_shared_articles_alike(story_db, engine, name, kind):
    """What a page with a content filter counts its stories from: the same rows on both engines, one per label of
    each shared article (one without a label where it has none)."""
    with closing(connect(story_db)) as source:
        with transaction(source):   # a shared article with no country
            source.execute("DELETE FROM article_countries WHERE article_id = (SELECT id FROM articles WHERE link = ?)",
                           ("https://courier.example/3",))
        copy(source, engine)
        grouped = source.execute("SELECT article_id, story_id FROM article_stories").fetchall()
        want = _rows_of(aggregates.shared_matches(source, FILTERS[name], kind))
    with transaction(engine):
        stories.set_stories(engine, [tuple(r) for r in grouped])
    assert want and _rows_of(aggregates.shared_matches(engine, FILTERS[name], kind)) == want


@pytest.mark.parametrize(("name", "chosen"), [("everything", ("AZ", "UA")), ("everything", ("PL",)),
                                              ("text", ("PL", "UA")), ("text", ("AZ",))])
def test_a_charts_chosen_lines_count_their_stories_alike_on_both_engines(story_db, engine, name, chosen):
    """A chart's chosen countries (the spike baseline's lines) are counted by the database: their cells only, as a
    recount of the matching articles per week and country gives them."""
    with closing(connect(story_db)) as source:
        copy(source, engine)
        grouped = source.execute("SELECT article_id, story_id FROM article_stories").fetchall()
    with transaction(engine):
        stories.set_stories(engine, [tuple(r) for r in grouped])
    frame = aggregates.story_excess(engine, FILTERS[name], keys=("label",), bucket="week", kind="country",
                                    labels=chosen)
    want = {key: n for key, n in _recount(engine, FILTERS[name], ("label",), "week").items() if key[1] in chosen}
    assert {tuple(row[:-1]): int(row[-1]) for row in frame.itertuples(index=False)} == want != {}
    assert aggregates.story_excess(engine, FILTERS[name], keys=("label",), bucket="week", kind="country",
                                   labels=()).empty   # no line chosen: no cell, on both engines


def _rows_of(frame) -> list[tuple]:
    return sorted(tuple(None if v != v else v for v in row) for row in frame.itertuples(index=False))


def _week_source_stories(conn, filters: Filters) -> dict[tuple[str, str], tuple[int, set]]:
    """Per (week, source country) of the matching articles: how many, and their stories, counted in Python."""
    where, params = filters.where(dialect=getattr(conn, "dialect", "sqlite"))
    rows = conn.execute(f"SELECT a.published, coalesce(o.country, 'unknown'), {stories.STORY} FROM articles a "
                        f"LEFT JOIN outlets o ON o.id = a.outlet_id {stories.JOIN_STORY} WHERE {where}",
                        params).fetchall()
    cells: dict[tuple[str, str], tuple[int, set]] = {}
    for published, source, story in rows:
        day = dt.date.fromisoformat(published[:10])
        key = ((day - dt.timedelta(days=day.weekday())).isoformat(), source)
        articles, seen = cells.get(key, (0, set()))
        cells[key] = (articles + 1, seen | {story})
    return cells


def test_two_outlets_copies_count_twice_as_articles_and_once_as_a_story(story_db):
    day = Filters.from_params({"from": "2023-09-19", "to": "2023-09-19"})
    with closing(connect(story_db, readonly=True)) as conn:
        assert q.count_matches(conn, day, "articles") == 3
        assert q.count_matches(conn, day, "stories") == 1
        assert q.headline(conn, day, count="stories").busiest_count == 1


@pytest.mark.parametrize(("bucket", "articles", "stories_"), [("day", 3, 1), ("week", 6, 3), ("month", 6, 3)])
def test_a_story_counts_once_per_bucket(story_db, bucket, articles, stories_):
    with closing(connect(story_db, readonly=True)) as conn:
        counted = {c: q.coverage(conn, Filters(), bucket, count=c) for c in ("articles", "stories")}
    first = {c: int(s.sort_values("bucket")["n"].iloc[0]) for c, s in counted.items()}
    assert first == {"articles": articles, "stories": stories_}


def test_the_share_counts_stories_of_the_same_sources(story_db):
    filters = Filters.from_params({"topic": "Karabakh"})
    with closing(connect(story_db, readonly=True)) as conn:
        series = q.coverage(conn, filters, "week", normalized=True, count="stories")
    week = series.sort_values("bucket").iloc[0]   # week of 18 Sep: Karabakh 1 story of 3 (grain twice)
    assert (week["n"], week["total"]) == (1, 3) and week["value"] == pytest.approx(100 / 3)


@pytest.mark.parametrize("split", ["outlet", "source", "country", "topic"])
def test_split_lines_count_a_story_once_per_line(story_db, split):
    with closing(connect(story_db, readonly=True)) as conn:
        series = q.coverage(conn, Filters(), "month", split, count="stories")
    september = series[series["bucket"] == "2023-09-01"].set_index("label")["n"]
    expected_ = {"outlet": {"Gazeta": 2, "Herald": 2, "Courier": 1}, "source": {"PL": 2, "GB": 2, "US": 1},
                 "country": {"AZ": 1, "UA": 2}, "topic": {"Karabakh": 1}}[split]
    assert {k: v for k, v in september.items() if v} == expected_


def test_who_covers_whom_counts_a_story_once_per_cell(story_db):
    with closing(connect(story_db, readonly=True)) as conn:
        articles = q.cover_grid(conn, Filters(), count="articles")
        grid = q.cover_grid(conn, Filters(), count="stories")
        countries = q.country_counts(conn, Filters(), "stories").set_index("country")["n"]
        named_articles = q.country_counts(conn, Filters()).set_index("country")["n"]
    assert articles.counts.loc["PL", "AZ"] == 2 and grid.counts.loc["PL", "AZ"] == 1
    assert grid.sources.to_dict() == {"PL": 2, "GB": 3, "US": 3}
    assert countries["AZ"] == 1   # on the map: the story once, whichever outlets reported it
    # a column's total is the map's: each story once, however many source countries reported it
    assert grid.named.to_dict() == countries[grid.named.index].to_dict()
    assert articles.named.to_dict() == named_articles[articles.named.index].to_dict()
    assert grid.counts["AZ"].sum() == 3 and grid.named["AZ"] == 1   # one story, reported from three source countries


def test_the_count_option_is_checked_like_the_other_page_options():
    assert state.link_problems({"count": ["stories"]}) == []
    assert state.link_problems({"count": ["Stories"]}) == []
    problems = state.link_problems({"count": ["storys"]})
    assert problems and "count is one of articles, stories" in problems[0]


def test_the_articles_page_shows_one_row_per_story_and_opens_it(story_db, monkeypatch):
    at = no_errors(run_app(story_db, monkeypatch, "articles", {"count": "stories"}))
    assert at.subheader[0].value == "5 matching stories"
    table = at.dataframe[0].value
    assert len(table) == 5
    karabakh = table[table["title"] == "Azerbaijan launches offensive in Karabakh"].iloc[0]
    assert (karabakh["articles"], karabakh["outlet_count"]) == (4, 3)
    assert set(karabakh["outlets"].split("; ")) == {"Herald", "Gazeta", "Courier"}
    assert karabakh["outlet"] == "Herald" and karabakh["published"] == dt.datetime(2023, 9, 19, 8)
    # who had it first, then its size, before the wide title (after it, a 1280-pixel window did not show them); the
    # first outlet away from the headline's link, which may be another outlet's report
    assert list(at.dataframe[0].proto.column_order)[:6] == ["published", "outlet", "articles", "outlet_count",
                                                             "title", "link"]


def test_the_articles_page_counts_articles_by_default(story_db, monkeypatch):
    at = no_errors(run_app(story_db, monkeypatch, "articles"))
    assert at.subheader[0].value == "9 matching articles" and len(at.dataframe[0].value) == 9


def test_coverage_and_countries_pages_say_what_a_story_is(story_db, monkeypatch):
    at = no_errors(run_app(story_db, monkeypatch, "coverage", {"count": "stories"}))
    assert [m.label for m in at.metric][0] == "Stories" and at.metric[0].value == "5"
    assert "each story once per day" in at.caption[0].value
    at = no_errors(run_app(story_db, monkeypatch, "countries", {"count": "stories"}))
    assert any("each story once per cell" in c.value for c in at.caption)


def test_a_story_opens_to_every_one_of_its_articles(story_db):
    with closing(connect(story_db, readonly=True)) as conn:
        rows = q.story_table(aggregates.story_rows(conn, Filters.from_params({"outlet": "Courier"}), 1, 50))
        karabakh = rows[rows["title"].str.contains("second day")].iloc[0]   # its first article among Courier's
        members = q.member_table(stories.members(conn, int(karabakh["story"])))
    assert karabakh["articles"] == 1 and karabakh["outlets"] == "Courier"
    assert list(members["outlet"]) == ["Herald", "Gazeta", "Gazeta", "Courier"]
    assert members["link"].str.startswith("https://").all()


@pytest.mark.parametrize(("page", "per_page", "titles"), [(1, 2, ["Weather in Poland turns cold",
                                                                   "Poland votes in a tense election"]),
                                                          (2, 2, ["Ukraine grain talks stall",
                                                                  "Ukraine grain exports resume"]),
                                                          (3, 2, ["Azerbaijan launches offensive in Karabakh"])])
def test_stories_are_paged_most_recently_reported_first(story_db, page, per_page, titles):
    with closing(connect(story_db, readonly=True)) as conn:
        assert [r.title for r in aggregates.story_rows(conn, Filters(), page, per_page)] == titles


@pytest.mark.parametrize("change", ["a copy leaves its story", "two stories merge", "an article is deleted",
                                    "every story is cleared"])
def test_story_counts_stay_exact_as_stories_change(story_db, change):
    with closing(connect(story_db)) as conn:
        _change(conn, change)
    with closing(connect(story_db, readonly=True)) as conn:
        for filters in (Filters(), FILTERS["source"]):
            days = expected(filters, conn)
            assert q.count_matches(conn, filters, "stories") == len(set().union(*days.values()))
            series = q.coverage(conn, filters, "day", count="stories")
            assert {b.strftime("%Y-%m-%d"): n for b, n in zip(series["bucket"], series["n"], strict=True) if n} == \
                {day: len(s) for day, s in days.items()}


# every way the dashboard asks for a story excess: (keys, kind of label)
_ASKED = [((), None), (("outlet_id",), None), (("source",), None), (("label",), "country"),
          (("source", "label"), "country")]


def _change(conn, change: str) -> None:
    """One of the edits after which story counts and migration 18's story repeats must be recounted."""
    ids = [r[0] for r in conn.execute("SELECT id FROM articles ORDER BY id")]
    with transaction(conn):
        if change == "a copy leaves its story":
            stories.set_stories(conn, [(ids[1], ids[1])])
        elif change == "two stories merge":
            stories.set_stories(conn, [(i, ids[0]) for i in ids[4:6]])
        elif change == "an article is deleted":
            conn.execute("DELETE FROM articles WHERE id = ?", (ids[0],))
        elif change == "two articles of a story name another country":
            conn.executemany("INSERT INTO article_countries (article_id, country) VALUES (?, 'UA')",
                             [(ids[2],), (ids[3],)])
        elif change == "an article no longer names a country":
            conn.execute("DELETE FROM article_countries WHERE article_id = ? AND country = 'AZ'", (ids[1],))
        elif change == "an outlet moves to another country":
            conn.execute("UPDATE outlets SET country = 'GB' WHERE name = 'Courier'")
        elif change == "an outlet's articles turn out to be Polish":   # its copies of the English stories
            conn.execute("UPDATE articles SET language = 'pl' WHERE outlet_id = "
                         "(SELECT id FROM outlets WHERE name = 'Gazeta')")
        elif change == "every story is cleared":   # stories rebuild starts from nothing
            stories.clear(conn)
        else:
            raise ValueError(change)


def _recount(conn, filters: Filters, keys: tuple[str, ...], bucket: str | None) -> dict[tuple, int]:
    """Per bucket and keys: the matching articles beyond each story's first there, counted in Python."""
    where, params = filters.where(dialect=getattr(conn, "dialect", "sqlite"))
    rows = conn.execute(f"SELECT a.id, a.published, coalesce(a.outlet_id, 0), coalesce(o.country, 'unknown'), "
                        f"{stories.STORY} FROM articles a LEFT JOIN outlets o ON o.id = a.outlet_id "
                        f"{stories.JOIN_STORY} WHERE {where}", params).fetchall()
    cells: dict[tuple, list] = {}
    for article, published, outlet, source, story in rows:
        day = dt.date.fromisoformat(published[:10])
        at = {None: (), "day": (day.isoformat(),), "month": (day.replace(day=1).isoformat(),),
              "week": ((day - dt.timedelta(days=day.weekday())).isoformat(),)}[bucket]
        labels = [r[0] for r in conn.execute("SELECT country FROM article_countries WHERE article_id = ?",
                                             (article,))] if "label" in keys else [""]
        for label in labels:
            key = at + tuple({"outlet_id": outlet, "source": source, "label": label}[k] for k in keys)
            cells.setdefault(key, []).append(story)
    return {key: len(s) - len(set(s)) for key, s in cells.items() if len(s) > len(set(s))}


def _excess(conn, filters: Filters, keys: tuple[str, ...], bucket: str | None, kind: str | None) -> dict[tuple, int]:
    frame = aggregates.story_excess(conn, filters, keys=keys, bucket=bucket, kind=kind)
    return {tuple(row[:-1]): int(row[-1]) for row in frame.itertuples(index=False)}


@pytest.mark.parametrize("change", [None, "a copy leaves its story", "two stories merge", "an article is deleted",
                                    "two articles of a story name another country",
                                    "an article no longer names a country", "an outlet moves to another country",
                                    "an outlet's articles turn out to be Polish"])
def test_the_story_repeats_rollup_counts_as_a_recount_on_both_engines(story_db, engine, change):
    with closing(connect(story_db)) as source:
        copy(source, engine)
        grouped = source.execute("SELECT article_id, story_id FROM article_stories").fetchall()
    with transaction(engine):
        stories.set_stories(engine, [tuple(r) for r in grouped])
    if change:
        _change(engine, change)
    # no filter, dates that cut weeks and a month, the source countries that keep whole cells of some counts
    # one language, alone or with a source (migration 27's cells: a story told in two languages is one in either)
    for filters in (Filters(), Filters.from_params({"from": "2023-09-20", "to": "2023-10-15"}),
                    Filters.from_params({"source": "US", "from": "2023-09-19"}), FILTERS["outlet"],
                    Filters.from_params({"lang": "pl"}), Filters.from_params({"lang": "en", "from": "2023-09-19"}),
                    Filters.from_params({"lang": "en", "source": "PL"}), Filters.from_params({"lang": "en",
                                                                                              "outlet": "Courier"})):
        for (keys, kind), bucket in ((asked, bucket) for asked in _ASKED for bucket in (None, "day", "week", "month")):
            assert _excess(engine, filters, keys, bucket, kind) == _recount(engine, filters, keys, bucket), \
                (filters, keys, bucket)
    assert aggregates._repeats(engine, Filters(), ("source", "label"), "week", "country") is not None


@pytest.mark.parametrize(("params", "keys", "kind", "rolled_up"), [
    ({"lang": "en"}, ("label",), "country", True),
    ({"lang": "pl"}, (), None, True),     # the first Polish copy of an English story is no repeat in Polish
    ({"lang": "pl", "source": "PL"}, (), None, True),           # one source country: its own cell of all sources
    ({"lang": "pl", "source": "PL"}, ("label",), "country", True),
    ({"outlet": "Gazeta"}, (), None, True),                      # one outlet: its own cell
    ({"lang": ["en", "pl"]}, (), None, False),                   # a story's first in each language: read the stories
    ({"source": ["PL", "US"]}, (), None, False),
    ({"outlet": "Gazeta"}, ("label",), "country", False),
])
@pytest.mark.parametrize("written", ["by the row triggers", "by a bulk regrouping"])
def test_story_counts_under_one_language_or_source_are_read_from_the_rollup(story_db, params, keys, kind, rolled_up,
                                                                            written):
    with closing(connect(story_db)) as conn:
        _change(conn, "an outlet's articles turn out to be Polish")
        if written == "by a bulk regrouping":   # the stories, now in two languages, recounted a batch at a time
            grouped = [tuple(r) for r in conn.execute("SELECT article_id, story_id FROM article_stories")]
            _change(conn, "every story is cleared")
            with transaction(conn):
                stories.set_stories(conn, grouped)
        filters = Filters.from_params(params)
        assert (aggregates._repeats(conn, filters, keys, "week", kind) is not None) == rolled_up
        assert _excess(conn, filters, keys, "week", kind) == _recount(conn, filters, keys, "week") != {}


@pytest.mark.parametrize("name", ["text", "topic", "country", "dates", "source"])
def test_countries_page_counts_each_story_once_per_country_and_cell(story_db, name):
    filters = FILTERS[name]
    with closing(connect(story_db, readonly=True)) as conn:
        where, params = filters.where()
        rows = conn.execute(f"SELECT coalesce(o.country, 'unknown'), ac.country, {stories.STORY} FROM articles a "
                            f"LEFT JOIN outlets o ON o.id = a.outlet_id {stories.JOIN_STORY} "
                            f"JOIN article_countries ac ON ac.article_id = a.id WHERE {where}", params).fetchall()
        countries = q.country_counts(conn, filters, "stories").set_index("country")["n"].to_dict()
        grid = q.cover_grid(conn, filters, count="stories").counts
    assert countries == {c: len({s for _, named, s in rows if named == c}) for _, c, _ in rows}
    cells = {(source, c): len({s for o, named, s in rows if (o, named) == (source, c)}) for source, c, _ in rows}
    assert {(r, c): int(grid.loc[r, c]) for r in grid.index for c in grid.columns if grid.loc[r, c]} == cells


# two stories of two copies each: one names no country, the other two countries
LABELLED = [("summit", "Herald", "GB", "Leaders gather for the summit", "2023-10-17 08:00:00"),
            ("summit", "Courier", "US", "Leaders gather for the summit", "2023-10-17 09:00:00"),
            ("deal", "Gazeta", "PL", "Poland and Ukraine sign a grain deal", "2023-10-18 08:00:00"),
            ("deal", "Herald", "GB", "Poland and Ukraine sign a grain deal", "2023-10-18 09:00:00")]


@pytest.mark.parametrize("split", ["none", "country", "topic"])
def test_a_content_filters_story_counts_keep_each_article_once_whatever_it_names(story_db, split):
    """A page that also counts per country or topic reads its matching shared articles once, with their labels: a
    story that names no country, or two, still counts once in the headline and in the row totals of who covers
    whom."""
    links = [f"https://{outlet.lower()}.example/{key}{i}" for i, (key, outlet, *_rest) in enumerate(LABELLED)]
    with closing(connect(story_db)) as conn:
        for link, (_, outlet, country, title, published) in zip(links, LABELLED, strict=True):
            add_articles(conn, f"https://{outlet.lower()}.example/rss", [(title, link, published)], outlet=outlet,
                         country=country)
        ids = [conn.execute("SELECT id FROM articles WHERE link = ?", (link,)).fetchone()[0] for link in links]
        assert {len(c) for c in _countries(conn, ids)} == {0, 2}
        with transaction(conn):
            stories.set_stories(conn, [(ids[0], ids[0]), (ids[1], ids[0]), (ids[2], ids[2]), (ids[3], ids[2])])
    filters = Filters.from_params({"q": "summit OR poland"})
    with closing(connect(story_db, readonly=True)) as conn:
        head = q.headline(conn, filters, split, count="stories")
        grid = q.cover_grid(conn, filters, count="stories")
    # the summit, the deal, the election (two copies each) and the weather once; each day one story (a tie: the latest)
    assert (head.articles, head.busiest_day, head.busiest_count) == (4, "2023-10-18", 1)
    assert grid.sources.to_dict() == {"US": 3, "GB": 3, "PL": 1}


def _countries(conn, ids: list[int]) -> list[set[str]]:
    return [{r[0] for r in conn.execute("SELECT country FROM article_countries WHERE article_id = ?", (i,))}
            for i in ids]


@pytest.mark.parametrize("engine_name", ["sqlite", "postgresql"])
@pytest.mark.parametrize("order", ["categorised after the grouping", "grouped after the categorising"])
def test_a_categorys_story_counts_follow_its_articles_categories(story_db, tmp_path, request, engine_name, order):
    """The shared stories keep each article's category (migration 29), which a category's story counts read: written
    when an article is grouped (alone by the row trigger as the copy writes it, or a batch by set_stories) and moved
    when its category changes."""
    target = request.getfixturevalue("pg_url") if engine_name == "postgresql" else tmp_path / "target.db"
    with closing(connect(story_db)) as source, closing(connect(target)) as conn:
        copy(source, conn)
        grouped = [tuple(r) for r in conn.execute("SELECT article_id, story_id FROM article_stories")]
        with transaction(conn):
            conn.execute("UPDATE articles SET category = 'politics' WHERE title LIKE '%Karabakh%' "
                         "OR title LIKE 'Poland votes%'")
            # one copy of the Karabakh story moves to sport: the story counts once in each category
            conn.execute("UPDATE articles SET category = 'sport' WHERE title LIKE '%Stepanakert%'")
        if order == "grouped after the categorising":
            with transaction(conn):
                stories.clear(conn)
            with transaction(conn):
                stories.set_stories(conn, grouped)
        for category, count in (("politics", 2), ("sport", 1)):   # Karabakh and the election; Karabakh's copy
            filters = Filters.from_params({"category": category})
            days = expected(filters, conn)
            assert q.count_matches(conn, filters, "stories") == len(set().union(*days.values())) == count
            series = q.coverage(conn, filters, "day", count="stories")
            assert {b.strftime("%Y-%m-%d"): n for b, n in zip(series["bucket"], series["n"], strict=True) if n} == \
                {day: len(s) for day, s in days.items()}


@pytest.mark.parametrize("engine_name", ["sqlite", "postgresql"])
def test_migration_27_counts_the_languages_of_a_database_it_finds_filled(story_db, tmp_path, request, engine_name):
    target = request.getfixturevalue("pg_url") if engine_name == "postgresql" else tmp_path / "target.db"
    with closing(connect(story_db)) as source, closing(connect(target)) as conn:
        _change(source, "an outlet's articles turn out to be Polish")
        copy(source, conn)
        with transaction(conn):
            stories.set_stories(conn, [tuple(r) for r in source.execute("SELECT article_id, story_id FROM "
                                                                         "article_stories")])
        # a database of version 26 with shared stories: migration 27 must count its repeats itself
        with transaction(conn):
            conn.execute("DELETE FROM story_repeat_days")
            conn.execute("DELETE FROM story_repeats")
            conn.execute("UPDATE schema_version SET version = 26" if engine_name == "postgresql"
                         else "PRAGMA user_version = 26")
    with closing(connect(target)) as conn:
        for filters in (Filters(), Filters.from_params({"lang": "pl"}), Filters.from_params({"lang": "en"})):
            assert _excess(conn, filters, (), "week", None) == _recount(conn, filters, (), "week") != {}
            assert _excess(conn, filters, ("label",), None, "country") == _recount(conn, filters, ("label",), None)


def _visit(conn, filters: Filters, bucket: str, split: str) -> tuple[tuple, list]:
    """The Coverage page's story counts of a visit (headline, chart, its spikes' baseline) and the shared articles'
    fetches they made, each distinct one once (as the app's cache serves them)."""
    fetch, calls = recording_fetch(conn)
    head = q.headline(fetch, filters, split, "stories", q.spike_reach(filters, bucket, split))
    series = q.coverage(fetch, filters, bucket, split, 8, False, "stories")
    before = q.coverage_before(fetch, filters, series, bucket, split, False, "stories")
    fetched = [call for call in calls if call[0] is aggregates.shared_matches]
    return (head, _rows_of(series), None if before is None else _rows_of(before)), fetched


@pytest.mark.parametrize("bucket", ["day", "week"])
@pytest.mark.parametrize("split", ["none", "outlet", "source"])
@pytest.mark.parametrize("params", [{"q": "karabakh OR poland", "from": "2023-09-20"},
                                    {"topic": "Karabakh", "from": "2023-09-20", "to": "2023-09-20"},
                                    {"country": "PL", "from": "2023-10-15"}])
def test_a_dated_views_story_counts_fetch_their_shared_articles_once(story_db, monkeypatch, bucket, split, params):
    filters = Filters.from_params(params)
    with closing(connect(story_db)) as conn:
        shared, once = _visit(conn, filters, bucket, split)
        monkeypatch.setattr(q, "spike_reach", lambda *args: None)   # each count fetching its own dates, as before
        alone, apart = _visit(conn, filters, bucket, split)
    assert shared == alone
    assert len(once) == 1 and len(apart) == 2   # the dates shown, and the spike baseline's before them


@pytest.mark.parametrize("bucket", ["day", "week"])
@pytest.mark.parametrize("params", [{"country": "PL", "from": "2023-10-15"}, {"country": "AZ", "from": "2023-09-20"}])
def test_a_split_by_country_fetches_only_the_dates_of_its_view_for_its_headline(story_db, monkeypatch, bucket, params):
    """The chart's lines (the countries of the filter) are counted by the database, so the headline's shared articles
    are fetched for the view's own dates, not from the start of the spike baseline: same figures, less read."""
    filters = Filters.from_params(params)
    with closing(connect(story_db)) as conn:
        figures, fetched = _visit(conn, filters, bucket, "country")
        monkeypatch.setattr(q, "spike_reach", lambda *args: None)
        alone, _ = _visit(conn, filters, bucket, "country")
    assert figures == alone
    assert fetched and all(key[1][0].date_from == filters.date_from for key in fetched)
