"""dashboard.figures and dashboard.interact: the Plotly figures and what a click or a drag on them means."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import pytest
from conftest import shaded_days

from dashboard import figures, interact
from dashboard.labels import WORD_JOINER, category_label, counted, country_label, md_escape, plot_text


def series(labels: dict[str, list[int]], start: str = "2023-09-18") -> pd.DataFrame:
    rows = []
    for label, values in labels.items():
        for i, n in enumerate(values):
            rows.append({"bucket": pd.Timestamp(start) + pd.Timedelta(days=i), "label": label, "n": n,
                         "total": 10 * n or 1, "value": float(n)})
    return pd.DataFrame(rows)


NO_OUTAGES = pd.DataFrame(columns=["day", "failing", "polled"])


def test_coverage_figure_draws_one_line_per_label_with_other_last_and_grey():
    fig = figures.coverage_figure(series({"other": [5, 6], "US": [3, 4], "UA": [1, 2]}), NO_OUTAGES, split="country")
    names = [trace.name for trace in fig.data]
    assert names == ["United States (US)", "Ukraine (UA)", "other"]
    assert fig.data[-1].line.color == figures.OTHER_COLOR
    assert fig.layout.dragmode == "select" and fig.layout.selectdirection == "h"
    assert not fig.layout.shapes


@pytest.mark.parametrize(("lines", "order"), [
    ({"UA": [1, 2], "other": [50, 60], "US": [3, 4]}, ["United States (US)", "Ukraine (UA)", "other"]),
    ({"PL": [0, 9], "DE": [5, 5], "FR": [9, 0]}, ["Germany (DE)", "France (FR)", "Poland (PL)"]),   # ties by code
    ({"RU": [1, 1, 1], "AZ": [0, 0, 40]}, ["Azerbaijan (AZ)", "Russia (RU)"]),    # the total, not the first day
])
def test_the_legend_lists_the_largest_line_first(lines, order):
    fig = figures.coverage_figure(series(lines), NO_OUTAGES, split="country")
    assert [trace.name for trace in fig.data] == order
    assert fig.layout.legend.traceorder == "normal"


def test_the_legend_sits_under_the_plot_away_from_the_toolbar():
    fig = figures.coverage_figure(series({"US": [3, 4], "UA": [1, 2]}), NO_OUTAGES, split="country", bucket="week")
    legend = fig.layout.legend
    assert (legend.orientation, legend.yref, legend.yanchor, legend.y) == ("h", "container", "bottom", 0)


def test_coverage_figure_shades_outage_days():
    outages = pd.DataFrame({"day": ["2023-09-19", "2023-09-20"], "failing": [1, 4], "polled": [4, 4]})
    fig = figures.coverage_figure(series({"all": [5, 6, 7]}), outages)
    shaded = shaded_days(fig)
    assert list(shaded) == ["2023-09-19", "2023-09-20"] and shaded["2023-09-20"] > shaded["2023-09-19"]
    assert fig.data[0].name == figures.SHADE and list(fig.data[0].x[:4]) == ["2023-09-19"] * 2 + ["2023-09-20"] * 2
    marker = fig.data[-1]
    assert marker.name == "feed outage" and list(marker.text) == ["1 of 4 feeds failed all day",
                                                                   "4 of 4 feeds failed all day"]


def test_a_year_of_outage_and_gap_days_is_shaded_day_by_day_behind_the_lines():
    days = [(dt.date(2023, 1, 1) + dt.timedelta(days=i)).isoformat() for i in range(365)]
    outages = pd.DataFrame({"day": days, "failing": [i % 5 for i in range(365)], "polled": [4] * 365})
    gaps = pd.DataFrame({"day": days, "missing": [(i % 10) / 9 for i in range(365)], "nothing": [False] * 365,
                         "outlets": [("BBC News",)] * 365})
    fig = figures.coverage_figure(series({"all": [5] * 365}, start="2023-01-01"), outages, gaps=gaps)
    outages_shaded, gaps_shaded = shaded_days(fig, figures.OUTAGE_COLOR), shaded_days(fig, figures.GAP_COLOR)
    assert sorted(outages_shaded) == sorted(gaps_shaded) == days
    assert gaps_shaded["2023-01-10"] > gaps_shaded["2023-01-01"]          # darker: more missing
    assert outages_shaded["2023-01-02"] > outages_shaded["2023-01-01"]    # darker: more feeds failing
    # behind the lines, over the plot's whole height, and a few traces, not one shape per day
    shades = [trace for trace in fig.data if trace.name == figures.SHADE]
    assert fig.data[:len(shades)] == tuple(shades) and len(shades) <= 12 and not fig.layout.shapes
    assert max(max(y for y in trace.y if y is not None) for trace in shades) == fig.layout.yaxis.range[1] > 5


def test_normalized_coverage_says_percent():
    fig = figures.coverage_figure(series({"all": [5]}), NO_OUTAGES, normalized=True, bucket="week")
    assert "%" in fig.data[0].hovertemplate and "same outlets" in fig.layout.yaxis.title.text
    assert fig.layout.xaxis.title.text == "week starting"


def test_world_map_uses_iso3_and_keeps_alpha2_for_clicks():
    counts = pd.DataFrame({"country": ["US", "AZ", "XX"], "n": [1000, 10, 5]})
    fig = figures.world_map(counts)
    trace = fig.data[0]
    assert isinstance(trace, go.Choropleth) and list(trace.locations) == ["USA", "AZE"]   # unknown codes dropped
    assert [row[0] for row in trace.customdata] == ["US", "AZ"]
    assert trace.z[0] == 3 and trace.z[1] == 1                                          # log10 colour scale
    assert figures.MAP_CONFIG["topojsonURL"] == "app/static/"                            # served by the app itself


@pytest.mark.parametrize("counted", ["articles", "stories"])
def test_the_map_says_what_it_counts(counted):
    trace = figures.world_map(pd.DataFrame({"country": ["US"], "n": [7]}), counted).data[0]
    assert trace.colorbar.title.text == counted and trace.hovertemplate.endswith(f" {counted}<extra></extra>")


def test_who_covers_whom_figure_has_a_clickable_marker_on_every_cell():
    matrix = pd.DataFrame([[5, 1, 0], [2, 0, 7]], index=["GB", "PL"], columns=["US", "UA", "RU"])
    fig = figures.who_covers_whom_figure(matrix, normalized=False)
    few, heat, cells = fig.data
    assert isinstance(heat, go.Heatmap) and list(heat.y) == ["GB", "PL"] and isinstance(few, go.Heatmap)
    assert len(cells.x) == 6 and (cells.x[5], cells.y[5]) == ("RU", "PL") and cells.customdata[5][0] == 7
    assert "United Kingdom outlets → Russia" in cells.text[2]


def test_empty_figure_says_why():
    assert figures.empty_figure("nothing here").layout.annotations[0].text == "nothing here"


def test_a_box_drag_gives_the_days_it_covers():
    event = {"selection": {"box": [{"x": ["2023-09-20 13:10:00.5", "2023-09-15 02:00"], "y": [0, 5]}],
                           "points": []}}
    assert interact.box_date_range(event) == (dt.date(2023, 9, 15), dt.date(2023, 9, 20))
    epoch = {"selection": {"box": [{"x": [1694736000000, 1695168000000]}]}}
    assert interact.box_date_range(epoch) == (dt.date(2023, 9, 15), dt.date(2023, 9, 20))
    assert interact.box_date_range({"selection": {"box": []}}) is None
    assert interact.box_date_range(None) is None
    assert interact.box_date_range({"selection": {"box": [{"x": ["nonsense", "2023-09-15"]}]}}) is None


@pytest.mark.parametrize(("event", "day"), [
    ({"selection": {"points": [{"customdata": ["spike", "2023-09-20", "all"]}], "box": []}},
     (dt.date(2023, 9, 20), "all")),
    ({"selection": {"points": [{"customdata": ["spike", "2023-09-20", "AZ"]}], "box": []}},
     (dt.date(2023, 9, 20), "AZ")),
    ({"selection": {"points": [{"customdata": [40, "spike", "2023-09-20", "AZ"]}], "box": []}},   # its line's point
     (dt.date(2023, 9, 20), "AZ")),
    ({"selection": {"points": [{"customdata": [40]}], "box": []}}, None),         # a line's point without a star
    ({"selection": {"points": [{"customdata": ["AZ"]}], "box": []}}, None),       # a map's country
    ({"selection": {"points": [{"customdata": ["spike", "soon", "all"]}], "box": []}}, None),
    ({"selection": {"points": [], "box": [{"x": ["2023-09-15", "2023-09-20"]}]}}, None),
    (None, None),
])
def test_a_click_on_a_spike_star_names_its_day_and_line_and_nothing_else_does(event, day):
    assert interact.clicked_spike(event) == day


def test_each_spike_star_carries_its_day_for_a_click():
    series = pd.DataFrame({"bucket": pd.to_datetime(["2023-09-18", "2023-09-19"]), "label": "all", "n": [2, 40],
                           "total": float("nan"), "value": [2.0, 40.0]})
    peaks = pd.DataFrame({"bucket": pd.to_datetime(["2023-09-19"]), "label": ["all"], "value": [40.0],
                          "ratio": [20.0]})
    fig = figures.coverage_figure(series, pd.DataFrame(), peaks=peaks)
    stars = next(trace for trace in fig.data if trace.name == "spike")
    assert [list(c) for c in stars.customdata] == [[figures.SPIKE_CLICK, "2023-09-19", "all"]]
    line = next(trace for trace in fig.data if trace.name == "all")   # a click on the star may reach the line's point
    assert [list(c) for c in line.customdata] == [[2], [40, figures.SPIKE_CLICK, "2023-09-19", "all"]]



class Event:
    """Streamlit's plotly_chart state is an attribute dict."""

    def __init__(self, selection):
        self.selection = selection


