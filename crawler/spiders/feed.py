"""``scrapy crawl feed -a url=URL``: poll one RSS, Atom or JSON feed once."""

from __future__ import annotations

from crawler.spiders.liveblog import LiveblogSpider


class FeedSpider(LiveblogSpider):
    name = "feed"
    kind = "feed"
