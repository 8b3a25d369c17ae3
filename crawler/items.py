"""Items that leave the spiders: one PollItem per poll, carrying every entry the page or feed showed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class EntryItem:
    """One liveblog entry or feed item as extracted, before it is compared with the database.

    ``body_html`` is the entry's raw HTML fragment; the clean pipeline turns it into ``body``
    only when ``raw_hash`` differs from what is stored, so unchanged entries cost no cleaning.
    """

    key: str
    url: str = ""
    title: str = ""
    body: str | None = None
    body_html: str | None = None
    raw_hash: str = ""
    published_at: str | None = None  # timezone-aware ISO-8601
    updated_at: str | None = None
    position: int = 0
    pinned: bool = False
    author: str = ""
    # A feed item whose article page should be fetched for the full text (see FeedSpider).
    article_url: str | None = None
    # Set by the clean pipeline for entries whose raw fragment differs from the stored one;
    # None means "fragment unchanged since the last poll": no cleaning, no content comparison.
    content_hash: str | None = None
    # Set by the feed parser on an item it found unchanged (raw_hash as stored) and so left
    # uncleaned (body None): fills body and dates should the clean pipeline need them after all.
    complete: Callable[[EntryItem], None] | None = field(default=None, compare=False, repr=False)


@dataclass
class PollItem:
    """The outcome of fetching one source once; the pipelines diff and store it in one transaction."""

    source_url: str
    kind: str  # "liveblog" or "feed"
    status: str = "ok"  # ok | not_modified | error | suspicious (the last is decided by the diff)
    source_name: str | None = None
    http_status: int | None = None
    error: str | None = None
    strategy: str | None = None
    # Entries from the page markup and from structured data before the merge (liveblogs only),
    # for the extractor health check (crawler/diff/health.py).
    dom_count: int = 0
    structured_count: int = 0
    site: str | None = None  # the extractor forced by name (``--site``), None when chosen by markup
    started_at: str | None = None
    entries: list[EntryItem] = field(default_factory=list)
    # Conditional-GET and body-hash state for the next poll.
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    quiet: bool = False  # a series hub: stored, but its items are not reported as developments
    retry_after: str | None = None  # the server's Retry-After on 429/503, for the scheduler
    # Filled by the pipelines.
    developments: list[dict] = field(default_factory=list)
    poll_id: int | None = None
    token: str | None = None  # lets the poll engine match the stored item to its request
    recorded: Any = None  # crawler.store.recording.RecordedPoll, once committed
    # key -> stored raw_hash as read when the liveblog was extracted. Entries the extractor
    # reused carry no body_html, so the clean pipeline must compare with this same snapshot.
    stored_raw_hashes: dict[str, str] | None = None
