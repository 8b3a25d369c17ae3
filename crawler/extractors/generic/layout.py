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

import xxhash
from lxml import etree

from crawler.extractors.base import text_of, xp
from crawler.extractors.generic.entries import find_time
from crawler.extractors.page import Page
from crawler.text.clocks import is_date_line, read_printed

_ATTR_SIGNALS = (
    "//body//time | //body//*[@datetime] | //body//*[@itemprop='datePublished']"
    " | //body//*[@*[contains(name(), '-time') or contains(name(), 'timestamp')]]"
)
# Short text nodes with a digit (a clock, a match minute, "4m ago"); read_printed decides.
_TEXT_SIGNALS = (
    "//body//text()[string-length(normalize-space()) < 40]"
    "[translate(., '0123456789', '') != .]"
    "[not(ancestor::script or ancestor::style or ancestor::a or ancestor::option)]"
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
MIN_TEXT = 40
MIN_BLOCKS = 3
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_SKIP_TAGS = {"script", "style", "noscript", "template"}
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
# Siblings that end a flat entry: the ARD source line and footer, tag lists, share bars …
_FURNITURE_RE = re.compile(
    r"backlink|meldungsfooter|footer|taglist|teaser|socialbuttons|sharing|share-bar|related|"
    r"newsletter|pagination|paywall|comments",
    re.IGNORECASE,
)
_FURNITURE_TAGS = {"footer", "nav", "form", "aside"}
# Lines after the last entry that belong to the page: "Quelle: …", "Zurück zur Übersicht" …
_FURNITURE_TEXT_RE = re.compile(
    r"^(?:quellen?|sources?|fonte|fuente|źródło)\s*:|^(?:zurück|back to|mehr zum thema|"
    r"mehr zu diesem thema|read more|lesen sie auch|weitere meldungen|related)\b",
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
    best.dates = _date_headings(best, year)
    return best, ""


def _amp(items: list[Any], scan: Scan) -> Layout:
    runs = [[m] for m in items if scan.text([m]) or scan.timed([m])]
    timed = sum(1 for r in runs if scan.timed(r))
    recipe = Recipe("", "", frozenset(), frozenset(), len(runs), amp=True)
    note = f"{len(runs)} amp-live-list items"
    text = _median([scan.text(r) for r in runs])
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
    layout.dates = _date_headings(layout, year) if not recipe.amp else [None] * len(layout.runs)
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


def _family(parent: Any, tag: str, voted: list[Any]) -> list[Any]:
    """Every child of ``parent`` with ``tag`` that belongs with the voted ones.

    The family's mark is the class tokens nearly all voted children share (``coventry``);
    without one, the variants a quarter of them carry each (``left``/``right``).
    """
    common, union = _marks(voted)
    return _members(parent, tag, common, union)


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
    flat = tag in _HEADINGS or tag == "p" or _median([scan.text([m]) for m in members]) < MIN_TEXT
    if not flat:
        layout = _container(members, tag, common, scan)
        if layout is not None:
            path = parent.getroottree().getpath(parent)
            layout.recipe = Recipe(path, tag, common, union, len(layout.runs))
        return layout
    # A flat run starts at a timed member only: an untimed heading is a section or date.
    voted_set = set(voted)
    runs = _flat_runs([m for m in members if m in voted_set], tag)
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
    return Layout(kept, flat, note, timed, text=_median([scan.text(r) for r in kept]))


def _flat_runs(members: list[Any], tag: str) -> list[list[Any]]:
    member_set = set(members)
    rank = int(tag[1]) if tag in _HEADINGS else 7
    runs = []
    for i, m in enumerate(members):
        last = i == len(members) - 1
        run = [m]
        for sib in m.itersiblings():
            if sib in member_set or not isinstance(sib.tag, str):
                if sib in member_set:
                    break
                continue
            if sib.tag in _HEADINGS and int(sib.tag[1]) <= rank:
                # An anchor's own headline follows it (ARD); any later heading is a section.
                if rank < 7 or len(run) > 1:
                    break
            if _is_furniture(sib, last) or _is_date_heading(sib):
                break
            if sib.tag not in _SKIP_TAGS:
                run.append(sib)
        runs.append(run)
    return runs


def _is_furniture(node: Any, last: bool) -> bool:
    if node.tag in _FURNITURE_TAGS or _FURNITURE_RE.search(node.get("class") or ""):
        return True
    if last:
        text = text_of(node)
        return len(text) < 120 and bool(_FURNITURE_TEXT_RE.match(text))
    return False


def _is_date_heading(node: Any, year: int | None = 2000) -> date | None:
    if node.tag not in _HEADINGS and node.tag not in ("p", "div", "span", "strong", "time"):
        return None
    text = text_of(node)
    return is_date_line(text, year=year) if text and len(text) <= 60 else None


def _date_headings(layout: Layout, year: int | None) -> list[date | None]:
    """The date each entry's nearest date heading gives it.

    Headings before the first entry mean day sections (an entry takes the last one above it);
    a first heading after the first entry means day footers (an entry takes the next one below
    it, the entries after the last footer the one above them).
    """
    if not layout.runs:
        return []
    parent = layout.runs[0][0].getparent()
    starts = {id(r[0]): i for i, r in enumerate(layout.runs)}
    in_runs = {id(n) for r in layout.runs for n in r}
    marks: list[tuple[int, date]] = []  # (entries before it, date)
    seen = 0
    for child in parent:
        if id(child) in starts:
            seen = starts[id(child)] + 1
            continue
        if id(child) in in_runs or not isinstance(child.tag, str):
            continue
        day = _is_date_heading(child, year)
        if day is not None:
            marks.append((seen, day))
    n = len(layout.runs)
    if not marks:
        return [None] * n
    out: list[date | None] = [None] * n
    if marks[0][0] == 0:  # sections: each heading dates the entries below it
        for i in range(n):
            above = [d for before, d in marks if before <= i]
            out[i] = above[-1] if above else None
    else:  # footers: each heading dates the entries above it
        for i in range(n):
            below = [d for before, d in marks if before > i]
            above = [d for before, d in marks if before <= i]
            out[i] = below[0] if below else (above[-1] if above else None)
    return out


def _median(values: list[int]) -> int:
    return sorted(values)[len(values) // 2] if values else 0


class Scan:
    """Per-parse measurements: non-link text length per node (navigation is mostly links) and
    whether a run carries a time; candidates share nodes, so each is measured once.

    ``known`` maps run fingerprints of the last poll to (text length, timed): on a followed
    recipe an unchanged run is not measured again (see ``fingerprint``).
    """

    def __init__(self, known: dict[int, Any] | None = None) -> None:
        self._chars: dict[Any, int] = {}
        self._timed: dict[Any, bool] = {}
        self._prints: dict[Any, int] = {}
        self.known = known or {}

    def fingerprint(self, run: list[Any], flat: bool) -> int:
        """A 64-bit hash of everything an entry is built from: its nodes' markup (and, for a
        flat run, the anchor before it, which may carry the key)."""
        mark = self._prints.get(run[0])
        if mark is None:
            digest = xxhash.xxh3_64(b"\x01" if flat else b"\x00")
            for node in run:
                digest.update(etree.tostring(node, with_tail=False))
            if flat and run[0].getprevious() is not None:
                digest.update(b"\x1e" + etree.tostring(run[0].getprevious(), with_tail=False))
            mark = self._prints[run[0]] = digest.intdigest()
        return mark

    def text(self, run: list[Any]) -> int:
        if self.known:
            hit = self.known.get(self.fingerprint(run, False))
            if hit is not None:
                return hit.text
        total = 0
        for node in run:
            n = self._chars.get(node)
            if n is None:
                n = len(text_of(node)) - sum(len(text_of(a)) for a in xp(".//a")(node))
                self._chars[node] = n
            total += n
        return total

    def timed(self, run: list[Any]) -> bool:
        if self.known:
            hit = self.known.get(self.fingerprint(run, False))
            if hit is not None:
                return hit.timed
        hit = self._timed.get(run[0])
        if hit is None:
            hit = self._timed[run[0]] = find_time(run).found
        return hit
