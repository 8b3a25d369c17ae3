"""The site-adapter base: a frozen dataclass of XPath selectors and the loop that applies it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from crawler.extractors.base import RawEntry, first, fragment, text_of, xp
from crawler.extractors.page import Page
from crawler.text.timeparse import parse_any


@dataclass(frozen=True)
class Selectors:
    """Where one site keeps each entry field. All XPath; ``entry`` is absolute, the rest relative.

    ``time``/``updated`` return a timestamp string (epoch s/ms or ISO, decided by its form);
    ``anchor`` (default: the key) the entry's in-page anchor for its permalink, where the key
    is not the DOM id itself (Guardian); ``title``/``body``/``exclude`` return elements;
    ``pinned`` is a boolean expression on the entry; ``author`` returns a string. ``ignore_offset`` reads a printed offset as local wall
    time (repubblica's bogus ``Z``); ``time_trusted=False`` lets a structured-data time win.
    ``detect`` (default: ``entry``) must match for the adapter to claim a page; ``marker`` is a
    substring the raw HTML must contain first, so non-matching adapters cost no tree walk.
    """

    marker: str
    entry: str
    detect: str = ""
    key: str = "string(@id)"
    anchor: str = ""
    time: str = ""
    updated: str = ""
    title: str = ""
    body: str = "."
    exclude: str = ""
    pinned: str = ""
    author: str = ""
    timezone: str = "UTC"
    ignore_offset: bool = False
    time_trusted: bool = True
    min_entries: int = 1


class DomAdapter:
    """A site adapter: class attributes describe it, ``sel`` locates fields, hooks add logic.

    Subclasses override at most one hook each: ``key_for`` (canonical form of the DOM id),
    ``pinned_keys`` (pinned flags kept outside the entry, e.g. an index of key posts) or
    ``extract`` (for markup that is not one container per entry, like tagesschau).
    """

    name: ClassVar[str]
    description: ClassVar[str]
    domains: ClassVar[tuple[str, ...]] = ()
    claims: ClassVar[str]  # human-readable CSS of the markup that makes the adapter apply
    sel: ClassVar[Selectors]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.sel.timezone)

    def host_hint(self, page: Page) -> str:
        """The page host (canonical first) if it belongs to one of ``domains``, else ""."""
        for host in page.hosts:
            if any(host == d or host.endswith("." + d) for d in self.domains):
                return host
        return ""

    def detect(self, page: Page) -> str | None:
        """Why this adapter applies to ``page`` (one sentence), or None when it does not."""
        if not page.has(self.sel.marker):
            return None
        if self.sel.detect:
            found = xp(f"count({self.sel.detect})")(page.doc)
        else:  # the same node list ``extract`` walks next: select it once
            found = len(page.select(self.sel.entry))
        if found < self.sel.min_entries:
            return None
        why = f"{self.name}: markup {self.claims} found ({int(found)}x)"
        hint = self.host_hint(page)
        return f"{why}; host {hint}" if hint else why

    # --- hooks -------------------------------------------------------------------------------

    def key_for(self, raw_id: str) -> str:
        """The canonical entry key for a DOM id; the id itself unless a site says otherwise."""
        return raw_id

    def pinned_keys(self, page: Page) -> set[str]:
        """Keys flagged pinned by markup outside the entries; none by default."""
        return set()

    # --- the loop ----------------------------------------------------------------------------

    def extract(self, page: Page) -> list[RawEntry]:
        """Apply ``sel`` to every entry container, newest first as the page shows them."""
        outside = self.pinned_keys(page)
        return [self.entry_from(node, page, outside) for node in page.select(self.sel.entry)]

    def entry_from(self, node: Any, page: Page, outside: set[str]) -> RawEntry:
        """One entry from its container. Reads only inside ``node`` (plus ``outside`` and the
        page's canonical URL): the incremental path (incremental.py) relies on that to reuse the
        result while the container's markup is unchanged."""
        sel = self.sel
        key = self.key_of(node)
        title_el = first(node, sel.title) if sel.title else None
        excluded = set(xp(sel.exclude)(node)) if sel.exclude else set()
        if title_el is not None:
            excluded.add(title_el)
        bodies = xp(sel.body)(node)
        return RawEntry(
            key=key,
            title=text_of(title_el),
            body_html=fragment(bodies, excluded),
            published=self.read_time(node, sel.time),
            updated=self.read_time(node, sel.updated),
            pinned=bool(sel.pinned and xp(sel.pinned)(node)) or key in outside,
            author=text_of(first(node, sel.author)) if sel.author else "",
            url=page.permalink(first(node, sel.anchor) if sel.anchor else key) if key else "",
            time_trusted=sel.time_trusted,
        )

    def key_of(self, node: Any) -> str:
        """The entry key of a container; ``string(@id)`` (most sites) skips the XPath engine."""
        if self.sel.key == "string(@id)":
            return self.key_for((node.get("id") or "").strip())
        return self.key_for(first(node, self.sel.key) or "")

    def read_time(self, node: Any, expr: str) -> datetime | None:
        if not expr:
            return None
        value = first(node, expr)
        if not isinstance(value, str):
            value = text_of(value)
        return parse_any(value, self.zone, ignore_offset=self.sel.ignore_offset)
