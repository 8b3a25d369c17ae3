"""JSON Feed 1.0/1.1 (https://jsonfeed.org/version/1.1), which feedparser does not read."""

from __future__ import annotations

import json
from html import escape
from urllib.parse import urljoin

from crawler.feeds.dates import rfc3339_to_utc
from crawler.feeds.items import FeedResult, finish, make_item, text
from crawler.items import EntryItem


def parse_json_feed(body: bytes, url: str) -> FeedResult:
    """A JSON Feed body into a FeedResult; never raises on bad JSON."""
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
        title=text(str(data.get("title") or "")),
        entries=finish(_from_json_item(i, url) for i in items if isinstance(i, dict)),
        format="json",
    )


def _from_json_item(item: dict, url: str) -> EntryItem | None:
    link = item.get("url") or item.get("external_url") or ""
    link = urljoin(url, link.strip()) if isinstance(link, str) and link.strip() else ""
    raw = item.get("content_html")
    if not isinstance(raw, str) or not raw:
        plain = item.get("content_text") or item.get("summary") or ""
        raw = escape(plain, quote=False) if isinstance(plain, str) else ""
    authors = item.get("authors") or ([item["author"]] if item.get("author") else [])
    author = authors[0].get("name", "") if authors and isinstance(authors[0], dict) else ""
    item_id = item.get("id")
    return make_item(
        key=str(item_id) if isinstance(item_id, str | int) else "",
        link=link,
        title=text(str(item.get("title") or "")),
        raw_html=raw,
        published=rfc3339_to_utc(item.get("date_published")),
        updated=rfc3339_to_utc(item.get("date_modified")),
        author=str(author or ""),
    )
