"""Feed items: one feedparser-shaped entry into an EntryItem, shared by every feed parser path."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

from crawler.feeds.dates import entry_date
from crawler.items import EntryItem, Unparsed
from crawler.text.cleaning import clean_fragment, content_hash, stored_raw_hash, strip_controls
from crawler.text.urls import canonical_url


@dataclass
class FeedResult:
    """A parsed feed; ``error`` is set (and ``entries`` empty) when the body is no usable feed."""

    title: str = ""
    entries: list[EntryItem] = field(default_factory=list)
    error: str | None = None
    format: str = ""  # feedparser's version ("rss20", "atom03", …) or "json"


def finish(items: Iterable[EntryItem | None]) -> list[EntryItem]:
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


def text(value: str, detail: Any = None) -> str:
    """Single-line text of a title: HTML-typed titles are cleaned, plain ones only squeezed."""
    value = strip_controls(value or "")
    if detail and "html" in (detail.get("type") or "") and ("<" in value or "&" in value):
        value = clean_fragment(value)
    return " ".join(value.split())


def unwrap_cdata(value: str) -> str:
    """tagesschau's Atom 0.3 escapes a CDATA section, so after unescaping it is literal text."""
    value = value.strip()
    if value.startswith("<![CDATA[") and value.endswith("]]>"):
        return value[9:-3]
    return value


def raw_digest(raw_html: str) -> str:
    """The extractor's raw_hash of a feed item's content (the clean pipeline folds the title in)."""
    return hashlib.sha1(unwrap_cdata(strip_controls(raw_html or "")).encode("utf-8")).hexdigest()


def direct_key(key: str, link: str) -> str:
    """The key an item names itself by: its GUID, else its canonical link; "" for neither."""
    return strip_controls(key).strip() or canonical_url(link)


def item_key(key: str, link: str, title: str, when: str | None, body: str | None) -> str:
    """GUID, else the canonical link, else publication minute + title (as for liveblogs), so a
    body edit keeps the key; only an item with neither title nor date is keyed by its body."""
    key = direct_key(key, link)
    if key:
        return key
    if title or when:
        return "h:" + content_hash(title, (when or "")[:16])
    return "h:" + content_hash(title, body or "")


def make_item(
    *,
    key: str,
    link: str,
    title: str,
    raw_html: str,
    published: str | None,
    updated: str | None,
    author: str,
) -> EntryItem | None:
    """The EntryItem for one feed item with its body cleaned; None for an item with nothing in it."""
    raw_html = unwrap_cdata(strip_controls(raw_html or ""))
    body = clean_fragment(raw_html)
    if not (title or link or body):
        return None
    return EntryItem(
        key=item_key(key, link, title, published or updated, body),
        url=link,
        title=title,
        body=body,
        raw_hash=hashlib.sha1(raw_html.encode("utf-8")).hexdigest(),
        published_at=published or updated,
        updated_at=updated,
        author=" ".join(strip_controls(author or "").split()),
        article_url=link if link.startswith(("http://", "https://")) else None,
    )


# An absolute http(s) URL that urljoin returns unchanged: it only re-assembles urlparse's parts,
# which changes nothing without whitespace, controls, path parameters or empty query/fragment.
_PLAIN_URL = re.compile(
    r"https?://[A-Za-z0-9.-]+(?::[0-9]+)?(?:/[^\s;?#\x00-\x1f\x7f]*)?"
    r"(?:\?[^\s#\x00-\x1f\x7f]+)?(?:#[^\s\x00-\x1f\x7f]+)?"
)


def entry_link(entry: Any, url: str) -> str:
    """The item's link, resolved against the feed URL."""
    link = strip_controls(entry.get("link") or "").strip()
    if not link or _PLAIN_URL.fullmatch(link):
        return link  # urljoin's answer, at a tenth of its cost
    return urljoin(url, link)


def content_and_summary(entry: Any) -> tuple[str, str]:
    """The preferred content (HTML-typed first) and the summary that stands in when it is empty."""
    contents = entry.get("content") or []
    html_parts = [c for c in contents if "html" in (c.get("type") or "")] or contents
    raw_html = html_parts[0].get("value", "") if html_parts else entry.get("summary", "")
    return raw_html, entry.get("summary", "") or ""


def from_feedparser(entry: Any, url: str) -> EntryItem | None:
    """One feedparser entry (or a dict shaped like one, see crawler/feeds/fast.py)."""
    raw_html, summary = content_and_summary(entry)
    if not clean_fragment(unwrap_cdata(raw_html)) and summary:
        raw_html = summary
    return make_item(
        key=entry.get("id") or "",
        link=entry_link(entry, url),
        title=text(entry.get("title", ""), entry.get("title_detail")),
        raw_html=raw_html,
        published=entry_date(entry, "published"),
        updated=entry_date(entry, "updated"),
        author=entry.get("author") or "",
    )


def unchanged_item(
    key: str, link: str, title: str, raw_hash: str, author: str, unparsed: Unparsed
) -> EntryItem:
    """An item whose raw_hash is stored: no body, no dates (crawler.feeds.parse.complete_item)."""
    return EntryItem(
        key=key,
        url=link,
        title=title,
        raw_hash=raw_hash,
        author=" ".join(strip_controls(author or "").split()),
        article_url=link if link.startswith(("http://", "https://")) else None,
        unparsed=unparsed,
    )


def skip_unchanged(entry: Any, url: str, stored: dict[str, str] | None) -> EntryItem | None:
    """feedparser's path: the item unparsed if its raw_hash is stored, else None (parse it).

    The stored hash covers the chosen fragment only, and the choice (content, or the summary
    when the content cleans to nothing) needs one cleaning when content and summary differ.
    """
    if not stored:
        return None
    link = entry_link(entry, url)
    key = direct_key(entry.get("id") or "", link)
    if not key or key not in stored:
        return None
    title = text(entry.get("title", ""), entry.get("title_detail"))
    first, summary = content_and_summary(entry)
    if stored[key] == stored_raw_hash(title, raw_digest(first)):
        chosen = first
        if summary and summary != first and not clean_fragment(unwrap_cdata(first)):
            return None  # the summary stands in now (it was empty before)
    elif summary and stored[key] == stored_raw_hash(title, raw_digest(summary)):
        chosen = summary
        if clean_fragment(unwrap_cdata(first)):
            return None  # the content has text again
    else:
        return None
    author = entry.get("author") or ""
    return unchanged_item(key, link, title, raw_digest(chosen), author, Unparsed(url, entry))
