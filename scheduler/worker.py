"""``tickerwatch worker``: one of N processes polling the sources on PostgreSQL, through Procrastinate.

PostgreSQL is the only coordinator. Procrastinate (a PostgreSQL job queue) supplies the
distributed parts, none of them ours:

- ``dispatch`` is a periodic task: every worker runs Procrastinate's periodic deferrer, and
  the database defers it once per tick (``procrastinate_periodic_defers`` is unique on the
  task and the tick's timestamp).
- ``dispatch`` defers one ``poll_bucket(bucket, tick)`` per bucket that holds sources, with
  ``queueing_lock`` and ``lock`` ``bucket:<n>``: a bucket has at most one waiting and one
  running job, so two polls of one source never overlap.
- Workers send heartbeats; ``retry_stalled`` (periodic too) puts the running jobs of a worker
  whose heartbeat stopped (SIGKILL, a lost machine) back in the queue, and another worker
  finishes the bucket.
- A poll's transaction starts with a compare-and-set on ``sources.last_tick``
  (crawler/store/recording.py): the effect of a poll happens once per tick whichever worker
  committed it; a second commit for the tick rolls back.

Each worker keeps one long-lived Scrapy engine (scheduler/engine.py) on the asyncio loop that
also runs the Procrastinate worker (scheduler/reactor.py). The sources file stays the source of
truth: every worker reads it, syncs it into the database at start and on SIGHUP.

Every worker also drains the notification outbox (scheduler/notify.py) in a thread with its
own connection; a delivery is claimed by its insert, so each development is sent once per
target whichever worker committed it and whichever one sends it.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from crawler.store.sources import set_next_due, sync_source_name
from crawler.store.ticks import sync_sources, tick_states
from crawler.text.terminal import safe_for_log
from scheduler.config.model import Config, SourceConfig
from scheduler.config.reading import load_config
from scheduler.notify import Notifier, config_targets
from scheduler.timing.schedule import parse_retry_after
from scheduler.timing.ticks import DEFAULT_TICK, bucket_of, due

logger = logging.getLogger(__name__)

HEARTBEAT_EVERY = 2.0  # seconds between a worker's heartbeats
STALLED_AFTER = 10.0  # a worker silent this long is dead: its running jobs are retried
RECONNECT_EVERY = 2  # seconds between attempts to reach a database that went away


@dataclass
class Runtime:
    """What one worker process holds: its config, its engine, its database connection."""

    config_path: Path
    db: str
    tick_seconds: int = DEFAULT_TICK
    config: Config | None = None
    engine: object = None
    notifier: Notifier | None = None
    buckets: dict[int, list[SourceConfig]] = field(default_factory=dict)

    def load(self) -> None:
        """(Re)read the sources file and sync it into the database (start, SIGHUP)."""
        config = load_config(self.config_path)
        polled = [s for s in config.sources if s.kind != "series"]
        for skipped in (s for s in config.sources if s.kind == "series"):
            logger.warning("worker: series %s are not polled by workers yet", skipped.name)
        store = self.engine.store
        sync_sources(store, [(s.url, s.kind, s.name) for s in polled])
        for source in polled:
            sync_source_name(store, source.url, source.name)
        buckets: dict[int, list[SourceConfig]] = {}
        for source in polled:
            buckets.setdefault(bucket_of(source.url), []).append(source)
        self.config, self.buckets = config, buckets
        if self.notifier is not None:
            self.notifier.update_targets(config_targets(config))
        logger.info("worker: %d sources in %d buckets", len(polled), len(buckets))

    def now_tick(self) -> int:
        return int(time.time()) // self.tick_seconds

    async def poll_bucket(self, bucket: int, tick: int) -> tuple[int, int]:
        """Poll the due sources of one bucket; (polls committed, polls another worker had)."""
        # A job that waited (a retried stalled job, a lock held long) polls for the tick it
        # runs in: the next tick's job then finds the sources done.
        tick = max(tick, self.now_tick())
        sources = self.buckets.get(bucket, [])
        store = self.engine.store
        states = tick_states(store, [s.url for s in sources])
        todo = [s for s in sources if due(s, states.get(s.url), tick, self.tick_seconds)]
        outcomes = await asyncio.gather(*(self._poll(s, tick) for s in todo))
        return sum(o == "committed" for o in outcomes), sum(o == "taken" for o in outcomes)

    async def _poll(self, source: SourceConfig, tick: int) -> str:
        try:
            item = await self.engine.poll_async(
                source.url,
                kind=source.kind,
                site=source.site,
                source_name=source.name,
                timeout=source.timeout,
                max_articles=source.max_articles,
                user_agent=source.user_agent,
                auth=source.auth,
                origin=source.origin,
                selectors=dict(source.selectors) or None,
                archive=source.archive,
                tick=tick,
            )
        except Exception as error:  # storing failed (connection lost): the next tick retries
            logger.warning(
                "poll of %s failed: %s", safe_for_log(source.name), safe_for_log(str(error))
            )
            return "failed"
        if item.poll_id is None:
            return "taken"
        retry = parse_retry_after(item.retry_after) if item.http_status in (429, 503) else None
        if retry is not None:
            until = datetime.fromtimestamp(time.time() + retry, UTC)
            set_next_due(self.engine.store, source.url, until.isoformat(timespec="seconds"))
        if self.notifier is not None:
            self.notifier.wake()
        return "committed"


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
        for bucket in sorted(runtime.buckets):
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


async def run_worker(url: str, config_path: Path, *, concurrency: int, tick_seconds: int) -> int:
    """One worker until SIGTERM/SIGINT: the engine, the sources, the Procrastinate worker."""
    from scheduler.engine import PollEngine, make_settings

    # Procrastinate logs every job at INFO: at 1,024 buckets a tick that drowns the
    # development lines. Its warnings and errors still show.
    logging.getLogger("procrastinate").setLevel(logging.WARNING)
    await init_schema(url)
    engine = PollEngine(make_settings(url))
    await engine.start()
    notifier = Notifier(url)
    runtime = Runtime(config_path, url, tick_seconds, engine=engine, notifier=notifier)
    try:
        runtime.load()
        notifier.start()
        app = make_app(url, runtime)
        options = {
            "concurrency": concurrency,
            "install_signal_handlers": False,
            "delete_jobs": "successful",
            "update_heartbeat_interval": HEARTBEAT_EVERY,
            "stalled_worker_timeout": STALLED_AFTER,
        }
        worker = asyncio.ensure_future(_work(app, options))
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, worker.cancel)
        loop.add_signal_handler(signal.SIGHUP, _reload, runtime)
        logger.info("worker started: tick %ds, concurrency %d", tick_seconds, concurrency)
        try:
            await worker
        except asyncio.CancelledError:
            pass
    finally:
        notifier.stop()
        await engine.stop()
    logger.info("worker stopped")
    return 0


async def _work(app, options: dict) -> None:
    """Procrastinate's worker, started again whenever it loses the database (a restart, a
    failover, a cut network): the engine and its sources stay; the jobs it was running are
    stalled jobs for the workers still connected, or for this one when it is back."""
    while True:
        try:
            async with app.open_async():
                await app.run_worker_async(**options)
            # Procrastinate stops its worker when a side task (heartbeat, periodic deferrer,
            # listener) fails, as they do when the database goes away: start it again.
            logger.warning("worker stopped by a failure: starting again in %ds", RECONNECT_EVERY)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - every database failure is waited out
            logger.warning(
                "worker lost the database (%s): connecting again in %ds",
                safe_for_log(f"{error.__class__.__name__}: {error}"),
                RECONNECT_EVERY,
            )
        await asyncio.sleep(RECONNECT_EVERY)


def _reload(runtime: Runtime) -> None:
    try:
        runtime.load()
    except Exception as error:  # a broken file keeps the sources we have
        logger.error("reload failed, sources unchanged: %s", safe_for_log(str(error)))
