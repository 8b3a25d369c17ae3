"""The archive's retention in the daemon: pages older than ``archive_days`` go, every 6 hours."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from crawler.store.archive import prune
from crawler.store.db import Store

logger = logging.getLogger(__name__)

PRUNE_EVERY = 6 * 3600.0
PRUNE_JOB = "tickerwatch:archive-prune"  # not a source's name: those are job ids too


def schedule_pruning(
    scheduler, store_of: Callable[[], Store], days_of: Callable[[], float]
) -> None:
    """An APScheduler job, first run now. A coroutine, so it runs on the event loop like every
    poll's commit: one connection, one thread."""

    async def prune_archive() -> None:
        days = days_of()
        cutoff = datetime.now(UTC) - timedelta(days=days)
        try:
            result = prune(store_of(), cutoff.isoformat(timespec="seconds"))
        except sqlite3.Error as error:
            logger.warning("pruning the archive failed: %s", error)
            return
        if result.deleted:
            logger.info(
                "archive: pruned %d pages older than %g days (%d bytes)",
                result.deleted,
                days,
                result.bytes_freed,
            )

    scheduler.add_job(
        prune_archive,
        "interval",
        seconds=PRUNE_EVERY,
        id=PRUNE_JOB,
        next_run_time=datetime.now(UTC),
    )
