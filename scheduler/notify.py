"""Notifications from the outbox: the ``events`` table, sent through apprise in a worker thread.

Events are written in the poll's own transaction, so a notification can only ever be about a
committed development, and one that was committed is never forgotten: a crash, a full queue or
a dead endpoint only delays it. Sending happens off the reactor thread with its own database
connection, so a slow endpoint never delays a poll. Each (poll, target) delivery is recorded
as "sending" before the message leaves and "sent" after (crawler/store/outbox.py): a crash in
between is never resent, so no revision is ever notified twice (at most once per target).

On PostgreSQL every ``tickerwatch worker`` runs a Notifier over the one shared outbox. The
insert of a delivery record is the claim (``begin_delivery``): of the workers that read the
same pending event exactly one sends it; a record another worker is still sending keeps the
event open until that worker settles it.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from crawler.items import Development
from crawler.reporting import development_line
from crawler.store.db import Store
from crawler.store.outbox import (
    begin_delivery,
    delivery_state,
    end_delivery,
    interrupted_deliveries,
)
from crawler.store.postgres import is_postgres_url
from crawler.store.queries import pending_events
from crawler.text.terminal import safe_for_log
from scheduler.timing.schedule import parse_time

if TYPE_CHECKING:
    from scheduler.config.model import Config

logger = logging.getLogger(__name__)

RETRY_FIRST = 5.0  # seconds before the first retry; doubles per failure
RETRY_CAP = 900.0
GIVE_UP_AFTER = timedelta(hours=24)  # a day-old alert is noise, not news
MAX_LINES = 20  # developments listed in one message; the rest are counted
# Shared outbox (workers): a delivery "sending" this long belongs to a worker that died mid-send.
STUCK_AFTER = timedelta(minutes=10)

Sender = Callable[[str, str, str], bool]  # (target URL, title, body) -> delivered


def apprise_sender() -> Sender:
    """Deliver through apprise, imported only when a target is configured (optional extra)."""
    import apprise

    def send(target: str, title: str, body: str) -> bool:
        client = apprise.Apprise()
        if not client.add(target):
            return False
        return bool(client.notify(title=title, body=body, body_format=apprise.NotifyFormat.TEXT))

    return send


def config_targets(config: Config) -> dict[str, tuple[str, ...]]:
    """Source name -> its notification targets, as the sources file gives them."""
    return {s.name: s.notify for s in config.sources if s.notify}


def message_for(source: str, events: list[Development]) -> tuple[str, str]:
    """Title and body from escaped fields with plain formatting: scraped text never templates."""
    if len(events) == 1:
        event = events[0]
        title = f"{event.event.upper()} {safe_for_log(source, limit=60)}: "
        title += safe_for_log(event.text or event.title or "-", limit=120)
    else:
        title = f"{safe_for_log(source, limit=60)}: {len(events)} developments"
    lines = [development_line(source, event) for event in events[:MAX_LINES]]
    if len(events) > MAX_LINES:
        lines.append(f"… and {len(events) - MAX_LINES} more")
    return title, "\n".join(lines)


def redact(target: str) -> str:
    """Targets carry tokens: logs name the scheme only."""
    return target.split("://", 1)[0] + "://…"


@dataclass
class _Retry:
    attempts: int = 0
    not_before: float = 0.0


class Notifier:
    """Drains the outbox: one message per poll and target, marked notified once all got it."""

    def __init__(
        self,
        db_path: str | Path,
        targets: Mapping[str, tuple[str, ...]] | None = None,
        *,
        sender: Sender | None = None,
        interval: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        # Several workers share a PostgreSQL outbox; a SQLite one has this process alone.
        self.shared = is_postgres_url(db_path)
        self.db_path: str | Path = str(db_path) if self.shared else Path(db_path)
        self.targets: dict[str, tuple[str, ...]] = dict(targets or {})
        self._sender = sender
        self.interval = interval
        self.clock = clock
        self._retries: dict[int, _Retry] = {}  # poll id -> retry state
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._store: Store | None = None
        self._recovered = False  # deliveries a previous process left mid-send are settled once

    def update_targets(self, targets: Mapping[str, tuple[str, ...]]) -> None:
        self.targets = dict(targets)  # one assignment: the worker sees old or new, never half
        self.wake()

    @property
    def sender(self) -> Sender:
        if self._sender is None:
            self._sender = apprise_sender()
        return self._sender

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="tickerwatch-notify", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Called after each poll commits, so a notification leaves within milliseconds."""
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self.close()

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def _loop(self) -> None:
        failing = False
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception as error:  # a database hiccup must not end notifications for good
                # Once per outage (a full disk fails every pass), not every 2 s; a database
                # error is a condition, not a bug: no traceback for it.
                if not failing:
                    logger.error(
                        "notification pass failed (%s: %s); retrying quietly",
                        error.__class__.__name__,
                        error,
                        exc_info=not _database_error(error),
                    )
                failing = True
            else:
                if failing:
                    logger.info("notification passes work again")
                failing = False
            self._wake.wait(self.interval)
            self._wake.clear()

    def run_once(self) -> int:
        """One pass over the outbox; returns how many events were closed."""
        if self._store is None:
            self._store = Store(self.db_path)
        if self.shared or not self._recovered:
            self._recovered = True
            before = datetime.now(UTC) - STUCK_AFTER if self.shared else None
            stamp = before.isoformat(timespec="seconds") if before else None
            for poll_id in interrupted_deliveries(self._store, before=stamp):
                logger.warning(
                    "a notification of poll %d was interrupted mid-send by a crash: it may or "
                    "may not have arrived, and is not sent again (never twice)",
                    poll_id,
                )
        store, now = self._store, datetime.now(UTC)
        polls: dict[int, list[dict]] = {}
        for event in pending_events(store, limit=1000):
            polls.setdefault(event["poll_id"], []).append(event)
        closed = 0
        for poll_id, events in polls.items():
            if self._stop.is_set():
                break
            source = events[0]["source"]
            targets = self.targets.get(source, ())
            created = parse_time(events[0]["created_at"]) or now
            if events[0]["baseline"] or not targets:
                pass  # the baseline is one log line; a source without targets has no outbox
            elif now - created > GIVE_UP_AFTER:
                logger.error(
                    "giving up notifying %d developments of %s: older than %s",
                    len(events),
                    safe_for_log(source),
                    GIVE_UP_AFTER,
                )
            elif not self._deliver(poll_id, source, events, targets):
                continue
            store.mark_notified([event["id"] for event in events])
            self._retries.pop(poll_id, None)
            closed += len(events)
        # Forget retry state of events closed elsewhere (or by an earlier pass).
        for poll_id in set(self._retries) - set(polls):
            del self._retries[poll_id]
        return closed

    def _deliver(
        self, poll_id: int, source: str, events: list[dict], targets: tuple[str, ...]
    ) -> bool:
        retry = self._retries.setdefault(poll_id, _Retry())
        if self.clock() < retry.not_before:
            return False
        title, body = message_for(source, [Development.from_row(event) for event in events])
        store = self._store
        for target in targets:
            state = delivery_state(store, poll_id, target)
            if state == "sending":
                return False  # another worker is sending it: the event stays open till it ends
            if state is not None:
                continue  # sent, or cut off mid-send by a crash: never a second time
            if not begin_delivery(store, poll_id, target):
                return False  # another worker claimed it a moment ago
            try:
                ok = self.sender(target, title, body)
            except Exception as error:  # apprise plugins raise on odd input; treat as failure
                logger.debug("notification error", exc_info=True)
                ok, why = False, f"{error.__class__.__name__}: {error}"
            else:
                why = "target refused or unreachable"
            end_delivery(store, poll_id, target, sent=ok)
            if ok:
                continue
            retry.attempts += 1
            delay = min(RETRY_FIRST * 2 ** (retry.attempts - 1), RETRY_CAP)
            retry.not_before = self.clock() + delay
            logger.warning(
                "notification for %s via %s failed (%s); retry in %.0fs",
                safe_for_log(source),
                redact(target),
                safe_for_log(why),
                delay,
            )
            return False
        return True


def _database_error(error: Exception) -> bool:
    """A database error is a condition (a full disk, a server away), not a bug: no traceback."""
    return isinstance(error, sqlite3.Error) or type(error).__module__.startswith("psycopg")
