"""Structured data weighed, not trusted: degenerate JSON-LD updates lose their times and titles.

The Guardian's ``liveBlogUpdate`` items all carry one ``datePublished`` (the page's) and the
page's own headline; taken at face value every entry gets the same time and the page title.
When all updates share one time, or an update's headline is the page's headline, those fields
are dropped so the page markup's own times and titles win (with or without an adapter).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from crawler.extractors.base import RawEntry, clean_text, text_of, xp
from crawler.extractors.page import Page
from crawler.text.timeparse import to_iso


@dataclass(frozen=True)
class Verdict:
    """What to drop from structured entries, and why (for ``inspect``)."""

    drop_times: bool = False
    headlines: frozenset[str] = frozenset()  # casefolded page headlines no update may carry
    notes: tuple[str, ...] = ()

    def apply(self, entry: RawEntry) -> RawEntry:
        if self.drop_times:
            entry.published = entry.updated = None
        if entry.title and clean_text(entry.title).casefold() in self.headlines:
            entry.title = ""
        return entry


def judge(entries: Iterable[RawEntry], page: Page) -> Verdict:
    """The verdict on one page's structured entries."""
    entries = list(entries)
    if not entries:
        return Verdict()
    notes = []
    stamps = {to_iso(e.published) for e in entries}
    drop = len(entries) >= 2 and len(stamps) == 1 and None not in stamps
    if drop:
        notes.append(f"structured times ignored: all {len(entries)} updates share {stamps.pop()}")
    headlines = page_headlines(page)
    same = sum(1 for e in entries if e.title and clean_text(e.title).casefold() in headlines)
    if same:
        notes.append(f"structured titles ignored on {same} updates: they repeat the page headline")
    return Verdict(drop, headlines if same else frozenset(), tuple(notes))


def page_headlines(page: Page) -> frozenset[str]:
    """The page's own headline as og:title, <h1>, <title> and JSON-LD give it, casefolded."""
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
