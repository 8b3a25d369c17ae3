"""The poll spider: response in, one PollItem out, reading only the request's SourceState.

Responses are built in process, as SourceStateMiddleware would leave them (``meta.STATE`` and
``meta.BODY_HASH`` set); the crawler has no database at all, so a spider that asked the store
for anything would fail here.
"""

from __future__ import annotations

import asyncio

import pytest
import xxhash
from scrapy.http import HtmlResponse, Response, TextResponse
from scrapy.utils.test import get_crawler

from crawler import meta
from crawler.feeds.parse import parse_feed
from crawler.items import PollItem, SourceState
from crawler.spiders.base import PollSpider
from crawler.text.cleaning import stored_raw_hash
from tests.pages import jsonld_liveblog, rss_feed

URL = "http://127.0.0.1:1/live.html"
FEED = "http://127.0.0.1:1/feed.xml"


@pytest.fixture
def spider() -> PollSpider:
    crawler = get_crawler(PollSpider, {"TICKERWATCH_STORE_ENABLED": False})
    return PollSpider.from_crawler(crawler)


def respond(
    spider: PollSpider,
    url: str,
    body: bytes,
    *,
    kind: str = "auto",
    state: SourceState | None = None,
    status: int = 200,
    headers: dict | None = None,
    cls: type[Response] = HtmlResponse,
) -> PollItem:
    request = spider.poll_request(url, kind=kind, token="t")
    request.meta[meta.STATE] = state or SourceState()
    if 200 <= status < 300:
        request.meta[meta.BODY_HASH] = xxhash.xxh3_128_hexdigest(body)
    extra = {"encoding": "utf-8"} if issubclass(cls, TextResponse) else {}
    response = cls(url, status=status, body=body, headers=headers, request=request, **extra)

    async def collect() -> list[PollItem]:
        return [item async for item in spider.parse_poll(response)]

    (item,) = asyncio.run(collect())
    return item


def _page() -> bytes:
    entries = [{"id": str(n), "headline": f"Meldung {n}", "body": f"Text {n}"} for n in (3, 2, 1)]
    return jsonld_liveblog(entries).encode()


def test_a_liveblog_is_extracted_and_carries_its_snapshot(spider):
    state = SourceState(source_id=1, kind="liveblog", body_hash="old", raw_hashes={"x": "y"})
    item = respond(spider, URL, _page(), state=state)
    assert (item.status, item.kind, item.token) == ("ok", "liveblog", "t")
    assert len(item.entries) == 3 and item.strategy
    assert item.state is state  # the clean pipeline compares with this same snapshot
    assert item.body_hash == xxhash.xxh3_128_hexdigest(_page())


def test_the_same_body_as_stored_is_not_modified_without_parsing(spider):
    body = _page()
    state = SourceState(source_id=1, kind="liveblog", body_hash=xxhash.xxh3_128_hexdigest(body))
    item = respond(spider, URL, body, state=state)
    assert (item.status, item.entries, item.strategy) == ("not_modified", [], None)


def test_a_304_is_not_modified(spider):
    item = respond(spider, URL, b"", state=SourceState(source_id=1, etag='"v1"'), status=304)
    assert (item.status, item.http_status) == ("not_modified", 304)


def test_an_http_error_is_a_poll_with_its_retry_after(spider):
    item = respond(spider, URL, b"busy", status=503, headers={"Retry-After": "120"})
    assert (item.status, item.error, item.retry_after) == ("error", "HTTP 503", "120")


def test_auto_kind_follows_the_stored_kind_then_the_body(spider):
    feed = rss_feed([{"guid": "g1", "title": "Eins", "link": "", "summary": "erst"}]).encode()
    sniffed = respond(spider, FEED, feed, cls=Response)
    assert (sniffed.kind, [e.key for e in sniffed.entries]) == ("feed", ["g1"])
    stored = respond(spider, URL, _page(), state=SourceState(source_id=1, kind="liveblog"))
    assert stored.kind == "liveblog"


def test_feed_items_in_the_snapshot_come_back_unbuilt(spider):
    items = [
        {"guid": f"g{n}", "title": f"T{n}", "link": f"{FEED}#a{n}", "summary": f"S{n}"}
        for n in (2, 1)
    ]
    body = rss_feed(items).encode()
    full = parse_feed(body, FEED).entries
    known = {e.key: stored_raw_hash(e.title, e.raw_hash) for e in full}
    state = SourceState(source_id=1, kind="feed", raw_hashes=known)
    # Every item is known, so no article is fetched (that would need the engine).
    item = respond(spider, FEED, body, state=state, cls=Response)
    assert [e.key for e in item.entries] == ["g2", "g1"]
    assert all(e.body is None and e.unparsed is not None for e in item.entries)
