"""Acceptance (issue 6): 8 dashboard sessions query while the collector imports; nothing locked, nothing lost.

The full-corpus run is `make bench` (bench/load.py); this runs the same code on the bundled sample.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from dashboard.testing import SAMPLE, SAMPLE_OUTLETS

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow   # a long file: started first (conftest.py)


@pytest.fixture
def bench_load(monkeypatch):
    """bench/load.py, imported as the benchmarks import their siblings: with bench/ on sys.path."""
    monkeypatch.syspath_prepend(REPO / "bench")
    return importlib.import_module("load")


def test_eight_sessions_querying_during_an_import_see_no_lock_and_lose_nothing(bench_load, tmp_path):
    report = bench_load.run_load(tmp_path / "load.db", SAMPLE, SAMPLE_OUTLETS, sessions=8)
    assert report.import_status == 0
    assert report.locked == 0 and not report.errors, report.errors.most_common(3)
    assert len(report.visits) == 8 and min(len(v) for v in report.visits.values()) >= 8, "the sessions stalled"
    assert report.lost == 0 and report.duplicated == 0
    assert set(report.stored) == report.expected and len(report.expected) > 20_000
