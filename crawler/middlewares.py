"""Downloader middleware: conditional GET from the stored validators of the polled source."""

from __future__ import annotations

from scrapy import Request
from scrapy.crawler import Crawler

from crawler.storage import store_for


class SourceStateMiddleware:
    """Attaches the source's stored state to its poll request and asks for a 304 when we can.

    Only requests that carry ``tw_source_url`` (polls) are touched: article fetches of the feed
    spider must not be answered with a 304 we could not use.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SourceStateMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        url = request.meta.get("tw_source_url")
        if not url or "tw_state" in request.meta:
            return None
        state = store_for(self.crawler).fetch_state(url)
        request.meta["tw_state"] = state
        if state.get("etag"):
            request.headers.setdefault(b"If-None-Match", state["etag"])
        if state.get("last_modified"):
            request.headers.setdefault(b"If-Modified-Since", state["last_modified"])
        return None
