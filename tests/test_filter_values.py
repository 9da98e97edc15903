"""Filter values checked against the database (db.filters.Filters.checked): the CLI refuses an unknown value in one
line with exit status 2, read-only commands create no database, and saved views keep their topics by identity."""

from __future__ import annotations

import json
from contextlib import closing
from pathlib import Path

import pytest

from dashboard import saved
from dashboard.access import Identity
from dashboard.testing import build_sample_db
from db import connect, topics, views
from db.filters import Filters
from db.schema import MIGRATIONS, _split_sql
from newsradar.cli import main


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory) -> Path:
    return build_sample_db(tmp_path_factory.mktemp("values") / "sample.db", every=40)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


BAD_VALUES = [
    (["--topic", "nosuch"], "unknown topic “nosuch”"),
    (["--outlet", "BBC Nws"], "unknown outlet “BBC Nws” (did you mean “BBC News”,"),
    (["--lang", "englsh"], "unknown language “englsh” (did you mean “English (en)”"),
    (["--country", "Atlantis"], "unknown country “Atlantis”"),
    (["--country", "XX"], "unknown country “XX” (ISO 3166 codes such as AZ"),
    (["--source-country", "Polnd"], "unknown source country “Polnd” (did you mean “Poland (PL)”"),
    (["--category", "politcs"], "unknown category “politcs” (did you mean “Politics (politics)”"),
    (["--from", "2023-13-01"], "from: '2023-13-01' is not an ISO date"),
    (["--countries-mode", "both"], "unknown countries_mode “both”"),
    (["--country", "Atlantis", "--topic", "nosuch"], "unknown country “Atlantis” (did you mean “Albania (AL)”?); "
                                                      "unknown topic “nosuch” (topics: "),
]


@pytest.mark.parametrize(("argv", "message"), BAD_VALUES, ids=[" ".join(a) for a, _ in BAD_VALUES])
def test_export_refuses_an_unknown_value(sample_db, tmp_path, capsys, argv, message):
    out = tmp_path / "out.csv"
    code, _, err = run(capsys, "--db", str(sample_db), "export", "-o", str(out), *argv)
    assert code == 2 and err.startswith("newsradar: error: ") and message in err and len(err.splitlines()) == 1
    assert not out.exists() and not list(tmp_path.iterdir())   # nothing written, not even a .part file


def exported(capsys, db: Path, *argv: str) -> list[str]:
    code, out, err = run(capsys, "--db", str(db), "export", "-o", "-", *argv)
    assert code == 0, err
    return out.splitlines()[1:]


@pytest.mark.parametrize(("argv", "same_as"), [
    (["--country", "azerbaijan"], ["--country", "AZ"]),
    (["--country", "Azerbaijan"], ["--country", "az"]),
    (["--lang", "english"], ["--lang", "en"]),
    (["--lang", "Polish"], ["--lang", "PL"]),
    (["--outlet", "bbc news"], ["--outlet", "BBC News"]),
    (["--topic", "nagorno-karabakh"], ["--topic", "Nagorno-Karabakh"]),
    (["--source-country", "poland"], ["--source-country", "PL"]),
    (["--country", "Turkey"], ["--country", "TR"]),                   # the name analysts type, not only "Türkiye"
    (["--source-country", "UK"], ["--source-country", "GB"]),
    (["--country", "usa"], ["--country", "US"]),
])
def test_names_and_codes_in_any_case_export_the_same_rows(sample_db, capsys, argv, same_as):
    rows = exported(capsys, sample_db, *argv)
    assert rows and rows == exported(capsys, sample_db, *same_as)


def test_all_countries_exports_only_stories_naming_each(sample_db, capsys):
    any_of = exported(capsys, sample_db, "--country", "AM", "--country", "AZ")
    all_of = exported(capsys, sample_db, "--country", "AM", "--country", "AZ", "--countries-mode", "all")
    with closing(connect(sample_db)) as conn:
        both = conn.execute("SELECT count(*) FROM (SELECT article_id FROM article_countries WHERE country IN "
                            "('AM', 'AZ') GROUP BY article_id HAVING count(*) = 2)").fetchone()[0]
    assert 0 < len(all_of) == both < len(any_of)


@pytest.mark.parametrize("command", [["stats"], ["export", "-o", "-"], ["health"], ["dashboard"]])
def test_a_read_only_command_creates_no_database(tmp_path, capsys, command):
    mistyped = tmp_path / "typo" / "newsradr.db"
    code, out, err = run(capsys, "--db", str(mistyped), *command)
    assert code == 2 and err == f"newsradar: error: no database at {mistyped}; check --db (or run 'newsradar seed' " \
                                "or 'newsradar backfill' to create one)\n" and not out
    assert not mistyped.exists() and not mistyped.parent.exists()


