"""The spider's hook for liveblogs embedded from a platform (crawler/extractors/platforms).

:func:`liveblog_or_embed` decides when to look (see there); two cases reach
:func:`poll_embedded`:

- the response *is* the platform's payload (EmbedMiddleware replaced the poll request with the
  stored endpoint): parse it. A stored endpoint in the platform's incremental form (its cursor
  inside, see base.Platform.cursor) answers with changes only: the poll is ``partial`` (the
  diff counts nothing absent as missing); a refused cursor (an HTTP error, a payload of the
  wrong shape) is answered by a full read in the same poll;
- the response is the page: if it embeds a platform liveblog, fetch the platform's endpoint in
  the same poll, parse it, and record the embed for the next polls (``item.embed``).

A problem with the embed (two embeds, a forced platform that is absent, a refused host) or
with the payload (not JSON, not the platform's shape, an HTTP error) fails the poll with one
specific sentence; a failed poll changes no stored entry.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace

import scrapy
from scrapy.http import Response, TextResponse

from crawler import meta
from crawler.extractors.page import Page
from crawler.extractors.platforms import (
    PLATFORM_NAMES,
    EmbedError,
    EmbedRef,
    PayloadError,
    endpoint_url,
    find_embed,
    get_platform,
    has_marker,
    read_payload,
)
from crawler.extractors.platforms.hosts import checked_url
from crawler.items import EmbeddedSource, PollItem
from crawler.spiders.responses import header
from crawler.store.db import utcnow

logger = logging.getLogger(__name__)


async def liveblog_or_embed(
    spider: scrapy.Spider,
    response: Response,
    item: PollItem,
    parse_page: Callable[[Response, PollItem], None],
) -> None:
    """A liveblog poll: the platform's payload, the page itself, or the page's embed.

    Looking for an embed costs a scan of the page per platform marker (7 scans cost about
    three quarters of a parse), so an ordinary liveblog never pays for it: the page's own
    extraction runs first, and only a page that yields no entries is searched for an embed.
    A source that embedded a platform last time, or a forced platform (``--site``), is
    searched first, so a page whose markup now also looks live cannot take over.
    """
    eager = item.state.embed is not None or response.meta.get(meta.SITE) in PLATFORM_NAMES
    if meta.EMBED in response.meta or eager:
        if await poll_embedded(spider, response, item):
            return
        parse_page(response, item)
        return
    parse_page(response, item)
    if item.entries or item.status != "ok":  # entries, or a failed or cut-off page
        return
    before = (item.strategy, item.error, item.dom_count, item.structured_count)
    item.strategy, item.error, item.dom_count, item.structured_count = None, None, 0, 0
    if not await poll_embedded(spider, response, item):
        item.strategy, item.error, item.dom_count, item.structured_count = before


async def poll_embedded(spider: scrapy.Spider, response: Response, item: PollItem) -> bool:
    """True when this poll was an embedded platform's (done, ok or error); False: the page is
    an ordinary page for the usual extraction."""
    info = response.meta
    embed: EmbeddedSource | None = info.get(meta.EMBED)
    if embed is not None:
        # The archive keeps pages for re-extraction (tickerwatch reextract), which reads markup:
        # neither a platform's payload nor a page whose entries live elsewhere is kept.
        item.raw = None
        await _read_stored(spider, response, item, embed, info[meta.SOURCE_URL])
        return True
    # The page itself: from here on the stored embed follows what it says (when there is one
    # to replace or clear; a page that never embedded anything costs no write).
    item.page_read = item.state.embed is not None
    site = info.get(meta.SITE)
    if info.get(meta.SELECTORS) or (site and site not in PLATFORM_NAMES):
        return False
    if not isinstance(response, TextResponse) or not (site or has_marker(response.body)):
        return False
    item.page_read = True
    try:
        found = embed_of(response, site)
    except EmbedError as error:
        item.status, item.error = "error", str(error)
        return True
    if found is None:
        return False
    ref, endpoint, url = found
    item.raw = None  # see above: re-extracting this page would not find the platform's entries
    request = endpoint_request(url, response)
    try:
        payload = await spider.crawler.engine.download_async(request)
    except Exception as error:  # refused by the network policy, DNS, timeout
        item.status, item.error = "error", f"{ref.label}: {endpoint}: {error}"
        return True
    embed = EmbeddedSource(ref.platform, ref.id, endpoint, utcnow())
    logger.debug("%s embeds %s -> %s", item.source_url, ref.label, endpoint)
    cursor = _read_payload(payload, item, embed, info[meta.SOURCE_URL])
    if item.status != "error":
        # A full read that names a cursor: the next polls ask the incremental form from it.
        item.embed = _advanced(embed, cursor)
        _refresh_validators(item, payload)
    return True


def embed_of(response: TextResponse, site: str | None) -> tuple[EmbedRef, str, str] | None:
    """The page's embed: (reference, endpoint as stored, URL to fetch), or None; EmbedError
    for two embeds, a forced platform that is absent or a refused endpoint."""
    ref = find_embed(Page(response.body, response.url, encoding=response.encoding), site)
    if ref is None:
        return None
    source = response.meta.get(meta.SOURCE_URL) or response.url
    return (ref, *endpoint_url(ref, source))


def endpoint_request(url: str, page: Response) -> scrapy.Request:
    """The request for a platform endpoint found in ``page``: content-supplied (the network
    policy judges it against the page), no redirects, the page's timeout and User-Agent."""
    info = page.meta
    out = {
        meta.ORIGIN: info.get(meta.SOURCE_URL) or page.url,
        meta.UNTRUSTED: True,
        "dont_redirect": True,
        "handle_httpstatus_list": info.get("handle_httpstatus_list"),
    }
    for key in ("download_timeout", meta.ORIGIN_IP):  # ORIGIN_IP: where the page came from
        if info.get(key) is not None:
            out[key] = info[key]
    request = scrapy.Request(url, dont_filter=True, meta=out)
    if page.request is not None and page.request.headers.get(b"User-Agent"):
        request.headers[b"User-Agent"] = page.request.headers[b"User-Agent"]
    return request


