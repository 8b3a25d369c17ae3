"""Downloader middlewares: conditional GET from the stored source state; the network policy."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime
from urllib.parse import urljoin

import xxhash
from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.redirect import RedirectMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThread

from crawler import meta
from crawler.extensions import store_of
from crawler.extractors.platforms import get_platform
from crawler.extractors.platforms.hosts import checked_url
from crawler.items import SourceState
from crawler.net.policy import (
    Policy,
    RefusedDestination,
    Verdict,
    check_scheme,
    decide,
)
from crawler.store.db import Store
from crawler.text.terminal import safe_for_log

logger = logging.getLogger(__name__)

# A feed's stored items that its poll compares with: the newest, many times a feed's length
# (a feed's history grows without end; an item beyond them is only cleaned once more).
FEED_HASHES = 2_000


class SourceStateMiddleware:
    """Reads the source's stored state for its poll, once, and asks for a 304 when it can.

    Only poll requests (``meta.SOURCE_URL``) are touched: the feed spider's article fetches must
    not be answered with a 304 it could not use. Before the download the source row is read
    (validators, last body hash); after a 2xx response the body is hashed, and only when it
    differs from the stored one are the entries' raw hashes read: an unchanged page costs no
    more than one row. See :class:`crawler.items.SourceState` for why there is one snapshot.
    """

    def __init__(self, store: Store) -> None:
        self.store = store

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SourceStateMiddleware:
        return cls(store_of(crawler))

    def process_request(self, request: Request) -> None:
        url = request.meta.get(meta.SOURCE_URL)
        if not url or meta.STATE in request.meta:
            return None
        state = self.store.source_state(url)
        if request.meta.get(meta.FULL_READ):  # no 304, no "same body": read it the new way
            state = replace(state, etag=None, last_modified=None, body_hash=None)
        request.meta[meta.STATE] = state
        if state.etag:
            request.headers.setdefault(b"If-None-Match", state.etag)
        if state.last_modified:
            request.headers.setdefault(b"If-Modified-Since", state.last_modified)
        return None

    def process_response(self, request: Request, response: Response) -> Response:
        state: SourceState | None = request.meta.get(meta.STATE)
        if state is None or not request.meta.get(meta.SOURCE_URL):
            return response
        if not 200 <= response.status < 300:
            return response
        # Not a security boundary, a change detector: xxh3 costs 1/30 of SHA-256 on 1 MB.
        body_hash = request.meta[meta.BODY_HASH] = xxhash.xxh3_128_hexdigest(response.body)
        if state.source_id is not None and body_hash != state.body_hash:
            kind = request.meta.get(meta.KIND)
            feed = (state.kind if kind in (None, "auto") else kind) == "feed"
            hashes = self.store.raw_hashes(
                request.meta[meta.SOURCE_URL], FEED_HASHES if feed else -1
            )
            request.meta[meta.STATE] = state.with_raw_hashes(hashes)
        return response


class NetPolicyMiddleware:
    """The SSRF guard (:mod:`crawler.net.policy`) at the downloader: before and after each fetch.

    Before: a content-supplied destination (redirect hop, article link, meta refresh) is
    resolved in a thread and refused unless every address is public. After: the address the
    socket actually connected to (``response.ip_address``) is checked again, so a DNS answer
    that changed in between (rebinding) cannot smuggle an internal response into extraction;
    the request has reached that address by then, but its body is discarded. Registered close
    to the downloader so its ``process_response`` runs before decompression and redirects.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.policy = Policy.from_settings(crawler.settings)
        self.dns_timeout = crawler.settings.getfloat("DNS_TIMEOUT") or 15.0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> NetPolicyMiddleware:
        return cls(crawler)

    def _trusted(self, request: Request) -> bool:
        """The operator wrote this URL: a poll's first request, before any redirect."""
        request_meta = request.meta
        return (
            bool(request_meta.get(meta.SOURCE_URL))
            and not request_meta.get("redirect_urls")
            and not request_meta.get(meta.UNTRUSTED)  # a series member: its URL came from a hub
        )

    async def process_request(self, request: Request) -> None:
        request_meta = request.meta
        try:  # http(s) only, whoever wrote the URL: file:, data:, ftp: … are never read
            check_scheme(request.url)
        except RefusedDestination as refused:
            raise IgnoreRequest(str(refused)) from None
        if request_meta.get(meta.ALLOW_PRIVATE) or self.policy.allow_private:
            return None
        trusted = self._trusted(request)
        if trusted and not self.policy.strict:
            return None
        origin = request_meta.get(meta.ORIGIN) or request_meta.get(meta.SOURCE_URL)
        connected = request_meta.get(meta.ORIGIN_IP)
        deferred = deferToThread(decide, request.url, origin, connected, self.policy, trusted)
        from twisted.internet import reactor

        deferred.addTimeout(self.dns_timeout, reactor)
        try:
            verdict = await maybe_deferred_to_future(deferred)
        except RefusedDestination as refused:
            logger.warning("%s", safe_for_log(str(refused)))
            raise IgnoreRequest(str(refused)) from None
        except Exception as error:  # DNS trouble: the download reports it in its own words
            logger.debug("pre-resolution of %s failed: %s", request.url, error)
            verdict = Verdict()
        request_meta[meta.NETCHECK] = verdict
        return None

    def process_response(self, request: Request, response: Response) -> Response:
        request_meta = request.meta
        if (
            request_meta.get(meta.SOURCE_URL)
            and not request_meta.get("redirect_urls")
            and response.ip_address
        ):
            # The address the poll's own URL reached: what the origin exemption is about.
            # Carried to redirect hops (meta is copied) and to the feed's article links.
            request_meta.setdefault(meta.ORIGIN_IP, response.ip_address)
        verdict = request_meta.get(meta.NETCHECK)
        if verdict and response.ip_address is not None:
            if not isinstance(verdict, Verdict):
                verdict = Verdict()
            reason = verdict.peer_reason(response.ip_address, self.policy)
            if reason:
                message = f"refused: connected to {reason} for {request.url[:200]} (SSRF guard)"
                logger.warning("%s", safe_for_log(message))
                raise IgnoreRequest(message)
        target = response.headers.get(b"Location")
        if 300 <= response.status < 400 and target:
            try:  # Scrapy would hand a file:/ftp: redirect back as a bare 3xx: say why instead
                check_scheme(urljoin(request.url, target.decode("latin-1")))
            except RefusedDestination as refused:
                raise IgnoreRequest(f"{refused} (redirect)") from None
        if response.status in (301, 308) and request.meta.get(meta.SOURCE_URL):
            if target:
                logger.warning(
                    "source %s moved permanently to %s; update the config",
                    safe_for_log(request.meta[meta.SOURCE_URL]),
                    safe_for_log(urljoin(request.url, target.decode("latin-1"))),
                )
        return response


