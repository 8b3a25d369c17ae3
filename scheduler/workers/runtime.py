"""What one worker process holds (its sources, engine and connection) and how it polls a bucket.

A bucket's sources are the configured ones whose URL hashes into it (the sources file is the
source of truth for those) and the series members the database lists there: a hub's poll
registers its new members in the database, whichever worker ran it, and every worker reads
the members once per tick, so each member is polled by the job of its own bucket. After a
committed poll the worker does what the daemon does: a hub's members followed, the source's
adaptive pace decided from what the database holds (scheduler/timing/pacing.py, ``recall``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from crawler.items import PollItem
from crawler.store.sources import set_next_due, sync_source_name
from crawler.store.ticks import TickState, sync_sources, tick_states
from crawler.text.terminal import safe_for_log
from scheduler.config.model import Config, SourceConfig
from scheduler.config.reading import load_config
from scheduler.notify import Notifier, config_targets
from scheduler.timing.adaptive import Pace
from scheduler.timing.pacing import Pacer
from scheduler.timing.schedule import parse_retry_after
from scheduler.timing.series import follow, members, poll_options, row_name
from scheduler.timing.ticks import DEFAULT_TICK, bucket_of, due

logger = logging.getLogger("scheduler.workers")

TICK_EDGE = 1.0  # seconds: a request is not started this close to a tick's end


def _by_bucket(sources: list[SourceConfig]) -> dict[int, list[SourceConfig]]:
    buckets: dict[int, list[SourceConfig]] = {}
    for source in sources:
        buckets.setdefault(bucket_of(source.url), []).append(source)
    return buckets


@dataclass
class Runtime:
    """What one worker process holds: its config, its engine, its database connection."""

    config_path: Path
    db: str
    tick_seconds: int = DEFAULT_TICK
    config: Config | None = None
    engine: object = None
    notifier: Notifier | None = None
    buckets: dict[int, list[SourceConfig]] = field(default_factory=dict)  # configured sources
    members: dict[str, SourceConfig] = field(default_factory=dict)  # series members, by name
    member_buckets: dict[int, list[SourceConfig]] = field(default_factory=dict)
    members_tick: int | None = None  # the tick the members were last read for
    pacer: Pacer = field(init=False)

    def __post_init__(self) -> None:
        # No memory between polls: the next poll of a source may be another worker's.
        self.pacer = Pacer(lambda: self.engine.store, recall=True)

    def load(self) -> None:
        """(Re)read the sources file and sync it into the database (start, SIGHUP)."""
        config = load_config(self.config_path)
        store = self.engine.store
        rows = [
            (s.url, "feed" if s.kind == "series" else s.kind, row_name(s)) for s in config.sources
        ]
        sync_sources(store, rows)  # a series' row is its hub: a quiet feed of links
        for source in config.sources:
            sync_source_name(store, source.url, row_name(source))
        self.config, self.buckets = config, _by_bucket(list(config.sources))
        self.members_tick = None
        self.refresh(self.now_tick())
        logger.info(
            "worker: %d sources in %d buckets, %d series members",
            len(config.sources),
            len(self.buckets),
            len(self.members),
        )

    def refresh(self, tick: int) -> None:
        """The series members as the database lists them, read once per tick (any worker's hub
        poll may have found one); the retired ones (grace over) are left out by the rules."""
        if self.members_tick == tick or self.config is None:
            return
        self.members_tick = tick  # once per tick, also when the database is away (next tick)
        configured = [s.url for s in self.config.sources]
        now = datetime.now(UTC)
        found: dict[str, SourceConfig] = {}
        try:
            for series in (s for s in self.config.sources if s.kind == "series"):
                active, retired = members(self.engine.store, series, now, configured)
                found.update((member.name, member) for member in active)
                for name in (n for n in retired if n in self.members):
                    logger.info(
                        "series %s: grace period over, no longer polling %s",
                        safe_for_log(series.name),
                        safe_for_log(name),
                    )
        except Exception as error:  # noqa: BLE001 - the members known so far are polled
            logger.warning("series members not read: %s", safe_for_log(str(error)))
            return
        self.members, self.member_buckets = found, _by_bucket(list(found.values()))
        if self.notifier is not None:
            targets = {m.name: m.notify for m in found.values() if m.notify}
            self.notifier.update_targets({**config_targets(self.config), **targets})

    def bucket_numbers(self, tick: int) -> list[int]:
        """The buckets that hold sources in ``tick``: the configured ones and the members'."""
        self.refresh(tick)
        return sorted(self.buckets.keys() | self.member_buckets.keys())

    def now_tick(self) -> int:
        return int(time.time()) // self.tick_seconds

    async def _request_tick(self, tick: int) -> int:
        """The tick a poll counts for: the one its request starts in. A request due in a
        tick's last second (a late job) waits for the next tick and counts for it, so it never
        straddles the end: the next tick's job finds the source done, and the server never
        sees two requests of one source in one tick."""
        left = (self.now_tick() + 1) * self.tick_seconds - time.time()
        if left < TICK_EDGE:
            await asyncio.sleep(left + 0.01)
        return max(tick, self.now_tick())

    async def poll_bucket(self, bucket: int, tick: int) -> tuple[int, int]:
        """Poll the due sources of one bucket; (polls committed, polls another worker had)."""
        # A job that waited (a retried stalled job, a lock held long) polls for the tick it
        # runs in: the next tick's job then finds the sources done.
        tick = max(tick, self.now_tick())
        self.refresh(tick)
        sources = self.buckets.get(bucket, []) + self.member_buckets.get(bucket, [])
        store = self.engine.store
        states = tick_states(store, [s.url for s in sources])
        todo = [s for s in sources if due(s, states.get(s.url), tick, self.tick_seconds)]
        outcomes = await asyncio.gather(*(self._poll(s, tick, states.get(s.url)) for s in todo))
        return sum(o == "committed" for o in outcomes), sum(o == "taken" for o in outcomes)

    async def _poll(self, source: SourceConfig, tick: int, state: TickState | None) -> str:
        try:
            tick = await self._request_tick(tick)
            item = await self.engine.poll_async(source.url, **poll_options(source), tick=tick)
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
        self._after(source, item, state)
        if self.notifier is not None:
            self.notifier.wake()
        return "committed"

    def _after(self, source: SourceConfig, item: PollItem, state: TickState | None) -> None:
        """What the daemon does after a committed poll: a hub's new members registered (the
        superseded ones ended), the source's pace decided and stored for ``status``."""
        store = self.engine.store
        try:
            if source.kind == "series":
                configured = [s.url for s in self.config.sources]
                found, _active, _retired = follow(store, source, configured, self.pacer)
                for url in found:
                    logger.info(
                        "series %s: following %s", safe_for_log(source.name), safe_for_log(url)
                    )
            if source.adaptive:
                self.pacer.after_poll(source, item)
            else:
                shown = Pace(state.poll_every, state.poll_reason) if state is not None else None
                self.pacer.fixed(source, shown)
        except Exception as error:  # noqa: BLE001 - advisory: the poll itself is committed
            logger.warning(
                "after the poll of %s: %s",
                safe_for_log(source.name),
                safe_for_log(f"{error.__class__.__name__}: {error}"),
            )
