"""Adaptive sources: their activity, effective interval and end (scheduler/timing/adaptive.py has
the math; this keeps the state, writes it for ``status`` and logs ``ENDED``).

The daemon remembers a source's activity between polls. PostgreSQL workers (scheduler/workers/)
cannot: the previous poll of a source may have been another worker's. Their Pacer ``recalls``:
before each decision it reads the source back from the database as it was before the poll
(arrivals, the previous poll, a LiveBlogPosting seen, the end, what ``status`` shows), so any
worker decides as the daemon would have, and writes the same columns.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable
from datetime import UTC, datetime

from crawler.items import PollItem
from crawler.store.db import Store
from crawler.store.pace import PaceState, pace_state, set_ended, set_live_posting, set_pace
from crawler.text.terminal import safe_for_log
from scheduler.config.model import SourceConfig
from scheduler.timing.adaptive import (
    ENDED_EVERY,
    Activity,
    Pace,
    arrival_time,
    end_signal,
    epoch,
    freshness,
    pace,
    span,
)

logger = logging.getLogger(__name__)
events = logging.getLogger("tickerwatch.events")


class Pacer:
    """Per adaptive source: what arrived when, the server's hint, and whether it has ended."""

    def __init__(self, store_of: Callable[[], Store], *, recall: bool = False) -> None:
        self._store = store_of
        self._recall = recall  # read each source back before deciding (workers, see above)
        self.activity: dict[str, Activity] = {}
        self.ended: dict[str, tuple[str, str]] = {}  # name -> (ended_at, reason)
        self._written: dict[str, Pace] = {}  # what ``status`` was last told, per source

    def place(self, source: SourceConfig, now: float | None = None) -> float | None:
        """The interval to plan a (re)started source with; None when it has ended for good."""
        now = time.time() if now is None else now
        state = pace_state(self._store(), source.url)
        if source.name not in self.activity:
            self.activity[source.name] = _activity(state, watched_since=now, now=now)
        if state is not None and state.ended_at:
            self.ended[source.name] = (state.ended_at, state.ended_reason or "ended")
        if self._over(source, now):
            return None
        if source.name in self.ended:
            return self._ended_every(source, now)
        return state.poll_every if state is not None and state.poll_every else source.min_every

    def after_poll(
        self, source: SourceConfig, item: PollItem | None, now: float | None = None
    ) -> Pace | None:
        """The pace after a poll (``item`` None: it failed before storing); None: stop."""
        try:
            if self._recall:
                self._read_back(source, item, time.time() if now is None else now)
            return self._after_poll(source, item, now)
        except Exception:  # a bug or a full disk here must cost the pace, never the schedule
            logger.exception("pacing %s failed; polling at min_every", safe_for_log(source.name))
            return Pace(source.min_every or source.every, "pacing failed")

    def _after_poll(
        self, source: SourceConfig, item: PollItem | None, now: float | None
    ) -> Pace | None:
        now = time.time() if now is None else now
        activity = self.activity.setdefault(source.name, Activity(watched_since=now))
        previous, activity.last_poll = activity.last_poll, now
        new = []
        if item is not None and item.status != "error":
            activity.hint = freshness(item.hints)
            new = [d for d in item.developments if d.event == "new"]
            activity.add(arrival_time(d.published_at, now, previous) for d in new)
        if item is not None and item.status in ("ok", "suspicious"):
            had_posting = activity.live_posting
            why = end_signal(item.signals, activity)
            if activity.live_posting and not had_posting:  # for a restart, or another worker
                when = datetime.fromtimestamp(now, UTC).isoformat(timespec="seconds")
                set_live_posting(self._store(), source.url, when)
            if why and source.name not in self.ended:
                self.end(source, why, now)
            elif not why and new and source.name in self.ended and source.series is None:
                self.reopen(source, len(new))
        if self._over(source, now):
            ended_at, why = self.ended[source.name]
            logger.info(
                "%s ended at %s; grace period over, no longer polled",
                safe_for_log(source.name),
                ended_at,
            )
            set_pace(self._store(), source.url, None, f"ended at {ended_at}: {why}; not polled")
            return None
        if source.name in self.ended:
            ended_at, why = self.ended[source.name]
            result = Pace(self._ended_every(source, now), f"ended at {ended_at}: {why}")
        else:
            result = pace(activity, now, source.min_every or 0.0, source.max_every or 0.0)
        if self._written.get(source.name) != result:
            set_pace(self._store(), source.url, result.interval, result.reason)
            self._written[source.name] = result
        return result

    def fixed(self, source: SourceConfig, shown: Pace | None = None) -> None:
        """A source with ``every``: ``status`` is told once (after a poll: the row exists).
        ``shown``: what the database says now, where another process may have told it."""
        told = Pace(source.every, "fixed (every)")
        if (shown or self._written.get(source.name)) == told:
            return
        try:
            set_pace(self._store(), source.url, told.interval, told.reason)
            self._written[source.name] = told
        except sqlite3.Error as error:  # advisory, like the next due time
            logger.debug("pace of %s not stored: %s", source.name, error)

    def end(self, source: SourceConfig, why: str, now: float | None = None) -> None:
        """Mark ended: the database, and one ``ENDED`` line."""
        when = datetime.fromtimestamp(time.time() if now is None else now, UTC)
        ended_at = when.isoformat(timespec="seconds")
        self.ended[source.name] = (ended_at, why)
        set_ended(self._store(), source.url, ended_at, why)
        grace = source.grace if source.series is not None else source.ended_grace
        line = (
            f"ENDED {safe_for_log(source.name)} {safe_for_log(why)}; polled every "
            f"{span(ENDED_EVERY)} for {span(grace)}, then not at all"
        )
        events.info(
            line,
            extra={
                "development": {
                    "event": "ended",
                    "source": source.name,
                    "reason": why,
                    "ended_at": ended_at,
                },
                "source": source.name,
            },
        )

    def supersede(self, member: SourceConfig, by: str) -> None:
        """A series member a newer one replaced ends like a closed blog (once, across restarts)."""
        if member.name in self.ended and not self._recall:
            return
        state = pace_state(self._store(), member.url)
        if state is not None and state.ended_at:
            self.ended[member.name] = (state.ended_at, state.ended_reason or "superseded")
            return
        self.end(member, f"superseded by {by}")

    def reopen(self, source: SourceConfig, new: int) -> None:
        self.ended.pop(source.name, None)
        set_ended(self._store(), source.url, None, None)
        logger.info(
            "%s: %d new entries after its end; polled adaptively again",
            safe_for_log(source.name),
            new,
        )

    def _read_back(self, source: SourceConfig, item: PollItem | None, now: float) -> None:
        """This source as the database had it before ``item``'s poll, in place of what this
        process remembers: another worker may have polled it since."""
        name = source.name
        before = item.poll_id if item is not None else None
        state = pace_state(self._store(), source.url, before)
        self.ended.pop(name, None)
        self._written.pop(name, None)
        if state is None:
            self.activity[name] = Activity(watched_since=now)
            return
        activity = _activity(state, watched_since=epoch(state.created_at) or now, now=now)
        activity.last_poll = epoch(state.last_poll)
        self.activity[name] = activity
        if state.ended_at:
            self.ended[name] = (state.ended_at, state.ended_reason or "ended")
        if state.poll_reason is not None:
            self._written[name] = Pace(state.poll_every, state.poll_reason)

    def _ended_every(self, source: SourceConfig, now: float) -> float:
        """Every ENDED_EVERY, and once more when the grace period ends (then not at all)."""
        start = epoch(self.ended[source.name][0])
        if start is None or source.series is not None:
            return ENDED_EVERY
        left = start + source.ended_grace - now
        return min(ENDED_EVERY, max(left, source.min_every or 0.0, 1.0))

    def _over(self, source: SourceConfig, now: float) -> bool:
        ended = self.ended.get(source.name)
        if ended is None or source.series is not None:  # members: the series' grace decides
            return False
        start = epoch(ended[0])
        return start is not None and now > start + source.ended_grace


def _activity(state: PaceState | None, watched_since: float, now: float) -> Activity:
    """An Activity seeded with the newest stored entries, each judged as the poll that first
    saw it judged it (against the poll before that one), and whether a LiveBlogPosting was seen."""
    activity = Activity(watched_since=watched_since)
    if state is not None:
        activity.live_posting = state.live_posting_at is not None
        activity.add(
            arrival_time(published, epoch(seen) or now, epoch(previous))
            for published, seen, previous in state.arrivals
        )
    return activity
