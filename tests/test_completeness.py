"""Completeness is data: outlets' active ranges and incomplete days, on the chart, the Sources page and the export."""

from __future__ import annotations

import csv
import datetime as dt
from contextlib import closing
from pathlib import Path

import pandas as pd
import pytest
from conftest import no_errors, run_app, shaded_days

from dashboard import collection, figures, queries
from dashboard.testing import build_sample_db, log_fetches
from db import connect
from db.completeness import MIN_EXPECTED, Gap, OutletRange, completeness, outlet_gaps
from db.filters import Filters
from newsradar.cli import main

GAP = ["2023-09-22", "2023-09-23", "2023-09-24"]   # nothing was collected on these days of the 2023 corpus
STARTED = "Japan Today"                           # its articles start on 2023-09-28, two weeks into the sample
D = dt.date.fromisoformat


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory) -> Path:
    """Every 10th article of the bundled sample: 13 Sept – 2 Oct 2023, with the gap of 22–24 Sept."""
    return build_sample_db(tmp_path_factory.mktemp("completeness") / "sample.db", every=10)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def db(request, sample_db: Path) -> Path | str:
    """The sample on each engine (moved to PostgreSQL by `db copy`): a test that takes it runs on both."""
    if request.param == "sqlite":
        return sample_db
    return request.getfixturevalue("pg_cluster").copy_of(sample_db)


@pytest.fixture
def conn(db):
    with closing(queries.open_db(db)) as conn:
        yield conn


def _range(first: str, last: str, started: bool = False, stopped: bool = False) -> OutletRange:
    return OutletRange(1, "Daily", "GB", D(first), D(last), started, stopped)


def _days(first: str, n: int, per_day: int, override: dict[str, int]) -> dict[dt.date, int]:
    days = {D(first) + dt.timedelta(days=i): per_day for i in range(n)}
    days.update({D(k): v for k, v in override.items()})
    return {k: v for k, v in days.items() if v}


@pytest.mark.parametrize(("override", "flagged"), [
    ({}, []),
    ({"2023-03-15": 0}, [("2023-03-15", "none")]),
    ({"2023-03-15": 1}, [("2023-03-15", "low")]),            # 1 of a usual 20: far below
    ({"2023-03-15": 10}, []),                                # half the usual output: a quiet day, not a gap
    ({"2023-03-15": 0, "2023-03-16": 0, "2023-03-17": 0}, [("2023-03-15", "none"), ("2023-03-16", "none"),
                                                           ("2023-03-17", "none")]),
])
def test_days_far_below_the_usual_output_are_incomplete(override, flagged):
    counts = {1: _days("2023-03-01", 31, 20, override)}
    gaps = outlet_gaps(counts, [_range("2023-03-01", "2023-03-31")], {}, {})
    assert [(g.day.isoformat(), g.reason) for g in gaps] == flagged


def test_an_empty_day_of_a_small_outlet_is_ordinary():
    counts = {1: _days("2023-03-01", 31, int(MIN_EXPECTED) - 1, {"2023-03-15": 0})}
    assert outlet_gaps(counts, [_range("2023-03-01", "2023-03-31")], {}, {}) == []


def test_a_polled_day_is_judged_by_the_fetch_log_not_by_the_count():
    counts = {1: _days("2023-03-01", 31, 20, {"2023-03-15": 0})}
    day, failed = D("2023-03-15"), D("2023-03-20")
    gaps = outlet_gaps(counts, [_range("2023-03-01", "2023-03-31")], {1: {day, failed}}, {1: {failed}})
    assert [(g.day, g.reason) for g in gaps] == [(failed, "failed")]   # polled fine on the 15th: truly no news


@pytest.mark.parametrize(("rng", "text"), [
    (_range("2023-01-01", "2023-12-31"), "active"),
    (_range("2023-10-02", "2023-12-31", started=True), "started 2023-10-02"),
    (_range("2023-01-01", "2023-08-31", stopped=True), "stopped after 2023-08-31"),
    (_range("2023-11-10", "2023-12-04", True, True), "only 2023-11-10 to 2023-12-04"),
])
def test_an_outlet_says_whether_it_started_or_stopped(rng, text):
    assert rng.describe() == text


def test_the_gap_days_of_the_corpus_are_listed(conn):
    gaps = collection.gap_days(queries.collection(conn), Filters())
    nothing = gaps[gaps["nothing"]]
    assert list(nothing["day"]) == GAP
    assert "Nothing was collected on 2023-09-22 to 09-24." in collection.gap_note(gaps)


