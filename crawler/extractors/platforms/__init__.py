"""Liveblogs that live on a platform and are only embedded in the page.

One small module per platform (tickaroo, sourcefabric, wordpress, liveblog24, livecenter,
arena, scribblelive), each a ``Platform`` (base.py) with ``detect`` / ``endpoint`` / ``parse``;
hosts.py decides which hosts a platform request may reach. This package imports only
crawler.extractors (page, base), crawler.items and crawler.text; the spider drives it.

Entry points: :func:`find_embed` (page → the one embed, or None), :func:`parse_payload`
(platform response bytes → EntryItems; :func:`read_payload` adds the cursor of the platform's
incremental form) and :func:`unknown_embed` (names an embedded liveblog
no adapter reads, for the "not a liveblog" sentence).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import orjson

from crawler.extractors.base import xp
from crawler.extractors.page import Page
from crawler.extractors.platforms.arena import Arena
from crawler.extractors.platforms.base import EmbedError, EmbedRef, PayloadError, Platform
from crawler.extractors.platforms.hosts import checked_url
from crawler.extractors.platforms.liveblog24 import Liveblog24
from crawler.extractors.platforms.livecenter import LiveCenter
from crawler.extractors.platforms.scribblelive import ScribbleLive
from crawler.extractors.platforms.sourcefabric import Sourcefabric
from crawler.extractors.platforms.tickaroo import Tickaroo
from crawler.extractors.platforms.wordpress import WordPressLiveblog
from crawler.items import EntryItem

# Sorted by name. Adding a platform = one module + one line here.
PLATFORMS: tuple[Platform, ...] = tuple(
    sorted(
        (
            Arena(),
            Liveblog24(),
            LiveCenter(),
            ScribbleLive(),
            Sourcefabric(),
            Tickaroo(),
            WordPressLiveblog(),
        ),
        key=lambda p: p.name,
    )
)
PLATFORM_NAMES: tuple[str, ...] = tuple(p.name for p in PLATFORMS)
# Whether any platform needs a tree walk at all: a substring search per marker (a fast scan
# each, ~0.3 ms per MB) is several times cheaper than one regex alternation of them, which has
# no literal prefix to skip ahead on (4–10 ms on a real 0.6–1.3 MB liveblog).
_MARKERS = tuple(p.marker for p in PLATFORMS)


def get_platform(name: str) -> Platform:
    for platform in PLATFORMS:
        if platform.name == name:
            return platform
    raise ValueError(f"unknown platform {name!r}; known: {', '.join(PLATFORM_NAMES)}")


def has_marker(raw: bytes | str) -> bool:
    """Cheap pre-check: does the page mention any platform's embed at all?"""
    data = raw.encode("utf-8", "replace") if isinstance(raw, str) else raw
    return any(marker in data for marker in _MARKERS)


def find_embed(page: Page, site: str | None = None) -> EmbedRef | None:
    """The page's one platform embed, or None. ``site`` (a platform name) looks for that one
    only. Two different embeds raise EmbedError: which liveblog to follow is the operator's
    choice (``--site NAME``), never a guess."""
    candidates = [get_platform(site)] if site else PLATFORMS
    found: list[EmbedRef] = []
    for platform in candidates:
        if page.has(platform.marker.decode()):
            ref = platform.detect(page)
            if ref is not None:
                found.append(ref)
    if site and not found:
        raise EmbedError(f"forced site {site!r}: no {site} embed found on the page")
    if len(found) > 1:
        names = "; ".join(ref.label for ref in found)
        raise EmbedError(
            f"the page embeds {len(found)} liveblogs ({names}): choose one with --site NAME"
        )
    return found[0] if found else None


def endpoint_url(ref: EmbedRef, page_url: str) -> tuple[str, str]:
    """(the endpoint as stored and shown, the URL actually fetched: see hosts.py)."""
    platform = get_platform(ref.platform)
    endpoint = platform.endpoint(ref)
    return endpoint, checked_url(platform, endpoint, page_url)


@dataclass(frozen=True)
class Payload:
    """One platform answer: its entries and the cursor it names for the next incremental
    request (None: it names none)."""

    entries: list[EntryItem]
    cursor: str | None = None


def read_payload(platform_name: str, body: bytes, page_url: str) -> Payload:
    """Decode the platform's JSON and read its entries and cursor; PayloadError when it is not
    JSON or not the platform's shape (the poll then fails and nothing stored changes)."""
    platform = get_platform(platform_name)
    try:
        data: Any = orjson.loads(body.removeprefix(b"\xef\xbb\xbf"))
    except orjson.JSONDecodeError as error:
        raise PayloadError(f"{platform.name}: response is not JSON ({error})") from None
    return Payload(platform.parse(data, page_url), platform.cursor(data))


def parse_payload(platform_name: str, body: bytes, page_url: str) -> list[EntryItem]:
    """The entries of one platform answer (see read_payload)."""
    return read_payload(platform_name, body, page_url).entries


# iframes of liveblog software no adapter knows ("live-blog", "liveblog", "…ticker" in the URL).
# Scripts are not counted: themes ship liveblog-named assets (Nexstar, KTLA) without a liveblog.
_UNKNOWN_RE = re.compile(r"live-?blog|liveticker|newsticker", re.IGNORECASE)


def unknown_embed(page: Page) -> str | None:
    """A sentence naming an embedded liveblog from a host no adapter reads, or None."""
    own = set(page.hosts)
    for src in xp("//iframe/@src")(page.doc):
        url = str(src).strip()
        host = (urlsplit(url if "//" in url else "").hostname or "").lower()
        if host and host not in own and _UNKNOWN_RE.search(url):
            return f"an embedded liveblog from an unknown platform ({host}; no adapter for it)"
    return None


__all__ = [
    "PLATFORMS",
    "PLATFORM_NAMES",
    "EmbedError",
    "EmbedRef",
    "Payload",
    "PayloadError",
    "endpoint_url",
    "find_embed",
    "get_platform",
    "has_marker",
    "parse_payload",
    "read_payload",
    "unknown_embed",
]
