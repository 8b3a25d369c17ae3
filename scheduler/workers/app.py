"""The Procrastinate app of the workers: ``dispatch`` once per tick, ``poll_bucket`` per bucket,
``retry_stalled`` for the jobs of dead workers; and Procrastinate's tables (``init``)."""

from __future__ import annotations

import logging

from scheduler.workers.runtime import Runtime

logger = logging.getLogger("scheduler.workers")

HEARTBEAT_EVERY = 2.0  # seconds between a worker's heartbeats
STALLED_AFTER = 10.0  # a worker silent this long is dead: its running jobs are retried


def make_app(url: str, runtime: Runtime):
    """The Procrastinate app: its three tasks bound to this worker's runtime."""
    from procrastinate import App, PsycopgConnector
    from procrastinate.exceptions import AlreadyEnqueued, UniqueViolation
    from procrastinate.jobs import Status

    tick = runtime.tick_seconds
    # Periodic ticks missed while no worker ran are not caught up: dispatch skips old ones.
    app = App(connector=PsycopgConnector(conninfo=url), periodic_defaults={"max_delay": tick})

    @app.task(name="tickerwatch.poll_bucket")
    async def poll_bucket(bucket: int, tick: int) -> None:
        committed, taken = await runtime.poll_bucket(bucket, tick)
        if taken:
            logger.info(
                "bucket %d, tick %d: %d polls already committed elsewhere", bucket, tick, taken
            )

    @app.periodic(cron=f"* * * * * */{tick}", periodic_id="dispatch")
    @app.task(name="tickerwatch.dispatch", queueing_lock="dispatch")
    async def dispatch(timestamp: int) -> None:
        number = timestamp // runtime.tick_seconds
        if number < runtime.now_tick() - 1:
            return  # a tick long past: its buckets are due in the current one anyway
        for bucket in runtime.bucket_numbers(number):
            lock = f"bucket:{bucket}"
            try:
                await poll_bucket.configure(lock=lock, queueing_lock=lock).defer_async(
                    bucket=bucket, tick=number
                )
            except AlreadyEnqueued:
                pass  # the bucket's previous job has not started: it will poll for this tick

    @app.periodic(cron=f"* * * * * */{tick}", periodic_id="retry_stalled")
    @app.task(name="tickerwatch.retry_stalled", queueing_lock="retry_stalled")
    async def retry_stalled(timestamp: int) -> None:
        stalled = await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=STALLED_AFTER)
        for job in stalled:
            logger.warning(
                "job %s (%s %s) of a dead worker: taken over",
                job.id,
                job.task_name,
                job.task_kwargs,
            )
            try:
                await app.job_manager.retry_job(job)
            except UniqueViolation:
                # The bucket's next job already waits (queueing_lock): close the dead one, so
                # its lock frees that job, which polls every source the dead one left undone.
                await app.job_manager.finish_job(job, Status.FAILED, delete_job=False)

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
