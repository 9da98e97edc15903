"""Who covers whom shows its sample sizes: row and column totals, grey cells below a minimum, the home country
left out on request, countries by name."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dashboard import figures
from dashboard import queries as q
from dashboard.testing import add_articles
from db.filters import Filters

# (source country, outlet, country named in the titles, how many articles)
STORIES = [("PL", "Gazeta", "Poland", 6), ("PL", "Gazeta", "Ukraine", 2), ("GB", "Herald", "Ukraine", 5),
           ("GB", "Herald", "Poland", 1), ("GB", "Herald", "weather", 3)]


@pytest.fixture
def grid_db(conn):
    for country, outlet, subject, n in STORIES:
        add_articles(conn, f"https://{outlet.lower()}.example/rss", [
            (f"{subject} news item number {i}", f"https://{outlet.lower()}.example/{subject}/{i}",
             f"2023-09-{10 + i:02d} 08:00:00") for i in range(n)], outlet=outlet, country=country)
    return conn


def test_rows_and_columns_carry_their_totals(grid_db):
    grid = q.cover_grid(grid_db, Filters())
    assert grid.counts.loc["GB", "UA"] == 5 and grid.counts.loc["PL", "PL"] == 6
    assert grid.sources.to_dict() == {"PL": 8, "GB": 9}              # every article of the source country
    assert grid.named.to_dict() == {"PL": 7, "UA": 7}                # every article naming the country
    assert grid.shares.loc["GB", "UA"] == pytest.approx(100 * 5 / 9)


def test_the_home_country_can_be_left_out(grid_db):
    grid = q.cover_grid(grid_db, Filters(), home=False)
    assert np.isnan(grid.counts.loc["PL", "PL"]) and grid.counts.loc["GB", "PL"] == 1
    assert grid.named.to_dict() == {"UA": 7, "PL": 1}                # Polish outlets on Poland no longer count
    assert list(grid.counts.columns) == ["UA", "PL"]                 # nor rank Poland first


def figure(grid: q.CoverGrid, normalized: bool = True, min_count: int = figures.MIN_CELL):
    return figures.who_covers_whom_figure(grid.shares if normalized else grid.counts, normalized, counts=grid.counts,
                                          sources=grid.sources, named=grid.named, min_count=min_count)


@pytest.mark.parametrize(("min_count", "grey"), [(1, set()), (2, {("GB", "PL")}), (5, {("GB", "PL"), ("PL", "UA")}),
                                                 (7, {("GB", "PL"), ("PL", "UA"), ("GB", "UA"), ("PL", "PL")})])
def test_cells_below_the_minimum_are_grey_without_their_share(grid_db, min_count, grey):
    grid = q.cover_grid(grid_db, Filters())
    few, heat, cells = figure(grid, min_count=min_count).data
    rows, columns = list(grid.counts.index), list(grid.counts.columns)
    shown_grey = {(rows[i], columns[j]) for i, j in zip(*np.where(~np.isnan(np.array(few.z, dtype=float))),
                                                        strict=True)}
    coloured = {(rows[i], columns[j]) for i, j in zip(*np.where(~np.isnan(np.array(heat.z, dtype=float))),
                                                      strict=True)}
    assert shown_grey == grey and coloured == {(r, c) for r in rows for c in columns} - grey
    for (source, country), text in zip(zip(cells.y, cells.x, strict=True), cells.text, strict=True):
        assert ("too few to compare" in text) == ((source, country) in grey)
    assert len(cells.x) == len(rows) * len(columns)                    # every cell still clickable


def test_countries_are_named_with_their_totals_and_clicks_report_codes(grid_db):
    fig = figure(q.cover_grid(grid_db, Filters()))
    assert list(fig.layout.yaxis.ticktext) == ["United Kingdom (9)", "Poland (8)"]    # the busiest first
    assert list(fig.layout.xaxis.ticktext) == ["Poland (7)", "Ukraine (7)"]
    assert list(fig.data[2].x) == ["PL", "UA", "PL", "UA"] and list(fig.layout.yaxis.tickvals) == ["GB", "PL"]
    assert "United Kingdom outlets → Ukraine: 55.6% of its articles (5 articles)" in fig.data[2].text


def test_a_left_out_home_cell_is_blank_and_says_why(grid_db):
    few, heat, cells = figure(q.cover_grid(grid_db, Filters(), home=False), min_count=1).data
    home = [text for text in cells.text if text.startswith("Poland outlets → Poland")]
    assert home == ["Poland outlets → Poland: left out (the home country)"]
    assert np.isnan(np.array(few.z, dtype=float)).sum() == 4 and np.isnan(np.array(heat.z, dtype=float)).sum() == 1


def test_nothing_matching_means_an_empty_grid(grid_db):
    assert q.cover_grid(grid_db, Filters.make(q="zzzzqqq")).empty
    assert q.who_covers_whom(grid_db, Filters.make(q="zzzzqqq")).empty


def test_a_grid_of_one_source_country_is_tall_enough_for_its_axis_title():
    one = pd.DataFrame([[3, 1]], index=pd.Index(["PL"], name="source"), columns=pd.Index(["AZ", "AM"], name="country"))
    tall = pd.DataFrame([[3, 1]] * 12, index=pd.Index([f"C{i}" for i in range(12)], name="source"),
                        columns=pd.Index(["AZ", "AM"], name="country"))
    # the axis title "source country (its articles)" reads along the rows: with one row it was cut to "ɔe country"
    height = figures.who_covers_whom_figure(one, False).layout.height
    assert height >= 400 and figures.who_covers_whom_figure(tall, False).layout.height > height
