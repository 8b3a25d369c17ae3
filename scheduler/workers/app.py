"""The Procrastinate app of the workers: ``dispatch`` once per tick and ``poll_bucket`` per
bucket, each run while holding its lock (scheduler/workers/locks.py); and Procrastinate's
tables (``init``)."""

from __future__ import annotations

import logging
import time

from scheduler.workers.locks import (
    DISPATCH_TASK,
    POLL_TASK,
    Locks,
    bucket_key,
    dispatch_key,
)
from scheduler.workers.runtime import Runtime

logger = logging.getLogger("scheduler.workers")


def make_app(url: str, runtime: Runtime, locks: Locks):
    """The Procrastinate app: its two tasks bound to this worker's runtime and locks."""
    from procrastinate import App, PsycopgConnector
    from procrastinate.exceptions import AlreadyEnqueued

    tick = runtime.tick_seconds
    # Periodic ticks missed while no worker ran are not caught up: dispatch skips old ones.
    app = App(connector=PsycopgConnector(conninfo=url), periodic_defaults={"max_delay": tick})

    @app.task(name=POLL_TASK)
    async def poll_bucket(bucket: int, tick: int) -> None:
        # A job retried while its first worker lives (Procrastinate's heartbeat rule on a
        # stopped or swapping machine) waits for that worker's poll to end, until its tick
        # is over; it never polls beside it.
        ends = (max(tick, runtime.now_tick()) + 1) * runtime.tick_seconds
        async with locks.holding(bucket_key(bucket), wait=ends - time.time()) as held:
            if not held:
                logger.warning("bucket %d, tick %d: still polled by another worker", bucket, tick)
                return
            committed, taken = await runtime.poll_bucket(bucket, tick)
        if taken:
            logger.info(
                "bucket %d, tick %d: %d polls already committed elsewhere", bucket, tick, taken
            )

    @app.periodic(cron=f"* * * * * */{tick}", periodic_id="dispatch")
    @app.task(name=DISPATCH_TASK, queueing_lock="dispatch")
    async def dispatch(timestamp: int) -> None:
        number = timestamp // runtime.tick_seconds
        if number < runtime.now_tick() - 1:
            return  # a tick long past: its buckets are due in the current one anyway
        async with locks.holding(dispatch_key(timestamp), wait=0) as held:
            if not held:
                return  # retried while its first worker lives: that one defers the buckets
            for bucket in runtime.bucket_numbers(number):
                lock = f"bucket:{bucket}"
                try:
                    await poll_bucket.configure(lock=lock, queueing_lock=lock).defer_async(
                        bucket=bucket, tick=number
                    )
                except AlreadyEnqueued:
                    pass  # the bucket's previous job has not started: it polls for this tick

    return app


async def init_schema(url: str) -> bool:
    """Procrastinate's tables, once; True when they were created now."""
    from procrastinate import App, PsycopgConnector

    app = App(connector=PsycopgConnector(conninfo=url))
    async with app.open_async():
        rows = await app.connector.execute_query_one_async(
            "SELECT to_regclass('procrastinate_jobs') IS NOT NULL AS present"
        )
        if rows["present"]:
            return False
        await app.schema_manager.apply_schema_async()
        return True
