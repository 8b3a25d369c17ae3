"""Downloader middlewares: conditional GET from the stored source state; the network policy."""

from __future__ import annotations

import logging
from urllib.parse import urljoin

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.redirect import RedirectMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThread

from crawler.net.policy import (
    Policy,
    RefusedDestination,
    Verdict,
    check_scheme,
    decide,
)
from crawler.store.db import store_for
from crawler.text.terminal import safe_for_log

logger = logging.getLogger(__name__)


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
        meta = request.meta
        return (
            bool(meta.get("tw_source_url"))
            and not meta.get("redirect_urls")
            and not meta.get("tw_untrusted")  # a series member: its URL came from a hub
        )

    async def process_request(self, request: Request) -> None:
        meta = request.meta
        try:  # http(s) only, whoever wrote the URL: file:, data:, ftp: … are never read
            check_scheme(request.url)
        except RefusedDestination as refused:
            raise IgnoreRequest(str(refused)) from None
        if meta.get("tw_allow_private") or self.policy.allow_private:
            return None
        trusted = self._trusted(request)
        if trusted and not self.policy.strict:
            return None
        origin = meta.get("tw_origin") or meta.get("tw_source_url")
        connected = meta.get("tw_origin_ip")
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
        meta["tw_netcheck"] = verdict
        return None

    def process_response(self, request: Request, response: Response) -> Response:
        meta = request.meta
        if meta.get("tw_source_url") and not meta.get("redirect_urls") and response.ip_address:
            # The address the poll's own URL reached: what the origin exemption is about.
            # Carried to redirect hops (meta is copied) and to the feed's article links.
            meta.setdefault("tw_origin_ip", response.ip_address)
        verdict = meta.get("tw_netcheck")
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
        if response.status in (301, 308) and request.meta.get("tw_source_url"):
            if target:
                logger.warning(
                    "source %s moved permanently to %s; update the config",
                    safe_for_log(request.meta["tw_source_url"]),
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
