"""What crosses a poll's stages: the SourceState a poll starts from, the PollItem it ends as."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from crawler.text.urls import safe_url


@dataclass(frozen=True)
class SourceState:
    """What the database knows about a source when one poll of it begins.

    ``SourceStateMiddleware`` (crawler/middlewares.py) is the only reader: before the download
    it reads the source row (validators for a conditional GET, the last body hash, the stored
    kind); after a 2xx response whose body differs from the stored one it adds ``raw_hashes``,
    stored entry key -> raw fragment hash. The state then travels on the request and on the
    PollItem; the spider, the extractors, the feed parser and the pipelines only read it.

    The same-snapshot rule: an entry whose raw fragment hash equals the one in ``raw_hashes``
    is not rebuilt (the liveblog extractor reuses it without its ``body_html``, the feed parser
    leaves its body unparsed) and the clean pipeline skips it for the same reason. Both must
    decide from this one snapshot: a second read could see another poll's writes, and the
    pipeline would then ask for a body nobody built. The diff reads the stored entries and the
    last healthy count itself, inside the write transaction of crawler/store/recording.py,
    where no other writer can slip in between the comparison and the write.
    """

    source_id: int | None = None  # None: never polled, nothing stored
    name: str | None = None
    kind: str | None = None  # "liveblog" | "feed", as the last poll stored it
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    raw_hashes: Mapping[str, str] = field(default_factory=dict)

    def with_raw_hashes(self, raw_hashes: Mapping[str, str]) -> SourceState:
        return replace(self, raw_hashes=raw_hashes)

    def knows(self, key: str) -> bool:
        """Whether the entry is stored, as far as the snapshot reaches (a feed's newest rows)."""
        return key in self.raw_hashes


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

    def __post_init__(self) -> None:
        # Links are content: a JSON Feed ``url`` with ESC/BEL/OSC 52 is stored and printed inert.
        self.url = safe_url(self.url)
        if self.article_url:
            self.article_url = safe_url(self.article_url)


@dataclass(frozen=True)
class RawPage:
    """A response body for the archive (crawler/store/archive.py), with what re-reading needs."""

    body: bytes
    body_hash: str
    url: str
    encoding: str | None = None
    content_type: str | None = None


@dataclass(frozen=True)
class PageSignals:
    """What a liveblog page says about its own life (crawler/extractors/lifecycle.py)."""

    live_posting: bool = False  # a schema.org LiveBlogPosting is on the page
    coverage_end: str | None = None  # coverageEndTime (ISO), only when after coverageStartTime
    closed: str | None = None  # the "liveblog closed" notice found on the page


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
    # Cache-Control, Expires, Date and Age as the server sent them (the adaptive scheduler's
    # lower bound), the body to archive when it changed, and the page's own end-of-life signals.
    hints: dict[str, str] = field(default_factory=dict)
    raw: RawPage | None = None
    signals: PageSignals | None = None
    # Filled by the pipelines.
    developments: list[dict] = field(default_factory=list)
    poll_id: int | None = None
    token: str | None = None  # lets the poll engine match the stored item to its request
    recorded: Any = None  # crawler.store.recording.RecordedPoll, once committed
    # What the poll started from (see SourceState for why the pipelines use this snapshot).
    state: SourceState = field(default_factory=SourceState)
