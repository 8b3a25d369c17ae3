"""Feed parsing: RSS 0.9x/1.0/2.0, Atom 0.3/1.0 (feedparser) and JSON Feed into EntryItems."""

from __future__ import annotations

import calendar
import hashlib
import io
import json
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from html import escape
from typing import Any
from urllib.parse import urljoin

import feedparser
from feedparser.exceptions import ThingsNobodyCaresAboutButMe

from crawler.cleaning import canonical_url, clean_fragment, content_hash, strip_controls
from crawler.items import EntryItem

logger = logging.getLogger(__name__)

MAX_FEED_BYTES = 20 * 1024 * 1024
_FEED_CONTENT_TYPES = ("rss+xml", "atom+xml", "rdf+xml", "feed+json")
# The first element after the prolog (XML declaration, comments, PIs, DOCTYPE).
_PROLOG_RE = re.compile(rb"\A(?:\s+|<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>\[]*(?:\[.*?\])?\s*>)*", re.S)
_ROOT_RE = re.compile(rb"<(?:[\w.-]+:)?([A-Za-z]+)[\s>/]")
_FEED_ROOTS = frozenset((b"rss", b"feed", b"rdf", b"channel"))
_JSONFEED_RE = re.compile(rb'"version"\s*:\s*"https?://jsonfeed\.org/version/')


@dataclass
class FeedResult:
    """A parsed feed; ``error`` is set (and ``entries`` empty) when the body is no usable feed."""

    title: str = ""
    entries: list[EntryItem] = field(default_factory=list)
    error: str | None = None
    format: str = ""  # feedparser's version ("rss20", "atom03", …) or "json"


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


def parse_feed(body: bytes, url: str, content_type: str | None = None) -> FeedResult:
    """Parse a fetched feed; never raises, reports problems in ``FeedResult.error``."""
    try:
        return _parse(body or b"", url, content_type)
    except Exception as exc:  # a broken feed must not take the poll down
        logger.warning("feed parser crashed on %s", url, exc_info=True)
        return FeedResult(error=f"malformed feed: {type(exc).__name__}")


def _parse(body: bytes, url: str, content_type: str | None) -> FeedResult:
    if len(body) > MAX_FEED_BYTES:
        return FeedResult(error=f"feed too large: {len(body)} bytes (limit {MAX_FEED_BYTES})")
    if not body.strip():
        return FeedResult(error="not a feed: empty body")
    ctype = (content_type or "").lower()
    if _is_json_feed(body) or ("json" in ctype and body.lstrip().startswith(b"{")):
        return _parse_json_feed(body, url)
    # Entity declarations only ever serve billion-laughs / XXE tricks in feeds.
    head = body[: (re.search(rb"<[A-Za-z_]", body) or re.search(rb"\Z", body)).start()]
    if b"<!entity" in head.lower():
        return FeedResult(error="malformed feed: entity declarations are not allowed")
    root = _root_name(body)
    if root in (b"html", b"head", b"body") or _head(body)[:14].lower() == b"<!doctype html":
        return FeedResult(error="not a feed: got an HTML page")
    headers = {"content-type": content_type} if content_type else {}
    # BytesIO, never the bytes themselves: feedparser treats a str/bytes argument that names a
    # file or URL as something to open, so a body of b"/etc/passwd" would be read from disk.
    # No content-location either: it would resolve bare-UUID GUIDs into URLs.
    parsed = feedparser.parse(io.BytesIO(body), response_headers=headers, sanitize_html=True)
    version = parsed.get("version") or ""
    entries = _finish(_from_feedparser(e, url) for e in parsed.entries)
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
    title = _text(parsed.feed.get("title", ""), parsed.feed.get("title_detail"))
    return FeedResult(title=title, entries=entries, format=version)


