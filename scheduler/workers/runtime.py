"""What one worker process holds (its sources, engine and connection) and how it polls a bucket."""

from __future__ import annotations

import asyncio
import logging
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

logger = logging.getLogger("scheduler.workers")


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
