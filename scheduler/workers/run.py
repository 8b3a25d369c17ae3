"""The worker process: engine and sources up, Procrastinate's worker run (and started again
when the database goes away), SIGHUP reloads the sources file, SIGTERM/SIGINT stop."""

from __future__ import annotations

import asyncio
import logging
import signal
from pathlib import Path

from crawler.text.terminal import safe_for_log
from scheduler.notify import Notifier
from scheduler.workers.app import init_schema, make_app
from scheduler.workers.locks import Locks
from scheduler.workers.runtime import Runtime
from scheduler.workers.takeover import HEARTBEAT_EVERY, stalled_after, watch

logger = logging.getLogger("scheduler.workers")

RECONNECT_EVERY = 2  # seconds between attempts to reach a database that went away
# Seconds between an idle worker's looks for jobs: a retried job (takeover.retry) is not
# announced by NOTIFY as a new one is, so this bounds how long it waits for a worker.
FETCH_EVERY = 1.0


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
    locks = Locks(url)
    try:
        runtime.load()
        notifier.start()
        app = make_app(url, runtime, locks)
        options = {
            "concurrency": concurrency,
            "install_signal_handlers": False,
            "delete_jobs": "successful",
            "fetch_job_polling_interval": FETCH_EVERY,
            "update_heartbeat_interval": HEARTBEAT_EVERY,
            "stalled_worker_timeout": stalled_after(tick_seconds),
        }
        worker = asyncio.ensure_future(_work(app, options, locks, tick_seconds))
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
        await locks.close()
        await engine.stop()
    logger.info("worker stopped")
    return 0


async def _work(app, options: dict, locks: Locks, tick_seconds: int) -> None:
    """Procrastinate's worker, and beside it the watch for dead workers' jobs, started again
    whenever they lose the database (a restart, a failover, a cut network): the engine and its
    sources stay; the jobs it was running lost their locks with their connection and are
    taken over by the workers still connected, or by this one when it is back."""
    while True:
        try:
            async with app.open_async():
                watcher = asyncio.ensure_future(watch(app, locks, tick_seconds))
                try:
                    await app.run_worker_async(**options)
                finally:
                    watcher.cancel()
                    await asyncio.gather(watcher, return_exceptions=True)
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
