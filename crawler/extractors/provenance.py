"""Which fields of a page's entries came from the page markup and which from structured data."""

from __future__ import annotations

from crawler.extractors.base import RawEntry, normalise_for_key
from crawler.extractors.page import Page
from crawler.extractors.structured import StructuredExtractor

_FIELDS = (("time", "published"), ("title", "title"), ("body", "body_html"))


def provenance(entries: list[RawEntry]) -> list[str]:
    """One line per field: "time: 7 page markup, 3 structured data, 0 none" (zeros left out).

    A DOM entry's field counts as structured data where the merge filled it from there
    (``RawEntry.filled``); an entry only structured data lists counts as structured data.
    """
    lines = []
    for label, attr in _FIELDS:
        counts = {"page markup": 0, "structured data": 0, "match minute": 0, "none": 0}
        for entry in entries:
            if not getattr(entry, attr):
                if label == "time" and entry.match_minute:
                    counts["match minute"] += 1
                else:
                    counts["none"] += 1
            elif entry.origin == "structured" or label in entry.filled:
                counts["structured data"] += 1
            else:
                counts["page markup"] += 1
        parts = [f"{n} {where}" for where, n in counts.items() if n]
        lines.append(f"{label}: {', '.join(parts) or 'no entries'}")
    return lines


def structured_notes(page: Page, structured: StructuredExtractor) -> list[str]:
    """What of the JSON-LD updates was not believed (see ``StructuredExtractor.page_level``)."""
    level = structured.page_level(page)
    updates = structured.ld_updates(page)
    notes = []
    if level.published:
        notes.append(
            f"structured times ignored: all {len(updates)} updates share {level.published}"
        )
    if level.headlines:
        same = sum(
            1
            for u in updates
            if normalise_for_key(str(u.get("headline") or u.get("name") or "")) in level.headlines
        )
        if same:
            notes.append(
                f"structured titles ignored on {same} updates: they repeat the page headline"
            )
    return notes
