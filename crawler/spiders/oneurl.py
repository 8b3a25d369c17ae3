"""``scrapy crawl`` of one URL, one poll: the base of the ``liveblog`` and ``feed`` spiders."""

from __future__ import annotations

from collections.abc import AsyncIterator

import scrapy

from crawler.spiders.base import PollSpider


class OneUrlSpider(PollSpider):
    """Polls ``-a url=URL`` once; the liveblog and feed spiders differ only in ``kind``."""

    name = ""  # not a spider of its own: Scrapy lists only named ones
    kind = "auto"

    def __init__(self, url: str, site: str | None = None, source_name: str | None = None, **kw):
        super().__init__(**kw)
        self.url, self.site, self.source_name = url, site, source_name

    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield self.poll_request(
            self.url, kind=self.kind, site=self.site, source_name=self.source_name
        )
