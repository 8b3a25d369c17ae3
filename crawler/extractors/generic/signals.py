"""Does a page call itself live? Words in many languages, and structural hints.

A *strong* signal (a live word in the URL, title or main headline; a schema.org
``LiveBlogPosting``; an AMP live list) lets the generic extractor accept three repeated timed
blocks. A *weak* one (a live word anywhere in the page, ``data-live*`` attributes, an
auto-refresh hint, a ``SportsEvent``) needs a strong structure as well: ordinary articles carry
"Liveticker" links in their navigation, so a word alone must not make a page a liveblog.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from crawler.extractors.base import text_of, xp
from crawler.extractors.page import Page, ld_types

# live, liveblog, live-blog, as it happened; Liveblog, Liveticker, Newsticker, Ticker, "im
# Ticker"; en direct, direct; diretta; en directo, en vivo; ao vivo; na żywo, relacja; canlı.
# Separators cover URLs ("na-zywo", "en_direct") as well as titles. "Liverpool" is no signal.
_SEP = r"[\s_\-+/.]*"
_WORDS = (
    r"live(?:blog|ticker)?",
    rf"live{_SEP}(?:blog|ticker|updates?|coverage|report|text|commentary)",
    rf"as{_SEP}it{_SEP}happened",
    r"newsticker",
    r"ticker",
    r"minute[\s_\-]by[\s_\-]minute",
    rf"en{_SEP}direct",
    r"direct",
    r"(?:in\s)?diretta",
    rf"en{_SEP}directo",
    r"directo",
    rf"en{_SEP}vivo",
    rf"ao{_SEP}vivo",
    rf"na{_SEP}(?:żywo|zywo)",
    r"relacja",
    r"canl[ıi]",
    rf"minuto{_SEP}a{_SEP}minuto",
    rf"minute{_SEP}par{_SEP}minute",
)
LIVE_RE = re.compile(rf"(?<![^\W\d_])(?:{'|'.join(_WORDS)})(?![^\W\d_])", re.IGNORECASE)
_HEADLINE = "/html/head/meta[@property='og:title']/@content | //h1"


@dataclass(frozen=True)
class LiveSignal:
    """``strength`` is "strong" or "weak"; ``why`` names the first signal found."""

    strength: str
    why: str


def strong_signal(page: Page, *, declared: bool = False) -> LiveSignal | None:
    """A live word in the URL, title or headline; a LiveBlogPosting; an AMP live list."""
    if declared:
        return LiveSignal("strong", "schema.org LiveBlogPosting")
    if page.has("amp-live-list"):
        return LiveSignal("strong", "amp-live-list")
    for label, value in (("URL", page.canonical), ("URL", page.url), ("title", _title(page))):
        m = LIVE_RE.search(value)
        if m:
            return LiveSignal("strong", f"{m.group(0)!r} in the {label}")
    for node in xp(_HEADLINE)(page.doc)[:3]:
        m = LIVE_RE.search(node if isinstance(node, str) else text_of(node))
        if m:
            return LiveSignal("strong", f"{m.group(0)!r} in the headline")
    return None


def weak_signal(page: Page) -> LiveSignal | None:
    """A SportsEvent, data-live* attributes, an auto-refresh meta tag or a live word anywhere."""
    if has_sports_event(page):
        return LiveSignal("weak", "schema.org SportsEvent")
    if page.has("data-live") and xp("boolean(//*[@*[starts-with(name(), 'data-live')]])")(page.doc):
        return LiveSignal("weak", "data-live* attributes")
    if page.has("refresh") and xp(
        "boolean(/html/head/meta[translate(@http-equiv, 'REFSH', 'refsh') = 'refresh'])"
    )(page.doc):
        return LiveSignal("weak", "an auto-refresh meta tag")
    m = LIVE_RE.search(page.raw.decode("utf-8", "replace"))
    if m:
        return LiveSignal("weak", f"{m.group(0)!r} in the page")
    return None


def has_sports_event(page: Page) -> bool:
    return page.has("SportsEvent") and any("SportsEvent" in ld_types(o) for o in page.ld_objects)


def _title(page: Page) -> str:
    hits = xp("/html/head/title")(page.doc)
    return text_of(hits[0]) if hits else ""