class RedirectWithoutReferer(RedirectMiddleware):
    """Scrapy's redirects, minus the Referer: a poll never sends one (RefererMiddleware is off).

    Scrapy warns on every start when RefererMiddleware is missing; this subclass is the
    replacement its warning asks for, and says so by leaving the check out.
    """

    def handle_referer(self, request: Request, response: Response) -> None:
        request.headers.pop("Referer", None)

    def _engine_started(self) -> None:
        self._referer_spider_middleware = None


class EmbedMiddleware:
    """A source whose page embeds a platform liveblog polls the platform's endpoint directly.

    The endpoint and the time the page was last read are stored per source (sources.embed_*,
    attached by SourceStateMiddleware). While the page read is recent, the poll request is
    replaced by one for the endpoint: a content-derived URL, so the network policy judges it
    (``meta.UNTRUSTED``), its host is checked against the platform again (hosts.py), and it may
    not redirect. Every ``TICKERWATCH_EMBED_RECHECK`` seconds (default 3600) the page itself is
    read instead, to follow an embed that changed; ``--site`` naming another extractor turns
    this off. The spider reads a replaced request's ``meta.EMBED``.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.recheck = crawler.settings.getfloat("TICKERWATCH_EMBED_RECHECK", 3600.0)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> EmbedMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> Request | None:
        info = request.meta
        state: SourceState | None = info.get(meta.STATE)
        embed = state.embed if state is not None else None
        if embed is None or meta.EMBED in info or not info.get(meta.SOURCE_URL):
            return None
        if info.get(meta.KIND) not in ("auto", "liveblog") or info.get(meta.SELECTORS):
            return None
        if info.get(meta.SITE) not in (None, embed.platform):
            return None
        if self._page_due(embed.checked_at):
            # The stored validators are the endpoint's: a page answered 304 would be misread.
            request.headers.pop(b"If-None-Match", None)
            request.headers.pop(b"If-Modified-Since", None)
            return None
        try:
            url = checked_url(get_platform(embed.platform), embed.endpoint, info[meta.SOURCE_URL])
        except ValueError as error:  # a stored endpoint that is no longer acceptable
            logger.warning("%s; reading the page instead", safe_for_log(str(error)))
            return None
        info.update({meta.EMBED: embed, meta.UNTRUSTED: True, "dont_redirect": True})
        return request.replace(url=url)

    def _page_due(self, checked_at: str | None) -> bool:
        try:
            then = datetime.fromisoformat(checked_at or "")
        except ValueError:
            return True
        age = (datetime.now(UTC) - then).total_seconds()
        return age >= self.recheck or age < -60  # a stamp from the future: the clock moved
