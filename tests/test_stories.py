"""Stories: copies and different outlets' reports of one event are one story; series, boilerplate and other events
are not; a story keeps its id as it grows; imports, the collector and `stories rebuild` group alike."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
import sqlite3
import subprocess
import sys
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from contextlib import closing
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from collectors import stories
from collectors.backfill import BackfillReport, backfill, backfill_file
from collectors.normalize import html_to_text, parse_iso
from collectors.store import Article, ensure_feed, store_articles
from db import connect
from db import stories as story_store
from db.export import write_csv
from db.filters import Filters
from newsradar.cli import main

SAMPLE = Path(stories.__file__).parent / "data" / "sample-2023.jsonl.gz"
T0 = dt.datetime(2023, 9, 19, 8, tzinfo=dt.UTC).timestamp()
HOUR = 3600.0

# one event, as five outlets told it
KARABAKH = [
    ("Azerbaijan launches military offensive in Nagorno-Karabakh",
     "Azerbaijan's defence ministry said it had begun 'anti-terrorist' operations in the Nagorno-Karabakh region."),
    ("Azerbaijan begins 'anti-terrorist' operation in Nagorno-Karabakh",
     "Azerbaijan launched a military operation in Nagorno-Karabakh, its defence ministry said, shelling Stepanakert."),
    ("Azerbaijan launches offensive in Nagorno-Karabakh, demands Armenian forces surrender",
     "Azerbaijan's defence ministry said it launched an offensive in Nagorno-Karabakh and demanded Armenian forces "
     "leave."),
    ("Explosions heard in Stepanakert as Azerbaijan launches Nagorno-Karabakh offensive",
     "Azerbaijan's military offensive in Nagorno-Karabakh began with shelling of Stepanakert, residents said."),
    ("Nagorno-Karabakh: Azerbaijan launches offensive against Armenian separatists",
     "The Azerbaijani defence ministry said the operation in Nagorno-Karabakh targets Armenian military positions."),
]
OTHER_NEWS = [
    ("Fed holds interest rates steady, signals one more hike this year",
     "The Federal Reserve kept its benchmark rate unchanged and projected another increase before year end."),
    ("Lionel Messi scores twice as Inter Miami beat Toronto",
     "Messi's brace lifted Inter Miami to a comfortable win in Major League Soccer."),
    ("Apple releases iOS 17 with new standby mode",
     "The update brings a new StandBy mode, contact posters and improvements to autocorrect."),
]


def doc(i: int, title: str, description: str = "", outlet: int | None = None, hours: float = 0.0,
        language: str = "en") -> stories.Doc:
    return stories.Doc(i, T0 + hours * HOUR, language, i if outlet is None else outlet, title, description)


def same(grouped: dict[int, int], *ids: int) -> bool:
    return len({grouped[i] for i in ids}) == 1


def apart(grouped: dict[int, int], *ids: int) -> bool:
    return len({grouped[i] for i in ids}) == len(ids)


def test_reports_of_one_event_by_different_outlets_are_one_story_named_by_the_first():
    docs = [doc(i, t, d, hours=i) for i, (t, d) in enumerate(KARABAKH, 1)]
    others = [doc(10 + i, t, d, hours=i) for i, (t, d) in enumerate(OTHER_NEWS)]
    grouped = stories.group(docs + others)
    assert set(grouped[d.id] for d in docs) == {1}
    assert apart(grouped, 1, *(d.id for d in others))


@pytest.mark.parametrize("title", [
    "Putin visits Russian troops in occupied Ukraine",
    "Finlandia zamyka całą granicę z Rosją",
])
def test_a_wire_copy_is_in_its_headlines_story_whatever_the_description(title):
    docs = [doc(1, title, "The president met commanders.", hours=0),
            doc(2, title, "", hours=20),
            doc(3, title, "Completely different lead text about something else entirely.", hours=60)]
    assert same(stories.group(docs), 1, 2, 3)


def test_the_same_headline_a_month_later_is_another_story():
    title = "Seoul: North Korea launches ballistic missile toward sea"
    assert apart(stories.group([doc(1, title), doc(2, title, hours=30 * 24)]), 1, 2)


@pytest.mark.parametrize("titles", [
    ("Russia-Ukraine war: List of key events, day 319", "Russia-Ukraine war: List of key events, day 320"),
    ("Wojna w Ukrainie. 325. dzień inwazji Rosji. Relacja na żywo",
     "Wojna w Ukrainie. 326. dzień inwazji Rosji. Relacja na żywo"),
    ("Saudi Riyal to PKR rate today – 19 October 2023", "Saudi Riyal to PKR rate today – 20 October 2023"),
])
def test_an_outlets_series_is_not_one_story(titles):
    docs = [doc(1, titles[0], "Here are the key events.", outlet=7, hours=0),
            doc(2, titles[1], "Here are the key events.", outlet=7, hours=24)]
    assert apart(stories.group(docs), 1, 2)


@pytest.mark.parametrize("title", ["Live updates", "Energy & Utilities Roundup: Market Talk",
                                   "What's News: World-Wide", "Morning briefing: what you need to know today"])
def test_an_outlets_recurring_title_never_makes_a_story(title):
    docs = [doc(i, title, f"Item {i}: {t}", outlet=7, hours=20 * i) for i, (t, _) in enumerate(OTHER_NEWS)]
    assert apart(stories.group(docs), *(d.id for d in docs))


def test_an_outlets_second_link_to_the_same_piece_the_same_morning_is_the_same_story():
    title, lead = KARABAKH[0]
    assert same(stories.group([doc(1, title, lead, outlet=7), doc(2, title, lead, outlet=7, hours=3)]), 1, 2)


def test_a_story_does_not_drift_from_one_event_to_the_next():
    """Each report shares words with the one before, not with the first: no chain of neighbours makes one story."""
    chain = ["Azerbaijan launches offensive in Nagorno-Karabakh",
             "Nagorno-Karabakh offensive: Armenia appeals to Russia",
             "Armenia appeals to Russia and the EU over refugees",
             "EU pledges aid for refugees arriving in Armenia",
             "EU pledges billions in aid for Ukraine reconstruction"]
    grouped = stories.group([doc(i, t, hours=i) for i, t in enumerate(chain, 1)])
    assert grouped[5] != grouped[1]


# one death, as English and Polish outlets told it
ARKIN_EN = [
    ("Alan Arkin, Oscar-winning star of 'Little Miss Sunshine', dies at 89",
     "Alan Arkin, the actor who won an Oscar for Little Miss Sunshine, has died at the age of 89, his sons said."),
    ("Actor Alan Arkin, Oscar winner for 'Little Miss Sunshine', has died at 89",
     "Alan Arkin, who appeared in more than 100 films and won an Oscar for Little Miss Sunshine, has died."),
]
ARKIN_PL = [
    ("Alan Arkin nie żyje. Zdobywca Oscara miał 89 lat", "Informację o śmierci aktora przekazała rodzina."),
    ("Nie żyje zdobywca Oscara. Aktor miał 89 lat", "Zmarł aktor, zdobywca Oscara za rolę w filmie, przekazała "
     "rodzina. Informację o śmierci potwierdzili jego synowie."),
]


def test_reports_of_one_event_in_english_and_polish_are_one_story():
    """Names and numbers are the words both languages share; a Polish report joins the English story by them, and
    the next Polish report joins its Polish neighbour there, though it shares nothing with the English ones."""
    docs = ([doc(i, t, d, hours=i) for i, (t, d) in enumerate(ARKIN_EN, 1)]
            + [doc(i, t, d, hours=i, language="pl-PL") for i, (t, d) in enumerate(ARKIN_PL, 3)])
    others = [doc(10 + i, t, d, hours=i) for i, (t, d) in enumerate(OTHER_NEWS)]
    grouped = stories.group(docs + others)
    assert set(grouped[d.id] for d in docs) == {1}
    assert apart(grouped, 1, *(d.id for d in others))


def test_one_name_in_common_is_not_one_story_across_languages():
    """Every story of a large event names it: two languages' reports that share only the name are two stories."""
    docs = [doc(1, "Hamas releases video of hostages held in Gaza", "The group said the hostages are alive."),
            doc(2, "Hamas: ropa drożeje po ataku na Izrael", "Ceny ropy naftowej rosną na giełdach.", hours=2,
                language="pl-PL")]
    assert apart(stories.group(docs), 1, 2)