def test_map_and_heatmap_clicks():
    assert interact.clicked_country(Event({"points": [{"customdata": ["AZ", 10], "location": "AZE"}]})) == "AZ"
    assert interact.clicked_country({"selection": {"points": [{"location": "UKR"}]}}) == "UA"
    assert interact.clicked_country({"selection": {"points": [{"location": "???"}]}}) is None
    assert interact.clicked_cell({"selection": {"points": [{"x": "US", "y": "GB", "customdata": [3]}]}}) == ("GB", "US")
    assert interact.clicked_cell({"selection": {"points": []}}) is None


def test_labels_and_markdown_escaping():
    assert country_label("AZ") == "Azerbaijan (AZ)" and country_label(None) == "" and country_label(float("nan")) == ""
    assert category_label("conflict_war_peace") == "Conflict, war, peace" and category_label("sport") == "Sport"
    hostile = "[click](javascript:alert(1)) <img src=x> :red[big] $x^2$ **bold**"
    escaped = md_escape(hostile)
    assert all(escaped[i - 1] == "\\" for i, c in enumerate(escaped) if c in "[]()<>:$*")
    assert escaped.replace("\\", "") == hostile


HOSTILE = ['<a href="http://example.invalid">link</a>', "<b>bold</b>", "<img src=x onerror=alert(1)>", "$x$",
           "&lt;b&gt;entity", "![x](http://127.0.0.1:9/img.png)"]


