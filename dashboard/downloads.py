"""The Articles page's CSV download: file name from the filters, capped CSV bytes (no Streamlit here)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import os
import re
import shlex
from dataclasses import dataclass

from db.completeness import Gap
from db.engine import Connection
from db.export import COLUMNS, export_rows, write_incomplete_days
from db.filters import FIELDS, Filters

EXPORT_CAP = 200_000  # rows; the whole file is held in memory, so a browser download stops here
_UNSAFE = re.compile(r"[^A-Za-z0-9.]+")
_CLI_FLAGS = {f.param: f.flag for f in FIELDS}   # URL name -> `newsradar export` flag


def export_file_name(filters: Filters, now: dt.datetime, limit: int = 120, total: int = 0,
                     cap: int = EXPORT_CAP) -> str:
    """`newsradar_<filters>_<YYYYMMDD-HHMM>.csv` with only letters, digits, '.', '-' and '_'; a download capped below
    the `total` matching articles says so: `…_first-200000-of-312345.csv`."""
    parts = []
    for key, value in filters.to_params().items():
        values = value if isinstance(value, list) else [value]
        parts.append(f"{key}-" + "+".join(_UNSAFE.sub("-", str(v)).strip("-") or "x" for v in values))
    middle = "_".join(parts)[:limit].rstrip("-_+") or "all"
    capped = f"_first-{cap}-of-{total}" if total > cap else ""
    return f"newsradar_{middle}_{now:%Y%m%d-%H%M}{capped}.csv"


@dataclass(frozen=True)
class CsvExport:
    data: bytes
    rows: int
    truncated: bool


def csv_export(conn: Connection, filters: Filters, cap: int = EXPORT_CAP) -> CsvExport:
    """The newest `cap` matching articles as CSV: UTF-8 with a BOM for Excel, formula-like cells neutralized."""
    buffer = io.BytesIO()
    text = io.TextIOWrapper(buffer, encoding="utf-8-sig", newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    rows = 0
    source = export_rows(conn, filters)
    for row in itertools.islice(source, cap):
        writer.writerow(row)
        rows += 1
    truncated = next(source, None) is not None
    text.flush()
    data = buffer.getvalue()
    text.detach()
    return CsvExport(data, rows, truncated)


def incomplete_csv(gaps: list[Gap]) -> bytes:
    """The outlets' days of incomplete collection as CSV (what `newsradar export --incomplete-days FILE` writes)."""
    text = io.StringIO()
    write_incomplete_days(gaps, text)
    return text.getvalue().encode("utf-8-sig")


def cli_export_command(filters: Filters, db: str, output: str = "articles.csv") -> str:
    """The `newsradar --db DB export` command line that writes every matching article of the database `db` (no
    cap): without --db it would read another database, or create an empty one."""
    words = ["newsradar", "--db", os.path.abspath(db), "export", "-o", output]
    for key, value in filters.to_params().items():
        for item in value if isinstance(value, list) else [value]:
            words += [_CLI_FLAGS[key], str(item)]
    return shlex.join(words)
