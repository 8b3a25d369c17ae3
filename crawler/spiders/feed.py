"""``scrapy crawl feed -a url=URL``: poll one RSS, Atom or JSON feed once."""

from __future__ import annotations

from crawler.spiders.oneurl import OneUrlSpider


class FeedSpider(OneUrlSpider):
    name = "feed"
    kind = "feed"
