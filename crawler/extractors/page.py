"""The page context shared by all extractors: one lxml parse, canonical URL, JSON-LD, page date."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from functools import cached_property
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

import lxml.html
import orjson
from lxml import etree
from w3lib.encoding import html_to_unicode

from crawler.extractors.base import first, xp

log = logging.getLogger(__name__)


_UTF8_PARSER = lxml.html.HTMLParser(encoding="utf-8")


class Page:
    """One fetched page, parsed once; every extractor reads from this shared context."""

    def __init__(
        self, html: str | bytes, url: str, now: datetime | None = None, encoding: str | None = None
    ) -> None:
        if isinstance(html, bytes) and _is_utf8(encoding):
            # Declared UTF-8 (Scrapy's response.encoding): libxml2 reads the bytes as they are
            # and replaces invalid sequences with U+FFFD, as decoding would; decoding 1 MB and
            # encoding it again only for that cost a third of the parse.
            self.raw = html
        else:
            if isinstance(html, bytes):
                # The same charset rules as Scrapy's TextResponse: BOM, then <meta>, then guess.
                _, html = html_to_unicode(None, html)
            # Parse UTF-8 bytes with the encoding pinned: a <meta charset> in the page (which
            # Scrapy already honoured when decoding) must not make lxml decode the bytes again.
            self.raw = html.encode("utf-8", "replace")
        self.url = url
        self.now = now
        self._selected: dict[str, list[Any]] = {}
        try:
            self.doc = lxml.html.document_fromstring(self.raw, parser=_UTF8_PARSER)
        except (etree.ParserError, ValueError):
            self.doc = lxml.html.document_fromstring("<html><body></body></html>")

    def select(self, expr: str) -> list[Any]:
        """The nodes an absolute XPath selects, evaluated once per page (detect, then extract)."""
        hits = self._selected.get(expr)
        if hits is None:
            hits = self._selected[expr] = list(xp(expr)(self.doc))
        return hits

    def has(self, marker: str) -> bool:
        """Cheap substring pre-check on the raw bytes before any tree walk."""
        return marker.encode("utf-8") in self.raw

    @cached_property
    def is_feed(self) -> bool:
        """An RSS/Atom/RDF document handed to the HTML path: never a liveblog page."""
        head = self.raw[:512].lstrip().lower()
        if head.startswith(b"<?xml"):
            head = head[head.find(b"?>") + 2 :].lstrip()
        while head.startswith(b"<!--"):
            head = head[head.find(b"-->") + 3 :].lstrip()
        return head.startswith((b"<rss", b"<feed", b"<rdf:rdf", b"<rdf"))

    @cached_property
    def canonical(self) -> str:
        """``link[rel=canonical]``, else ``og:url``, else the request URL; fragment removed."""
        for expr in (
            "/html/head/link[@rel='canonical']/@href",
            "/html/head/meta[@property='og:url']/@content",
        ):
            hit = first(self.doc, expr)
            if hit and hit.startswith(("http://", "https://", "/")):
                return urldefrag(urljoin(self.url, hit))[0]
        return urldefrag(self.url)[0]

    @cached_property
    def hosts(self) -> tuple[str, ...]:
        """Hosts naming the site: canonical first, request host as a hint (127.0.0.1 in tests)."""
        out = []
        for u in (self.canonical, self.url):
            host = (urlsplit(u).hostname or "").lower()
            if host and host not in out:
                out.append(host)
        return tuple(out)

    def permalink(self, anchor: str) -> str:
        return f"{self.canonical}#{anchor}" if anchor else self.canonical

    @cached_property
    def reference_time(self) -> datetime | None:
        """The newest instant the page's entries can have, to date bare "HH:MM" clocks: the
        page's dateline, modification time or date (see pagetime.py), else ``now``."""
        from crawler.extractors.pagetime import reference_time

        return reference_time(self)

    @cached_property
    def ld_objects(self) -> list[dict]:
        """Every JSON-LD object on the page, flattened out of lists and ``@graph``.

        Invalid blocks (ndtv's NewsArticle has one a strict parser rejects) are skipped.
        """
        out: list[dict] = []
        if not self.has("ld+json"):
            return out
        for script in self.doc.iter("script"):
            if (script.get("type") or "").strip().lower() != "application/ld+json":
                continue
            text = (script.text or "").strip()
            if not text:
                continue
            try:
                data = orjson.loads(text)
            except orjson.JSONDecodeError:
                try:  # raw control characters in strings, big integers: the lenient parser
                    data = json.loads(text, strict=False)
                except ValueError as exc:
                    log.debug("skipping invalid JSON-LD block on %s: %s", self.url, exc)
                    continue
            _flatten_ld(data, out)
        return out


def _is_utf8(encoding: str | None) -> bool:
    return (encoding or "").lower().replace("_", "-") in ("utf-8", "utf8")


def _flatten_ld(data: Any, out: list[dict]) -> None:
    if isinstance(data, list):
        for item in data:
            _flatten_ld(item, out)
    elif isinstance(data, dict):
        if "@graph" in data:
            _flatten_ld(data["@graph"], out)
        if "@type" in data:
            out.append(data)


def ld_types(obj: dict) -> set[str]:
    """``@type`` as a set of bare names ("https://schema.org/LiveBlogPosting" → LiveBlogPosting)."""
    raw = obj.get("@type")
    names = raw if isinstance(raw, list) else [raw]
    return {str(n).rsplit("/", 1)[-1] for n in names if n}