def plotly_strings(fig: go.Figure) -> list[str]:
    """Every string of the figure's traces that Plotly shows as a label: names, texts and category values."""
    out = []
    for trace in fig.to_plotly_json()["data"]:
        out.append(trace.get("name") or "")
        for key in ("text", "x", "y"):
            value = trace.get(key)
            if value is not None:
                out.extend(v for v in (value if isinstance(value, list | tuple) else list(value)) if isinstance(v, str))
    return out


@pytest.mark.parametrize("name", HOSTILE)
def test_names_reach_plotly_as_text(name):
    """Plotly renders <a>, <b>, entities and $math$ in labels: every name from the data arrives escaped."""
    line = figures.coverage_figure(series({name: [1, 2], "other": [1, 1]}), NO_OUTAGES, split="outlet")
    matrix = figures.who_covers_whom_figure(pd.DataFrame([[3]], index=[name], columns=["AZ"]))
    for text in plotly_strings(line) + plotly_strings(matrix):
        assert "<" not in text.replace("<br>", "").replace("<extra>", "") and not text.startswith("$"), text
    assert plot_text(name) in plotly_strings(line) and plot_text(name) in plotly_strings(matrix)
    assert plot_text(name).replace("&lt;", "<").replace("&gt;", ">").replace("&#36;", "$").replace(
        "&amp;", "&") == name


def test_a_heatmap_click_still_reports_real_codes():
    fig = figures.who_covers_whom_figure(pd.DataFrame([[3]], index=["GB"], columns=["AZ"]))
    assert list(fig.data[0].x) == ["AZ"] and list(fig.data[0].y) == ["GB"]


@pytest.mark.parametrize("text", ["see http://example.invalid/x", "HTTPS://a.b", "www.example.com", "ann@example.org"])
def test_markdown_escaping_stops_autolinks(text):
    """GFM links bare URLs, www. names and addresses after escapes are undone: a joiner breaks each pattern."""
    escaped = md_escape(text)
    assert WORD_JOINER in escaped
    assert escaped.replace("\\", "").replace(WORD_JOINER, "") == text


def test_the_browser_draws_with_the_plotly_js_that_wrote_the_figures():
    """The figures' JSON (typed arrays and all) is written by the Python plotly package for the plotly.js it embeds:
    the dashboard's own build (scripts/plotly_bundle) must be that same release, or charts break silently."""
    from plotly.offline import get_plotlyjs_version

    bundle = Path(figures.__file__).with_name("static") / "plotly-newsradar.min.js"
    assert bundle.read_text(encoding="utf-8")[:200].startswith(f"/* plotly.js {get_plotlyjs_version()} ")


