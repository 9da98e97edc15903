"""Tags end to end: stored articles get countries, category and topics; `tag`, `retag` and export use them."""

from __future__ import annotations

import csv
import io
import json
import re
from contextlib import closing

import pytest
from conftest import no_errors, plain, run_app

from collectors import category
from collectors.category import CLASSES, UNCLASSIFIED
from collectors.normalize import normalize_link
from collectors.store import Article, ensure_feed, store_articles
from collectors.tagging import fingerprint, tag_lines, tagger_status
from dashboard.testing import build_sample_db
from db import connect, transaction
from db.export import write_csv
from db.filters import Filters
from db.schema import MIGRATIONS
from db.topics import Topic, save_topic
from newsradar import health
from newsradar.cli import main

STORIES = [
    ("Azerbaijan summons Russian ambassador over Yekaterinburg raids", "Baku protests to Moscow", "en"),
    ("Rosja i Azerbejdżan: napięcia po zabójstwach w Jekaterynburgu", "Baku wzywa ambasadora", "pl"),
    ("Liverpool beat Chelsea 3-1 in the Premier League", "A second-half brace settled the match", "en"),
]


def store(conn, stories=STORIES):
    with transaction(conn):
        feed = ensure_feed(conn, "https://x.example/rss", "X", "GB", "en")
        outlet = conn.execute("SELECT outlet_id FROM feeds WHERE id = ?", (feed,)).fetchone()[0]
        store_articles(conn, feed, outlet, [
            Article(normalize_link(f"https://x.example/{title}"), f"https://x.example/{i}", title, description,
                    "2023-09-20 10:00:00", None, lang) for i, (title, description, lang) in enumerate(stories)],
            "2023-09-20 10:00:00")


def test_stored_articles_are_tagged(conn):
    store(conn)
    rows = conn.execute("SELECT a.title, a.category, group_concat(c.country, ' ') AS countries FROM articles a "
                        "LEFT JOIN article_countries c ON c.article_id = a.id GROUP BY a.id ORDER BY a.id").fetchall()
    assert [r["countries"] for r in rows][:2] == ["AZ RU", "AZ RU"]
    assert all(r["category"] in {*CLASSES, UNCLASSIFIED} for r in rows)
    assert rows[2]["category"] == "sport"


def test_country_and_topic_filters_and_export_columns(conn):
    store(conn)
    with transaction(conn):
        save_topic(conn, Topic("AZ-RU", "(azerbaijan* OR azerbejdzan*) AND (russia* OR rosj*)"))
    out = io.StringIO()
    assert write_csv(conn, Filters.make(countries=["az"], topics=["AZ-RU"]), out) == 2
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert {r["countries"] for r in rows} == {"AZ RU"}
    assert {r["topics"] for r in rows} == {"AZ-RU"}
    assert {"countries", "topics", "category"} <= set(rows[0])
    category = conn.execute("SELECT category FROM articles WHERE title LIKE 'Liverpool%'").fetchone()[0]
    same = conn.execute("SELECT count(*) FROM articles WHERE category = ?", (category,)).fetchone()[0]
    assert write_csv(conn, Filters.make(categories=[category]), io.StringIO()) == same
    assert write_csv(conn, Filters.make(source_countries=["GB"], countries=["RU"]), io.StringIO()) == 2


def test_tag_lines_adds_countries_category_and_topics():
    lines = [json.dumps({"title": t, "description": d, "language": lang, "id": i})
             for i, (t, d, lang) in enumerate(STORIES)]
    lines += ["not json", json.dumps({"title": "Kreml milczy", "language": "pl"})]
    out = [json.loads(line) for line in tag_lines(lines, [Topic("Football", "premier league OR football")])]
    assert [o.get("countries") for o in out] == [["AZ", "RU"], ["AZ", "RU"], ["GB"], None, ["RU"]]
    assert out[0]["id"] == 0 and out[2]["topics"] == ["Football"] and out[0]["topics"] == []
    assert out[3]["error"] == "not a JSON object"
    assert all(o["category"] in {*CLASSES, UNCLASSIFIED} for o in out if "error" not in o)


def test_tag_lines_in_worker_processes_gives_the_same_lines_in_the_same_order():
    """Many batches go to worker processes; what comes out is what one process makes, line for line."""
    lines = [json.dumps({"title": t, "description": d, "language": lang, "id": i})
             for i, (t, d, lang) in enumerate(STORIES * 7)] + ["not json"]
    topics = [Topic("Football", "premier league OR football"), Topic("AZ-RU", "azerbaijan* AND russia*")]
    alone = list(tag_lines(lines, topics, batch=len(lines), workers=1))
    assert list(tag_lines(lines, topics, batch=4, workers=2)) == alone
    assert [json.loads(line).get("id") for line in alone] == [*range(len(lines) - 1), None]


