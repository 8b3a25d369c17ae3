"""How a dead worker's jobs are taken over within seconds, and how a live one's never are.

Liveness is a lock, not a clock. Each job holds a PostgreSQL session advisory lock while it
runs (``poll_bucket`` on its bucket, ``dispatch`` on its tick), on this process's lock
connection (crawler/store/postgres/locks.py). A SIGKILLed worker's session ends with its
socket and frees its locks at once (a lost machine's within ~25 s, by the server's keepalive
probes). Every worker looks every second (``watch``) for running jobs whose lock no session
holds; seen so on two looks in a row, and running for more than ``START_GRACE`` (the moment
between Procrastinate's fetch and the lock), such a job is retried and another worker finishes
it. A live worker's jobs hold their locks, however busy or stopped it is, so no rule of ours
retries them.

The bucket lock also guards the polls themselves: a job polls only while it holds its
bucket's lock. Procrastinate's heartbeat rule (kept as a fallback, after ``stalled_after``)
can still retry the job of a worker that is alive but silent (a stopped process, a machine
swapping); the retried job then waits for the lock until its tick ends and gives up if the
owner still has it, so two polls of one source never overlap.

Within one process the session lock is re-entrant: ``Locks`` keeps its own account, so two
jobs of one bucket in one process never both believe they hold it.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import psycopg

from crawler.store.postgres import locks as pg_locks

logger = logging.getLogger("scheduler.workers")

POLL_TASK = "tickerwatch.poll_bucket"
DISPATCH_TASK = "tickerwatch.dispatch"
BUCKET_SPACE = 7463  # advisory lock (BUCKET_SPACE, bucket): a poll of the bucket runs
DISPATCH_SPACE = 7464  # advisory lock (DISPATCH_SPACE, timestamp): a dispatch of a tick runs
WATCH_KEY = (7465, 0)  # a worker looking for dead workers' jobs: one at a time
CHECK_EVERY = 1.0  # seconds between two looks for the jobs of dead workers
START_GRACE = 2.0  # a job younger than this may not have taken its lock yet
LOCK_RETRY_EVERY = 0.5  # seconds between two tries of a lock another job holds
HEARTBEAT_EVERY = 2.0  # seconds between a worker's heartbeats (Procrastinate's)
STALLED_CHECK_EVERY = 5.0  # seconds between two runs of the heartbeat rule


def stalled_after(tick_seconds: int) -> float:
    """Silence after which Procrastinate's heartbeat rule retries a worker's jobs: two ticks,
    at least 30 s. Only a fallback (the lock rule finds dead workers first); a retry it makes
    of a live worker's job waits for that job's lock and polls nothing meanwhile."""
    return float(max(30, 2 * tick_seconds))


def bucket_key(bucket: int) -> tuple[int, int]:
    return (BUCKET_SPACE, bucket)


def dispatch_key(timestamp: int) -> tuple[int, int]:
    return (DISPATCH_SPACE, timestamp % 2**31)


def job_key(task_name: str, args: dict) -> tuple[int, int] | None:
    """The lock a running job of ours holds, from its task and arguments."""
    try:
        if task_name == POLL_TASK:
            return bucket_key(int(args["bucket"]))
        if task_name == DISPATCH_TASK:
            return dispatch_key(int(args["timestamp"]))
    except (KeyError, TypeError, ValueError):
        pass
    return None


class Locks:
    """This process's lock connection and the locks its jobs hold on it.

    The connection is opened on first use and opened again when it breaks (a database
    outage); the locks of the broken one are gone with its session, so their jobs release
    nothing on the new one.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self._conn: psycopg.AsyncConnection | None = None
        self._generation = 0
        self._held: dict[tuple[int, int], int | None] = {}  # key -> generation (None: taking)

    async def connection(self) -> psycopg.AsyncConnection:
        if self._conn is None or self._conn.closed or self._conn.broken:
            if self._conn is not None:
                logger.warning(
                    "lock connection lost (%d locks with it): connecting again", len(self._held)
                )
            self._conn = await pg_locks.connect(self.url)
            self._generation += 1
        return self._conn

    async def try_hold(self, key: tuple[int, int]) -> bool:
        """Take ``key`` if no job, here or elsewhere, holds it."""
        if key in self._held:
            return False  # a job of this process has it (the session lock would say yes)
        self._held[key] = None  # before any await: a second job of the bucket must see it
        try:
            conn = await self.connection()
            if await pg_locks.try_lock(conn, *key):
                self._held[key] = self._generation
                return True
        except BaseException:
            del self._held[key]
            raise
        del self._held[key]
        return False

    async def release(self, key: tuple[int, int]) -> None:
        generation = self._held.pop(key, None)
        conn = self._conn
        if generation != self._generation or conn is None or conn.closed or conn.broken:
            return  # its session is gone, and the lock with it
        try:
            await pg_locks.unlock(conn, *key)
        except psycopg.Error:
            pass  # the connection broke: its session, and the lock, are gone

    @asynccontextmanager
    async def holding(self, key: tuple[int, int], wait: float) -> AsyncIterator[bool]:
        """Hold ``key`` for the block (True), trying for up to ``wait`` seconds; False when
        another job still has it then."""
        deadline = time.monotonic() + wait
        while not await self.try_hold(key):
            if time.monotonic() >= deadline:
                yield False
                return
            await asyncio.sleep(LOCK_RETRY_EVERY)
        try:
            yield True
        finally:
            # Shielded: a cancelled job must still let go, or its bucket stays locked.
            await asyncio.shield(self.release(key))

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()


