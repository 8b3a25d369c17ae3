"""Links of an overview page, as entries: what a series hub offers when it is not a feed."""

from __future__ import annotations

import hashlib
from urllib.parse import urldefrag, urljoin

import lxml.html
from lxml import etree

from crawler.items import EntryItem

MAX_LINKS = 2_000  # an overview page lists dozens; a page with more is not worth following


def extract_links(html: str, base_url: str) -> list[EntryItem]:
    """Every distinct http(s) link in document order, keyed by its URL without fragment."""
    try:
        doc = lxml.html.document_fromstring(html.encode("utf-8", "replace"))
    except (etree.ParserError, ValueError):
        return []
    entries: list[EntryItem] = []
    seen: set[str] = set()
    for anchor in doc.iterfind(".//a[@href]"):
        url = urldefrag(urljoin(base_url, anchor.get("href", "").strip())).url
        if not url.startswith(("http://", "https://")) or url in seen:
            continue
        seen.add(url)
        title = " ".join(anchor.text_content().split())[:300]
        entries.append(
            EntryItem(
                key=url,
                url=url,
                title=title,
                body="",
                raw_hash=hashlib.sha1(f"{url}\x1f{title}".encode()).hexdigest(),
                position=len(entries),
            )
        )
        if len(entries) >= MAX_LINKS:
            break
    return entries