@pytest.mark.parametrize(("record", "used", "source"), [
    ({"title": "Kreml wzywa ambasadora Azerbejdżanu", "language": "pl"}, "pl", "declared"),
    ({"title": "Росія завдала ракетного удару по Києву, загинули троє людей", "language": "en"}, "uk", "detected"),
    ({"title": "Die Bundesregierung beschließt ein neues Klimaschutzgesetz für Deutschland"}, "de", "detected"),
    ({"title": "2023"}, None, "unknown"),
])
def test_tag_command_prints_the_language_it_used(tmp_path, monkeypatch, capsys, record, used, source):
    connect(tmp_path / "t.db").close()
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(record) + "\n"))
    assert main(["--db", str(tmp_path / "t.db"), "tag"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["language_used"], result["language_source"]) == (used, source)


def test_unclassified_articles_are_filtered_and_exported_as_unclassified(conn):
    store(conn, STORIES + [("Ett nytt kapitel börjar i morgon för många", "Det blev en lång dag för alla", "sv")])
    assert conn.execute("SELECT category FROM articles WHERE title LIKE 'Liverpool%'").fetchone()[0] == "sport"
    out = io.StringIO()
    assert write_csv(conn, Filters.make(categories=[UNCLASSIFIED]), out) == 1
    rows = list(csv.DictReader(io.StringIO(out.getvalue().lstrip("\ufeff"))))
    assert [(r["title"][:3], r["category"]) for r in rows] == [("Ett", UNCLASSIFIED)]
    assert write_csv(conn, Filters.make(categories=["economy_business_finance"]), io.StringIO()) == 0


def test_a_wrongly_declared_language_is_corrected_when_stored(conn):
    store(conn, [("Росія завдала ракетного удару по Києву, загинули троє людей", "Сили ППО збили ракети", "en")])
    assert conn.execute("SELECT language FROM articles").fetchone()[0] == "uk"
    assert [tuple(r) for r in conn.execute("SELECT language, n FROM daily_articles WHERE n > 0")] == [("uk", 1)]


def test_tag_command_reads_stdin_and_uses_the_databases_topics(tmp_path, monkeypatch, capsys):
    db = str(tmp_path / "t.db")
    assert main(["--db", db, "topics", "add", "Karabakh", "karabakh OR karabach*"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps({"title": "Exodus from Karabakh",
                                                              "description": "Armenians flee"}) + "\n"))
    capsys.readouterr()
    assert main(["--db", db, "tag"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["topics"] == ["Karabakh"] and result["countries"] == ["AM", "AZ"]


def test_retag_recomputes_everything(conn, db_path, capsys):
    store(conn)
    conn.execute("DELETE FROM article_countries")
    conn.execute("UPDATE articles SET category = NULL")
    assert main(["--db", str(db_path), "retag"]) == 0
    assert conn.execute("SELECT count(*) FROM articles WHERE category IS NULL").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM article_countries").fetchone()[0] == 5


@pytest.mark.parametrize("argv, message", [
    (["topics", "add", "Bad", "karabakh AND ("], "ends where a term is expected"),
    (["topics", "remove", "Nope"], "no topic called"),
    (["topics", "edit", "Nope", "--query", "x"], "no topic called"),
    (["export", "-o", "-", "--q", "NOT x"], "NOT needs a term"),
])
def test_topic_commands_fail_with_one_clear_line(tmp_path, capsys, argv, message):
    assert main(["--db", str(tmp_path / "t.db"), *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_topics_list_of_a_database_without_topics_says_how_to_add_them(tmp_path, capsys):
    assert main(["--db", str(tmp_path / "t.db"), "topics", "list"]) == 0
    listed = capsys.readouterr()
    assert listed.out == "" and "no topics yet" in listed.err and "newsradar topics import" in listed.err


def test_topics_import_export_round_trip(tmp_path, capsys):
    db = str(tmp_path / "t.db")
    assert main(["--db", db, "topics", "import"]) == 0          # the bundled defaults
    assert main(["--db", db, "topics", "export", "-o", str(tmp_path / "topics.toml")]) == 0
    other = str(tmp_path / "other.db")
    assert main(["--db", other, "topics", "import", str(tmp_path / "topics.toml")]) == 0
    capsys.readouterr()
    main(["--db", db, "topics", "list"])
    first = capsys.readouterr().out
    main(["--db", other, "topics", "list"])
    assert capsys.readouterr().out == first and "Nagorno-Karabakh" in first


def _jsonl(path, n: int):
    """A slice of the bundled sample, as an archive file."""
    import gzip

    from newsradar.cli import SAMPLE

    with gzip.open(SAMPLE, "rt", encoding="utf-8") as src:
        path.write_text("".join(line for _, line in zip(range(n), src, strict=False)), encoding="utf-8")
    return path


def _tags(conn):
    return (conn.execute("SELECT group_concat(id || category, ',') FROM (SELECT id, category FROM articles "
                         "ORDER BY id)").fetchone()[0],
            conn.execute("SELECT count(*), group_concat(country, '') FROM article_countries").fetchone()[:])


def test_tagging_in_a_second_process_gives_the_same_tags(tmp_path):
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    from collectors.backfill import BackfillReport, backfill_file
    from db import connect

    archive = _jsonl(tmp_path / "slice.jsonl", 1500)
    inline, parallel = connect(tmp_path / "inline.db"), connect(tmp_path / "parallel.db")
    backfill_file(inline, archive, BackfillReport(), batch=200)
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        backfill_file(parallel, archive, BackfillReport(), batch=200, tagger=pool)
    assert _tags(parallel) == _tags(inline)
    assert parallel.execute("SELECT count(*) FROM articles WHERE category IS NULL").fetchone()[0] == 0


def test_articles_left_untagged_by_a_crash_are_tagged_on_the_next_import(tmp_path):
    from collectors.backfill import backfill
    from db import connect

    archive = _jsonl(tmp_path / "slice.jsonl", 300)
    conn = connect(tmp_path / "t.db")
    backfill(conn, [archive])
    conn.execute("UPDATE articles SET category = NULL WHERE id % 3 = 0")   # as if killed before the tags landed
    conn.execute("DELETE FROM article_countries WHERE article_id % 3 = 0")
    backfill(conn, [archive])
    assert conn.execute("SELECT count(*) FROM articles WHERE category IS NULL").fetchone()[0] == 0


def _topics_and_tags(conn):
    return (_tags(conn), conn.execute("SELECT group_concat(topic_id || ':' || article_id, ',') FROM "
                                      "(SELECT * FROM article_topics ORDER BY 1, 2)").fetchone()[0])


def test_an_import_tags_as_a_retag_does(tmp_path):
    """An import tags each batch before storing it and matches the topics in memory; a retag reads the stored
    articles and matches the topics in the database. Both must give every article the same tags."""
    from collectors.backfill import backfill
    from collectors.tagging import retag
    from db import connect, topics

    conn = connect(tmp_path / "t.db")
    topics.seed_defaults(conn)
    backfill(conn, [_jsonl(tmp_path / "slice.jsonl", 1500)])
    imported = _topics_and_tags(conn)
    assert imported[1].count(",") > 20        # the slice matches default topics
    retag(conn)
    assert _topics_and_tags(conn) == imported


def test_topics_changed_while_a_batch_was_tagged_are_applied_as_they_are_now(conn):
    from collectors.store import store_rows
    from db.topics import apply_matched, compiled_topics, remove_topic

    with transaction(conn):
        for name, query in [("Azerbaijan", "azerbaijan* OR azerbejdzan*"), ("Football", "liverpool"),
                            ("Gone", "baku")]:
            save_topic(conn, Topic(name, query))
        feed = ensure_feed(conn, "https://x.example/rss", "X", "GB", "en")
        store_rows(conn, [(feed, None, "2023-09-20 10:00:00", Article(
            normalize_link(f"https://x.example/{i}"), f"https://x.example/{i}", title, description,
            "2023-09-20 10:00:00", None, lang)) for i, (title, description, lang) in enumerate(STORIES)], tag=False)
    ids = {t: i for i, t in conn.execute("SELECT id, title FROM articles")}
    when_sent = compiled_topics(conn)
    topic = {name: i for i, name in conn.execute("SELECT id, name FROM topics")}
    matched_then = [(topic["Azerbaijan"], ids[STORIES[0][0]]), (topic["Azerbaijan"], ids[STORIES[1][0]]),
                    (topic["Football"], ids[STORIES[2][0]]), (topic["Gone"], ids[STORIES[0][0]])]
    with transaction(conn):
        save_topic(conn, Topic("Azerbaijan", "jekaterynburg*"), old_name="Azerbaijan")   # edited
        remove_topic(conn, "Gone")
        save_topic(conn, Topic("Chelsea", "chelsea"))                                      # new
        conn.execute("DELETE FROM article_topics")        # as before the batch's topics were written
        apply_matched(conn, 0, matched_then, when_sent)
    found = {(name, title) for name, title in conn.execute(
        "SELECT t.name, a.title FROM article_topics x JOIN topics t ON t.id = x.topic_id "
        "JOIN articles a ON a.id = x.article_id")}
    assert found == {("Azerbaijan", STORIES[1][0]), ("Football", STORIES[2][0]), ("Chelsea", STORIES[2][0])}


# which tagger made the stored tags -------------------------------------------------------------------------------

def test_a_new_database_records_the_tagger_of_its_first_tags(conn):
    assert tagger_status(conn)["current"]
    assert conn.execute("SELECT count(*) FROM tagger").fetchone()[0] == 0
    store(conn)
    assert conn.execute("SELECT fingerprint FROM tagger").fetchone()[0] == fingerprint()
    assert tagger_status(conn)["current"]


def test_tags_of_another_tagger_call_for_a_retag_and_retag_clears_it(conn, db_path):
    store(conn)
    conn.execute("UPDATE tagger SET fingerprint = '0123456789abcdef'")
    store(conn, [("Sejm uchwalił ustawę", "Posłowie przyjęli projekt", "pl")])  # new tags do not hide old ones
    status = tagger_status(conn)
    assert not status["current"] and "newsradar retag" in status["message"] and "0123456789abcdef" in status["message"]
    assert health.report(conn)["tags"] == status
    assert main(["--db", str(db_path), "retag"]) == 0
    assert tagger_status(conn)["current"]


def test_a_database_tagged_before_the_record_existed_is_marked_unknown(db_path):
    with closing(connect(db_path)) as conn:
        store(conn)
        # back to schema 7: without the tables, views and triggers that migration 8 (tagger) and later ones create
        for kind in ("TRIGGER", "VIEW", "TABLE"):
            created = lambda migrations, kind=kind: set(re.findall(  # noqa: E731
                rf"CREATE {kind} (?:IF NOT EXISTS )?(\w+)", "\n".join(migrations)))
            for name in created(MIGRATIONS[7:]) - created(MIGRATIONS[:7]):
                conn.execute(f"DROP {kind} IF EXISTS {name}")
        conn.execute("PRAGMA user_version = 7")
    with closing(connect(db_path)) as conn:
        status = tagger_status(conn)
    assert not status["current"] and "unknown earlier tagger" in status["message"]


def test_the_fingerprint_follows_the_model_file(tmp_path, monkeypatch):
    before = fingerprint()
    model = tmp_path / "model.npz"
    model.write_bytes(category.MODEL_PATH.read_bytes() + b"\0")
    monkeypatch.setattr(category, "MODEL_PATH", model)
    fingerprint.cache_clear()
    try:
        assert fingerprint() != before
    finally:
        fingerprint.cache_clear()


def test_the_sources_page_warns_about_tags_of_another_tagger(tmp_path, monkeypatch):
    current, old = (build_sample_db(tmp_path / name, every=400) for name in ("current.db", "old-tags.db"))
    with closing(connect(old)) as conn:
        conn.execute("UPDATE tagger SET fingerprint = 'unknown'")
    at = no_errors(run_app(current, monkeypatch, "sources"))
    assert not [w for w in at.warning if "retag" in w.value]
    at = no_errors(run_app(old, monkeypatch, "sources"))
    assert any("newsradar retag" in plain(w) for w in at.warning)


def test_tag_with_a_mistyped_db_is_refused_and_creates_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO('{"title": "Putin in Baku"}\n'))
    assert main(["--db", str(tmp_path / "typo" / "news.db"), "tag"]) == 2
    assert "no database at" in capsys.readouterr().err
    assert not (tmp_path / "typo").exists()


def test_tag_before_any_database_uses_the_default_topics_and_creates_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("NEWSRADAR_DB", raising=False)
    monkeypatch.setattr("newsradar.cli.default_db_path", lambda: tmp_path / "data" / "newsradar.db")
    monkeypatch.setattr("sys.stdin", io.StringIO('{"title": "Putin meets Aliyev in Baku"}\n'))
    assert main(["tag"]) == 0
    assert "Azerbaijan–Russia relations" in json.loads(capsys.readouterr().out)["topics"]
    assert not (tmp_path / "data").exists()
