"""The item pipelines on a real crawler (Scrapy's get_crawler) and a real SQLite file or
PostgreSQL database (conftest.py runs each test on both): clean → store → report, each counting
in stats, the Store owned by StoreExtension."""

from __future__ import annotations

import logging

import pytest
from scrapy import signals
from scrapy.utils.test import get_crawler

from crawler.extensions import StoreExtension, store_of
from crawler.feeds.parse import parse_feed
from crawler.items import EntryItem, PollItem, SourceState
from crawler.pipelines import CleanPipeline, ReportPipeline, StorePipeline
from crawler.spiders.base import PollSpider
from crawler.text.cleaning import stored_raw_hash
from tests.pages import rss_feed

URL = "http://127.0.0.1:1/live.html"


@pytest.fixture
def crawler(store_location):
    crawler = get_crawler(
        PollSpider,
        {"TICKERWATCH_DB": str(store_location), "EXTENSIONS": {StoreExtension: 100}},
    )
    yield crawler
    crawler.signals.send_catch_log(signals.spider_closed, spider=None, reason="finished")


def _entry(key: str, html: str) -> EntryItem:
    return EntryItem(key=key, title=f"T {key}", body_html=html, raw_hash=f"raw:{html}")


def _item(*entries: EntryItem, state: SourceState | None = None) -> PollItem:
    return PollItem(
        source_url=URL,
        kind="liveblog",
        source_name="live",
        strategy="test",
        body_hash="b",
        entries=list(entries),
        state=state or SourceState(),
    )


def _through(crawler, item: PollItem) -> PollItem:
    for pipeline in (CleanPipeline, StorePipeline, ReportPipeline):
        item = pipeline.from_crawler(crawler).process_item(item)
    return item


def test_a_poll_goes_through_clean_store_and_report(crawler, caplog):
    caplog.set_level(logging.INFO, logger="tickerwatch.events")
    item = _through(crawler, _item(_entry("a", "<p>Eins</p>"), _entry("b", "<p>Zwei</p>")))
    assert sorted((d.event, d.key, d.revision) for d in item.developments) == [
        ("new", "a", 1),
        ("new", "b", 1),
    ]
    assert item.recorded is not None and item.recorded.baseline and item.poll_id
    assert [e.body for e in item.entries] == ["Eins", "Zwei"]
    stats = crawler.stats.get_stats()
    assert stats["tickerwatch/entries_new"] == 2 and stats["tickerwatch/polls_ok"] == 1
    assert stats["tickerwatch/fragments_cleaned"] == 2
    assert any(r.getMessage().startswith("NEW live ") for r in caplog.records)


def test_clean_skips_what_the_snapshot_holds(crawler):
    first = _through(crawler, _item(_entry("a", "<p>Eins</p>")))
    hashes = {e.key: e.raw_hash for e in first.entries}
    again = _item(_entry("a", "<p>Eins</p>"), state=SourceState(source_id=1, raw_hashes=hashes))
    cleaned = CleanPipeline.from_crawler(crawler).process_item(again)
    assert cleaned.entries[0].body is None and cleaned.entries[0].content_hash is None
    assert crawler.stats.get_value("tickerwatch/fragments_cleaned") == 1  # the first poll only


def test_an_unbuilt_feed_item_is_built_when_the_snapshot_disagrees(crawler):
    body = rss_feed([{"guid": "g", "title": "T", "link": "", "summary": "<b>S</b>"}]).encode()
    full = parse_feed(body, URL).entries
    snapshot = {e.key: stored_raw_hash(e.title, e.raw_hash) for e in full}
    (unbuilt,) = parse_feed(body, URL, None, snapshot).entries
    assert unbuilt.body is None
    item = _item(unbuilt, state=SourceState(raw_hashes={"g": "moved"}))
    CleanPipeline.from_crawler(crawler).process_item(item)
    assert (unbuilt.body, unbuilt.unparsed) == ("S", None) and unbuilt.published_at


def test_the_store_is_the_extensions_and_closes_with_the_spider(crawler):
    store = store_of(crawler)
    assert StorePipeline.from_crawler(crawler).store is store
    crawler.signals.send_catch_log(signals.spider_closed, spider=None, reason="finished")
    # Closed means closed: sqlite3's "closed database", never a new PostgreSQL connection.
    with pytest.raises(Exception, match="(?i)closed"):
        store.conn.execute("SELECT 1")