# saved views ---------------------------------------------------------------------------------------------------

ME = Identity("ana", "analyst")


def test_a_renamed_topic_keeps_its_saved_view(tmp_path):
    db = build_sample_db(tmp_path / "s.db", every=200)
    with closing(connect(db)) as conn:
        views.save_view(conn, "Karabakh", "ana", Filters.make(topics=["Nagorno-Karabakh"], countries=["AZ"]))
        topics.save_topic(conn, topics.Topic("Karabakh conflict", "karabakh* OR karabach*"),
                          old_name="Nagorno-Karabakh")
    (row,) = saved.rows(db, ME)
    assert row.filters.topics == ("Karabakh conflict",) and row.filters.countries == ("AZ",) and not row.gone
    assert ("topic", "Karabakh conflict") in row.params and "topics: Karabakh conflict" in row.words


def test_a_deleted_topic_is_named_and_the_view_is_not_widened(tmp_path):
    db = build_sample_db(tmp_path / "s.db", every=200)
    with closing(connect(db)) as conn:
        views.save_view(conn, "Elections", "ana", Filters.make(topics=["Elections"]))
        topics.remove_topic(conn, "Elections")
        # a new topic that happens to get the deleted one's id is not the one the view meant
        topics.save_topic(conn, topics.Topic("Sport", "football"))
    (row,) = saved.rows(db, ME)
    assert row.gone == ("the topic “Elections”",) and "no longer exists: the topic “Elections”" in row.words
    assert row.filters.topics == ("Elections",)   # kept by its name: refused by the filters, never dropped


def test_migration_11_turns_topic_names_into_references(tmp_path):
    db = build_sample_db(tmp_path / "s.db", every=200)
    with closing(connect(db)) as conn:
        old = {"topic": ["Elections", "Never existed"], "country": ["AZ"]}
        conn.execute("INSERT INTO saved_views (name, owner, params, created) VALUES ('old', 'ana', ?, 'x')",
                     (json.dumps(old),))
        for statement in _split_sql(MIGRATIONS[10]):   # as an upgrade from schema 10 runs it
            conn.execute(statement)
        stored = json.loads(conn.execute("SELECT params FROM saved_views").fetchone()[0])
        elections = conn.execute("SELECT id FROM topics WHERE name = 'Elections'").fetchone()[0]
        topics.save_topic(conn, topics.Topic("Votes", "election*"), old_name="Elections")
    assert "topic" not in stored and [r["id"] for r in stored["topic_ref"]] == [elections, None]
    (row,) = saved.rows(db, ME)
    assert row.filters.topics == ("Never existed", "Votes") and row.gone == ("the topic “Never existed”",)


# several countries: any or all ---------------------------------------------------------------------------------

def test_one_country_is_the_same_filter_in_either_mode_and_stays_rolled_up():
    from dashboard import queries

    one_all = Filters.make(countries=["AZ"], countries_mode="all")
    assert one_all == Filters.make(countries=["az"]) and queries.rolled_up(one_all)
    two_all = Filters.make(countries=["AZ", "AM"], countries_mode="ALL")
    assert two_all.countries_all and queries.rolled_up(two_all)        # the pair rollup counts articles naming both
    three_all = Filters.make(countries=["AZ", "AM", "RU"], countries_mode="all")
    assert three_all.countries_all and not queries.rolled_up(three_all)   # the articles answer, not a rollup
    assert Filters.from_params(two_all.to_params()) == two_all and two_all.to_params()["countries_mode"] == "all"


@pytest.mark.parametrize("correlated", [False, True])
def test_all_countries_where_clause_needs_every_country(sample_db, correlated):
    with closing(connect(sample_db)) as conn:
        def count(filters: Filters) -> int:
            where, params = filters.where(correlated=correlated)
            return conn.execute(f"SELECT count(*) FROM articles a LEFT JOIN outlets o ON o.id = a.outlet_id "
                                f"WHERE {where}", params).fetchone()[0]
        both = conn.execute("SELECT count(*) FROM (SELECT article_id FROM article_countries WHERE country IN "
                            "('AM', 'AZ') GROUP BY article_id HAVING count(*) = 2)").fetchone()[0]
        assert count(Filters.make(countries=["AM", "AZ"], countries_mode="all")) == both > 0
        assert count(Filters.make(countries=["AM", "AZ"])) > both
