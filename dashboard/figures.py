"""Plotly figures of the dashboard, built from the aggregates of dashboard.queries (no Streamlit here).

Every name that comes from the data (outlets, topics, country codes) passes through labels.plot_text before it
reaches a legend, hover text or tick label: Plotly would otherwise render the HTML in it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from dashboard.isocodes import alpha3, country_name
from dashboard.labels import plot_text
from dashboard.spikes import WINDOW

PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22",
           "#7f7f7f", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd", "#e6550d", "#31a354",
           "#756bb1", "#636363"]
OTHER_COLOR = "#b0b0b0"
OUTAGE_COLOR = "#d62728"
GAP_COLOR = "#6b6b6b"
# the Sources page's collection calendar: state → (its digit in calendar_data, colour, what the legend and a hover say)
CALENDAR_STATES = {"inactive": (0, "#f2f2f2", "before its first or after its last article"),
                   "none": (1, "#d62728", "no articles"),
                   "incomplete": (2, "#ffb000", "far below its usual output"),
                   "collected": (3, "#4c9f70", "articles stored")}
SPIKE_COLOR = "#e6a700"
# a line of more points has no markers: a year of days in nine lines made 3,300 SVG markers, a third of the
# browser's work on every filter change of the Coverage page (the line's hover and a box's dates are the same)
MARKERS_UP_TO = 92
# the map's TopoJSON is served by the app itself (dashboard/static), so it works without Plotly's CDN
MAP_CONFIG = {"topojsonURL": "app/static/", "displaylogo": False}
CHART_CONFIG = {"displaylogo": False}


# the legend under the plot, at the foot of the figure: above it, Plotly's toolbar (drawn over the top right corner
# on hover) covered the legend's last entries
LEGEND = {"orientation": "h", "yref": "container", "yanchor": "bottom", "y": 0, "x": 0, "traceorder": "normal"}


# every figure's template, given as the default: Plotly then takes it as valid, where template="plotly_white" in a
# layout had it checked and deep-copied for each figure (a fifth of the time of building the Coverage chart)
pio.templates.default = "plotly_white"


def _layout(fig: go.Figure, height: int) -> go.Figure:
    fig.update_layout(height=height, margin={"l": 10, "r": 10, "t": 30, "b": 10}, legend=LEGEND)
    return fig


def by_volume(series: pd.DataFrame) -> list[str]:
    """The series' labels, the one with the most articles first (ties by name), 'other' last."""
    totals = series.groupby("label", sort=False)["n"].sum()
    ranked = sorted((label for label in totals.index if label != "other"), key=lambda lab: (-totals[lab], str(lab)))
    return ranked + (["other"] if "other" in totals.index else [])


def label_name(label: str, split: str) -> str:
    """What a series is called in the legend (as text, not yet made safe for Plotly): country codes get their names."""
    if split in ("country", "source") and len(label) == 2:
        return f"{country_name(label)} ({label})"
    return label


