"""What crosses a poll's stages: the SourceState a poll starts from, the PollItem it ends as."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

import xxhash

from crawler.text.cleaning import strip_controls
from crawler.text.urls import safe_url


@dataclass(frozen=True)
class EmbeddedSource:
    """The platform liveblog a page embeds, as stored per source (sources.embed_*): the poll
    after the page was read goes to ``endpoint`` directly until ``checked_at`` is old."""

    platform: str
    ref: str  # the platform's liveblog id
    endpoint: str
    checked_at: str  # when the page itself was last read (ISO, UTC)


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
    embed: EmbeddedSource | None = None  # the platform liveblog the page embeds (sources.embed_*)

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
    # The match minute of sports commentary as printed ("95", "45+2"); published_at stays None
    # rather than turning a minute into a fake wall-clock time.
    match_minute: str | None = None
    # A feed item whose article page should be fetched for the full text (see FeedSpider).
    article_url: str | None = None
    # Set by the clean pipeline for entries whose raw fragment differs from the stored one;
    # None means "fragment unchanged since the last poll": no cleaning, no content comparison.
    content_hash: str | None = None
    # Set by the feed parser on an item it found unchanged (raw_hash as stored) and so left
    # unbuilt (body None): what crawler.feeds.parse.complete_item builds it from if needed.
    unparsed: Unparsed | None = field(default=None, compare=False, repr=False)
    # The platform itself says this entry was deleted (an embedded platform's ``deleted`` flag,
    # ``local_status``, ``type: delete``): the diff removes it at once, without the two-poll wait.
    deleted: bool = False

    def __post_init__(self) -> None:
        # Every extractor and feed reader makes its entries here: the one place to bound what a
        # page controls and every later stage (database, log line, notification) repeats.
        # A JSON string's "\u0000" is text the database must not keep (README; PostgreSQL
        # refuses it): the key and author lose NUL and C0 controls as the title and body do.
        self.key = strip_controls(self.key)
        self.author = strip_controls(self.author)
        if len(self.key) > MAX_KEY_CHARS:
            self.key = bounded_key(self.key)
        if len(self.url) > MAX_URL_CHARS:
            url = self.url.partition("#")[0]
            self.url = url if len(url) <= MAX_URL_CHARS else ""
        # Links are content: a JSON Feed ``url`` with ESC/BEL/OSC 52 is stored and printed inert.
        self.url = safe_url(self.url)
        if self.article_url:
            self.article_url = safe_url(self.article_url)


# Real keys are DOM ids, fragments and feed GUIDs (often a URL): far below this. A page that
# makes a 1 MB key gets a stable short one instead (see bounded_key); a URL that long is dropped.
MAX_KEY_CHARS = 500
MAX_URL_CHARS = 4_000


def bounded_key(key: str) -> str:
    """A key over MAX_KEY_CHARS as its start plus a hash of all of it: stable and unique."""
    return f"{key[:100]}~{xxhash.xxh3_128_hexdigest(key.encode('utf-8', 'surrogatepass'))}"


@dataclass(frozen=True)
class Unparsed:
    """The source of a feed item passed on unbuilt: a feedparser entry, or the fast path's item
    element with its field table and feed version (crawler/feeds/fast.py)."""

    url: str  # the feed's URL, which links resolve against
    entry: Any
    fields: Mapping[str, Any] | None = None
    version: str = ""


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
    # ok | not_modified | error | suspicious (decided by the diff, or by the spider for a cut page)
    status: str = "ok"
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
    poll_id: int | None = None
    token: str | None = None  # lets the poll engine match the stored item to its request
    # A PostgreSQL worker's tick (scheduler/workers/): the poll's transaction commits only if
    # no poll of this source committed for this tick or a later one.
    tick: int | None = None
    recorded: RecordedPoll | None = None  # once committed (crawler/store/recording.py)
    # What the poll started from (see SourceState for why the pipelines use this snapshot).
    state: SourceState = field(default_factory=SourceState)
    # Embedded platforms: ``page_read`` says this poll read the page itself (so the stored
    # embed is replaced by ``embed``, None when the page no longer embeds one); without a page
    # read, an ``embed`` replaces the stored one too (its endpoint carries a new cursor).
    # ``partial``: the entries are a platform's incremental answer (changes only), so an entry
    # absent from them is not missing (crawler/diff/entries.py).
    page_read: bool = False
    embed: EmbeddedSource | None = None
    partial: bool = False

    @property
    def developments(self) -> list[Development]:
        """What the committed poll reported (none before the store pipeline, or on an error)."""
        return self.recorded.developments if self.recorded else []


class StoredEntry(NamedTuple):
    """The stored state of one entry that the diff needs (and what says its row is current).

    A tuple: every poll of a changed page reads one per stored entry."""

    id: int
    key: str
    content_hash: str | None
    raw_hash: str | None
    published_at: str | None
    removed_at: str | None
    missing_polls: int
    revision: int
    position: int | None = None
    pinned: int = 0
    scrolled_out_at: str | None = None


@dataclass
class Development:
    """One new, changed, removed or restored entry, from the diff to the notification.

    The diff (crawler/diff/entries.py) decides ``event`` from the extracted ``entry`` and the
    ``stored`` one; recording (crawler/store/recording.py) fills in what it committed; the
    development line (crawler/reporting.py), ``tail`` and the notifier print that. Developments
    read back from stored event rows carry only the committed part (:meth:`from_row`).
    """

    event: str  # new | changed | removed | restored
    key: str
    entry: EntryItem | None = field(default=None, repr=False)  # None for removals
    stored: StoredEntry | None = field(default=None, repr=False)  # None for new ones
    # What was committed.
    entry_id: int | None = None
    revision: int | None = None
    title: str = ""
    text: str = ""  # the title, else the start of the body (crawler/text/terminal.entry_text)
    url: str = ""
    published_at: str | None = None
    change: str | None = None  # what an edit did (crawler/diff/words.py), changed ones only

    _ROW = ("event", "key", "title", "text", "url", "published_at", "revision", "entry_id")

    def as_dict(self) -> dict[str, Any]:
        """The committed part, as JSON log lines carry it."""
        out = {name: getattr(self, name) for name in self._ROW}
        if self.change is not None:
            out["change"] = self.change
        return out

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Development:
        """A development as a stored event row (crawler/store/queries.py) describes it."""
        return cls(
            event=row["event"],
            key=row.get("key") or "",
            entry_id=row.get("entry_id"),
            revision=row.get("revision"),
            title=row.get("title") or "",
            text=row.get("text") or "",
            url=row.get("url") or "",
            published_at=row.get("published_at"),
            change=row.get("change"),
        )


@dataclass
class RecordedPoll:
    """What was committed: the poll row's id and status, and the developments in event order."""

    poll_id: int
    source_id: int
    source_name: str
    status: str
    developments: list[Development] = field(default_factory=list)
    baseline: bool = False  # first healthy poll of this source
    warning: str | None = None
    # Extractor health (crawler/diff/health.py): "started" | "continues" | "recovered" | None, the
    # extractor to name in the log line, and what it "found" when the entries looked fine.
    episode: str | None = None
    adapter: str | None = None
    found: str | None = None
