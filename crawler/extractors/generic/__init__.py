"""The generic extractor for liveblogs no adapter knows (``tickerwatch add URL`` on any site).

``signals`` decides whether a page calls itself live, ``layout`` finds the entry blocks
(repeated containers, flat heading runs, AMP live lists), ``entries`` turns each block into a
RawEntry and dates the printed times. Everything reads one lxml tree; no trafilatura.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

from crawler.extractors.base import RawEntry, clean_text, text_of, xp
from crawler.extractors.generic import memo
from crawler.extractors.generic.entries import resolve_dates, with_offset_zone
from crawler.extractors.generic.layout import Layout, find_layout, follow
from crawler.extractors.generic.scan import Scan
from crawler.extractors.generic.signals import LiveSignal, strong_signal, weak_signal
from crawler.extractors.page import Page

__all__ = ["GenericExtractor", "GenericResult", "LiveSignal"]


@dataclass
class GenericResult:
    entries: list[RawEntry]
    note: str  # what the heuristic saw, for Extraction.reason / chosen_because
    layout: Layout | None = None


class GenericExtractor:
    """Repeated timed blocks or flat timed runs, read without knowing the site.

    Keys: an id-like attribute of the block (or of an empty anchor right before a flat
    heading), else "" (the merge derives a content key from time or minute and title). Zones:
    a zone printed beside the clocks, else Berlin on German pages ("Uhr", ``lang="de"``), else
    the offset of the page's own time, else UTC.
    """

    name = "generic"
    description = "heuristic: repeated blocks or flat heading runs that each carry a time and text"
    claims = (
        "repeated blocks / headings with <time>, datetime or data-*time attributes, printed"
        " clocks (HH:MM, HH.MM Uhr), match minutes (95') or relative times; amp-live-list"
    )

    def extract(self, page: Page) -> GenericResult:
        # Without any date on the page, the fetch time dates the printed clocks.
        reference = page.reference_time or datetime.now(UTC)
        year = reference.year
        headlines = page_headlines(page)
        scope = ("generic", page.url, *sorted(headlines))
        known = memo.MEMO.get(scope)
        recipe = memo.recipe_for(page.url) if known else None
        layout = None
        if recipe is not None:
            scan = Scan(known)
            layout = follow(page, recipe, year, scan)
        if layout is None:
            scan = Scan()
            layout, why = find_layout(page, year, scan)
            if layout is None:
                memo.remember_recipe(page.url, None)
                return GenericResult([], why)
            memo.remember_recipe(page.url, layout.recipe)
        drafts = memo.drafts(layout, scan, headlines, scope, known)
        _unique_keys(drafts)
        resolve_dates(drafts, layout.dates, self.zone(page, reference), reference)
        return GenericResult([d.entry for d in drafts], layout.note, layout)

    @staticmethod
    def zone(page: Page, reference: datetime | None) -> tzinfo:
        return page.zone or with_offset_zone(reference) or UTC

    @staticmethod
    def strong_signal(page: Page, *, declared: bool = False) -> LiveSignal | None:
        """A live word in URL, title or headline; a LiveBlogPosting; an AMP live list."""
        return strong_signal(page, declared=declared)

    @staticmethod
    def weak_signal(page: Page) -> LiveSignal | None:
        """A live word anywhere, data-live*, auto-refresh, a SportsEvent."""
        return weak_signal(page)


def _unique_keys(drafts: list[Any]) -> None:
    """An id shared by several blocks (a CSS hook, not an identity) is no key."""
    counts: dict[str, int] = {}
    for d in drafts:
        if d.entry.key:
            counts[d.entry.key] = counts.get(d.entry.key, 0) + 1
    for d in drafts:
        if counts.get(d.entry.key, 0) > 1:
            d.entry.key = ""


def page_headlines(page: Page) -> frozenset[str]:
    """The page's own headline as og:title, <h1>, <title> and JSON-LD give it, casefolded: an
    entry "titled" with it has no title of its own."""
    out = set()
    for expr in ("/html/head/meta[@property='og:title']/@content", "//h1", "/html/head/title"):
        for hit in xp(expr)(page.doc)[:2]:
            value = clean_text(hit if isinstance(hit, str) else text_of(hit)).casefold()
            if value:
                out.add(value)
    for obj in page.ld_objects:
        value = obj.get("headline")
        if isinstance(value, str) and value.strip():
            out.add(clean_text(value).casefold())
    return frozenset(out)
