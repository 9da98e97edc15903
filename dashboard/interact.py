"""What a chart selection means for the filters: plain functions over Streamlit's selection dicts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from dashboard.figures import SPIKE_CLICK
from dashboard.isocodes import COUNTRIES

_BY_ALPHA3 = {alpha3: alpha2 for alpha2, (alpha3, _) in COUNTRIES.items()}


def _selection(event: Any) -> Mapping:
    """The `selection` part of a plotly_chart event (an attribute dict or a plain mapping)."""
    if event is None:
        return {}
    selection = event.get("selection") if isinstance(event, Mapping) else getattr(event, "selection", None)
    return selection or {}


def _day(value: Any) -> dt.date | None:
    """The UTC day of a Plotly date-axis value ('2023-09-15', '2023-09-15 06:30:12.5', epoch ms)."""
    if isinstance(value, int | float):
        return dt.datetime.fromtimestamp(value / 1000, dt.UTC).date()
    try:
        return dt.date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        return None


def box_date_range(event: Any) -> tuple[dt.date, dt.date] | None:
    """The first and last day covered by a box dragged across a time chart, if there is one."""
    boxes = _selection(event).get("box") or []
    if not boxes:
        return None
    xs = [_day(x) for x in boxes[0].get("x", [])]
    xs = [x for x in xs if x is not None]
    if len(xs) < 2:
        return None
    return min(xs), max(xs)


def _points(event: Any) -> list[Mapping]:
    return list(_selection(event).get("points") or [])


def clicked_spike(event: Any) -> tuple[dt.date, str] | None:
    """The day (a bucket's first) and the line of the spike star (or its line's starred point) clicked on the coverage
    chart."""
    for point in _points(event):
        custom = point.get("customdata")
        if not isinstance(custom, list | tuple):
            continue
        at = len(custom) - 3   # the star's [SPIKE_CLICK, day, line]; its line's point [articles, SPIKE_CLICK, …]
        if at in (0, 1) and custom[at] == SPIKE_CLICK:
            day = _day(custom[at + 1])
            return (day, str(custom[at + 2])) if day else None
    return None


def clicked_country(event: Any) -> str | None:
    """The alpha-2 code of the country clicked on the map."""
    for point in _points(event):
        custom = point.get("customdata")
        if isinstance(custom, list | tuple) and custom and str(custom[0]) in COUNTRIES:
            return str(custom[0])
        location = point.get("location")
        if location in _BY_ALPHA3:
            return _BY_ALPHA3[location]
    return None


def clicked_cell(event: Any) -> tuple[str, str] | None:
    """(source country, country in the story) of the heatmap cell clicked."""
    for point in _points(event):
        source, country = point.get("y"), point.get("x")
        if isinstance(source, str) and isinstance(country, str):
            return source, country
    return None
