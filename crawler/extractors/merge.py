"""Union of structured-data and DOM entries, deduplicated by key, into ordered EntryItems."""

from __future__ import annotations

import re
from datetime import timedelta

from crawler.extractors.base import RawEntry, content_key, sha1
from crawler.extractors.page import Page
from crawler.items import EntryItem
from crawler.text.timeparse import to_iso

# LD items without ids match a DOM entry whose time is this close (repubblica: DOM is minute
# precision, LD has seconds).
_TIME_MATCH = timedelta(seconds=90)


def dedupe(entries: list[RawEntry]) -> list[RawEntry]:
    """One entry per key, first occurrence wins; a pinned copy (shown at the top) sets ``pinned``.

    Later copies only fill an empty author or title. Entries without a key are kept as they are.
    """
    out: list[RawEntry] = []
    by_key: dict[str, RawEntry] = {}
    for entry in entries:
        if not entry.key:
            out.append(entry)
            continue
        seen = by_key.get(entry.key)
        if seen is None:
            by_key[entry.key] = entry
            out.append(entry)
        else:
            seen.pinned = seen.pinned or entry.pinned
            seen.author = seen.author or entry.author  # a pinned copy may show "KEY EVENT" instead
            seen.title = seen.title or entry.title
    return out


def merge(
    dom: list[RawEntry], structured: list[RawEntry], *, add_unmatched: bool = True
) -> list[RawEntry]:
    """Union keyed by entry id: DOM body, pinned flag and title win; LD fills what DOM lacks.

    The LD time replaces a DOM time the adapter marked untrusted (or a missing one). LD items
    without a key are matched to DOM entries by order when both lists have the same length and
    their times agree, else by time. ``add_unmatched=False`` (used with the generic heuristic)
    keeps only DOM blocks that matched a structured item, so a wrong guess cannot add junk to
    a good LD list.
    """
    dom = dedupe(dom)
    structured = dedupe(structured)
    by_key = {e.key: e for e in dom if e.key}
    affixed: dict[str, RawEntry] | None = None
    matched: set[int] = set()
    extra: list[RawEntry] = []
    keyless = [s for s in structured if not s.key]

    def place(item: RawEntry, target: RawEntry | None) -> None:
        """An LD item enriches the DOM entry it matched, or stands as an extra entry."""
        if target is None:
            _mark_structured(item)
            extra.append(item)
        else:
            _enrich(target, item)
            matched.add(id(target))

    for item in structured:
        if item.key:
            target = by_key.get(item.key)
            if target is None and by_key:
                affixed = _affixed(dom) if affixed is None else affixed
                target = affixed.get(item.key)
            place(item, target)
    if keyless:
        pairs = _pair_keyless(dom, keyless)
        for item in keyless:
            place(item, pairs.get(id(item)))
    if not add_unmatched:
        dom = [e for e in dom if id(e) in matched]
    combined = dom + extra
    if all(e.published is not None for e in combined):
        # Sort on the UTC timestamp: aware datetimes sharing one ZoneInfo compare by wall time,
        # which misorders the repeated hour of a DST fall-back night. Stable: ties keep page order.
        combined.sort(key=lambda e: e.published.timestamp(), reverse=True)
    return combined


_AFFIX = re.compile(r"^[A-Za-z]+[-_](?=\w)|(?<=\w)[-_][A-Za-z]+$")


def _affixed(dom: list[RawEntry]) -> dict[str, RawEntry]:
    """DOM entries by their id without a word prefix or suffix: the Guardian's DOM id
    ``block-6462…`` is ``6462…`` in its JSON-LD, NDTV's ``80_parent`` is ``#80``."""
    out: dict[str, RawEntry] = {}
    clash: set[str] = set()
    for entry in dom:
        if not entry.key:
            continue
        bare = _AFFIX.sub("", entry.key)
        if bare and bare != entry.key:
            if bare in out:
                clash.add(bare)
            out[bare] = entry
    for bare in clash:
        del out[bare]
    return out


def _enrich(target: RawEntry, item: RawEntry) -> None:
    target.structured_text = _structured_text(item)
    if item.published is not None and (target.published is None or not target.time_trusted):
        target.published = item.published
        target.filled.add("time")
    if item.updated is not None and (target.updated is None or not target.time_trusted):
        target.updated = item.updated
    if item.title and not target.title:
        target.filled.add("title")
    if not target.body_html and item.body_html:
        target.filled.add("body")
    target.title = target.title or item.title
    target.author = target.author or item.author
    target.url = target.url or item.url
    if not target.body_html:
        target.body_html = item.body_html
    target.body_text = target.body_text or item.body_text


def _mark_structured(item: RawEntry) -> None:
    item.structured_text = _structured_text(item)


def _structured_text(item: RawEntry) -> str:
    return f"{item.title}\x1f{item.body_html or item.body_text}"


def _pair_keyless(dom: list[RawEntry], items: list[RawEntry]) -> dict[int, RawEntry]:
    """Match id-less LD items to DOM entries: by order if lengths and times agree, else by time."""
    if len(dom) == len(items) and all(
        _close(d, s) for d, s in zip(dom, items, strict=True) if d.published and s.published
    ):
        return {id(s): d for d, s in zip(dom, items, strict=True)}
    pairs: dict[int, RawEntry] = {}
    free = list(dom)
    for item in items:
        for cand in free:
            if _close(cand, item) and (
                not cand.title or not item.title or cand.title == item.title
            ):
                pairs[id(item)] = cand
                free.remove(cand)
                break
    return pairs


def _close(a: RawEntry, b: RawEntry) -> bool:
    if a.published is None or b.published is None:
        return False
    return abs(a.published.timestamp() - b.published.timestamp()) <= _TIME_MATCH.total_seconds()


def to_items(entries: list[RawEntry], page: Page) -> list[EntryItem]:
    """Final keys, permalinks, hashes and positions (0 = newest).

    Id-less entries sharing a content key (two in one minute without titles) are numbered from
    the bottom of the page, the oldest end: a newer one arriving on top gets the next number
    and every older one keeps its key.
    """
    keys = [
        entry.key
        or content_key(
            entry.published,
            entry.title,
            entry.body_text or entry.body_html or "",
            entry.match_minute,
        )
        for entry in entries
    ]
    seen: set[str] = set()
    for i in range(len(keys) - 1, -1, -1):
        key = keys[i]
        if key in seen:
            n = 2
            while f"{key}~{n}" in seen:
                n += 1
            keys[i] = f"{key}~{n}"
        seen.add(keys[i])
    items: list[EntryItem] = []
    for key, entry in zip(keys, entries, strict=True):
        body = entry.body_html or ""
        items.append(
            EntryItem(
                key=key,
                url=entry.url or (page.permalink(entry.key) if entry.key else page.canonical),
                title=entry.title,
                body=None,
                body_html=body,
                raw_hash=sha1(entry.structured_text if entry.structured_text is not None else body),
                published_at=to_iso(entry.published),
                updated_at=to_iso(entry.updated),
                position=len(items),
                pinned=entry.pinned,
                author=entry.author,
                match_minute=entry.match_minute,
            )
        )
    return items
