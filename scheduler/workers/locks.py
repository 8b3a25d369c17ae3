"""The locks a worker's jobs run under: one PostgreSQL session advisory lock per running job
(its bucket's for ``poll_bucket``, its tick's for ``dispatch``), on one lock connection per
process (crawler/store/postgres/locks.py).

A lock lives exactly as long as its job's hold on it and its worker's session: a killed
worker's session ends with its socket; a stopped or busy one's does not, its kernel still
answers. scheduler/workers/takeover.py reads liveness from that. Within one process the
session lock is re-entrant: ``Locks`` keeps its own account, so two jobs of one bucket in one
process never both believe they hold it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

import psycopg

from crawler.store.postgres import locks as pg_locks

logger = logging.getLogger("scheduler.workers")

POLL_TASK = "tickerwatch.poll_bucket"
DISPATCH_TASK = "tickerwatch.dispatch"
BUCKET_SPACE = 7463  # advisory lock (BUCKET_SPACE, bucket): a poll of the bucket runs
DISPATCH_SPACE = 7464  # advisory lock (DISPATCH_SPACE, timestamp): a dispatch of a tick runs
WATCH_KEY = (7465, 0)  # a worker looking for dead workers' jobs: one at a time
LOCK_RETRY_EVERY = 0.5  # seconds between two tries of a lock another job holds


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
        if self._conn is not None and (self._conn.closed or self._conn.broken):
            lost = sum(generation == self._generation for generation in self._held.values())
            logger.warning("lock connection lost, %d locks with it: connecting again", lost)
            self._conn = None  # said once; connecting is tried on every use until it works
        if self._conn is None:
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
            if await self._take(conn, key):
                self._held[key] = self._generation
                return True
        except BaseException:
            del self._held[key]
            raise
        del self._held[key]
        return False

    async def _take(self, conn: psycopg.AsyncConnection, key: tuple[int, int]) -> bool:
        attempt = asyncio.ensure_future(pg_locks.try_lock(conn, *key))
        try:
            return await asyncio.shield(attempt)
        except asyncio.CancelledError:
            # The statement runs on: what it takes is let go of, never left on the session
            # (a lock left behind would block its bucket in every other worker).
            attempt.add_done_callback(partial(_let_go, conn, key))
            raise

    async def release(self, key: tuple[int, int]) -> None:
        generation = self._held.pop(key, None)
        conn = self._conn
        if generation != self._generation or conn is None or conn.closed or conn.broken:
            return  # its session is gone, and the lock with it
        await _unlock(conn, key)

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


def _let_go(conn: psycopg.AsyncConnection, key: tuple[int, int], attempt: asyncio.Future) -> None:
    if not attempt.cancelled() and attempt.exception() is None and attempt.result():
        asyncio.ensure_future(_unlock(conn, key))


async def _unlock(conn: psycopg.AsyncConnection, key: tuple[int, int]) -> None:
    try:
        await pg_locks.unlock(conn, *key)
    except psycopg.Error:
        pass  # the connection broke: its session, and the lock, are gone
