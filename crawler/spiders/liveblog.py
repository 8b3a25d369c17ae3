"""``scrapy crawl liveblog -a url=URL [-a site=NAME]``: poll one liveblog once."""

from __future__ import annotations

from crawler.spiders.oneurl import OneUrlSpider


class LiveblogSpider(OneUrlSpider):
    name = "liveblog"
    kind = "liveblog"