async def _read_stored(
    spider: scrapy.Spider, response: Response, item: PollItem, embed: EmbeddedSource, page: str
) -> None:
    """The answer of the stored endpoint; a refused incremental one falls back to a full read."""
    partial = incremental(embed)
    cursor = _read_payload(response, item, embed, page, partial=partial)
    if partial and item.status == "error":
        embed, cursor = await _full_read(spider, response, item, embed, page)
    stored = item.state.embed
    moved = _advanced(embed, cursor)
    if item.status == "ok" and (stored is None or moved.endpoint != stored.endpoint):
        item.embed = moved  # the cursor moved on: stored with this poll (recording.py)


async def refused_cursor(spider: scrapy.Spider, response: Response, item: PollItem) -> bool:
    """For an HTTP error (a non-2xx answer): True when a stored incremental endpoint was
    refused as a request (a 4xx: an expired or unknown cursor); the poll is then a full read
    of the platform (done here, ``item`` filled). False: an ordinary failed poll, also for
    429, 408 and 5xx, which say "later", not "ask otherwise" (a bigger request would not help)."""
    embed: EmbeddedSource | None = response.meta.get(meta.EMBED)
    refused = 400 <= response.status < 500 and response.status not in (408, 429)
    if embed is None or not refused or not incremental(embed):
        return False
    item.kind, item.raw = "liveblog", None
    item.status, item.error = (
        "error",
        f"{embed.platform} liveblog {embed.ref}: HTTP {response.status}",
    )
    embed, cursor = await _full_read(spider, response, item, embed, response.meta[meta.SOURCE_URL])
    if item.status == "ok":
        item.embed = _advanced(embed, cursor)
    return True


def incremental(embed: EmbeddedSource | None) -> bool:
    """Whether a poll of ``embed``'s stored endpoint asks the platform's incremental form (its
    answer, even an unchanged one, is a partial window: see crawler/diff/entries.py)."""
    return (
        embed is not None
        and get_platform(embed.platform).full_endpoint(embed.endpoint) != embed.endpoint
    )


async def _full_read(
    spider: scrapy.Spider, response: Response, item: PollItem, embed: EmbeddedSource, page: str
) -> tuple[EmbeddedSource, str | None]:
    """The platform's full form, fetched in this poll after its incremental form failed
    (``item.error`` says how): the embed with the full endpoint, and the cursor read."""
    logger.info("%s: %s; reading the full form", item.source_url, item.error)
    platform = get_platform(embed.platform)
    embed = replace(embed, endpoint=platform.full_endpoint(embed.endpoint))
    item.status, item.error, item.entries = "ok", None, []
    try:
        request = endpoint_request(checked_url(platform, embed.endpoint, page), response)
        answer = await spider.crawler.engine.download_async(request)
    except Exception as error:  # a refused host, the network policy, DNS, timeout
        where = f"{embed.platform} liveblog {embed.ref}"
        item.status, item.error = "error", f"{where}: {embed.endpoint}: {error}"
        return embed, None
    item.http_status = answer.status
    cursor = _read_payload(answer, item, embed, page)  # asked without validators: no 304
    _refresh_validators(item, answer)
    return embed, cursor


def _advanced(embed: EmbeddedSource, cursor: str | None) -> EmbeddedSource:
    """``embed`` whose endpoint asks the platform's incremental form from ``cursor``; unchanged
    when the answer named no cursor (the same form is asked again)."""
    if not cursor:
        return embed
    return replace(embed, endpoint=get_platform(embed.platform).with_cursor(embed.endpoint, cursor))


def _read_payload(
    response: Response, item: PollItem, embed: EmbeddedSource, page: str, *, partial: bool = False
) -> str | None:
    """Fill ``item`` from one platform answer; the cursor it names, if any."""
    where = f"{embed.platform} liveblog {embed.ref}"
    if response.status == 304:
        item.status = "not_modified"
        return None
    if not 200 <= response.status < 300:
        item.status, item.error = "error", f"{where}: {embed.endpoint}: HTTP {response.status}"
        return None
    try:
        payload = read_payload(embed.platform, response.body, page)
    except PayloadError as error:
        item.status, item.error = "error", f"{where}: {error}"
        item.entries = []
        return None
    item.entries = payload.entries
    item.partial = partial
    item.strategy = embed.platform
    item.dom_count = sum(1 for e in item.entries if not e.deleted)
    if not item.entries and not partial:
        item.error = f"{where}: the platform lists no entries"
    return payload.cursor


def _refresh_validators(item: PollItem, payload: Response) -> None:
    """The next polls ask the endpoint with these validators, and compare its bytes."""
    item.etag = header(payload, b"ETag")
    item.last_modified = header(payload, b"Last-Modified")
    item.body_hash = _hash(payload.body)


def _hash(body: bytes) -> str:
    import xxhash

    return xxhash.xxh3_128_hexdigest(body)