async def retry(app, job_id: int, why: str) -> None:
    """Put a dead worker's job back in the queue for another worker to finish."""
    from procrastinate import utils
    from procrastinate.exceptions import ConnectorException, UniqueViolation
    from procrastinate.jobs import Status

    try:
        await app.job_manager.retry_job_by_id_async(job_id, retry_at=utils.utcnow())
    except UniqueViolation:
        # The bucket's next job already waits (queueing_lock): close the dead one, so its
        # lock frees that job, which polls every source the dead one left undone.
        try:
            await app.job_manager.finish_job_by_id_async(job_id, Status.FAILED, delete_job=False)
        except ConnectorException:
            return  # finished meanwhile
    except ConnectorException:
        return  # no longer running: it finished, or another worker retried it first
    logger.warning("job %d %s: taken over", job_id, why)


async def watch(app, locks: Locks, tick_seconds: int) -> None:
    """Every second: retry the running jobs whose lock is free (their worker is dead); every
    few seconds: Procrastinate's heartbeat rule. Runs until cancelled, in every worker."""
    suspects: set[int] = set()
    heartbeat_rule_at = time.monotonic() + STALLED_CHECK_EVERY
    failing = False
    while True:
        # Jittered, so N workers do not look at the same instant.
        await asyncio.sleep(CHECK_EVERY * random.uniform(0.8, 1.2))
        try:
            # One worker at a time: another one's look could predate a retry made
            # meanwhile and retry the job again, just after a live worker fetched it.
            async with locks.holding(WATCH_KEY, wait=0) as mine:
                if not mine:
                    suspects = set()
                    continue
                suspects = await _retry_orphans(app, locks, suspects)
                if time.monotonic() >= heartbeat_rule_at:
                    heartbeat_rule_at = time.monotonic() + STALLED_CHECK_EVERY
                    silence = stalled_after(tick_seconds)
                    stalled = await app.job_manager.get_stalled_jobs(
                        seconds_since_heartbeat=silence
                    )
                    for job in stalled:
                        await retry(app, job.id, f"of a worker silent for {silence:.0f} s")
            failing = False
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - the database away: look again later
            if not failing:
                logger.warning("looking for dead workers' jobs failed: %s", error)
            failing = True


async def _retry_orphans(app, locks: Locks, suspects: set[int]) -> set[int]:
    """Retry the running jobs whose lock is free now and was on the look before; the ones
    free now for the first time are returned, to be looked at again."""
    conn = await locks.connection()
    running = await pg_locks.running_jobs(conn, [POLL_TASK, DISPATCH_TASK])
    held = await pg_locks.held(conn, (BUCKET_SPACE, DISPATCH_SPACE))
    orphans = {
        job.id
        for job in running
        if job.running_for > START_GRACE
        and (key := job_key(job.task_name, job.args)) is not None
        and key not in held
    }
    for job_id in sorted(orphans & suspects):
        await retry(app, job_id, "of a dead worker (its lock is free)")
    return orphans - suspects