def test_a_story_keeps_its_id_as_it_grows():
    first = [doc(i, t, d, hours=i) for i, (t, d) in enumerate(KARABAKH[:2], 1)]
    later = [doc(i, t, d, hours=i) for i, (t, d) in enumerate(KARABAKH[2:], 3)]
    alone = stories.group(first)
    together = stories.group(first + later, batch=2)
    assert {alone[d.id] for d in first} == {together[d.id] for d in first + later} == {1}


def test_reports_further_apart_than_the_window_are_separate_stories():
    (t1, d1), (t2, d2) = KARABAKH[:2]
    assert apart(stories.group([doc(1, t1, d1), doc(2, t2, d2, hours=24 * 5)]), 1, 2)


@pytest.mark.parametrize("text", ["", " ", "<b>", "\u0000\ufffd", "a" * 5000, "🙂" * 50])
def test_odd_text_is_grouped_without_error(text):
    grouped = stories.group([doc(1, text, text), doc(2, text, text, hours=1)])
    assert set(grouped) == {1, 2}


def sample_docs() -> list[stories.Doc]:
    docs, outlets = [], {}
    with gzip.open(SAMPLE, "rt", encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            record = json.loads(line)
            moment = parse_iso(record.get("published"))
            if moment is None:
                continue
            outlet = outlets.setdefault(urlsplit(record["feed_url"]).hostname, len(outlets))
            docs.append(stories.Doc(number, moment.timestamp(), record.get("language") or "", outlet,
                                    html_to_text(record.get("title")), html_to_text(record.get("description"))))
    return docs


def test_identical_headlines_of_different_outlets_end_in_their_headlines_story():
    """The bundled sample (September 2023): every headline carried by two outlets within three days is one story."""
    docs = sample_docs()
    grouped = stories.group(docs)
    copies = defaultdict(list)
    for d in docs:
        if len(d.title.split()) >= 4:
            copies[d.title].append(d)
    checked = 0
    for title, same_title in copies.items():
        same_title.sort(key=lambda d: d.time)
        near = [d for d in same_title if d.time - same_title[0].time <= 3 * 24 * HOUR]
        if len({d.outlet for d in near}) > 1:
            checked += 1
            assert len({grouped[d.id] for d in near}) == 1, title
    assert checked >= 10


GROUP_THE_SAMPLE = """
import json, sys
sys.path.insert(0, sys.argv[1])
from tests.test_stories import sample_docs
from collectors import stories
print(json.dumps(sorted(stories.group(sample_docs()[:8000]).items())))
"""


def grouping_in_a_fresh_process(seed: str) -> list:
    root = str(Path(__file__).resolve().parent.parent)
    done = subprocess.run([sys.executable, "-c", GROUP_THE_SAMPLE, root], capture_output=True, text=True, check=True,
                          timeout=300, env={"PYTHONHASHSEED": seed, "PATH": ""}, cwd=root)
    return json.loads(done.stdout)


@pytest.mark.slow
def test_two_runs_over_the_same_articles_group_them_alike():
    """Word columns do not depend on Python's per-process string hash: a rebuild reproduces an import's stories."""
    first, second = grouping_in_a_fresh_process("1"), grouping_in_a_fresh_process("2")
    assert first == second
    assert len({story for _, story in first}) < len(first)      # some articles were grouped at all


# stored stories: import, collector, rebuild, counts, export -----------------------------------------------------

FEEDS = ["https://a.example/rss", "https://b.example/rss", "https://c.example/rss"]


def records() -> list[dict]:
    made = []
    for i, (title, lead) in enumerate(KARABAKH[:3]):
        made.append({"feed_url": FEEDS[i], "title": title, "description": lead, "language": "en",
                     "link": f"https://{'abc'[i]}.example/karabakh",
                     "published": f"2023-09-19 {8 + i:02d}:00:00+00:00"})
    for i, (title, lead) in enumerate(OTHER_NEWS):
        made.append({"feed_url": FEEDS[i], "title": title, "description": lead, "language": "en",
                     "link": f"https://{'abc'[i]}.example/other", "published": "2023-09-20 09:00:00+00:00"})
    return made


def imported(conn: sqlite3.Connection, tmp_path: Path) -> None:
    archive = tmp_path / "archive.jsonl"
    archive.write_text("".join(json.dumps(r) + "\n" for r in records()), encoding="utf-8")
    backfill(conn, [archive], allow_private=True)


def exported_stories(conn: sqlite3.Connection) -> dict[str, str]:
    out = io.StringIO()
    write_csv(conn, Filters(), out)
    return {row["title"]: row["story"] for row in csv.DictReader(io.StringIO(out.getvalue()))}


def test_an_import_groups_its_articles_and_the_export_names_their_story(conn, tmp_path):
    imported(conn, tmp_path)
    named = exported_stories(conn)
    assert len({named[t] for t, _ in KARABAKH[:3]}) == 1
    assert len(set(named.values())) == 4
    assert story_store.total(conn, Filters(), "articles") == 6
    assert story_store.total(conn, Filters(), "stories") == 4
    assert story_store.daily_counts(conn, Filters(), "stories") == [("2023-09-19", 1), ("2023-09-20", 3)]
    assert story_store.daily_counts(conn, Filters(), "articles") == [("2023-09-19", 3), ("2023-09-20", 3)]


def test_the_story_page_shows_one_row_per_story_with_the_outlet_that_had_it_first(conn, tmp_path):
    imported(conn, tmp_path)
    karabakh = [row for row in story_store.story_page(conn, Filters()) if row.articles > 1]
    assert len(karabakh) == 1
    assert karabakh[0].title == KARABAKH[0][0] and karabakh[0].first_outlet == "a.example"
    assert sorted(karabakh[0].outlets) == ["a.example", "b.example", "c.example"]
    assert [m[3] for m in story_store.members(conn, karabakh[0].story)] == [t for t, _ in KARABAKH[:3]]


def test_the_collector_groups_a_cycles_articles_with_the_stored_ones(conn, tmp_path):
    imported(conn, tmp_path)
    story = exported_stories(conn)[KARABAKH[0][0]]
    feed = ensure_feed(conn, "https://d.example/rss", "d.example")
    newest = stories.newest_id(conn)
    title, lead = KARABAKH[3]
    store_articles(conn, feed, None, [Article("d.example/k", "https://d.example/k", title, lead,
                                              "2023-09-19 12:00:00", None, "en")], "2023-09-19 12:00:00")
    assert stories.assign_new(conn, newest) == 1
    assert exported_stories(conn)[title] == story


def test_rebuild_groups_a_database_stored_before_stories(conn, tmp_path, capsys, db_path):
    imported(conn, tmp_path)
    before = exported_stories(conn)
    story_store.clear(conn)
    assert story_store.summary(conn).ungrouped == 6
    assert main(["--db", str(db_path), "stats"]) == 0
    assert "stories rebuild" in capsys.readouterr().out
    assert main(["--db", str(db_path), "stories", "rebuild"]) == 0
    assert "grouped 6 articles into 4 stories" in capsys.readouterr().out
    assert exported_stories(conn) == before
    assert main(["--db", str(db_path), "stats"]) == 0
    out = capsys.readouterr().out
    assert "stories    4 " in out and "ungrouped" not in out


def test_a_deleted_article_leaves_its_story(conn, tmp_path):
    imported(conn, tmp_path)
    conn.execute("DELETE FROM articles WHERE title = ?", (KARABAKH[1][0],))
    assert story_store.total(conn, Filters(), "articles") == 5
    assert story_store.total(conn, Filters(), "stories") == 4


def test_an_unknown_measure_is_refused():
    with pytest.raises(ValueError, match="articles, stories"):
        story_store.count_sql("headlines")


def sample_part(tmp_path: Path, name: str, lines: slice) -> Path:
    with gzip.open(SAMPLE, "rt", encoding="utf-8") as archive:
        part = archive.readlines()[lines]
    path = tmp_path / name
    path.write_text("".join(part), encoding="utf-8")
    return path


def import_in_parts(db: Path, parts: list[Path], second_process: bool) -> dict[int, int]:
    conn = connect(db)
    try:
        backfill(conn, parts[:1], allow_private=True)       # stored before the import being measured
        pool = ProcessPoolExecutor(1) if second_process else None
        try:
            for part in parts[1:]:
                backfill_file(conn, part, BackfillReport(), tag=False, allow_private=True, grouper=pool)
        finally:
            if pool:
                pool.shutdown()
        return story_store.all_stories(conn)
    finally:
        conn.close()


@pytest.mark.slow
def test_an_import_grouped_in_a_second_process_has_the_stories_of_one_grouped_in_line(tmp_path):
    """A large import groups in a second process, against the articles stored before it and those of its earlier
    batches: the stories are those of grouping each batch as it is stored."""
    parts = [sample_part(tmp_path, name, lines) for name, lines in
             [("before.jsonl", slice(0, 3000)), ("one.jsonl", slice(3000, 9000)), ("two.jsonl", slice(9000, 12000))]]
    in_line = import_in_parts(tmp_path / "in-line.db", parts, second_process=False)
    alongside = import_in_parts(tmp_path / "alongside.db", parts, second_process=True)
    assert alongside == in_line
    assert len(set(in_line.values())) < len(in_line)


@pytest.mark.slow
def test_an_import_grouped_in_a_second_process_on_postgresql_has_the_stories_of_sqlite(tmp_path, pg_url,
                                                                                        monkeypatch):
    """The second process reads the committed articles on its own connection: to PostgreSQL too."""
    sent = []
    submit = stories.Background.submit
    monkeypatch.setattr(stories.Background, "submit", lambda self, after: (sent.append(after), submit(self, after)))
    parts = [sample_part(tmp_path, name, lines) for name, lines in
             [("before.jsonl", slice(0, 2000)), ("one.jsonl", slice(2000, 6000))]]
    stories_by_link = []
    for db, second_process in ((tmp_path / "in-line.db", False), (pg_url, True)):
        grouped = import_in_parts(db, parts, second_process)
        with closing(connect(db)) as conn:
            links = dict(conn.execute("SELECT id, link FROM articles").fetchall())
        members: dict[int, set[str]] = {}
        for article, story in grouped.items():
            members.setdefault(story, set()).add(links[article])
        stories_by_link.append({frozenset(m) for m in members.values()})
    assert sent, "the import on PostgreSQL grouped in line, not in the second process"
    assert stories_by_link[1] == stories_by_link[0]
    assert any(len(m) > 1 for m in stories_by_link[0])
