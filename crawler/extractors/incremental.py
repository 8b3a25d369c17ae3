"""Incremental liveblog extraction: rebuild only the entries whose markup changed since last poll.

A poll of a 300-entry liveblog usually brings one new entry. Building every entry (XPath per
field, time parsing, fragment serialisation, JSON-LD conversion) cost 15x the page parse, while
the clean pipeline then skipped 299 of them by ``raw_hash``. Here each entry is first reduced to
a fingerprint of everything its EntryItem is computed from: the serialised DOM container(s) of
its key and the JSON-LD update(s) of its key. A memo (per source, in this process) maps the key
to the fingerprint and the finished item of the last poll; an entry whose fingerprint is the
same and whose stored ``raw_hash`` still equals the memo's is reused without its body (the clean
pipeline will skip it anyway). Every other entry is built exactly as the full path builds it.

The memo holds results of a pure function of its fingerprint, so a stale or evicted memo only
costs speed, never correctness. It applies where entries are independent of each other: a site
adapter with the default per-container loop, every entry keyed, JSON-LD or no structured data.
Anything else (tagesschau's sibling runs, the generic heuristic, microdata, id-less updates)
returns None and takes the full path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import fields
from typing import Any, NamedTuple

import orjson
import xxhash
from lxml import etree

from crawler.extractors.adapter import DomAdapter
from crawler.extractors.base import Extraction, RawEntry
from crawler.extractors.merge import merge, to_items
from crawler.extractors.page import Page
from crawler.extractors.structured import StructuredExtractor, _from_ld, item_key
from crawler.items import EntryItem
from crawler.memo import EntryMemo
from crawler.text.cleaning import stored_raw_hash

# About 1 KB per remembered entry (title, url, hashes, times, measured): 40,000 entries (130
# liveblogs of 300) = 40 MB. Beyond that the least recently extracted sources fall back to full
# rebuilds: busy liveblogs, the ones that change every poll, stay in.
MEMO_ENTRIES = 40_000


class _Done(NamedTuple):
    """An entry as the last poll finished it, without its body (which only a rebuild needs)."""

    fingerprint: int
    stored_hash: str  # raw_hash as the clean pipeline stores it (title folded in)
    item: EntryItem | tuple  # as built (with body_html), or remembered as a tuple of _FIELDS
    timestamp: float | None  # published, for the newest-first sort


# What the memo keeps of an EntryItem, as a tuple (a third of a dataclass instance) in field
# order, so that placing it is a positional call; the body fields are not kept.
_FIELDS = tuple(f.name for f in fields(EntryItem))[:12]  # key, url, … author, match_minute
assert _FIELDS[-1] == "match_minute", "EntryItem's field order changed: update _FIELDS"
_FORGOTTEN = frozenset(("body", "body_html", "position"))


MEMO = EntryMemo(MEMO_ENTRIES)


def stored_hash(item: EntryItem) -> str:
    """The raw hash the clean pipeline derives and stores (crawler/text/cleaning.py)."""
    return stored_raw_hash(item.title, item.raw_hash or item.body_html or item.body or "")


def extract_incremental(
    page: Page,
    adapter: DomAdapter,
    structured: StructuredExtractor,
    known: Mapping[str, str],
    why: str,
    memo: EntryMemo | None = None,
) -> Extraction | None:
    """The Extraction the full path would give (bodies only where needed), or None if the page
    is not one whose entries can be built independently (the caller then runs the full path)."""
    if type(adapter).extract is not DomAdapter.extract:
        return None
    updates = structured.ld_updates(page)
    if not updates and structured.has_microdata(page):
        return None
    nodes: dict[str, list[Any]] = {}
    for node in page.select(adapter.sel.entry):
        key = adapter.key_of(node)
        if not key:
            return None
        nodes.setdefault(key, []).append(node)
    if not nodes:
        return None
    items: dict[str, list[dict]] = {}
    for update in updates:
        key = item_key(update)
        if not key:
            return None
        items.setdefault(key, []).append(update)

    memo = MEMO if memo is None else memo
    outside = adapter.pinned_keys(page)
    # Page-wide inputs of every entry: a change of any of them starts the source afresh.
    level = structured.page_level(page)
    scope = (page.url, page.canonical, adapter.name, repr(adapter.sel), level)
    before = memo.get(scope)
    done: dict[str, _Done] = {}
    # The full path's order before its sort: DOM keys first, then LD-only keys, in page order.
    for key in [*nodes, *(k for k in items if k not in nodes)]:
        mark = _fingerprint(nodes.get(key, ()), items.get(key, ()), key in outside)
        old = before.get(key)
        if old is not None and old.fingerprint == mark and known.get(key) == old.stored_hash:
            done[key] = old
            continue
        dom = [adapter.entry_from(n, page, outside) for n in nodes.get(key, ())]
        ld = [_from_ld(u, adapter.zone, level) for u in items.get(key, ())]
        done[key] = _finish(mark, merge(dom, ld)[0], page)
    memo.put(
        scope,
        {
            k: d if type(d.item) is tuple else d._replace(item=_remembered(d.item))
            for k, d in done.items()
        },
    )

    order = list(done.values())
    if all(d.timestamp is not None for d in order):
        order.sort(key=lambda d: d.timestamp, reverse=True)  # as merge() sorts: stable, UTC
    entries = [_placed(d, position) for position, d in enumerate(order)]
    strategy = f"jsonld+{adapter.name}" if updates else adapter.name
    if updates:
        why += f"; merged with {len(updates)} jsonld updates"
    return Extraction(strategy, entries, "", why, page.canonical, len(nodes), len(updates))


def _fingerprint(nodes: Sequence[Any], updates: Sequence[dict], pinned_outside: bool) -> int:
    """Everything one key's EntryItem is computed from (page-wide inputs are in the scope).

    A 64-bit xxh3 of the containers' serialisation (every attribute and text node the
    adapter's XPath can read inside them) and of the LD updates as JSON: an edit that keeps it
    has a 2^-64 chance. The LD side covers every field of the update, not only those read.
    """
    digest = xxhash.xxh3_64(b"\x01" if pinned_outside else b"\x00")
    for node in nodes:
        digest.update(etree.tostring(node, with_tail=False))
        digest.update(b"\x1e")
    for update in updates:
        try:
            digest.update(orjson.dumps(update))
        except TypeError:  # an integer beyond 64 bits (lenient JSON): its repr
            digest.update(repr(update).encode("utf-8", "surrogatepass"))
        digest.update(b"\x1f")
    return digest.intdigest()


def _finish(mark: int, entry: RawEntry, page: Page) -> _Done:
    item = to_items([entry], page)[0]
    stamp = entry.published.timestamp() if entry.published is not None else None
    return _Done(mark, stored_hash(item), item, stamp)


def _remembered(item: EntryItem) -> tuple:
    return tuple(None if name in _FORGOTTEN else getattr(item, name) for name in _FIELDS)


def _placed(done: _Done, position: int) -> EntryItem:
    """A fresh item per poll (pipelines write to items); a remembered one has no body_html."""
    item = EntryItem(*done.item) if isinstance(done.item, tuple) else done.item
    item.position = position
    return item
