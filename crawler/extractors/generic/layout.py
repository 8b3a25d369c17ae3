"""Where a page we have no adapter for keeps its entries: repeated timed blocks or flat runs.

Every time signal (a ``<time>``, a ``datetime``/``data-*time`` attribute, a short text with a
clock, a match minute or "4m ago") votes for its ancestors up to six levels, grouped by
(parent, tag). A group with three voted children is a candidate; its *family* is every child of
that tag whose classes share the voted children's common part (``coventry`` of ``coventry
coventry--special``), or, with no common part, fall within their variants (``left``/``right``).
A family of headings or short anchors is *flat*: each entry is the member plus the siblings up
to the next member, a heading, a date heading or page furniture. AMP ``amp-live-list`` items
are taken as they are. The best candidate has the most timed members with text.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from crawler.extractors.base import xp
from crawler.extractors.generic.runs import HEADINGS, date_headings, flat_runs
from crawler.extractors.generic.scan import MIN_TEXT, Scan, median
from crawler.extractors.page import Page
from crawler.text.clocks import read_printed

_ATTR_SIGNALS = (
    "//body//time | //body//*[@datetime] | //body//*[@itemprop='datePublished']"
    " | //body//*[@*[contains(name(), '-time') or contains(name(), 'timestamp')]]"
)
# Short text nodes with a digit (a clock, a match minute, "4m ago"); read_printed decides.
# Inside a link only a bare time counts ("12:50" as the entry's permalink): the dated links
# of teaser lists are not entries.
_TEXT_SIGNALS = (
    "//body//text()[string-length(normalize-space()) < 40]"
    "[translate(., '0123456789', '') != .]"
    "[not(ancestor::script or ancestor::style or ancestor::option)]"
    "[not(ancestor::a) or string-length(normalize-space()) <= 16]"
)
# The page's own "Stand: 25.05.2024 20:37 Uhr" / "Updated 12:00" line dates the page, no entry.
_DATELINE_RE = re.compile(
    r"\s*(?:stand|aktualisiert|updated|last updated|published|veröffentlicht|mis à jour)\b",
    re.IGNORECASE,
)
# Headings and bold lead-ins that open with a time: "05.20 Uhr: Bahn stellt …", "+++ 14:26 …".
_HEAD_SIGNALS = (
    "//body//*[self::h2 or self::h3 or self::h4 or self::h5 or self::h6 or self::b"
    " or self::strong or self::p]/text()[1][string-length(normalize-space()) >= 40]"
    "[translate(substring(normalize-space(), 1, 12), '0123456789', '')"
    " != substring(normalize-space(), 1, 12)]"
)
_AMP_ITEMS = "//amp-live-list/*[@items]/*"
_MAX_LEVELS = 6
MIN_BLOCKS = 3
# Containers that hold comments, navigation or teasers: repeated timed blocks, never entries.
# A class token or id names such a block when its BEM block part is one of these words
# ("comments", "comments__list", "related-articles"); a modifier like "layout--with-sidebar"
# or a word like "commentary" (sports commentary is a liveblog) does not.
_NOT_CONTENT_RE = re.compile(
    r"(?:comments?|comment-(?:list|section|thread)s?|kommentare?|repl(?:y|ies)|disqus\w*|"
    r"discussions?|sidebar|teasers?|related(?:-\w+)?|most-?read\w*|navigation|newsletter\w*|"
    r"(?:site-|page-)?footer|breadcrumbs?|widget-area|secondary)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Recipe:
    """How the last poll of a URL found its entries, to find them again without voting: the
    container's tree path, the members' tag and class marks (repeated containers or AMP)."""

    path: str
    tag: str
    common: frozenset[str]
    union: frozenset[str]
    count: int
    amp: bool = False


@dataclass
class Layout:
    """The entry blocks found: ``runs[i]`` are the nodes of entry ``i`` (member first).

    ``dates[i]`` is the date a date heading gives entry ``i`` (None without one).
    """

    runs: list[list[Any]]
    flat: bool
    note: str
    timed: int
    dates: list[date | None] = field(default_factory=list)
    recipe: Recipe | None = None
    text: int = 0  # median characters of non-link text per entry

    def strong(self) -> bool:
        """A structure that makes a page a liveblog even on a weak live signal: five entries,
        half of them timed, with text of their own (a teaser list is mostly links)."""
        n = len(self.runs)
        return n >= 5 and self.timed >= max(3, n // 2) and self.text >= MIN_TEXT


def find_layout(page: Page, year: int | None, scan: Scan) -> tuple[Layout | None, str]:
    """The best entry layout of ``page``, or None with a reason."""
    amp = xp(_AMP_ITEMS)(page.doc) if page.has("amp-live-list") else None
    if amp:
        return _amp(amp, scan), ""
    groups = _vote(page)
    best: Layout | None = None
    best_score = (0, 0)
    for (parent, tag), voted in groups.items():
        if len(voted) < MIN_BLOCKS or _outside_content(parent):
            continue
        layout = _layout_of(parent, tag, voted, scan)
        if layout is None:
            continue
        score = (layout.timed, len(layout.runs))
        if score > best_score:
            best, best_score = layout, score
    if best is None:
        return None, "no repeated timed blocks"
    best.dates = date_headings(best.runs, year)
    return best, ""


def _amp(items: list[Any], scan: Scan) -> Layout:
    runs = [[m] for m in items if scan.text([m]) or scan.timed([m])]
    timed = sum(1 for r in runs if scan.timed(r))
    recipe = Recipe("", "", frozenset(), frozenset(), len(runs), amp=True)
    note = f"{len(runs)} amp-live-list items"
    text = median([scan.text(r) for r in runs])
    return Layout(runs, False, note, timed, recipe=recipe, text=text)


def follow(page: Page, recipe: Recipe, year: int | None, scan: Scan) -> Layout | None:
    """The layout ``recipe`` finds on ``page`` if it still holds (as many entries as half of
    last time, at least three good ones), else None: the caller votes afresh."""
    if recipe.amp:
        amp = xp(_AMP_ITEMS)(page.doc)
        layout = _amp(amp, scan) if amp else None
    else:
        hits = page.doc.xpath(recipe.path)
        if not hits or not isinstance(hits[0].tag, str):
            return None
        members = _members(hits[0], recipe.tag, recipe.common, recipe.union)
        layout = _container(members, recipe.tag, recipe.common, scan)
    if layout is None or len(layout.runs) * 2 < recipe.count:
        return None
    layout.dates = date_headings(layout.runs, year) if not recipe.amp else [None] * len(layout.runs)
    return layout


def _vote(page: Page) -> dict[tuple[Any, str], list[Any]]:
    signals = list(xp(_ATTR_SIGNALS)(page.doc))
    for text in xp(_TEXT_SIGNALS)(page.doc):
        if read_printed(str(text)).timed and not _DATELINE_RE.match(str(text)):
            parent = text.getparent()
            if parent is not None:
                signals.append(parent)
    for text in xp(_HEAD_SIGNALS)(page.doc):
        head = str(text).lstrip()[:24]
        printed = read_printed(head)
        if (printed.clock or printed.minute) and not _DATELINE_RE.match(head):
            parent = text.getparent()
            if parent is not None:
                signals.append(parent)
    groups: dict[tuple[Any, str], list[Any]] = defaultdict(list)
    seen: set[tuple[Any, Any]] = set()
    for sig in signals:
        node = sig
        for _ in range(_MAX_LEVELS):
            parent = node.getparent()
            if parent is None or parent.tag in ("body", "html"):
                break
            if (parent, node) not in seen and isinstance(node.tag, str):
                seen.add((parent, node))
                groups[(parent, node.tag)].append(node)
            node = parent
    return groups


def _outside_content(node: Any) -> bool:
    for el in (node, *node.iterancestors()):
        if el.tag in ("nav", "footer", "aside"):
            return True
        for token in f"{el.get('class') or ''} {el.get('id') or ''}".split():
            if _NOT_CONTENT_RE.fullmatch(token.split("__")[0]):
                return True
    return False


def _base_tokens(node: Any) -> frozenset[str]:
    """Class tokens without BEM modifiers and without digits (ids, counters)."""
    return _tokens_of(node.get("class") or "")


@lru_cache(maxsize=4096)
def _tokens_of(classes: str) -> frozenset[str]:
    out = set()
    for token in classes.split():
        base = token.split("--")[0]
        if base and not any(ch.isdigit() for ch in base):
            out.add(base)
    return frozenset(out)


def _members(parent: Any, tag: str, common: frozenset[str], union: frozenset[str]) -> list[Any]:
    out = []
    for child in parent:
        if child.tag != tag:
            continue
        tokens = _base_tokens(child)
        if common:
            if common <= tokens:
                out.append(child)
        elif tokens <= union and (tokens or not union):
            out.append(child)
    return out


def _marks(voted: list[Any]) -> tuple[frozenset[str], frozenset[str]]:
    counts: dict[str, int] = defaultdict(int)
    for v in voted:
        for token in _base_tokens(v):
            counts[token] += 1
    n = len(voted)
    common = frozenset(t for t, c in counts.items() if c * 4 >= n * 3)
    union = frozenset(t for t, c in counts.items() if c * 4 >= n)
    return common, union


def _layout_of(parent: Any, tag: str, voted: list[Any], scan: Scan) -> Layout | None:
    common, union = _marks(voted)
    members = _members(parent, tag, common, union)
    flat = tag in HEADINGS or tag == "p" or median([scan.text([m]) for m in members]) < MIN_TEXT
    if not flat:
        layout = _container(members, tag, common, scan)
        if layout is not None:
            path = parent.getroottree().getpath(parent)
            layout.recipe = Recipe(path, tag, common, union, len(layout.runs))
        return layout
    # A flat run starts at a timed member only: an untimed heading is a section or date.
    voted_set = set(voted)
    runs = flat_runs([m for m in members if m in voted_set], tag)
    return _kept(runs, True, tag, common, scan)


def _container(members: list[Any], tag: str, common: frozenset[str], scan: Scan) -> Layout | None:
    return _kept([[m] for m in members], False, tag, common, scan)


def _kept(
    runs: list[list[Any]], flat: bool, tag: str, common: frozenset[str], scan: Scan
) -> Layout | None:
    kept = [r for r in runs if scan.text(r) or scan.timed(r)]  # layout markers are no entries
    good = [r for r in kept if scan.text(r) >= MIN_TEXT or (scan.timed(r) and scan.text(r) >= 10)]
    if len(good) < MIN_BLOCKS:
        return None
    timed = sum(1 for r in kept if scan.timed(r))
    sig = tag + "".join("." + c for c in sorted(common))
    shape = "flat runs after" if flat else "repeated"
    note = f"{len(kept)} {shape} <{sig}> blocks, {timed} with a time"
    return Layout(kept, flat, note, timed, text=median([scan.text(r) for r in kept]))
