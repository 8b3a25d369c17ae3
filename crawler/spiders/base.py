"""The shared poll logic: one request per poll, one PollItem out, whatever happens in between."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import scrapy
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure
from w3lib.http import basic_auth_header

from crawler import meta
from crawler.extractors import extract_liveblog
from crawler.extractors.lifecycle import page_signals
from crawler.extractors.pagesafety import (
    looks_cut,
    not_a_page,
    parser_gave_up,
    too_complex,
)
from crawler.feeds.articles import extract_article
from crawler.feeds.hublinks import extract_links
from crawler.feeds.parse import looks_like_feed, parse_feed
from crawler.items import PollItem, RawPage, SourceState
from crawler.net.failures import classify_error
from crawler.spiders.embedded import incremental, liveblog_or_embed, refused_cursor
from crawler.spiders.responses import freshness_hints, header
from crawler.store.db import utcnow
from crawler.text.terminal import safe_for_log
from crawler.text.timeparse import times_of

logger = logging.getLogger(__name__)


# Every status reaches the callback (errors are polls too) except redirects, which Scrapy's
# RedirectMiddleware must see to follow them: ``handle_httpstatus_all`` would disable it.
_REDIRECTS = frozenset((301, 302, 303, 307, 308))
HANDLED_STATUSES = [s for s in range(100, 600) if s not in _REDIRECTS]


def describe_failure(failure: Failure) -> str:
    """One line a user can act on: a stable error class, the exception and its message."""
    return classify_error(failure.value)


class PollSpider(scrapy.Spider):
    """Turns a poll request into exactly one PollItem (ok, not_modified or error)."""

    name = "poll"

    async def start(self) -> AsyncIterator[scrapy.Request]:
        """The daemon's spider starts empty: the poll engine feeds it one request per poll."""
        return
        yield

    def poll_request(
        self,
        url: str,
        *,
        kind: str = "auto",
        source_name: str | None = None,
        site: str | None = None,
        token: str | None = None,
        max_articles: int | None = None,
        timeout: float | None = None,
        user_agent: str | None = None,
        auth: str | None = None,
        origin: str | None = None,
        selectors: dict[str, str] | None = None,
        archive: bool = True,
        tick: int | None = None,
        full_read: bool = False,
    ) -> scrapy.Request:
        """One poll. ``kind="hub"`` reads a series hub (a feed, or an overview page's links);
        ``origin`` marks a URL that content supplied (a hub's link), not the operator;
        ``full_read`` asks for the body and its extraction even when it has not changed (the
        kind, site or selectors it was read with last time are not the ones asked for now)."""
        request_meta = {
            meta.SOURCE_URL: url,
            meta.KIND: kind,
            meta.SOURCE_NAME: source_name,
            meta.SITE: site,
            meta.SELECTORS: selectors,
            meta.TOKEN: token,
            meta.TICK: tick,
            meta.STARTED_AT: utcnow(),
            meta.MAX_ARTICLES: max_articles,
            meta.ARCHIVE: archive,
            meta.FULL_READ: full_read,
            # Errors are polls too: the callback records 4xx/5xx instead of Scrapy dropping them.
            "handle_httpstatus_list": HANDLED_STATUSES,
        }
        if timeout:
            request_meta["download_timeout"] = timeout
        if origin:
            request_meta[meta.ORIGIN], request_meta[meta.UNTRUSTED] = origin, True
        # A per-source User-Agent (daemon config); Scrapy's middleware only sets a default.
        headers = {"User-Agent": user_agent} if user_agent else {}
        if auth:  # "user:password" from the sources file; Scrapy's RedirectMiddleware drops
            # Authorization when a redirect changes scheme, host or port.
            user, _, password = auth.partition(":")
            headers["Authorization"] = basic_auth_header(user, password)
        return scrapy.Request(
            url,
            callback=self.parse_poll,
            errback=self.poll_failed,
            dont_filter=True,
            meta=request_meta,
            headers=headers or None,
        )

    def _item(self, request_meta: dict) -> PollItem:
        # A request that failed before SourceStateMiddleware saw it has no state: nothing known.
        state = request_meta.get(meta.STATE) or SourceState()
        kind = request_meta[meta.KIND]
        return PollItem(
            source_url=request_meta[meta.SOURCE_URL],
            kind=(kind if kind != "auto" else state.kind) or "liveblog",
            source_name=request_meta.get(meta.SOURCE_NAME),
            started_at=request_meta.get(meta.STARTED_AT),
            token=request_meta.get(meta.TOKEN),
            tick=request_meta.get(meta.TICK),
            state=state,
            # Asked of a platform's incremental form: even an unchanged answer is partial.
            partial=incremental(request_meta.get(meta.EMBED)),
        )

    def poll_failed(self, failure: Failure):
        request_meta = failure.request.meta if hasattr(failure, "request") else {}
        item = self._item(request_meta)
        item.status = "error"
        item.error = describe_failure(failure)
        yield item

    async def parse_poll(self, response: Response) -> AsyncIterator[PollItem]:
        item = self._item(response.meta)
        item.http_status = response.status
        item.hints = freshness_hints(response)
        if response.status == 304:
            item.status = "not_modified"
            yield item
            return
        if "dataloss" in response.flags:
            # Only with DOWNLOAD_FAIL_ON_DATALOSS off: a partial page must never be diffed.
            item.status, item.error = "error", "incomplete response: body cut short (dataloss)"
            yield item
            return
        if not 200 <= response.status < 300:
            if await refused_cursor(self, response, item):  # a platform's incremental form
                yield item
                return
            item.status, item.error = "error", f"HTTP {response.status}"
            item.retry_after = header(response, b"Retry-After")
            yield item
            return
        item.etag = header(response, b"ETag")
        item.last_modified = header(response, b"Last-Modified")
        item.body_hash = response.meta[meta.BODY_HASH]  # by SourceStateMiddleware
        state = item.state
        if state.body_hash == item.body_hash:
            # Same bytes as last time: no parsing, no extraction, no diff.
            item.status = "not_modified"
            yield item
            return
        if not response.body.strip():
            item.status, item.error = "error", "empty body"
            yield item
            return
        content_type = header(response, b"Content-Type")
        if response.meta.get(meta.ARCHIVE, True):
            encoding = response.encoding if isinstance(response, TextResponse) else None
            item.raw = RawPage(response.body, item.body_hash, response.url, encoding, content_type)
        kind = response.meta[meta.KIND]
        if kind == "auto":
            kind = state.kind or (
                "feed" if looks_like_feed(response.body, content_type) else "liveblog"
            )
        item.kind = kind
        try:
            with times_of(item.source_url):  # names the source if a time cannot be read
                if kind == "hub":
                    self._parse_hub(response, item, content_type)
                elif kind == "feed":
                    await self._parse_feed(response, item, content_type)
                else:  # the page, or the platform liveblog it embeds
                    await liveblog_or_embed(self, response, item, self._parse_liveblog)
        except Exception as error:  # an extractor bug must cost one poll, never the daemon
            logger.exception("extraction failed for %s", item.source_url)
            item.status, item.error = (
                "error",
                f"extraction failed: {error.__class__.__name__}: {error}",
            )
            item.entries = []
        yield item

    def _parse_hub(self, response: Response, item: PollItem, content_type: str | None) -> None:
        """A series hub is stored as a feed of links, quietly: its items are not news to report."""
        item.kind, item.quiet = "feed", True
        if looks_like_feed(response.body, content_type):
            result = parse_feed(response.body, response.url, content_type)
            item.strategy, item.entries, item.error = "hub-feed", result.entries, result.error
            item.status = "error" if result.error else item.status
        elif isinstance(response, TextResponse):
            item.strategy, item.entries = "hub-links", extract_links(response.text, response.url)
        else:
            item.status, item.error = "error", "hub is neither a feed nor an HTML page"

    def _parse_liveblog(self, response: Response, item: PollItem) -> None:
        ctype = header(response, b"Content-Type")
        problem = not_a_page(ctype, response.body)
        if problem or not isinstance(response, TextResponse):
            item.status, item.error = "error", problem or f"not an HTML page ({ctype or 'unknown'})"
            return
        problem = looks_cut(response.body)
        if problem:  # suspicious: nothing is compared, so no entry is revised from half a page
            item.status, item.error = "suspicious", problem
            return
        # Declared UTF-8 (nearly every news site) is parsed from the bytes: no decode+encode.
        utf8 = response.encoding == "utf-8"
        html = response.body if utf8 else response.text
        problem = too_complex(html)
        if problem:
            item.status, item.error = "error", f"extraction failed: {problem}"
            return
        extraction = extract_liveblog(
            html,
            response.url,
            site=response.meta.get(meta.SITE),
            selectors=response.meta.get(meta.SELECTORS),
            known=item.state.raw_hashes,
            encoding="utf-8" if utf8 else None,
        )
        item.strategy = extraction.strategy
        item.entries = extraction.entries
        item.dom_count, item.structured_count = extraction.dom_count, extraction.structured_count
        item.site = response.meta.get(meta.SITE)
        item.signals = page_signals(response.body)
        if not extraction.entries:
            problem = parser_gave_up(response.text)
            if problem:  # a truncated tree is a failed extraction, not an empty page
                item.status, item.error = "error", f"extraction failed: {problem}"
                return
            item.error = extraction.reason or "no entries found"

    async def _parse_feed(
        self, response: Response, item: PollItem, content_type: str | None
    ) -> None:
        result = parse_feed(response.body, response.url, content_type, item.state.raw_hashes)
        if result.error:
            item.status, item.error = "error", result.error
            return
        item.strategy = "feed"
        item.entries = result.entries
        limit = response.meta.get(meta.MAX_ARTICLES)
        if limit is None:
            limit = self.settings.getint("TICKERWATCH_MAX_ARTICLES")
        candidates = [e for e in item.entries if e.article_url]
        if not candidates or limit <= 0:
            return
        connected = response.meta.get(meta.ORIGIN_IP)
        for entry in [e for e in candidates if not item.state.knows(e.key)][:limit]:
            await self._fetch_article(entry, item.source_url, connected)

    async def _fetch_article(self, entry, origin: str | None = None, connected=None) -> None:
        """Full text for a new feed item; a failure keeps the feed's own summary.

        The link comes from the feed, not the operator: ``meta.ORIGIN`` lets the network policy
        judge it against the source it came from and ``meta.ORIGIN_IP`` against the address that
        source's poll actually reached (crawler/net/policy.py).
        """
        article_meta = {meta.ORIGIN: origin, meta.ORIGIN_IP: connected}
        request = scrapy.Request(entry.article_url, dont_filter=True, meta=article_meta)
        try:
            response = await self.crawler.engine.download_async(request)
        except Exception as error:
            logger.info(
                "article fetch failed for %s: %s",
                safe_for_log(entry.article_url),
                safe_for_log(str(error)),
            )
            return
        if response.status != 200 or "dataloss" in response.flags:
            return
        article = extract_article(response.body, response.url)
        if article and article.text and len(article.text) > len(entry.body or ""):
            entry.body = article.text
            entry.author = entry.author or article.author or ""
            entry.published_at = entry.published_at or article.published_at
