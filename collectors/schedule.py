"""When to poll a feed next: adapt to how much is new, back off on errors, add jitter."""

from __future__ import annotations

import random

MIN_INTERVAL_S = 10 * 60
MAX_INTERVAL_S = 24 * 3600
ERROR_STEP_S = 30 * 60


def clamp(seconds: float) -> int:
    return int(min(MAX_INTERVAL_S, max(MIN_INTERVAL_S, seconds)))


def next_interval(interval_s: int, items: int, new_items: int) -> int:
    """Poll more often when most items are new, less often when nothing is."""
    if new_items == 0:
        return clamp(interval_s * 1.5)
    if items and new_items / items > 0.5:
        return clamp(interval_s / 2)
    return clamp(interval_s)


def error_delay(consecutive_errors: int, retry_after_s: float | None = None) -> int:
    """Linear backoff capped at a day; a server's Retry-After wins when it asks for longer."""
    delay = min(MAX_INTERVAL_S, ERROR_STEP_S * max(1, consecutive_errors))
    if retry_after_s is not None:
        delay = max(delay, int(min(retry_after_s, MAX_INTERVAL_S)))
    return delay


def jitter(seconds: int, rng: random.Random | None = None) -> int:
    """±10 %, so that feeds added together do not all fire together for ever."""
    return int(seconds * (rng or random).uniform(0.9, 1.1))
