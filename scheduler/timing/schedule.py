"""When a source is next due: jitter, error backoff, Retry-After and restart catch-up (pure math)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

# Each poll is moved by up to ±10 % of the interval (at most a minute) so that sources added
# together do not hit their servers, and our own CPU, in lockstep for ever.
JITTER_FRACTION = 0.1
JITTER_CAP = 60.0
# Consecutive errors double the delay, up to an hour (or the interval, if that is longer).
BACKOFF_CAP = 3600.0
# A server's Retry-After is honoured up to six hours: a typo there must not silence a source.
RETRY_AFTER_CAP = 6 * 3600.0
# After a restart, overdue sources are spread over this many seconds (at most their interval),
# and over no more than this much per configured source: a handful of sources start at once,
# a thousand do not all poll in the same second.
CATCH_UP_SPREAD = 10.0
CATCH_UP_PER_SOURCE = 0.05


def jittered(delay: float, rng: random.Random | None = None) -> float:
    """``delay`` moved by a random ±10 % (capped), never below half of it."""
    rng = rng or random
    spread = min(delay * JITTER_FRACTION, JITTER_CAP)
    return max(delay / 2, delay + rng.uniform(-spread, spread))


def backoff(interval: float, error_streak: int) -> float:
    """The delay after ``error_streak`` consecutive errors: interval × 2^streak, capped."""
    if error_streak <= 0:
        return interval
    cap = max(interval, BACKOFF_CAP)
    return min(interval * 2 ** min(error_streak, 32), cap)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds a 429/503 asked us to wait: delta-seconds or an HTTP date; None if unusable."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        seconds = float(text)
    else:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return min(max(seconds, 0.0), RETRY_AFTER_CAP)


def next_delay(
    interval: float,
    error_streak: int = 0,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> float:
    """Seconds until the next poll: jittered backoff, but never sooner than Retry-After."""
    delay = jittered(backoff(interval, error_streak), rng)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return delay


def first_due(
    now: datetime,
    interval: float,
    *,
    last_finished: datetime | None,
    stored_due: datetime | None = None,
    error_streak: int = 0,
    honour_stored: bool = False,
    rng: random.Random | None = None,
    sources: int = 200,
) -> datetime:
    """When a source is due after a (re)start or reload, from what the database remembers.

    The last poll's end plus the (backed-off) interval, or the stored due time when that is
    sooner (a shortened interval) or must be honoured (a Retry-After). A stored time older than
    the last poll is stale (the process died between the commit and writing it). Overdue
    sources are spread over a few seconds instead of all polling at the same instant (the
    more ``sources`` are configured, the wider, up to CATCH_UP_SPREAD).
    """
    rng = rng or random
    if last_finished is None:
        due = now
    else:
        due = last_finished + timedelta(seconds=backoff(interval, error_streak))
        if stored_due is not None and stored_due > last_finished:
            due = stored_due if honour_stored else min(due, stored_due)
    if due <= now:
        spread = min(interval, CATCH_UP_SPREAD, sources * CATCH_UP_PER_SOURCE)
        return now + timedelta(seconds=rng.uniform(0, spread))
    return due


def parse_time(value: str | None) -> datetime | None:
    """A stored ISO time as an aware datetime (naive ones are taken as UTC)."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
