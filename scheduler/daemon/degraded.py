"""Per-source failure streaks for the daemon: one "degraded" warning per outage, not one per poll.

A source that fails for hours would otherwise log a warning on every (backed-off) poll. The
first failure of a streak keeps its warning, so a single hiccup is visible; later failures of
the same streak are demoted to INFO; when the streak reaches :data:`DEGRADED_AFTER`, one
``source X degraded`` warning says what is going on, and the first good poll afterwards logs
``source X recovered``. The streak itself lives in the daemon (``Daemon.streaks``), which also
feeds the backoff; this module only decides what to say.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime

from crawler.text.terminal import safe_for_log

logger = logging.getLogger(__name__)

DEGRADED_AFTER = 3  # consecutive failed polls before a source counts as degraded
# Loggers whose per-poll failure lines are demoted while a streak lasts.
PER_POLL_LOGGERS = ("crawler.reporting", "scheduler.engine", "scheduler.daemon")


class SourceHealth:
    """Tracks which sources are in a failure streak and logs the transitions once."""

    def __init__(self, streaks: Mapping[str, int]) -> None:
        self.streaks = streaks  # the daemon's own dict: name -> consecutive failed polls
        self.degraded_since: dict[str, datetime] = {}
        self.urls: dict[str, str] = {}  # name -> url, so URL-only log records are matched too
        self.names: dict[str, str] = {}  # url -> name: one lookup per record, not a scan
        self.filter = _DemoteRepeats(self)

    def install(self) -> None:
        for name in PER_POLL_LOGGERS:
            logging.getLogger(name).addFilter(self.filter)

    def uninstall(self) -> None:
        for name in PER_POLL_LOGGERS:
            logging.getLogger(name).removeFilter(self.filter)

    def in_streak(self, key: str) -> bool:
        """True when ``key`` (a source name or URL) already failed on its previous poll."""
        if self.streaks.get(key, 0) >= 1:
            return True
        name = self.names.get(key)
        return name is not None and self.streaks.get(name, 0) >= 1

    def after_poll(self, name: str, url: str, streak: int, error: str | None, delay: float) -> None:
        """Called with the streak as it stands after a poll (0: the poll was good)."""
        self.urls[name] = url
        self.names[url] = name
        if streak >= DEGRADED_AFTER and name not in self.degraded_since:
            self.degraded_since[name] = datetime.now(UTC)
            logger.warning(
                "source %s degraded: %d consecutive failed polls (last: %s); "
                "retrying with backoff, next poll in %.0fs; no entry is touched meanwhile",
                safe_for_log(name),
                streak,
                safe_for_log(error or "unknown error"),
                delay,
                extra={"source": name, "status": "degraded", "url": url},
            )
        elif streak == 0 and name in self.degraded_since:
            since = self.degraded_since.pop(name)
            logger.info(
                "source %s recovered (degraded since %s)",
                safe_for_log(name),
                since.isoformat(timespec="seconds"),
                extra={"source": name, "status": "recovered", "url": url},
            )

    def forget(self, name: str) -> None:
        self.degraded_since.pop(name, None)
        self.names.pop(self.urls.pop(name, ""), None)

    def flush(self) -> None:
        """Say how many warnings the burst limit held back (at shutdown)."""
        self.filter.summarise()


# Thousands of sources failing together (the network is down) would each log their first
# failure: past BURST_LINES per-poll warnings in BURST_WINDOW seconds, the rest are counted and
# one summary line says how many (``tickerwatch status`` has every source's state).
BURST_LINES = 50
BURST_WINDOW = 60.0


class _DemoteRepeats(logging.Filter):
    """WARNING/ERROR lines about a source that is already failing become INFO lines; a burst of
    per-poll warnings from many sources at once is cut short and summarised."""

    def __init__(self, health: SourceHealth) -> None:
        super().__init__()
        self.health = health
        self.window_start = 0.0
        self.shown = 0
        self.held = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING or getattr(record, "status", None) == "degraded":
            return True
        keys = [getattr(record, "source", None), getattr(record, "url", None)]
        if any(key and self.health.in_streak(key) for key in keys):
            record.levelno, record.levelname = logging.INFO, "INFO"
            return True
        if record.created - self.window_start > BURST_WINDOW:
            self.summarise()
            self.window_start, self.shown = record.created, 0
        self.shown += 1
        if self.shown > BURST_LINES:
            self.held += 1
            return False
        return True

    def summarise(self) -> None:
        if self.held:
            held, self.held = self.held, 0
            logger.warning(
                "%d more poll warnings within %.0fs not shown (a mass failure?); "
                "`tickerwatch status` lists every source's last poll",
                held,
                BURST_WINDOW,
                extra={"status": "degraded"},  # passes this filter
            )