def _finish(items: Any) -> list[EntryItem]:
    """Drop empty items, collapse duplicate keys (first wins) and number positions in feed order."""
    seen: set[str] = set()
    out: list[EntryItem] = []
    for item in items:
        if item is None or item.key in seen:
            continue
        seen.add(item.key)
        item.position = len(out)
        out.append(item)
    return out


def _text(value: str, detail: Any = None) -> str:
    """Single-line text of a title: HTML-typed titles are cleaned, plain ones only squeezed."""
    value = strip_controls(value or "")
    if detail and "html" in (detail.get("type") or "") and ("<" in value or "&" in value):
        value = clean_fragment(value)
    return " ".join(value.split())


def _make_item(
    *,
    key: str,
    link: str,
    title: str,
    raw_html: str,
    published: str | None,
    updated: str | None,
    author: str,
) -> EntryItem | None:
    raw_html = _unwrap_cdata(strip_controls(raw_html or ""))
    body = clean_fragment(raw_html)
    if not (title or link or body):
        return None
    # Without GUID or link: publication minute + title (as for liveblogs), so a body edit keeps
    # the key; only an item with neither title nor date is keyed by its body.
    fallback = (
        "h:" + content_hash(title, (published or updated or "")[:16])
        if title or published or updated
        else "h:" + content_hash(title, body)
    )
    key = strip_controls(key).strip() or canonical_url(link) or fallback
    return EntryItem(
        key=key,
        url=link,
        title=title,
        body=body,
        raw_hash=hashlib.sha1(raw_html.encode("utf-8")).hexdigest(),
        published_at=published or updated,
        updated_at=updated,
        author=" ".join(strip_controls(author or "").split()),
        article_url=link if link.startswith(("http://", "https://")) else None,
    )


def _unwrap_cdata(value: str) -> str:
    # tagesschau's Atom 0.3 escapes a CDATA section, so after unescaping it is literal text.
    value = value.strip()
    if value.startswith("<![CDATA[") and value.endswith("]]>"):
        return value[9:-3]
    return value


def _from_feedparser(entry: Any, url: str) -> EntryItem | None:
    link = strip_controls(entry.get("link") or "").strip()
    link = urljoin(url, link) if link else ""
    contents = entry.get("content") or []
    html_parts = [c for c in contents if "html" in (c.get("type") or "")] or contents
    raw_html = html_parts[0].get("value", "") if html_parts else entry.get("summary", "")
    if not clean_fragment(_unwrap_cdata(raw_html)) and entry.get("summary"):
        raw_html = entry.get("summary", "")
    return _make_item(
        key=entry.get("id") or "",
        link=link,
        title=_text(entry.get("title", ""), entry.get("title_detail")),
        raw_html=raw_html,
        published=_date(entry, "published"),
        updated=_date(entry, "updated"),
        author=entry.get("author") or "",
    )


def _date(entry: Any, name: str) -> str | None:
    """ISO-8601 UTC from feedparser's parsed tuple, else a tolerant parse of the raw string."""
    # dict.get skips FeedParserDict's deprecated updated<->published aliasing.
    parsed = dict.get(entry, f"{name}_parsed")
    if parsed:
        try:
            return datetime.fromtimestamp(calendar.timegm(parsed), UTC).isoformat()
        except (OverflowError, ValueError, OSError):
            return None
    return parse_loose_date(dict.get(entry, name) or "")


