"""Flat entries: a timed heading plus the siblings up to the next one; the dates of headings.

A flat run ends at the next member, a heading of the same or a higher rank (an anchor's own
headline right after it belongs to it), a date heading or page furniture (the ARD source line
and footer, tag lists, share bars; after the last entry also "Quelle: …" and back links).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from crawler.extractors.base import text_of
from crawler.text.clocks import is_date_line

HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_SKIP_TAGS = {"script", "style", "noscript", "template"}
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


def flat_runs(members: list[Any], tag: str) -> list[list[Any]]:
    member_set = set(members)
    rank = int(tag[1]) if tag in HEADINGS else 7
    runs = []
    for i, m in enumerate(members):
        last = i == len(members) - 1
        run = [m]
        for sib in m.itersiblings():
            if sib in member_set or not isinstance(sib.tag, str):
                if sib in member_set:
                    break
                continue
            if sib.tag in HEADINGS and int(sib.tag[1]) <= rank:
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
    if node.tag not in HEADINGS and node.tag not in ("p", "div", "span", "strong", "time"):
        return None
    text = text_of(node)
    return is_date_line(text, year=year) if text and len(text) <= 60 else None


def date_headings(runs: list[list[Any]], year: int | None) -> list[date | None]:
    """The date each entry's nearest date heading gives it.

    Headings before the first entry mean day sections (an entry takes the last one above it);
    a first heading after the first entry means day footers (an entry takes the next one below
    it, the entries after the last footer the one above them).
    """
    if not runs:
        return []
    parent = runs[0][0].getparent()
    starts = {id(r[0]): i for i, r in enumerate(runs)}
    in_runs = {id(n) for r in runs for n in r}
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
    n = len(runs)
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