@pytest.mark.parametrize("values", [[float("nan"), float("nan")], [0, 0], [float("nan"), 40]])
def test_shaded_days_reach_above_every_line_even_one_of_nothing(values):
    gaps = pd.DataFrame({"day": ["2023-09-19"], "missing": [1.0], "nothing": [True], "outlets": [("BBC News",)]})
    fig = figures.coverage_figure(series({"all": values}), NO_OUTAGES, gaps=gaps)
    top = fig.layout.yaxis.range[1]
    assert top == pytest.approx(max([v for v in values if v == v] + [1]) * 1.08)   # NaN != NaN: a missing value
    assert shaded_days(fig) == {"2023-09-19": pytest.approx(0.35)}


@pytest.mark.parametrize(("state", "n"), [("collected", 171), ("incomplete", 3), ("none", 0), ("inactive", 0)])
def test_a_calendar_cell_is_coloured_by_its_state_and_hovers_its_count(state, n):
    frame = pd.DataFrame({"outlet": ["Fox News", "Fox News", "BBC News", "BBC News"],
                          "day": ["2023-08-06", "2023-08-07", "2023-08-06", "2023-08-07"],
                          "state": ["collected", state, "collected", "collected"], "n": [50, n, 40, 45]})
    data = figures.calendar_data(frame)
    assert data["outlets"] == ["Fox News", "BBC News"] and data["days"] == ["2023-08-06", "2023-08-07"]
    code = int(data["states"][0][1])
    assert data["colors"][code] == figures.CALENDAR_STATES[state][1]   # the legend's colour for the state
    assert data["legend"][code] == figures.CALENDAR_STATES[state][2]
    assert data["counts"] == [[50, n], [40, 45]]


def test_a_calendar_is_sent_as_digits_and_counts_not_a_figure():
    days = [(dt.date(2023, 1, 1) + dt.timedelta(days=i)).isoformat() for i in range(365)]
    frame = pd.DataFrame({"outlet": [f"outlet {k}" for k in range(54) for _ in days], "day": days * 54,
                          "state": "collected", "n": 5})
    data = figures.calendar_data(frame)
    assert data["states"][53] == "3" * 365 and len(json.dumps(data)) < 100_000   # Plotly's JSON was 0.6 MB


@pytest.mark.parametrize(("n", "unit", "adjective", "words"), [
    (1, "articles", "matching", "1 matching article"), (1, "stories", "matching", "1 matching story"),
    (0, "articles", "matching", "0 matching articles"), (2163, "articles", "", "2,163 articles"),
    (2, "stories", "", "2 stories"), (1, "days", "", "1 day"), (3, "days", "", "3 days"),   # incomplete days
])
def test_a_count_of_one_reads_in_the_singular(n, unit, adjective, words):
    assert counted(n, unit, adjective) == words


@pytest.mark.parametrize(("top", "labels"), [(1, ["1", "2"]), (2, ["1", "2"]), (7, ["1", "7"]), (12, ["1", "10"]),
                                             (45, ["1", "10", "45"]), (4_500, ["1", "10", "100", "1,000", "4,500"])])
def test_the_maps_colour_bar_is_labelled_to_its_top(top, labels):
    trace = figures.world_map(pd.DataFrame({"country": ["US", "PL"], "n": [top, 1]})).data[0]
    # the bar's top is the busiest country (a view of one or two articles is not pale against a top of 10) ...
    assert list(trace.colorbar.ticktext) == labels and trace.zmax == pytest.approx(math.log10(max(top, 2)))
    # ... and its bottom below one article: a country of one is blue, not the scale's near-white
    assert trace.zmin < min(trace.z) == 0


def test_a_chart_of_a_few_articles_has_whole_article_ticks():
    days = pd.date_range("2023-09-01", periods=5)
    few = pd.DataFrame({"bucket": days, "label": "all", "n": [0, 1, 2, 1, 0], "value": [0.0, 1, 2, 1, 0]})
    fig = figures.coverage_figure(few, pd.DataFrame(columns=["day"]))
    assert fig.layout.yaxis.dtick == 1
    many = few.assign(n=few["n"] * 100, value=few["value"] * 100)
    assert figures.coverage_figure(many, pd.DataFrame(columns=["day"])).layout.yaxis.dtick is None


def test_who_covers_whom_counts_start_their_scale_at_zero():
    matrix = pd.DataFrame([[9, 9], [9, 9]], index=["GB", "PL"], columns=["US", "UA"])
    _, heat, _ = figures.who_covers_whom_figure(matrix, normalized=False).data
    assert heat.zmin == 0


def test_a_one_day_chart_has_a_days_axis():
    one = pd.DataFrame({"bucket": [pd.Timestamp("2023-09-19")], "label": "all", "n": [40], "value": [40.0]})
    axis = figures.coverage_figure(one, pd.DataFrame(columns=["day"])).layout.xaxis
    assert axis.tickformat == "%Y-%m-%d" and axis.dtick == 86_400_000
    assert [pd.Timestamp(x) for x in axis.range] == [pd.Timestamp("2023-09-18"), pd.Timestamp("2023-09-20")]