def coverage_figure(series: pd.DataFrame, outages: pd.DataFrame, *, split: str = "none", normalized: bool = False,
                    bucket: str = "day", peaks: pd.DataFrame | None = None,
                    gaps: pd.DataFrame | None = None, counted: str = "articles") -> go.Figure:
    """Lines of coverage over time (one per label, the largest first), with the days of feed outages and of
    incomplete collection (`gaps`: dashboard.collection.gap_days) shaded and spikes marked; `counted`: articles
    or stories."""
    fig = go.Figure()
    unit = f"% of the same outlets' {counted}" if normalized else counted
    labels = by_volume(series)
    starred = set() if peaks is None else set(zip(pd.to_datetime(peaks["bucket"]), peaks["label"].astype(str),
                                                  strict=True))
    for i, label in enumerate(labels):
        rows = series[series["label"] == label].sort_values("bucket")
        color = OTHER_COLOR if label == "other" else PALETTE[i % len(PALETTE)]
        fig.add_trace(go.Scatter(
            x=rows["bucket"], y=rows["value"], name=plot_text(label_name(str(label), split)),
            mode="lines+markers" if len(rows) <= MARKERS_UP_TO else "lines",
            line={"color": color, "width": 2}, marker={"size": 4},
            customdata=_line_data(rows, str(label), starred),
            hovertemplate=(f"%{{x|%Y-%m-%d}}<br>%{{y:.2f}}% (%{{customdata[0]:,}} {counted})"
                           "<extra>%{fullData.name}</extra>" if normalized else
                           f"%{{x|%Y-%m-%d}}<br>%{{y:,}} {counted}<extra>%{{fullData.name}}</extra>")))
    add_outages(fig, outages)
    if gaps is not None and not gaps.empty:
        add_gaps(fig, gaps)
    if peaks is not None and not peaks.empty:
        add_spikes(fig, peaks, bucket)
    marked = not outages.empty or any(extra is not None and not extra.empty for extra in (peaks, gaps))
    fig.update_layout(dragmode="select", selectdirection="h", hovermode="closest",
                      showlegend=len(labels) > 1 or marked, yaxis_title=unit, xaxis_title=None)
    fig.update_yaxes(rangemode="tozero")
    if not normalized and len(series) and series["value"].max() <= 5:   # whole articles: no "0.5, 1.5 articles"
        fig.update_yaxes(tick0=0, dtick=1)
    if bucket != "day":
        fig.update_xaxes(title=f"{bucket} starting")
    if len(series) and series["bucket"].nunique() == 1:   # one bucket: a day's axis, not hours around a dot
        only = pd.Timestamp(series["bucket"].iloc[0])
        fig.update_xaxes(range=[only - pd.Timedelta(days=1), only + pd.Timedelta(days=1)], dtick=86_400_000,
                         tickformat="%Y-%m-%d")
    return _layout(fig, 420)


def _line_data(rows: pd.DataFrame, label: str, starred: set[tuple[pd.Timestamp, str]]) -> np.ndarray:
    """Each point's article count, and at a spike also what its star carries (SPIKE_CLICK, day, line): the star sits
    on the line's point, and a click there may reach the line instead of the star (a user trial's clicks did)."""
    data = [[n, SPIKE_CLICK, day.date().isoformat(), label] if (day, label) in starred else [n]
            for day, n in zip(pd.to_datetime(rows["bucket"]), rows["n"].tolist(), strict=True)]
    out = np.empty(len(data), dtype=object)
    out[:] = data
    return out


def add_spikes(fig: go.Figure, peaks: pd.DataFrame, bucket: str) -> None:
    """A star on each spike, saying how far above its recent baseline it is."""
    text = [f"{r.ratio:.1f}× the mean of the previous {WINDOW} {bucket}s" for r in peaks.itertuples()]
    # a click on a star picks it in the "What happened" panel (dashboard.interact.clicked_spike)
    days = [[SPIKE_CLICK, day.date().isoformat(), str(line)]
            for day, line in zip(pd.to_datetime(peaks["bucket"]), peaks["label"], strict=True)]
    fig.add_trace(go.Scatter(x=peaks["bucket"], y=peaks["value"], mode="markers", name="spike",
                             marker={"symbol": "star", "size": 14, "color": SPIKE_COLOR,
                                     "line": {"width": 1, "color": "white"}},
                             text=text, customdata=days,
                             hovertemplate="%{x|%Y-%m-%d}: %{text} (click to explain)<extra>spike</extra>"))


def add_outages(fig: go.Figure, outages: pd.DataFrame) -> None:
    """Shade each outage day (darker when more of the feeds failed) and add a hoverable marker row."""
    if outages.empty:
        return
    shade_days(fig, outages["day"], 0.08 + 0.25 * outages["failing"] / outages["polled"].clip(lower=1), OUTAGE_COLOR)
    text = [f"{r.failing} of {r.polled} feeds failed all day" for r in outages.itertuples()]
    fig.add_trace(go.Scatter(x=pd.to_datetime(outages["day"]) + pd.Timedelta(hours=12), y=[0] * len(outages),
                             mode="markers", name="feed outage", marker={"symbol": "x", "color": OUTAGE_COLOR,
                                                                          "size": 7},
                             text=text, hovertemplate="%{x|%Y-%m-%d}: %{text}<extra>outage</extra>"))


