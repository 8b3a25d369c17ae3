"""``scrapy crawl liveblog -a url=URL [-a site=NAME]``: poll one liveblog once."""

from __future__ import annotations

from crawler.spiders.base import PollSpider


class LiveblogSpider(PollSpider):
    name = "liveblog"
    kind = "liveblog"

    def __init__(self, url: str, site: str | None = None, source_name: str | None = None, **kw):
        super().__init__(**kw)
        self.url, self.site, self.source_name = url, site, source_name

    async def start(self):
        yield self.poll_request(
            self.url, kind=self.kind, site=self.site, source_name=self.source_name
        )