def test_a_view_outside_the_gap_lists_none_of_it(conn):
    gaps = collection.gap_days(queries.collection(conn), Filters.make(date_from="2023-09-25"))
    assert not set(gaps["day"]) & set(GAP)


@pytest.mark.parametrize("normalized", [False, True])
def test_the_gap_days_are_shaded_on_the_chart_in_both_measures(conn, normalized):
    series = queries.coverage(conn, Filters(), normalized=normalized)
    gaps = collection.gap_days(queries.collection(conn), Filters())
    fig = figures.coverage_figure(series, queries.outage_days(conn, Filters()), normalized=normalized, gaps=gaps)
    shaded = set(shaded_days(fig))
    assert set(GAP) <= shaded
    marker = next(t for t in fig.data if t.name == "incomplete collection")
    assert [str(x)[:10] for x in marker.x[:3]] == GAP and marker.text[0].startswith("nothing collected")


@pytest.mark.parametrize("split", ["source", "outlet", "none"])
def test_an_outlet_that_started_mid_period_is_named_in_the_caption(conn, split):
    note = collection.range_note(queries.collection(conn), Filters(), split)
    assert f"{STARTED} (JP) started 2023-09-28" in note
    assert ("compare different periods" in note) == (split != "none")


def test_no_range_caption_once_every_outlet_is_collected_throughout(conn):
    assert collection.range_note(queries.collection(conn), Filters.make(date_from="2023-09-29"), "source") == ""


def test_the_calendar_leaves_the_days_before_an_outlet_started_blank(conn):
    result = queries.collection(conn)
    frame = collection.calendar_frame(result, D("2023-09-20"), D("2023-09-30"))
    days = frame[frame["outlet"] == STARTED].set_index("day")["state"]
    assert days["2023-09-27"] == "inactive" and days["2023-09-28"] == "collected"
    assert set(frame[frame["day"] == "2023-09-22"]["state"]) <= {"none", "inactive", "collected"}
    assert (frame[frame["day"] == "2023-09-22"]["state"] == "none").sum() >= 5
    data = figures.calendar_data(frame)
    assert len(data["outlets"]) == len(result.ranges) and len(data["days"]) == 11
    row = data["states"][data["outlets"].index(STARTED)]
    digit = {state: str(spec[0]) for state, spec in figures.CALENDAR_STATES.items()}
    assert (row[7], row[8]) == (digit["inactive"], digit["collected"])    # 2023-09-27 and -28


def test_the_sources_page_marks_started_outlets_and_shows_the_calendar(db, monkeypatch):
    at = no_errors(run_app(db, monkeypatch, "sources"))
    table = at.dataframe[0].value
    assert set(table[table["outlet"] == STARTED]["collection"]) == {"started 2023-09-28"}
    assert any("Each outlet's days from 2023-09-13 to 2023-10-02" in c.value for c in at.caption)


def test_the_coverage_page_names_the_gap_and_the_started_outlets(db, monkeypatch):
    at = no_errors(run_app(db, monkeypatch))
    at.selectbox(key="split").select("source").run()
    caption = no_errors(at).caption[0].value
    assert "Nothing was collected on 2023-09-22 to 09-24." in caption
    assert f"{STARTED} (JP) started 2023-09-28" in caption


def test_a_stopped_feed_is_not_shown_as_active(tmp_path, monkeypatch):
    db = build_sample_db(tmp_path / "stopped.db", every=10)
    with closing(connect(db)) as conn:
        conn.execute("DELETE FROM articles WHERE outlet_id = (SELECT id FROM outlets WHERE name = 'BBC News') "
                     "AND published >= '2023-09-15'")
    at = no_errors(run_app(db, monkeypatch, "sources"))
    table = at.dataframe[0].value
    assert set(table[table["outlet"] == "BBC News"]["status"]) == {"stopped after 2023-09-14"}


def test_every_fetch_failed_is_an_incomplete_day_of_a_live_outlet(tmp_path):
    db = build_sample_db(tmp_path / "live.db", every=10)
    with closing(connect(db)) as conn:
        log_fetches(conn, "http://feeds.bbci.co.uk/news/rss.xml", "2023-09-18", ["error", "error"])
        gaps = completeness(conn).within(D("2023-09-18"), D("2023-09-18"))
    assert ("BBC News", "failed") in [(g.name, g.reason) for g in gaps]