SPIKE_CLICK = "spike"   # a spike star's customdata: this, its day, its line; a click on it is reported in any mode
SHADE = "shaded days"   # the name of the traces that shade days (no legend entry, no hover)
SHADE_STEP = 0.05       # a shade's opacity is rounded to this: one trace per step


def shade_days(fig: go.Figure, days: pd.Series, opacities: pd.Series, color: str) -> None:
    """Shade each ISO day over the plot's height, behind the lines: one filled trace per opacity step, all its
    days' rectangles one SVG path. (As layout shapes, one per day, the 166 incomplete days of the 2023 corpus cost
    the browser about 200 ms on every draw.) The y axis gets a fixed range, which the rectangles fill."""
    top = _plot_top(fig)
    steps = (pd.Series(list(opacities), dtype=float) / SHADE_STEP).round() * SHADE_STEP
    shades = []
    for opacity, group in pd.Series(list(days)).groupby(steps.to_numpy()):
        xs: list[str | None] = []
        for day in group:
            end = (dt.date.fromisoformat(day) + dt.timedelta(days=1)).isoformat()
            xs += [day, day, end, end, None]
        # as arrays: Plotly checks a list element by element (about 5 ms of the full corpus's Coverage chart)
        ys = np.tile(np.array([0, top, top, 0, None], dtype=object), len(group))
        shades.append(go.Scatter(x=np.array(xs, dtype=object), y=ys, mode="lines", fill="toself",
                                 fillcolor=_rgba(color, float(opacity)), line={"width": 0}, hoverinfo="skip",
                                 showlegend=False, name=SHADE))
    fig.add_traces(shades)
    fig.data = fig.data[-len(shades):] + fig.data[:-len(shades)]   # drawn first: behind the lines
    fig.update_yaxes(range=[0, top])


def _plot_top(fig: go.Figure) -> float:
    """The y axis's upper end for the lines drawn so far (or the shades already there), with a margin above."""
    shaded = fig.layout.yaxis.range
    if shaded is not None:
        return float(shaded[1])
    values = np.concatenate([np.asarray(trace.y, dtype=float) for trace in fig.data if trace.y is not None]
                            or [np.zeros(0)])
    values = values[np.isfinite(values)]     # a share of nothing is NaN
    highest = float(values.max()) if len(values) else 0.0
    return (highest if highest > 0 else 1.0) * 1.08


