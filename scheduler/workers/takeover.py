"""How a dead worker's jobs are taken over within seconds, and how a live one's never are.

Liveness is a lock, not a clock. Each job holds a PostgreSQL session advisory lock while it
runs (``poll_bucket`` on its bucket, ``dispatch`` on its tick; scheduler/workers/locks.py).
A SIGKILLed worker's session ends with its socket and frees its locks at once; a lost
machine's (no TCP reset) within ~25 s, when the server's keepalive probes go unanswered. Every worker looks every second (``watch``, one
worker at a time) for running jobs whose lock no session holds; seen so on two looks in a
row, and running for more than ``START_GRACE`` (the moment between Procrastinate's fetch and
the lock), such a job is retried, ahead of the queue (``TAKEOVER_PRIORITY``), and another
worker finishes it.

A live worker's jobs hold their locks however busy or stopped it is: its kernel answers the
probes. Procrastinate's heartbeat rule (a worker silent for ``stalled_after``) would retry
them anyway; here it only retries a silent worker's jobs whose lock is free too (the jobs
the lock rule finds first), and says which silent worker still holds its buckets. A retried
job could not poll beside their owner anyway: a job polls only while it holds its bucket's
lock, and one that finds it taken (a retry that raced a slow start) waits for it until its
tick ends, then gives up. So two polls of one source never overlap.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time

from crawler.store.postgres import locks as pg_locks
from scheduler.workers.locks import (
    BUCKET_SPACE,
    DISPATCH_SPACE,
    DISPATCH_TASK,
    POLL_TASK,
    WATCH_KEY,
    Locks,
    job_key,
)

logger = logging.getLogger("scheduler.workers")

CHECK_EVERY = 1.0  # seconds between two looks for the jobs of dead workers
START_GRACE = 2.0  # a job younger than this may not have taken its lock yet
HEARTBEAT_EVERY = 2.0  # seconds between a worker's heartbeats (Procrastinate's)
STALLED_CHECK_EVERY = 5.0  # seconds between two runs of the heartbeat rule
# A retried job goes before the queue's others (priority 0): its sources are the most overdue,
# and a busy tick's backlog would otherwise delay them past the tick.
TAKEOVER_PRIORITY = 1


def stalled_after(tick_seconds: int) -> float:
    """Silence after which Procrastinate counts a worker as dead (its heartbeat rule, and its
    pruning of old workers at start): two ticks, at least 30 s. A fallback only: a dead
    worker's lock frees its jobs first, and a silent one whose session lives keeps them."""
    return float(max(30, 2 * tick_seconds))


async def retry(app, job_id: int, task_name: str, queueing_lock: str | None, why: str) -> None:
    """Put a dead worker's job back in the queue, first in line, for another worker."""
    from procrastinate import utils
    from procrastinate.exceptions import ConnectorException, UniqueViolation
    from procrastinate.jobs import Status

    manager = app.job_manager
    for attempt in range(2):
        try:
            await manager.retry_job_by_id_async(
                job_id, retry_at=utils.utcnow(), priority=TAKEOVER_PRIORITY
            )
        except UniqueViolation:
            # The bucket's next job already waits (queueing_lock). It is dropped and the dead
            # one, which polls for the tick it runs in, takes its place ahead of the queue;
            # if yet another is deferred meanwhile, the dead one is closed and that one
            # (behind the tick's others) polls what it left. A dispatch is never dropped.
            if task_name != POLL_TASK or attempt:
                try:
                    await manager.finish_job_by_id_async(job_id, Status.FAILED, delete_job=False)
                except ConnectorException:
                    return  # finished meanwhile
                break
            for waiting in await manager.list_jobs_async(
                queueing_lock=queueing_lock, status="todo"
            ):
                await manager.cancel_job_by_id_async(waiting.id, delete_job=True)
            continue
        except ConnectorException:
            return  # no longer running: it finished, or another worker retried it first
        break
    logger.warning("job %d %s: taken over", job_id, why)


async def watch(app, locks: Locks, tick_seconds: int) -> None:
    """Every second, in every worker: retry the running jobs whose lock is free (their worker
    is dead); every few seconds also Procrastinate's heartbeat rule. Until cancelled."""
    look = _Look(app, locks, stalled_after(tick_seconds))
    failing = False
    while True:
        # Jittered, so N workers do not look at the same instant.
        await asyncio.sleep(CHECK_EVERY * random.uniform(0.8, 1.2))
        try:
            # One worker at a time: another one's look could predate a retry made
            # meanwhile and retry the job again, just after a live worker fetched it.
            async with locks.holding(WATCH_KEY, wait=0) as mine:
                if mine:
                    await look.once()
                else:
                    look.suspects = set()
            failing = False
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - the database away: look again later
            if not failing:
                logger.warning("looking for dead workers' jobs failed: %s", error)
            failing = True


class _Look:
    """One worker's looks: the jobs whose lock was free on the last one (retried if still so
    on this one), and the silent workers' jobs already reported."""

    def __init__(self, app, locks: Locks, silence: float) -> None:
        self.app, self.locks, self.silence = app, locks, silence
        self.suspects: set[int] = set()
        self.reported: set[int] = set()
        self.heartbeat_rule_at = time.monotonic() + STALLED_CHECK_EVERY

    async def once(self) -> None:
        conn = await self.locks.connection()
        running = {j.id: j for j in await pg_locks.running_jobs(conn, [POLL_TASK, DISPATCH_TASK])}
        held = await pg_locks.held(conn, (BUCKET_SPACE, DISPATCH_SPACE))
        orphans = {
            job.id
            for job in running.values()
            if job.running_for > START_GRACE
            and (key := job_key(job.task_name, job.args)) is not None
            and key not in held
        }
        for job_id in sorted(orphans & self.suspects):
            job = running[job_id]
            why = "of a dead worker (its lock is free)"
            await retry(self.app, job_id, job.task_name, job.queueing_lock, why)
        self.suspects = orphans - self.suspects
        if time.monotonic() >= self.heartbeat_rule_at:
            self.heartbeat_rule_at = time.monotonic() + STALLED_CHECK_EVERY
            await self._heartbeat_rule(held)

    async def _heartbeat_rule(self, held: set[tuple[int, int]]) -> None:
        silent = await self.app.job_manager.get_stalled_jobs(seconds_since_heartbeat=self.silence)
        self.reported &= {job.id for job in silent}  # said once per silence, and forgotten
        for job in silent:
            key = job_key(job.task_name, job.task_kwargs)
            if key is None or key not in held:
                why = f"of a worker silent for {self.silence:.0f} s"
                await retry(self.app, job.id, job.task_name, job.queueing_lock, why)
            elif job.id not in self.reported:
                # Stopped, hung or swapping, yet its session lives: the bucket stays its own.
                self.reported.add(job.id)
                logger.warning(
                    "job %d (%s): its worker is silent for %.0f s but still holds its lock: "
                    "left to it",
                    job.id,
                    job.call_string,
                    self.silence,
                )
