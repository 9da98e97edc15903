"""Text forms every layer shares: the stored time format (and, moved down from collectors/, text folding)."""

from __future__ import annotations

import datetime as dt


def format_utc(moment: dt.datetime) -> str:
    """'YYYY-MM-DD HH:MM:SS' in UTC, the stored form of every time (sorts as text)."""
    return moment.astimezone(dt.UTC).replace(microsecond=0, tzinfo=None).isoformat(" ")