def _rgba(color: str, opacity: float) -> str:
    red, green, blue = (int(color[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{opacity:.2f})"


def add_gaps(fig: go.Figure, gaps: pd.DataFrame) -> None:
    """Shade each day of incomplete collection grey (darker the more of the usual output is missing) and add a
    hoverable marker row naming the outlets."""
    shade_days(fig, gaps["day"], 0.08 + 0.27 * gaps["missing"].clip(upper=1.0), GAP_COLOR)
    text = [plot_text(_gap_text(r)) for r in gaps.itertuples()]
    fig.add_trace(go.Scatter(x=pd.to_datetime(gaps["day"]) + pd.Timedelta(hours=12), y=[0] * len(gaps),
                             mode="markers", name="incomplete collection",
                             marker={"symbol": "square-open", "color": GAP_COLOR, "size": 7},
                             text=text, hovertemplate="%{x|%Y-%m-%d}: %{text}<extra>incomplete</extra>"))


def _gap_text(row: object) -> str:
    names = list(row.outlets[:4]) + ([f"{len(row.outlets) - 4} more"] if len(row.outlets) > 4 else [])
    what = "nothing collected" if row.nothing else f"{row.missing:.0%} of the usual articles missing"
    return f"{what} ({', '.join(names)})"


def calendar_data(frame: pd.DataFrame) -> dict[str, Any]:
    """Each outlet's collection calendar (dashboard.collection.calendar_frame) as dashboard/calendar.js draws it: a
    row per outlet, a cell per day; per row a string of state digits (positions in CALENDAR_STATES, which index
    `colors` and `legend`) and the cells' article counts. The names are plain text: the canvas draws no markup."""
    outlets = list(dict.fromkeys(frame["outlet"]))
    days = sorted(frame["day"].unique())
    coded = frame.assign(code=frame["state"].map({state: spec[0] for state, spec in CALENDAR_STATES.items()}))
    cells = coded.pivot(index="outlet", columns="day", values=["code", "n"])
    codes, counts = (cells[name].reindex(index=outlets, columns=days).fillna(0).astype(int) for name in ("code", "n"))
    states = sorted(CALENDAR_STATES.values())
    return {"outlets": [str(o) for o in outlets], "days": [str(d) for d in days],
            "states": ["".join(map(str, row)) for row in codes.to_numpy().tolist()],
            "counts": counts.to_numpy().tolist(),
            "colors": [color for _, color, _ in states], "legend": [meaning for _, _, meaning in states]}


# the bottom of the map's colour bar, half an article: a country of one article in a narrow view is a visible blue,
# not the scale's near-white on the map's grey land (which reads as no coverage)
LEAST_Z = float(np.log10(0.5))


def world_map(counts: pd.DataFrame, counted: str = "articles") -> go.Figure:
    """Choropleth of articles (or stories: `counted`) per country in the story (ISO-3 locations; alpha-2 codes kept
    in customdata)."""
    known = counts[counts["country"].map(lambda c: alpha3(c) is not None)]
    top = max(int(known["n"].max()) if len(known) else 1, 2)   # a bar of at least 1 to 2, not one tick of "1"
    # the colour is log-scaled (one country must not wash out all): ticks at the powers of ten, and the top if apart
    ticks = [10 ** k for k in range(len(str(top)))]
    ticks += [top] if top >= 2 * ticks[-1] else []
    fig = go.Figure(go.Choropleth(
        locations=known["country"].map(alpha3), z=np.log10(known["n"].clip(lower=1)), locationmode="ISO-3",
        customdata=known[["country", "n"]].to_numpy(dtype=object),
        text=known["country"].map(lambda code: plot_text(country_name(code))),
        colorscale="Blues", zmin=LEAST_Z, zmax=np.log10(top), marker_line_color="#888", marker_line_width=0.4,
        colorbar={"title": {"text": counted}, "thickness": 12, "tickvals": np.log10(ticks).tolist(),
                  "ticktext": [f"{t:,}" for t in ticks]},
        hovertemplate=f"%{{text}}: %{{customdata[1]:,}} {counted}<extra></extra>"))
    fig.update_geos(projection_type="natural earth", showframe=False, showcoastlines=False, showcountries=True,
                    countrycolor="#ccc", showland=True, landcolor="#f4f4f4", lataxis_range=[-58, 85])
    fig.update_layout(dragmode=False, clickmode="event+select")
    return _layout(fig, 460)


MIN_CELL = 5         # articles: a share built from fewer is shown grey, without its colour
FEW_COLOR = "#e4e4e4"


def _axis_label(code: str, total: int | None) -> str:
    name = country_name(code)
    return plot_text(name if total is None else f"{name} ({total:,})")


def who_covers_whom_figure(matrix: pd.DataFrame, normalized: bool = False, *, counts: pd.DataFrame | None = None,
                           sources: pd.Series | None = None, named: pd.Series | None = None,
                           min_count: int = MIN_CELL, counted: str = "articles") -> go.Figure:
    """Heatmap of source country (rows) × country in the story (columns), with clickable cells.

    Rows and columns are labelled by country name with their total articles (`sources`, `named`); a cell of
    fewer than `min_count` articles (`counts`, default `matrix`) is grey, its value only in the hover. An
    empty cell (NaN: the home country left out) is blank. Plotly heatmaps report no selection to Streamlit, so a
    square marker over every cell carries the click."""
    counts = matrix if counts is None else counts
    # the categories stay the ISO codes (a click reports them); the tick labels name the countries
    sources_x = [plot_text(s) for s in matrix.index]
    countries = [plot_text(c) for c in matrix.columns]
    values = matrix.to_numpy(dtype=float)
    amounts = counts.to_numpy(dtype=float)
    few = amounts < min_count          # NaN (left out) compares False: blank, not grey
    unit = f"% of its {counted}" if normalized else counted
    fig = go.Figure(go.Heatmap(z=np.where(few, 1.0, np.nan), x=countries, y=sources_x, hoverinfo="skip",
                               colorscale=[[0, FEW_COLOR], [1, FEW_COLOR]], showscale=False, hoverongaps=False))
    # the scale starts at 0 (not at the smallest cell: equal cells made a bar of "8.6 … 9.4 articles")
    fig.add_trace(go.Heatmap(z=np.where(few, np.nan, values), x=countries, y=sources_x, colorscale="YlOrRd",
                             zmin=0, hoverongaps=False, colorbar={"title": {"text": unit}, "thickness": 12},
                             hoverinfo="skip"))
    xs, ys, zs, text = [], [], [], []
    for i, (src, src_code) in enumerate(zip(sources_x, matrix.index, strict=True)):
        for j, (country, country_code) in enumerate(zip(countries, matrix.columns, strict=True)):
            xs.append(country)
            ys.append(src)
            zs.append(values[i, j])
            text.append(plot_text(_cell_text(str(src_code), str(country_code), values[i, j], amounts[i, j],
                                             normalized, bool(few[i, j]), counted)))
    fig.add_trace(go.Scatter(x=xs, y=ys, mode="markers", text=text, customdata=list(zip(zs, strict=True)),
                             marker={"symbol": "square", "size": 18, "opacity": 0.01, "color": "#000"},
                             hovertemplate="%{text}<extra></extra>", showlegend=False))
    fig.update_xaxes(title=f"country in the story ({counted} naming it)", side="top", type="category", tickangle=-45,
                     tickvals=countries, ticktext=[_axis_label(str(c), _total(named, c)) for c in matrix.columns])
    fig.update_yaxes(title=f"source country (its {counted})", type="category", autorange="reversed", tickvals=sources_x,
                     ticktext=[_axis_label(str(c), _total(sources, c)) for c in matrix.index])
    fig.update_layout(clickmode="event+select", dragmode=False)
    # tall enough for the source axis title, which reads across the rows, with one row too
    fig = _layout(fig, 220 + 26 * max(len(sources_x), 8))
    fig.update_layout(margin={"t": 150})
    return fig


def _cell_text(source: str, country: str, value: float, amount: float, normalized: bool, few: bool,
               counted: str = "articles") -> str:
    """The hover text of a cell: who, how much (of how many articles or stories), and why it is grey or blank."""
    who = f"{country_name(source)} outlets → {country_name(country)}"
    if np.isnan(amount):
        return f"{who}: left out (the home country)"
    many = f"{amount:,.0f} {_ONE[counted] if amount == 1 else counted}"
    if few:
        return f"{who}: only {many}, too few to compare"
    return f"{who}: {value:.1f}% of its {counted} ({many})" if normalized else f"{who}: {many}"


_ONE = {"articles": "article", "stories": "story"}


def _total(totals: pd.Series | None, code: object) -> int | None:
    return int(totals[code]) if totals is not None and code in totals.index else None


def empty_figure(message: str) -> go.Figure:
    """A blank chart area that says why it is blank."""
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, font={"size": 14, "color": "#666"}, x=0.5, y=0.5,
                       xref="paper", yref="paper")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _layout(fig, 240)

