"""Adaptive polling: how often a liveblog is worth polling now, and when it has ended (pure).

A liveblog is hot for hours, quiet overnight and then closed for good. A source without a
fixed ``every`` is polled at an effective interval between ``min_every`` and ``max_every``:

- **hot**: from the observed gaps between new entries of the last hour (their publication
  times where the page gives plausible ones, else when we first saw them), smoothed as the
  median of the last GAPS gaps, so one long pause or one burst does not swing it: poll twice
  per expected gap;
- **quiet**: the longer nothing new has arrived, the longer the interval (a quarter of the
  quiet time), up to ``max_every``; right after a new entry, ``min_every`` again;
- never below what the server says its response stays fresh for (``Cache-Control: max-age``,
  ``Expires``), unless that exceeds ``max_every``, the operator's own bound.

A source whose page says it is over (see crawler/extractors/lifecycle.py) is **ended**: polled
every ENDED_EVERY for late corrections during its grace period, then not at all.
"""

from __future__ import annotations

import statistics
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from crawler.items import PageSignals
from scheduler.timing.schedule import parse_time

GAPS = 8  # gaps between new entries that the median is taken over
ARRIVALS = GAPS + 1
QUIET_FACTOR = 0.25  # after a quiet hour, poll every 15 minutes (within the bounds)
POLLS_PER_GAP = 2.0  # expected detection delay: half the typical gap
HOT_WINDOW = 3600.0  # "hot: N new in …" counts the arrivals of the last hour
ENDED_EVERY = 6 * 3600.0  # an ended liveblog is still read this often, for late corrections


@dataclass(frozen=True)
class Pace:
    """The effective interval of an adaptive source and why, as ``status`` shows it."""

    interval: float
    reason: str


@dataclass
class Activity:
    """What the daemon remembers about one adaptive source between polls."""

    watched_since: float  # epoch seconds: the first poll of this process, or the seed
    arrivals: deque[float] = field(default_factory=lambda: deque(maxlen=ARRIVALS))
    hint: float | None = None  # seconds the last response said it stays fresh
    live_posting: bool = False  # a LiveBlogPosting was on the page since we started watching
    last_poll: float | None = None

    def add(self, times: Iterable[float]) -> None:
        """New entries' arrival times (any order); kept sorted, the newest ARRIVALS."""
        merged = sorted([*self.arrivals, *times])[-ARRIVALS:]
        self.arrivals.clear()
        self.arrivals.extend(merged)


def arrival_time(published: str | None, seen: float, previous_poll: float | None) -> float:
    """When an entry arrived: its publication time if plausible, else when we saw it.

    Plausible means between the previous poll and now. A time from the future is a wrong
    clock; one from before the previous poll (backdated, or a page whose times are not posting
    times) would say the blog has been quiet while it was not.
    """
    when = epoch(published)
    if when is None or when > seen:
        return seen
    if previous_poll is not None and when < previous_poll:
        return seen
    return when


def pace(
    activity: Activity,
    now: float,
    min_every: float,
    max_every: float,
) -> Pace:
    """The effective interval from the arrivals so far, the quiet time and the server's hint.

    Half the typical gap of the last hour (so a blog that woke up after a night is judged by
    tonight's rhythm, not yesterday's), and at least a quarter of the time since the last new
    entry: right after an entry arrives that is min_every, and it grows while nothing does.
    """
    recent = [t for t in activity.arrivals if now - t <= HOT_WINDOW]
    gaps = [max(b - a, 1.0) for a, b in zip(recent, recent[1:], strict=False)]
    typical = statistics.median(gaps[-GAPS:]) if gaps else None
    last = activity.arrivals[-1] if activity.arrivals else None
    quiet = max(now - (last if last is not None else activity.watched_since), 0.0)
    target = max((typical or 0.0) / POLLS_PER_GAP, quiet * QUIET_FACTOR)
    interval = min(max(target, min_every), max_every)
    if typical is not None and quiet <= 2 * typical:
        reason = f"hot: {len(recent)} new in {span(now - recent[0])}"
    elif last is None:
        reason = f"quiet: nothing new in {span(quiet)} watched"
    elif len(recent) == 1:
        reason = f"woke: a new entry {span(quiet)} ago"
    else:
        reason = f"quiet {span(quiet)}"
    if activity.hint is not None and activity.hint > interval and interval < max_every:
        interval = min(activity.hint, max_every)
        reason += f"; server: fresh for {span(activity.hint)}"
    return Pace(interval, reason)


def freshness(headers: dict[str, str], now: datetime | None = None) -> float | None:
    """Seconds the response says it stays fresh: ``Cache-Control: max-age`` (less ``Age``),
    else ``Expires`` minus ``Date``; None when it says nothing or not to cache."""
    control = headers.get("Cache-Control", "").lower()
    directives = {p.strip().split("=", 1)[0]: p.strip() for p in control.split(",") if p.strip()}
    if "no-store" in directives or "no-cache" in directives:
        return None
    if "max-age" in directives:
        try:
            age = float(directives["max-age"].split("=", 1)[1].strip('" '))
            seen = float(headers.get("Age", "0") or 0)
        except (IndexError, ValueError):
            return None
        return max(age - seen, 0.0) or None
    expires, date = _http_date(headers.get("Expires")), _http_date(headers.get("Date"))
    if expires is None:
        return None
    seconds = (expires - (date or now or datetime.now(UTC))).total_seconds()
    return seconds if seconds > 0 else None


def end_signal(
    signals: PageSignals | None, activity: Activity, now: datetime | None = None
) -> str | None:
    """Why the page says the liveblog is over, or None; remembers a LiveBlogPosting seen."""
    if signals is None:
        return None
    if signals.closed:
        return f'closing notice "{signals.closed}"'
    if signals.coverage_end is not None:
        end = epoch(signals.coverage_end)
        if end is not None and end < (now or datetime.now(UTC)).timestamp():
            return f"coverageEndTime {signals.coverage_end} has passed"
    if signals.live_posting:
        activity.live_posting = True
    elif activity.live_posting:
        return "its LiveBlogPosting is gone from the page"
    return None


def span(seconds: float) -> str:
    """``45 s``, ``10 min``, ``3 h``, ``2 d``: how status and log lines say a duration."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:.0f} d"


def epoch(value: str | None) -> float | None:
    """A stored ISO time as epoch seconds (naive taken as UTC); None when absent or unreadable."""
    when = parse_time(value)
    return when.timestamp() if when else None


def _http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)
