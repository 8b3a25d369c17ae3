"""Ticks for the PostgreSQL workers (scheduler/workers/): which bucket a source belongs to and
whether it is due in a tick, from its interval (fixed, or as adaptive pacing stored it), backoff
and Retry-After. Pure: no I/O."""

from __future__ import annotations

import math
import zlib
from datetime import UTC, datetime

from crawler.store.ticks import TickState
from scheduler.config.model import SourceConfig
from scheduler.timing.schedule import backoff

BUCKETS = 1024
DEFAULT_TICK = 60


def bucket_of(url: str, buckets: int = BUCKETS) -> int:
    """The bucket of a source: stable across processes and machines (not Python's hash())."""
    return zlib.crc32(url.encode("utf-8")) % buckets


def check_tick(seconds: int) -> int:
    """A tick is a cron step in seconds, so it must divide a minute."""
    if seconds <= 0 or 60 % seconds:
        raise ValueError(f"--tick {seconds}: must divide 60 (5, 10, 15, 20, 30 or 60)")
    return seconds


def interval_of(source: SourceConfig, state: TickState | None = None) -> float | None:
    """A fixed ``every``; for an adaptive source the interval its last poll was paced at
    (``poll_every``, stored by whichever worker polled it: scheduler/timing/pacing.py),
    ``min_every`` before its first. None: it has ended and its grace period is over."""
    if not source.adaptive:
        return source.every
    if state is not None and state.poll_every is not None:
        return state.poll_every
    if state is not None and state.ended_at and source.series is None:
        return None  # the pacer stopped it (its reason says "not polled"); members: the series
    return source.min_every or source.every


def due(source: SourceConfig, state: TickState | None, tick: int, tick_seconds: int) -> bool:
    """Whether a source is polled in ``tick``: its interval (with backoff) in whole ticks since
    the last committed poll, and a 429/503's Retry-After not in force."""
    interval = interval_of(source, state)
    if interval is None:
        return False
    if state is None or state.last_tick is None:
        return True
    if state.last_tick >= tick:
        return False
    delay = backoff(interval, state.error_streak)
    if tick - state.last_tick < max(1, math.ceil(delay / tick_seconds - 1e-6)):
        return False
    if state.last_http in (429, 503) and state.retry_after_until:
        start = datetime.fromtimestamp(tick * tick_seconds, UTC).isoformat(timespec="seconds")
        return state.retry_after_until <= start
    return True
