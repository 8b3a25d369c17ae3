"""The workers' bucket locks on a real PostgreSQL (scheduler/workers/locks.py,
crawler/store/postgres/locks.py): one holder at a time, in one process as across processes;
a holder's death frees its lock at once; a job waits for a lock only until its deadline.

Each ``Locks`` is one process's lock connection, as in a worker.
"""

from __future__ import annotations

import asyncio
import time

from crawler.store.postgres import locks as pg_locks
from scheduler.workers.locks import BUCKET_SPACE, DISPATCH_SPACE, Locks, bucket_key


def _run(coroutine):
    return asyncio.run(coroutine)


async def _held(locks: Locks) -> set[tuple[int, int]]:
    return await pg_locks.held(await locks.connection(), (BUCKET_SPACE, DISPATCH_SPACE))


def test_a_bucket_has_one_holder_in_a_process_and_across_processes(pg_url):
    async def scenario() -> None:
        mine, theirs = Locks(pg_url), Locks(pg_url)
        key = bucket_key(7)
        try:
            assert await mine.try_hold(key)
            # The session lock is re-entrant; the process's own account is not.
            assert not await mine.try_hold(key)
            assert not await theirs.try_hold(key)
            assert key in await _held(theirs)
            await mine.release(key)
            assert key not in await _held(theirs)
            assert await theirs.try_hold(key)
            assert not await mine.try_hold(key)
        finally:
            await mine.close()
            await theirs.close()

    _run(scenario())


def test_a_dead_holders_lock_is_free_at_once(pg_url):
    async def scenario() -> None:
        dying, watching = Locks(pg_url), Locks(pg_url)
        key = bucket_key(1023)
        try:
            assert await dying.try_hold(key)
            assert key in await _held(watching)
            await dying.close()  # its session ends, as a killed process's does
            deadline = time.monotonic() + 10
            while key in await _held(watching):
                assert time.monotonic() < deadline, "the lock outlived its session"
                await asyncio.sleep(0.05)
            assert await watching.try_hold(key)
        finally:
            await watching.close()

    _run(scenario())


def test_a_job_waits_for_its_bucket_until_its_deadline(pg_url):
    async def scenario() -> None:
        owner, waiter = Locks(pg_url), Locks(pg_url)
        key = bucket_key(3)
        try:
            assert await owner.try_hold(key)
            begun = time.monotonic()
            async with waiter.holding(key, wait=1.0) as held:
                assert not held
            assert time.monotonic() - begun >= 1.0

            async def let_go_soon() -> None:
                await asyncio.sleep(0.5)
                await owner.release(key)

            releasing = asyncio.ensure_future(let_go_soon())
            async with waiter.holding(key, wait=30) as held:
                assert held
                assert not await owner.try_hold(key)
            await releasing
            # Released at the end of the block: the owner may take it again.
            assert await owner.try_hold(key)
        finally:
            await owner.close()
            await waiter.close()

    _run(scenario())
