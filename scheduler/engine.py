"""The poll engine: one Scrapy crawler kept alive for the whole process, fed one request per poll.

Twisted's reactor cannot be restarted and a fresh crawler costs about half a second of CPU, so
the daemon, the ``poll`` command and the benchmark all start this engine once and call
:meth:`PollEngine.poll` as often as they like. A poll resolves when its PollItem has been
diffed, committed and reported by the item pipelines.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import uuid
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler, CrawlerRunner
from scrapy.exceptions import DontCloseSpider
from scrapy.settings import Settings
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import defer
from twisted.python.failure import Failure

from crawler import meta
from crawler.extensions import store_of
from crawler.items import PollItem
from crawler.spiders.base import PollSpider, describe_failure
from crawler.store.db import Store

logger = logging.getLogger(__name__)

# A poll that neither finishes nor fails within its download timeout plus this margin is
# abandoned, so a wedged request can never keep a source "in flight" forever.
POLL_MARGIN_SECONDS = 60


def make_settings(db_path: str | None = None, **overrides: Any) -> Settings:
    """The project's settings (crawler/settings.py) with the database and any overrides."""
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    if db_path:
        settings.set("TICKERWATCH_DB", str(db_path), priority="cmdline")
    for name, value in overrides.items():
        settings.set(name, value, priority="cmdline")
    return settings


class _QuietStorageErrors(logging.Filter):
    """Scrapy logs a failed item with its whole repr (every entry of the page) and a traceback.
    For a database condition (disk full, read-only, locked) the engine's one line below says
    it all; other exceptions are bugs and keep Scrapy's traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not (
            isinstance(getattr(record, "item", None), PollItem) and isinstance(error, sqlite3.Error)
        )


_QUIET_STORAGE_ERRORS = _QuietStorageErrors()


class PollEngine:
    """Owns the one crawler; :meth:`poll` returns a Deferred that fires with the stored PollItem."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.runner = CrawlerRunner(settings)
        self.crawler: Crawler | None = None
        self._pending: dict[str, defer.Deferred] = {}
        self._finished: defer.Deferred | None = None
        # At most this many polls are in Scrapy at once; the others wait here (see poll_async).
        self._slots: asyncio.Semaphore | None = None
        self._waiting: set[asyncio.Task] = set()
        self._draining = False

    @property
    def spider(self) -> PollSpider:
        assert self.crawler is not None and self.crawler.spider is not None
        return self.crawler.spider  # type: ignore[return-value]

    @property
    def store(self) -> Store:
        """The crawler's database connection (crawler/extensions.py opens and closes it)."""
        assert self.crawler is not None, "engine not started"
        return store_of(self.crawler)

    async def start(self) -> None:
        crawler = self.runner.create_crawler(PollSpider)
        logging.getLogger("scrapy.core.scraper").addFilter(_QUIET_STORAGE_ERRORS)  # idempotent
        self._opened: defer.Deferred = defer.Deferred()
        # Scrapy holds signal receivers weakly: connect bound methods of this long-lived object.
        crawler.signals.connect(self._on_opened, signals.spider_opened)
        crawler.signals.connect(self._keep_open, signals.spider_idle)
        crawler.signals.connect(self._on_item, signals.item_scraped)
        crawler.signals.connect(self._on_item, signals.item_dropped)
        crawler.signals.connect(self._on_item_error, signals.item_error)
        crawler.signals.connect(self._on_spider_error, signals.spider_error)
        self.crawler = crawler
        self._finished = self.runner.crawl(crawler)
        await maybe_deferred_to_future(self._opened)

    async def stop(self) -> None:
        if self.crawler is None:
            return
        for token, pending in list(self._pending.items()):
            self._pending.pop(token, None)
            pending.errback(Failure(RuntimeError("poll abandoned: engine stopping")))
        if self.crawler.crawling:
            await self.crawler.stop_async()
        if self._finished is not None:
            await maybe_deferred_to_future(self._finished)
        self.crawler = None

    def poll(self, url: str, **options: Any) -> defer.Deferred:
        """Queue one poll of ``url``; options go to :meth:`PollSpider.poll_request`."""
        assert self.crawler is not None and self.crawler.engine is not None, "engine not started"
        token = uuid.uuid4().hex
        # Build the request first: a URL Scrapy refuses raises here, before anything is pending.
        request = self.spider.poll_request(url, token=token, **options)
        result: defer.Deferred = defer.Deferred()
        self._pending[token] = result
        timeout = request.meta.get("download_timeout") or self.settings.getfloat("DOWNLOAD_TIMEOUT")
        from twisted.internet import reactor

        call = reactor.callLater(timeout + POLL_MARGIN_SECONDS, self._expire, token, url)
        result.addBoth(lambda outcome: (call.active() and call.cancel(), outcome)[1])
        self.crawler.engine.crawl(request)
        return result

    async def poll_async(self, url: str, **options: Any) -> PollItem:
        """One poll, handed to Scrapy only when fewer than TICKERWATCH_POLLS_IN_FLIGHT are there.

        With thousands of sources due at once (a first round, a restart) every request given to
        Scrapy would sit in its queues while its poll's time runs, and the CPU spent on the
        answers already in would make the ones still downloading miss their timeouts: a timeout
        must measure the server, not our queue. Waiting here costs nothing, and a poll that is
        still waiting when the engine drains (shutdown) is dropped at once, unstarted.
        """
        if self._slots is None:
            limit = self.settings.getint("TICKERWATCH_POLLS_IN_FLIGHT") or 1
            self._slots = asyncio.Semaphore(limit)
        if self._draining:
            raise asyncio.CancelledError
        task = asyncio.current_task()
        if task is not None:
            self._waiting.add(task)
        try:
            await self._slots.acquire()
        finally:
            self._waiting.discard(task)  # type: ignore[arg-type]
        try:
            if self._draining:
                raise asyncio.CancelledError
            return await maybe_deferred_to_future(self.poll(url, **options))
        finally:
            self._slots.release()

    def drain(self) -> int:
        """Hand Scrapy no more polls: cancel those still waiting for a slot; how many there were."""
        self._draining = True
        waiting = list(self._waiting)
        for task in waiting:
            task.cancel()
        return len(waiting)

    @property
    def in_flight(self) -> int:
        return len(self._pending)

    # --- signal handlers ---------------------------------------------------------------

    def _on_opened(self, spider: Spider) -> None:
        self._opened.callback(None)

    def _keep_open(self, spider: Spider) -> None:
        raise DontCloseSpider

    def _resolve(self, token: str | None, outcome: Any) -> None:
        pending = self._pending.pop(token, None) if token else None
        if pending is not None:
            if isinstance(outcome, Failure):
                pending.errback(outcome)
            else:
                pending.callback(outcome)

    def _on_item(self, item: Any, **kwargs: Any) -> None:
        if isinstance(item, PollItem):
            self._resolve(item.token, item)

    def _on_item_error(self, item: Any, response: Any, spider: Spider, failure: Failure) -> None:
        logger.error(
            "storing the poll of %s failed: %s",
            getattr(item, "source_url", "?"),
            describe_failure(failure),
            extra={"url": getattr(item, "source_url", None), "status": "error"},
        )
        if isinstance(item, PollItem):
            self._resolve(item.token, failure)

    def _on_spider_error(self, failure: Failure, response: Any, spider: Spider) -> None:
        token = response.meta.get(meta.TOKEN) if response is not None else None
        self._resolve(token, failure)

    def _expire(self, token: str, url: str) -> None:
        self._resolve(token, Failure(TimeoutError(f"poll of {url} did not finish in time")))
