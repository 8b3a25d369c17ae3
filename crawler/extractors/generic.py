"""The generic extractor for unknown sites: repeated sibling blocks that carry a time and text."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from crawler.extractors.base import RawEntry, fragment, text_of, xp
from crawler.extractors.page import Page
from crawler.text.timeparse import BERLIN, assign_dates, parse_any, parse_german_datetime

# Elements that carry a machine-readable or printed time.
_SIGNALS = (
    "//body//time | //body//*[@datetime] | //body//*[@itemprop='datePublished']"
    " | //body//*[@*[contains(name(), '-time') or contains(name(), 'timestamp')]]"
)
# Short text nodes with a clock ("21:06 (IST)", "20:37 Uhr", "11:48"); checked by regex after.
_CLOCK_TEXT = (
    "//body//text()[contains(., ':')][string-length(normalize-space()) < 40]"
    "[not(ancestor::script or ancestor::style or ancestor::a)]"
)
_CLOCK_RE = re.compile(r"(?<![\d:])([01]?\d|2[0-3]):[0-5]\d(?![\d:])")
_MAX_LEVELS = 6
_MIN_TEXT = 40
_MIN_BLOCKS = 3
_TITLE = (
    "descendant-or-self::*[self::h1 or self::h2 or self::h3 or self::h4"
    " or contains(@class, 'title') or contains(@class, 'headline') or contains(@class, 'ttl')][1]"
)
_ID_ATTRS = ("id", "data-post-id", "data-entry-id", "data-id")
_LIVE_RE = re.compile(
    r"(?<![a-z])(live|liveblog|liveticker|newsticker|ticker|diretta|en-direct|directo|en-vivo)(?![a-z])",
    re.IGNORECASE,
)


@dataclass
class GenericResult:
    entries: list[RawEntry]
    note: str  # what the heuristic saw, for Extraction.reason / chosen_because


class GenericExtractor:
    """Finds the parent whose same-signature children most often contain a time and text.

    Every time signal votes for each of its ancestors up to six levels, grouped by (parent,
    tag + classes). The largest group of at least three blocks with 40+ characters of
    non-link text wins. When the blocks themselves are short (ARD-style anchors with the body
    in the following siblings) each block is extended by its siblings up to the next block.
    Keys: an id-like attribute of the block, else "" (the merge derives a content key). The
    site's zone is unknown: naive ISO times are read as UTC, printed clocks as Berlin time when
    the page writes German dates or "Uhr", else UTC, dated from the page (see
    ``Page.reference_time``) with midnight rollover.
    """

    name = "generic"
    description = "heuristic: repeated sibling blocks that each contain a time and text"
    claims = "any repeated block with <time>, datetime/data-*time attributes or HH:MM text"

    def extract(self, page: Page) -> GenericResult:
        groups: dict[tuple[int, str], list[Any]] = defaultdict(list)
        seen: set[tuple[int, int]] = set()
        signals = list(xp(_SIGNALS)(page.doc))
        for text in xp(_CLOCK_TEXT)(page.doc):
            if _CLOCK_RE.search(text):
                parent = text.getparent()
                if parent is not None:
                    signals.append(parent)
        # Keys are id()s of lxml proxies: keep every parent proxy alive so no id is reused.
        alive: list[Any] = []
        for sig in signals:
            node = sig
            for _ in range(_MAX_LEVELS):
                parent = node.getparent()
                if parent is None or parent.tag in ("body", "html"):
                    break
                pair = (id(parent), id(node))
                if pair not in seen:  # signals share ancestors: each pair is signed once
                    seen.add(pair)
                    groups[(id(parent), _signature(node))].append(node)
                    alive.append(parent)
                node = parent
        best: list[Any] = []
        best_note = "no repeated timed blocks"
        # Text lengths of nodes, reused by every group they are in and by _entries: the same
        # text_of calls made three times were a third of the heuristic's time.
        lengths = _Lengths()
        for (_pid, sig), members in groups.items():
            if len(members) < max(_MIN_BLOCKS, len(best) + 1):
                continue
            runs = _runs(members, lengths)
            good = [m for m, run in zip(members, runs, strict=True) if lengths.of(run) >= _MIN_TEXT]
            if len(good) >= _MIN_BLOCKS and len(good) > len(best):
                best = good
                best_note = f"{len(good)} repeated <{sig}> blocks with a time"
        if not best:
            return GenericResult([], best_note)
        return GenericResult(self._entries(page, best, lengths), best_note)

    def _entries(self, page: Page, members: list[Any], lengths: _Lengths) -> list[RawEntry]:
        out: list[RawEntry] = []
        stamps: list[tuple[date | None, time | None]] = []
        for member, run in zip(members, _runs(members, lengths), strict=True):
            title_el = _first_in(run, _TITLE)
            time_el, when = _time_in(run)
            key = next((member.get(a).strip() for a in _ID_ATTRS if member.get(a)), "")
            excluded = {e for e in (title_el, time_el) if e is not None}
            out.append(
                RawEntry(
                    key=key,
                    title=text_of(title_el),
                    body_html=fragment(run, excluded),
                    body_text=" ".join(text_of(n) for n in run),
                    published=when,
                    url=page.permalink(key) if key else "",
                )
            )
            printed = text_of(time_el) if when is None and time_el is not None else ""
            stamps.append(parse_german_datetime(printed) if printed else (None, None))
        if any(clock for _, clock in stamps):
            # Printed clocks: German "Uhr"/day-first dates are read as Berlin time, others as UTC.
            german = any(day for day, _ in stamps) or page.has(" Uhr")
            zone = BERLIN if german else UTC
            resolved = assign_dates(stamps, zone, reference=page.reference_time)
            for entry, value in zip(out, resolved, strict=True):
                entry.published = entry.published or value
        return out

    @staticmethod
    def looks_live(page: Page) -> bool:
        """A page-level liveblog signal in the URL, title or og:type (not "Liverpool")."""
        title = text_of(first_title(page))
        return bool(
            _LIVE_RE.search(page.canonical) or _LIVE_RE.search(page.url) or _LIVE_RE.search(title)
        )


def first_title(page: Page) -> Any:
    hits = xp("/html/head/title")(page.doc)
    return hits[0] if hits else None


def _signature(node: Any) -> str:
    """Tag plus class tokens without digits (ids and counters differ between entries)."""
    classes = sorted(
        c for c in (node.get("class") or "").split() if not any(ch.isdigit() for ch in c)
    )
    return node.tag + "".join("." + c for c in classes) if isinstance(node.tag, str) else "?"


def _runs(members: list[Any], lengths: _Lengths) -> list[list[Any]]:
    """Each member alone, or, if members are mostly short, member + siblings to the next one."""
    own = sorted(lengths.of([m]) for m in members)
    if own[len(own) // 2] >= _MIN_TEXT:
        return [[m] for m in members]
    member_set = set(members)
    runs = []
    for m in members:
        run = [m]
        for sib in m.itersiblings():
            if sib in member_set:
                break
            if isinstance(sib.tag, str) and sib.tag not in ("script", "style"):
                run.append(sib)
        runs.append(run)
    return runs


class _Lengths:
    """Characters of text that is not link text (navigation lists are mostly links), per node,
    computed once per extraction (the nodes are alive for all of it, so proxies are stable)."""

    def __init__(self) -> None:
        self._by_node: dict[Any, int] = {}

    def of(self, run: list[Any]) -> int:
        total = 0
        for node in run:
            n = self._by_node.get(node)
            if n is None:
                n = len(text_of(node)) - sum(len(text_of(a)) for a in xp(".//a")(node))
                self._by_node[node] = n
            total += n
        return total


def _first_in(run: list[Any], expr: str) -> Any:
    for node in run:
        hits = xp(expr)(node)
        if hits:
            return hits[0]
    return None


def _time_in(run: list[Any]) -> tuple[Any, datetime | None]:
    """The first time element in the run and its instant if machine-readable."""
    fallback = None
    for node in run:
        for el in node.iter():
            if not isinstance(el.tag, str):
                continue
            for attr, value in el.attrib.items():
                if attr in ("datetime", "content") or attr.endswith("-time") or "timestamp" in attr:
                    if attr == "content" and el.get("itemprop") != "datePublished":
                        continue
                    when = parse_any(value, UTC)
                    if when is not None:
                        return el, when
            if fallback is None and el.tag == "time":
                fallback = el
            if fallback is None and el.text and _CLOCK_RE.search(el.text) and len(el.text) < 40:
                fallback = el
    return fallback, None
