"""The monitor daemon: APScheduler decides when each source is due, one long-lived crawler polls.

Job model: every source is a one-shot APScheduler ``date`` job, re-armed by the poll itself when
it has committed. The next run time is then computed from what the poll saw (error streak,
Retry-After) and jitter, and a source can never overlap itself: there is no next job while a
poll is in flight. The plan is written to ``sources.next_due_at`` so a restart, or ``status``
in another process, knows when each source is due.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from crawler.store.db import Store
from crawler.store.queries import schedule_state
from crawler.store.sources import set_next_due, sync_source_name, unschedule_others
from crawler.text.terminal import safe_for_log
from scheduler.config.model import Config, SourceConfig
from scheduler.daemon.degraded import SourceHealth
from scheduler.daemon.reload import WATCH_EVERY, ConfigReload, file_signature
from scheduler.daemon.retention import schedule_pruning
from scheduler.daemon.series import SeriesFollowing
from scheduler.engine import PollEngine, make_settings
from scheduler.notify import Notifier, config_targets
from scheduler.render.atom import rewrite_feed
from scheduler.timing.clock import keep_pace, wall_offset
from scheduler.timing.pacing import Pacer
from scheduler.timing.schedule import first_due, next_delay, parse_retry_after, parse_time
from scheduler.timing.series import poll_options, row_name

logger = logging.getLogger("scheduler.daemon")  # the package's name, as it always logged

SHUTDOWN_GRACE = 10.0  # seconds from SIGTERM to exit, in-flight polls included
CRAWLER_STOP = 2.0  # of which this much is kept for closing the crawler and the database
POLL_GRACE = SHUTDOWN_GRACE - CRAWLER_STOP - 0.5  # and half a second for the process to exit
JOB_DEFAULTS = {
    # APScheduler 3 drops a run that starts over a second late (busy loop, suspended laptop):
    # None means "run it however late", coalesce folds a backlog into one run.
    "misfire_grace_time": None,
    "coalesce": True,
    "max_instances": 1,
}


class Daemon(ConfigReload, SeriesFollowing):
    """Polls the configured sources until :meth:`request_stop`; reloads on SIGHUP or file change."""

    def __init__(
        self,
        config: Config,
        db_path: str | Path,
        *,
        watch: bool = True,
        on_reload: Callable[[Config], None] | None = None,
        notifier: Notifier | None = None,
    ) -> None:
        self.config = config
        self.db_path = Path(db_path)
        self.watch = watch
        self.on_reload = on_reload
        self.notifier = notifier or Notifier(self.db_path, config_targets(config))
        self.engine = PollEngine(
            make_settings(str(self.db_path), TICKERWATCH_BASELINE_SUMMARY=True)
        )
        self.scheduler: AsyncIOScheduler | None = None
        self.streaks: dict[str, int] = {}
        self.health = SourceHealth(self.streaks)  # one degraded warning per outage
        self.members: dict[str, SourceConfig] = {}  # liveblogs found by series hubs
        self.pacer = Pacer(lambda: self.store)  # sources without a fixed ``every``
        self.running: dict[str, asyncio.Task] = {}
        self.reread: set[str] = set()  # sources whose kind, site or selectors changed
        self.planned_on: dict[str, float] = {}  # job id -> wall_offset() when armed (clock.py)
        self._stopping: asyncio.Event | None = None
        self._urgent = False
        self._signature = file_signature(config.path)

    @property
    def store(self) -> Store:
        return self.engine.store

    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, self.request_stop, signum)
        loop.add_signal_handler(signal.SIGHUP, self.reload, "SIGHUP")
        await self.engine.start()
        self.scheduler = AsyncIOScheduler(event_loop=loop, job_defaults=JOB_DEFAULTS, timezone=UTC)
        self.scheduler.start()
        schedule_pruning(self.scheduler, lambda: self.store, lambda: self.config.archive_days)
        unschedule_others(self.store, [s.url for s in self.config.sources])
        for source in self.config.sources:
            self._place(source)
            if source.kind == "series":
                self._sync_series(source)
        self.notifier.start()
        self.health.install()
        watcher = asyncio.ensure_future(self._watch()) if self.watch else None
        clock = asyncio.ensure_future(
            keep_pace(lambda: self.scheduler, WATCH_EVERY, self.planned_on)
        )
        logger.info(
            "daemon started: %d sources, database %s, config %s",
            len(self.config.sources),
            self.db_path,
            self.config.path,
        )
        try:
            await self._stopping.wait()
        finally:
            if watcher is not None:
                watcher.cancel()
            clock.cancel()
            await self._shutdown()
            self.health.flush()
            self.health.uninstall()
            for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                loop.remove_signal_handler(signum)
        return 0

    def request_stop(self, signum: int | None = None) -> None:
        """First signal: drain politely; a second one: abandon in-flight polls at once."""
        if self._stopping is None:
            return
        if self._stopping.is_set():
            self._urgent = True
            for task in list(self.running.values()):
                task.cancel()
            return
        name = signal.Signals(signum).name if signum else "stop"
        logger.info("%s: stopping (in-flight polls get %.1fs)", name, POLL_GRACE)
        self._stopping.set()

    async def _shutdown(self) -> None:
        # Pause first: shutting APScheduler's asyncio executor down would cancel running polls.
        if self.scheduler is not None:
            self.scheduler.pause()
        dropped = self.engine.drain()  # polls not yet handed to Scrapy: dropped, not waited for
        if dropped:
            logger.info(
                "%d queued polls dropped (their sources poll when due after a restart)", dropped
            )
        tasks = [t for t in self.running.values() if not t.done()]
        if tasks and not self._urgent:
            _done, pending = await asyncio.wait(tasks, timeout=POLL_GRACE)
            if pending:
                logger.warning("abandoning %d in-flight polls", len(pending))
        for task in self.running.values():
            task.cancel()
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
        try:  # the crawler closes the database when its spider closes (crawler/extensions.py)
            await asyncio.wait_for(self.engine.stop(), timeout=CRAWLER_STOP)
        except TimeoutError:
            logger.warning("crawler did not stop in time; the database is left to SQLite")
        self.notifier.stop()
        logger.info("stopped; database %s closed", self.db_path)

    # --- scheduling --------------------------------------------------------------------

    def _place(self, source: SourceConfig, *, keep_sooner: bool = False) -> None:
        """Schedule a source from what the database knows (restart, reload or new source)."""
        sync_source_name(self.store, source.url, row_name(source))
        state = schedule_state(self.store, source.url) or {}
        now = datetime.now(UTC)
        streak = int(state.get("error_streak") or 0)
        self.streaks[source.name] = streak
        interval = self.pacer.place(source) if source.adaptive else source.every
        if interval is None:  # ended, grace over: not polled any more
            self._unschedule(source.name)
            set_next_due(self.store, source.url, None)
            return
        due = first_due(
            now,
            interval,
            last_finished=parse_time(state.get("last_poll")),
            stored_due=parse_time(state.get("next_due_at")),
            error_streak=streak,
            honour_stored=state.get("last_http") in (429, 503),
            sources=len(self.config.sources) + len(self.members),
        )
        job = self.scheduler.get_job(source.name) if self.scheduler else None
        if keep_sooner and job is not None and job.next_run_time is not None:
            due = min(due, job.next_run_time)
        self._arm(source, due)

    def _arm(self, source: SourceConfig, due: datetime) -> None:
        if self.scheduler is None or (self._stopping and self._stopping.is_set()):
            return
        self.scheduler.add_job(
            self._poll,
            "date",
            run_date=due,
            args=[source.name],
            id=source.name,
            name=source.name,
            replace_existing=True,
        )
        self.planned_on[source.name] = wall_offset()  # the clock this plan was made on
        try:
            set_next_due(self.store, source.url, due.isoformat(timespec="seconds"))
        except sqlite3.Error as error:  # advisory (status, restarts): the job above is the plan
            logger.debug("next due time of %s not stored: %s", source.name, error)

    def _source(self, name: str) -> SourceConfig | None:
        return self.config.source(name) or self.members.get(name)

    async def _poll(self, name: str) -> None:
        source = self._source(name)
        if source is None or name in self.running:
            return
        self.running[name] = asyncio.current_task()
        retry_after, problem, item = None, None, None
        try:
            series = source.kind == "series"
            item = await self.engine.poll_async(
                source.url, **poll_options(source), full_read=name in self.reread
            )
            if item.status != "error":
                self.reread.discard(name)
            if series:
                self._sync_series(source)
            failed = item.status == "error"
            problem = item.error
            if item.http_status in (429, 503):
                retry_after = parse_retry_after(item.retry_after)
            if item.developments:
                self.notifier.wake()
                if self.config.feeds_dir and not series:
                    rewrite_feed(self.store, Path(self.config.feeds_dir), source.name)
        except asyncio.CancelledError:
            return
        except Exception as error:  # e.g. storing failed (disk full, read-only): rolled back
            failed, problem = True, f"{error.__class__.__name__}: {error}"
            # A storage error was already logged by the engine as "storing the poll … failed".
            logger.log(
                logging.INFO if isinstance(error, sqlite3.Error) else logging.WARNING,
                "poll of %s failed: %s",
                safe_for_log(name),
                safe_for_log(problem),
                extra={"source": name, "status": "error"},
            )
        finally:
            self.running.pop(name, None)
        self.streaks[name] = self.streaks.get(name, 0) + 1 if failed else 0
        current = self._source(name)  # a reload may have changed or removed it meanwhile
        if current is not None:
            interval = current.every
            if current.adaptive:
                paced = self.pacer.after_poll(current, item)
                if paced is None:  # ended, and its grace period is over
                    self._unschedule(name)
                    set_next_due(self.store, current.url, None)
                    return
                interval = paced.interval
            else:
                self.pacer.fixed(current)
            delay = next_delay(interval, self.streaks[name], retry_after)
            self._arm(current, datetime.now(UTC) + timedelta(seconds=delay))
            self.health.after_poll(name, current.url, self.streaks[name], problem, delay)

    def _unschedule(self, name: str) -> None:
        if self.scheduler and self.scheduler.get_job(name):
            self.scheduler.remove_job(name)

    def _targets(self) -> dict[str, tuple[str, ...]]:
        return {
            **config_targets(self.config),
            **{m.name: m.notify for m in self.members.values() if m.notify},
        }
