"""The Store as a crawler component: opened in ``from_crawler``, closed on ``spider_closed``."""

from __future__ import annotations

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from crawler.store.db import Store, default_db_path


class StoreExtension:
    """Owns the crawler's one database connection; every other component borrows it.

    The downloader middleware reads a source's state with it, the store pipeline writes the
    poll, and the daemon (scheduler/daemon/service.py) keeps its source bookkeeping on it. Closing it
    here, once, on ``spider_closed`` means after the last item has passed the pipelines.
    """

    def __init__(self, store: Store) -> None:
        self.store = store

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StoreExtension:
        if not crawler.settings.getbool("TICKERWATCH_STORE_ENABLED", True):
            raise NotConfigured("TICKERWATCH_STORE_ENABLED is off")
        extension = cls(Store(crawler.settings.get("TICKERWATCH_DB") or default_db_path()))
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_closed(self) -> None:
        self.store.close()


def store_of(crawler: Crawler) -> Store:
    """The Store that the crawler's StoreExtension opened.

    Raises NotConfigured when the extension is off, which switches off the component asking
    in its ``from_crawler`` (Scrapy's convention) and so every user of the database with it.
    """
    extension = crawler.get_extension(StoreExtension)
    if extension is None:
        raise NotConfigured("crawler.extensions.StoreExtension is not enabled")
    return extension.store
