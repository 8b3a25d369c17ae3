"""The structured-data extractor: schema.org ``LiveBlogPosting`` updates (JSON-LD, microdata)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Any

import orjson
import xxhash

from crawler.extractors.base import (
    RawEntry,
    body_from_text,
    clean_text,
    fragment_key,
    normalise_for_key,
    xp,
)
from crawler.extractors.page import Page, ld_types
from crawler.text.timeparse import parse_iso

_MICRODATA_ITEMS = (
    "//*[@itemscope][contains(concat(' ', normalize-space(@itemprop), ' '), ' liveBlogUpdate ')]"
)
_MICRODATA_ROOT = "//*[@itemscope][contains(@itemtype, 'LiveBlogPosting')]"


@dataclass
class Structured:
    """What structured data said: ``kind`` is "jsonld", "microdata" or None."""

    kind: str | None = None
    entries: list[RawEntry] = field(default_factory=list)
    is_liveblog: bool = False  # a LiveBlogPosting was declared, even with no updates
    page_types: list[str] = field(default_factory=list)


class StructuredExtractor:
    """Reads ``liveBlogUpdate`` items; JSON-LD first, microdata when JSON-LD has none.

    Keys are the ``url`` fragment (``…#751105`` → ``751105``), else the ``@id`` fragment or the
    whole ``@id``; items with neither (repubblica) get key "" and are matched to the DOM by the
    merge. Times are ISO with offset; a naive one is read in ``zone`` (the adapter's) if known.
    """

    name = "jsonld"
    description = "schema.org LiveBlogPosting.liveBlogUpdate in JSON-LD (or microdata)"
    claims = 'script[type="application/ld+json"] LiveBlogPosting / [itemprop=liveBlogUpdate]'

    def extract(self, page: Page, zone: tzinfo | None = None) -> Structured:
        out = Structured()
        level = self.page_level(page)
        for obj in page.ld_objects:
            types = ld_types(obj)
            out.page_types.extend(sorted(types))
            if "LiveBlogPosting" not in types:
                continue
            out.is_liveblog = True
            out.entries.extend(
                _from_ld_memo(item, zone, level) for item in _updates_of(obj, page.ld_nodes)
            )
        if out.entries:
            out.kind = "jsonld"
            return out
        if page.has("liveBlogUpdate"):
            items = xp(_MICRODATA_ITEMS)(page.doc)
            out.entries = [_from_ld(_microdata_props(item), zone) for item in items]
            if out.entries:
                out.kind = "microdata"
        if page.has("LiveBlogPosting") and xp(f"boolean({_MICRODATA_ROOT})")(page.doc):
            out.is_liveblog = True
        return out

    def ld_updates(self, page: Page) -> list[dict]:
        """The raw JSON-LD ``liveBlogUpdate`` objects, in the order ``extract`` reads them."""
        out: list[dict] = []
        for obj in page.ld_objects:
            if "LiveBlogPosting" in ld_types(obj):
                out.extend(_updates_of(obj, page.ld_nodes))
        return out

    def page_level(self, page: Page) -> PageLevel:
        """What the JSON-LD updates copy from the page rather than say about their entry."""
        headlines: set[str] = set()
        for obj in page.ld_objects:
            if "LiveBlogPosting" in ld_types(obj):
                headlines.update(
                    normalise_for_key(_as_str(obj.get(k))) for k in ("headline", "name")
                )
        updates = self.ld_updates(page)
        shared = {}
        for name in ("datePublished", "dateModified"):
            values = {_as_str(u.get(name)) for u in updates}
            shared[name] = values.pop() if len(updates) > 1 and len(values) == 1 else ""
        return PageLevel(
            frozenset(headlines - {""}), shared["datePublished"], shared["dateModified"]
        )

    def has_microdata(self, page: Page) -> bool:
        """Whether ``extract`` would read microdata updates (it does when JSON-LD has none)."""
        return page.has("liveBlogUpdate") and bool(xp(_MICRODATA_ITEMS)(page.doc))


@dataclass(frozen=True)
class PageLevel:
    """Values every update merely copies from the page: not an entry's own, so never used.

    The Guardian gives every ``liveBlogUpdate`` the page's headline and one ``datePublished``
    (the page's); taken as the entries' own, every entry would carry the page headline and the
    same time. A headline equal to the liveblog's, and a time shared by every update, are
    dropped; the DOM supplies them where an adapter reads it.
    """

    headlines: frozenset[str] = frozenset()
    published: str = ""
    modified: str = ""


def _updates_of(obj: dict, nodes: dict[str, dict]) -> list[dict]:
    """The posting's updates, a bare reference (``{"@id": "#post-3"}``) replaced by the node
    it names elsewhere on the page (an ``@graph`` or another block); one that names nothing
    described is no entry."""
    updates = obj.get("liveBlogUpdate") or []
    if isinstance(updates, dict):
        updates = [updates]
    out = []
    for item in updates:
        if isinstance(item, dict) and item.keys() <= _REFERENCE:
            item = nodes.get(_as_str(item.get("@id")))
        if isinstance(item, dict) and not item.keys() <= _REFERENCE:
            out.append(item)
    return out


_REFERENCE = frozenset(("@id", "@type", "@context"))


def item_key(item: dict) -> str:
    """The entry key of an LD update: its ``url`` fragment, else the ``@id`` fragment or ``@id``."""
    url = item.get("url")
    if type(url) is str and "#" in url:  # the common case, without the general conversions
        key = url.strip().partition("#")[2]
        if key:
            return key
    key = fragment_key(_as_str(url))
    ident = _as_str(item.get("@id"))
    if not key and ident:
        key = fragment_key(ident) or ident
    return key


# An update's RawEntry by a hash of the update as JSON (and the zone and page level it was read
# with): a 300-update liveblog with one new entry converts one update per poll, not 300. A pure
# function of its key, so the memo only saves time; cleared when it grows past its bound.
_LD_MEMO: dict[tuple, RawEntry] = {}
_LD_MEMO_MAX = 50_000


def _from_ld_memo(item: dict, zone: tzinfo | None, level: PageLevel) -> RawEntry:
    try:
        mark = xxhash.xxh3_64_intdigest(orjson.dumps(item))
    except TypeError:  # an integer beyond 64 bits (lenient JSON): no memo
        return _from_ld(item, zone, level)
    memo_key = (mark, str(zone), level)
    hit = _LD_MEMO.get(memo_key)
    if hit is None:
        if len(_LD_MEMO) >= _LD_MEMO_MAX:
            _LD_MEMO.clear()
        hit = _LD_MEMO[memo_key] = _from_ld(item, zone, level)
    copy = object.__new__(RawEntry)  # a fresh one per poll: the merge writes to entries
    copy.__dict__.update(hit.__dict__)
    copy.filled = set()
    return copy


def _from_ld(item: dict, zone: tzinfo | None, level: PageLevel = PageLevel()) -> RawEntry:
    url = _as_str(item.get("url"))
    key = item_key(item)
    body = _as_str(item.get("articleBody"))
    title = clean_text(_as_str(item.get("headline")) or _as_str(item.get("name")))
    if level.headlines and normalise_for_key(title) in level.headlines:
        title = ""
    published, modified = _as_str(item.get("datePublished")), _as_str(item.get("dateModified"))
    return RawEntry(
        key=key,
        title=title,
        body_html=body_from_text(body) or None,
        body_text=body,
        published=parse_iso("" if published == level.published else published, zone),
        updated=parse_iso("" if modified == level.modified else modified, zone),
        author=_authors(item.get("author")),
        url=url if key and url and "#" in url else "",
        origin="structured",
    )


def _as_str(value: Any) -> str:
    if isinstance(value, list):
        value = value[0] if value else ""
    if isinstance(value, dict):
        value = value.get("@id") or value.get("url") or value.get("name") or ""
    return str(value).strip() if value is not None else ""


def _authors(value: Any) -> str:
    items = value if isinstance(value, list) else [value]
    names = []
    for item in items:
        name = item.get("name") if isinstance(item, dict) else item
        name = clean_text(str(name)) if name else ""
        if name and name not in names:
            names.append(name)
    return ", ".join(names)


def _microdata_props(scope: Any) -> dict:
    """The item's own properties (not those of nested ``itemscope`` items, except ``author``)."""
    props: dict[str, Any] = {}
    stack = list(scope)
    while stack:
        node = stack.pop(0)
        if not isinstance(node.tag, str):
            continue
        names = (node.get("itemprop") or "").split()
        if node.get("itemscope") is not None:
            if "author" in names:
                props.setdefault("author", _microdata_props(node))
            continue
        for name in names:
            props.setdefault(name, _microdata_value(node))
        stack[:0] = list(node)
    return props


def _microdata_value(node: Any) -> str:
    for attr in ("content", "datetime", "href", "src"):
        if node.get(attr) is not None:
            return node.get(attr)
    return node.text_content()
