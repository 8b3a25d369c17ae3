"""The page context shared by all extractors: one lxml parse, canonical URL, JSON-LD, page date."""

from __future__ import annotations

import json
import logging
from datetime import datetime, tzinfo
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
_TIME_WORDS = (b"Stand", b"pdated", b"Aktualisiert", b" Uhr")
# A JSON-LD block larger than this is not read (the largest real one, Mirror's 428 updates,
# is about 1 MB); libxml2 itself drops any text node over 10 MB.
MAX_LD_CHARS = 5_000_000


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
        if b"\x00" in self.raw:
            # libxml2 turns a raw NUL into U+FFFD; the database keeps text minus NUL (README).
            # A NUL byte is never part of a UTF-8 sequence, so dropping it is always safe.
            self.raw = self.raw.replace(b"\x00", b"")
        self.url = url
        self.ld_too_large: list[int] = []  # sizes of JSON-LD blocks not read (MAX_LD_CHARS)
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
    def zone(self) -> tzinfo | None:
        """The zone the site prints its clocks in, as far as language and country tell."""
        from crawler.extractors.pagetime import page_zone

        return page_zone(self)

    @cached_property
    def time_words(self) -> frozenset[bytes]:
        """Which of the words that date a page ("Stand", "Updated", "Uhr") it contains, looked
        up once per page (substring scans: a regex alternation over 1 MB costs 20 times more)."""
        return frozenset(w for w in _TIME_WORDS if w in self.raw)

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
            if not text or len(text) > MAX_LD_CHARS:
                size = len(text) or self._raw_script_size(script)
                if size > MAX_LD_CHARS:  # libxml2 drops a text node over 10 MB: measure raw
                    self.ld_too_large.append(size)
                    log.info("JSON-LD block of %d characters on %s not read", size, self.url)
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

    @cached_property
    def ld_nodes(self) -> dict[str, dict]:
        """The JSON-LD objects that describe something, by their ``@id``: what a bare
        reference such as ``{"@id": "#post-3"}`` in a ``liveBlogUpdate`` list points at."""
        nodes: dict[str, dict] = {}
        for obj in self.ld_objects:
            ident = obj.get("@id")
            if isinstance(ident, str) and ident and not obj.keys() <= {"@id", "@type", "@context"}:
                nodes.setdefault(ident, obj)
        return nodes

    def _raw_script_size(self, script: Any) -> int:
        """The length of a script element's content in the raw page (lxml lost the text)."""
        line = script.sourceline or 0
        start = self.raw.find(b">", _line_offset(self.raw, line)) + 1 if line else -1
        if start <= 0:
            return 0
        end = self.raw.find(b"</script", start)
        return (end if end >= 0 else len(self.raw)) - start


def _line_offset(raw: bytes, line: int) -> int:
    """Byte offset of the start of 1-based ``line`` (the script's opening tag is on it)."""
    offset = 0
    for _ in range(line - 1):
        offset = raw.find(b"\n", offset) + 1
        if offset == 0:
            return len(raw)
    return offset


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
