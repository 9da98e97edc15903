"""Plain aligned tables for the benchmarks' printed figures, and the latency statistics they show."""

from __future__ import annotations

import statistics
from collections.abc import Iterable


def percentiles(values: Iterable[float]) -> tuple[float, float, float]:
    """p50 (the median), p95 (the nearest rank) and max of `values`, unrounded."""
    ms = sorted(values)
    return statistics.median(ms), ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))], ms[-1]


def print_table(title: str, headers: list[str], rows: list[list[object]]) -> None:
    """A plain aligned table: numbers right-aligned, text left-aligned."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max(len(str(h)), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]

    def line(values: list[str], raw: list[object]) -> str:
        return "  ".join(v.rjust(w) if isinstance(r, int | float) and not isinstance(r, bool) else v.ljust(w)
                         for v, r, w in zip(values, raw, widths, strict=True)).rstrip()

    print(f"\n{title}")
    print(line([str(h) for h in headers], list(headers)))
    print("  ".join("-" * w for w in widths))
    for row, raw in zip(cells, rows, strict=True):
        print(line(row, raw))


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)