# Month names by accent-free prefix (4 letters first, then 3): en, de, fr, es, it, pt.
_MONTHS = {
    **dict.fromkeys(("jan", "gen", "ene", "janv"), 1),
    **dict.fromkeys(("feb", "fev", "fevr"), 2),
    **dict.fromkeys(("mar", "mrz", "mars"), 3),
    **dict.fromkeys(("apr", "abr", "avr"), 4),
    **dict.fromkeys(("may", "mai", "mag"), 5),
    **dict.fromkeys(("jun", "giu", "juin"), 6),
    **dict.fromkeys(("jul", "lug", "juil"), 7),
    **dict.fromkeys(("aug", "ago", "aou", "aout"), 8),
    **dict.fromkeys(("sep", "set", "sept"), 9),
    **dict.fromkeys(("oct", "okt", "out", "ott"), 10),
    **dict.fromkeys(("nov",), 11),
    **dict.fromkeys(("dec", "dez", "dic"), 12),
}
_LOOSE_DATE_RE = re.compile(
    r"(\d{1,2})\.?\s+([^\W\d_]{3,})\.?,?\s+(\d{4}),?\s+(?:um\s+|à\s+|alle\s+)?"
    r"(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(Z|UTC|GMT|UT|[+-]\d{2}:?\d{2})?(?![\w:])",
    re.IGNORECASE,
)


def parse_loose_date(value: str) -> str | None:
    """Parse "Seg, 24 Set 2018 19:42:40 -0300"-style dates feedparser rejects; None over a guess.

    A date without any zone is taken as UTC, as feedparser does for its own formats.
    """
    m = _LOOSE_DATE_RE.search(value or "")
    if not m:
        return None
    day, month_name, year, hour, minute, second, zone = m.groups()
    name = unicodedata.normalize("NFKD", month_name).encode("ascii", "ignore").decode().lower()
    month = _MONTHS.get(name[:4]) or _MONTHS.get(name[:3])
    if not month:
        return None
    offset = timedelta(0)
    if zone and zone[0] in "+-":
        digits = zone[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        offset = -offset if zone[0] == "-" else offset
    try:
        hms = (int(hour), int(minute), int(second or 0))
        local = datetime(int(year), month, int(day), *hms, tzinfo=timezone(offset))
    except ValueError:
        return None
    return local.astimezone(UTC).isoformat()


def _iso(value: Any) -> str | None:
    """RFC 3339 from a JSON Feed to ISO-8601 UTC; naive values are taken as UTC."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("z", "Z"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value)  # some JSON feeds use RFC 822
        except (TypeError, ValueError):
            return parse_loose_date(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).isoformat()


def _parse_json_feed(body: bytes, url: str) -> FeedResult:
    """JSON Feed 1.0/1.1 (https://jsonfeed.org/version/1.1), which feedparser does not read."""
    try:
        data = json.loads(body.decode("utf-8-sig", "replace"))
    except (ValueError, RecursionError) as exc:
        return FeedResult(error=f"malformed feed: invalid JSON ({exc})")
    version = data.get("version") if isinstance(data, dict) else None
    if not isinstance(version, str) or "jsonfeed.org/version/" not in version:
        return FeedResult(error="not a feed: JSON without a jsonfeed.org version")
    items = data.get("items")
    if not isinstance(items, list):
        return FeedResult(error="malformed feed: JSON Feed without an items list")
    return FeedResult(
        title=_text(str(data.get("title") or "")),
        entries=_finish(_from_json_item(i, url) for i in items if isinstance(i, dict)),
        format="json",
    )


def _from_json_item(item: dict, url: str) -> EntryItem | None:
    link = item.get("url") or item.get("external_url") or ""
    link = urljoin(url, link.strip()) if isinstance(link, str) and link.strip() else ""
    raw = item.get("content_html")
    if not isinstance(raw, str) or not raw:
        text = item.get("content_text") or item.get("summary") or ""
        raw = escape(text, quote=False) if isinstance(text, str) else ""
    authors = item.get("authors") or ([item["author"]] if item.get("author") else [])
    author = authors[0].get("name", "") if authors and isinstance(authors[0], dict) else ""
    item_id = item.get("id")
    return _make_item(
        key=str(item_id) if isinstance(item_id, str | int) else "",
        link=link,
        title=_text(str(item.get("title") or "")),
        raw_html=raw,
        published=_iso(item.get("date_published")),
        updated=_iso(item.get("date_modified")),
        author=str(author or ""),
    )