@pytest.mark.parametrize("bucket", ["day", "week", "month"])
def test_outages_years_from_the_articles_go_to_the_caption_not_the_chart(conn, bucket):
    series = queries.coverage(conn, Filters(), bucket)
    outages = pd.DataFrame({"day": ["2023-09-20", "2026-11-30", "2026-12-01", "2026-12-02"], "failing": [1, 2, 2, 2],
                            "polled": [4, 4, 4, 4]})
    inside, outside = collection.outages_within(outages, series, bucket)
    assert list(inside["day"]) == ["2023-09-20"]
    fig = figures.coverage_figure(series, inside, bucket=bucket)
    assert max(pd.Timestamp(x) for trace in fig.data for x in trace.x) < pd.Timestamp("2023-11-01")
    assert collection.outside_note(outside) == (
        "Not drawn: on 3 days outside these articles' period (2026-11-30 to 12-02) some of these outlets' feeds "
        "failed every fetch, so nothing was collected there.")


def test_a_live_collector_failing_today_leaves_the_archive_chart_readable(tmp_path, monkeypatch):
    db = build_sample_db(tmp_path / "archive.db", every=10)
    with closing(connect(db)) as conn:
        for day in ("2026-12-01", "2026-12-02"):
            log_fetches(conn, "http://feeds.bbci.co.uk/news/rss.xml", day, ["error", "error"])
    at = no_errors(run_app(db, monkeypatch))
    caption = at.caption[0].value
    assert "Not drawn: on 2 days outside these articles' period (2026-12-01 to 12-02)" in caption
    assert "Shaded:" not in caption


def test_export_names_the_incomplete_days(sample_db, tmp_path, capsys):
    out, days = tmp_path / "a.csv", tmp_path / "gaps.csv"
    assert main(["--db", str(sample_db), "export", "-o", str(out), "--from", "2023-09-20", "--to", "2023-09-26",
                 "--incomplete-days", str(days)]) == 0
    err = capsys.readouterr().err
    assert "collection was incomplete on" in err and "2023-09-22, 2023-09-23, 2023-09-24" in err
    with open(days, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert {r["day"] for r in rows if r["reason"] == "none"} == set(GAP)
    assert all("2023-09-20" <= r["day"] <= "2023-09-26" for r in rows)


def test_export_without_incomplete_days_says_nothing_of_them(sample_db, tmp_path, capsys):
    assert main(["--db", str(sample_db), "export", "-o", str(tmp_path / "a.csv"), "--from", "2023-09-26",
                 "--to", "2023-09-27"]) == 0
    assert "collection was incomplete" not in capsys.readouterr().err


def test_an_outage_of_weeks_is_incomplete_throughout():
    counts = {1: _days("2023-01-01", 120, 20, {f"2023-02-{d:02d}": 0 for d in range(1, 29)})}
    gaps = outlet_gaps(counts, [_range("2023-01-01", "2023-04-30")], {}, {})
    assert [g.day for g in gaps] == [D("2023-02-01") + dt.timedelta(days=i) for i in range(28)]


def test_an_outlet_that_publishes_less_for_months_is_not_low():
    counts = {1: _days("2023-01-01", 120, 20, {f"2023-0{m}-{d:02d}": 2 for m in (1, 2) for d in range(1, 29)})}
    gaps = outlet_gaps(counts, [_range("2023-01-01", "2023-04-30")], {}, {})
    assert len(gaps) <= 7 and all(g.day >= D("2023-02-20") for g in gaps)   # at most the week where its level rose


@pytest.mark.parametrize(("names", "words"), [
    (["Bloomberg"] * 24 + ["Fox News"] * 3, "Bloomberg on 24 of them, Fox News on 3 of them"),
    (["Bloomberg"] * 24 + ["Fox News"] * 3 + ["CNN", "BBC News", "BBC News"],
     "Bloomberg on 24 of them, Fox News on 3 of them and 2 more outlets"),
    (["A", "B", "C"], "A on 1 of them, B on 1 of them and 1 more outlet"),
    (["<b>x</b>"], r"\<b\>x\</b\> on 1 of them"),
])
def test_the_articles_note_names_whose_collection_was_incomplete(names, words):
    gaps = [Gap(dt.date(2023, 9, 1) + dt.timedelta(days=i), i, name, 0, 10.0, "low") for i, name in enumerate(names)]
    assert collection.whose_gaps(gaps) == words
