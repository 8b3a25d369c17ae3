"""Feed parsing: sniffing, safety checks, then lxml (plain RSS 2.0 / Atom 1.0) or feedparser.

RSS 0.9x/1.0/2.0 and Atom 0.3/1.0 go to feedparser unless crawler/feeds/fast.py takes them; JSON
Feed has its own reader (crawler/feeds/jsonfeed.py). All of them share crawler/feeds/items.py.
"""

from __future__ import annotations

import io
import logging
import re

import feedparser
from feedparser.exceptions import ThingsNobodyCaresAboutButMe

from crawler.feeds.fast import build_unparsed, parse_fast
from crawler.feeds.items import FeedResult, finish, from_feedparser, skip_unchanged, text
from crawler.feeds.jsonfeed import parse_json_feed
from crawler.items import EntryItem

logger = logging.getLogger(__name__)

MAX_FEED_BYTES = 20 * 1024 * 1024
_FEED_CONTENT_TYPES = ("rss+xml", "atom+xml", "rdf+xml", "feed+json")
# The first element after the prolog (XML declaration, comments, PIs, DOCTYPE).
_PROLOG_RE = re.compile(rb"\A(?:\s+|<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>\[]*(?:\[.*?\])?\s*>)*", re.S)
_ROOT_RE = re.compile(rb"<(?:[\w.-]+:)?([A-Za-z]+)[\s>/]")
_FEED_ROOTS = frozenset((b"rss", b"feed", b"rdf", b"channel"))
_JSONFEED_RE = re.compile(rb'"version"\s*:\s*"https?://jsonfeed\.org/version/')

__all__ = ["MAX_FEED_BYTES", "FeedResult", "complete_item", "looks_like_feed", "parse_feed"]


def _head(body: bytes) -> bytes:
    """The document with BOM and prolog removed, enough to see the root element."""
    head = body[:65536].lstrip(b"\xef\xbb\xbf")
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        head = head.decode("utf-16", "replace").encode("utf-8")
    return head[_PROLOG_RE.match(head).end() :].lstrip()


def _root_name(body: bytes) -> bytes | None:
    m = _ROOT_RE.match(_head(body))
    return m.group(1).lower() if m else None


def _is_json_feed(body: bytes) -> bool:
    head = _head(body)
    return head.startswith(b"{") and bool(_JSONFEED_RE.search(head[:8192]))


def looks_like_feed(body: bytes, content_type: str | None) -> bool:
    """Cheap sniff for ``kind=auto``: the root element decides, the content type breaks ties."""
    if _is_json_feed(body):
        return True
    root = _root_name(body)
    if root in _FEED_ROOTS:
        return True
    if root in (b"html", b"head", b"body") or _head(body)[:9].lower() == b"<!doctype":
        return False
    ctype = (content_type or "").lower()
    return any(t in ctype for t in _FEED_CONTENT_TYPES) and root is not None


def parse_feed(
    body: bytes,
    url: str,
    content_type: str | None = None,
    stored: dict[str, str] | None = None,
) -> FeedResult:
    """Parse a fetched feed; never raises, reports problems in ``FeedResult.error``.

    ``stored`` (the poll's ``SourceState.raw_hashes``) lets items whose raw content is already
    stored skip cleaning and date parsing: they come back with ``body=None`` and
    ``EntryItem.unparsed`` set, and the clean pipeline skips them by their raw_hash.
    """
    try:
        return _parse(body or b"", url, content_type, stored)
    except Exception as exc:  # a broken feed must not take the poll down
        logger.warning("feed parser crashed on %s", url, exc_info=True)
        return FeedResult(error=f"malformed feed: {type(exc).__name__}")


def complete_item(entry: EntryItem) -> None:
    """Build the body and dates of an item ``parse_feed`` passed on unbuilt (``unparsed``).

    Only needed when the item is compared with other stored hashes than the ones it was parsed
    with; the poll's one SourceState snapshot should make that never happen, so it is a guard:
    an unbuilt item must never be stored with an empty body.
    """
    unparsed = entry.unparsed
    if unparsed is None:
        return
    full = (
        build_unparsed(unparsed)
        if unparsed.fields is not None
        else from_feedparser(unparsed.entry, unparsed.url)
    )
    entry.body = full.body if full else ""
    entry.published_at = full.published_at if full else None
    entry.updated_at = full.updated_at if full else None
    entry.unparsed = None


def _parse(
    body: bytes, url: str, content_type: str | None, stored: dict[str, str] | None
) -> FeedResult:
    if len(body) > MAX_FEED_BYTES:
        return FeedResult(error=f"feed too large: {len(body)} bytes (limit {MAX_FEED_BYTES})")
    if not body.strip():
        return FeedResult(error="not a feed: empty body")
    ctype = (content_type or "").lower()
    if _is_json_feed(body) or ("json" in ctype and body.lstrip().startswith(b"{")):
        return parse_json_feed(body, url)
    # Entity declarations only ever serve billion-laughs / XXE tricks in feeds.
    head = body[: (re.search(rb"<[A-Za-z_]", body) or re.search(rb"\Z", body)).start()]
    if b"<!entity" in head.lower():
        return FeedResult(error="malformed feed: entity declarations are not allowed")
    root = _root_name(body)
    if root in (b"html", b"head", b"body") or _head(body)[:14].lower() == b"<!doctype html":
        return FeedResult(error="not a feed: got an HTML page")
    fast = parse_fast(body, url, content_type, stored)
    if fast is not None:
        return fast
    headers = {"content-type": content_type} if content_type else {}
    # BytesIO, never the bytes themselves: feedparser treats a str/bytes argument that names a
    # file or URL as something to open, so a body of b"/etc/passwd" would be read from disk.
    # No content-location either: it would resolve bare-UUID GUIDs into URLs.
    parsed = feedparser.parse(io.BytesIO(body), response_headers=headers, sanitize_html=True)
    version = parsed.get("version") or ""
    entries = finish(
        skip_unchanged(e, url, stored) or from_feedparser(e, url) for e in parsed.entries
    )
    problem = parsed.get("bozo_exception") if parsed.get("bozo") else None
    if isinstance(problem, ThingsNobodyCaresAboutButMe):
        problem = None  # charset or content-type mismatches that feedparser recovered from
    if not entries:
        if not version:
            return FeedResult(error=f"not a feed: {problem or 'no RSS, RDF or Atom root element'}")
        if problem is not None:  # e.g. a truncated download: not the same as an empty feed
            return FeedResult(error=f"malformed feed: {problem}")
    elif problem is not None:
        logger.debug("feed %s parsed despite: %s", url, problem)
    title = text(parsed.feed.get("title", ""), parsed.feed.get("title_detail"))
    return FeedResult(title=title, entries=entries, format=version)
