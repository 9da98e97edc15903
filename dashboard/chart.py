"""Plotly charts drawn by newsradar's own chart component instead of st.plotly_chart; the collection calendar
drawn on a canvas by a second component, without Plotly.

Streamlit's chart module carries all of Plotly (4.7 MB, some fifty trace types): a browser spent over a second
evaluating it in every new tab, most of a first page load. The component (chart.js) loads a Plotly build with the
three trace types our figures use (dashboard/static/plotly-newsradar.min.js, 1.4 MB; scripts/plotly_bundle) and
reports selections in the shape of st.plotly_chart's, so dashboard.interact reads both."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import plotly.graph_objects as go
import streamlit as st

_CHART = st.components.v2.component("newsradar_chart", html='<div class="nr-chart"></div>',
                                    js=Path(__file__).with_name("chart.js").read_text(encoding="utf-8"),
                                    isolate_styles=False)   # Plotly styles its SVG from the page's stylesheet


# Plotly's build was a third of the Sources page's first load for its one chart, the calendar (1.8-2.0 -> 1.5-1.6 s)
_CALENDAR = st.components.v2.component("newsradar_calendar", html='<div class="nr-calendar"></div>',
                                       js=Path(__file__).with_name("calendar.js").read_text(encoding="utf-8"),
                                       isolate_styles=False)


def calendar(data: dict[str, Any], *, key: str) -> None:
    """Draw a collection calendar (dashboard.figures.calendar_data): a row per outlet, a cell per day; a cell's
    hover names the outlet, the day, its articles and its state."""
    _CALENDAR(key=key, data=data)


def plotly_chart(figure: go.Figure, *, key: str, config: dict[str, Any],
                 on_select: Callable[[], None] | None = None,
                 selection_mode: Literal["box", "points"] | None = None) -> None:
    """Draw `figure`; a box dragged across it (selection_mode "box") or a point clicked ("points") is put in
    st.session_state[key]["selection"] and `on_select` is called."""
    callbacks = {"on_selection_change": on_select} if on_select else {}
    _CHART(key=key, data={"figure": figure.to_json(), "config": config, "select": selection_mode}, **callbacks)
