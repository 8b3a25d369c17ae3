"""One generic entry from its run of nodes: key, time, title and body; then the page's dates.

Times: a machine-readable attribute (ISO or epoch s/ms; a small integer is no time) wins over
printed text; printed clocks take their date from the entry, the nearest date heading or the
page's own time (with midnight rollover), in the zone printed beside them or the page's; match
minutes stay minutes; "4m ago" counts back from the page's time. Titles: a heading, else a
leading ``<strong>``/``<b>`` line that is followed by more text; never the page's headline.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from crawler.extractors.base import RawEntry, clean_text, fragment, text_of, xp
from crawler.text.clocks import Printed, read_day, read_printed
from crawler.text.rollover import assign_dates
from crawler.text.timeparse import localize, parse_any

_SKIP = {"script", "style", "noscript", "template", "svg"}
_TITLE = (
    "descendant-or-self::*[self::h1 or self::h2 or self::h3 or self::h4 or self::h5"
    " or contains(@class, 'title') or contains(@class, 'headline') or contains(@class, 'ttl')]"
    "[not(ancestor::a)]"
)
_FIRST_PARA = "descendant::p[normalize-space()][1]"
# Flat entries open with one of these, the time inside: "<h2>05.20 Uhr: Titel</h2>",
# "<p><b>+++ 14:26 Titel +++</b></p>". Anchors and containers have their headline inside.
_LEADS = {"h1", "h2", "h3", "h4", "h5", "h6", "p"}
_ID_ATTRS = ("id", "data-post-id", "data-entry-id", "data-id")
_TIME_ATTRS = ("datetime", "data-time", "data-timestamp", "data-sort-time", "data-post-time")
# What surrounds a time inside a heading: "+++ 14:26 Titel +++", "19:30 Uhr | Titel", "– Titel".
_SEPARATORS = " \t:|–—-+•·,"
_EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)  # anything before is a misread number, not a time


@dataclass
class FoundTime:
    """The first time of a run: ``el`` carries it; ``instant`` when machine-readable."""

    el: Any = None
    instant: datetime | None = None
    naive: bool = False  # an ISO time without offset, read as UTC until the page zone is known
    printed: Printed = field(default_factory=Printed)

    @property
    def found(self) -> bool:
        return self.instant is not None or self.printed.timed


def find_time(run: list[Any]) -> FoundTime:
    """The run's time: the first node holding one decides (a flat entry's heading before its
    body); inside a node an attribute beats printed text."""
    for node in run:
        found = _time_in(node)
        if found.found:
            return found
    return FoundTime()


def _time_in(node: Any) -> FoundTime:
    printed: FoundTime | None = None
    for el in node.iter():
        if not isinstance(el.tag, str) or el.tag in _SKIP:
            continue
        for attr, value in el.attrib.items():
            if not _is_time_attr(el, attr):
                continue
            if not _has_clock(value):
                continue  # a bare day ("2024-05-25") is no time of an entry
            naive = False
            when = parse_any(value)
            if when is None and not value.strip().isdigit():
                when, naive = parse_any(value, UTC), True
            if when is not None and when >= _EARLIEST:
                return FoundTime(el, when, naive)
        text = el.text
        if printed is None and text and len(text) < 80 and any(ch.isdigit() for ch in text):
            p = read_printed(text)
            if p.timed:
                printed = FoundTime(el, printed=p)
    return printed or FoundTime()


def _has_clock(value: str) -> bool:
    value = value.strip()
    return value.isdigit() or ":" in value or "T" in value


def _is_time_attr(el: Any, attr: str) -> bool:
    if attr in _TIME_ATTRS or attr.endswith("-time") or "timestamp" in attr:
        return True
    return attr == "content" and el.get("itemprop") in ("datePublished", "dateCreated")


@dataclass
class Draft:
    """A RawEntry being built, with what the page-level date pass still needs."""

    entry: RawEntry
    found: FoundTime


def build(run: list[Any], flat: bool, headlines: frozenset[str]) -> Draft:
    """Key, title, body and the raw time of one entry (dates are resolved per page later)."""
    member = run[0]
    found = find_time(run)
    if found.instant is not None and any(found.el is n for n in run):
        # The time is an attribute of the block itself (data-post-time): the block stays.
        found = FoundTime(None, found.instant, found.naive, found.printed)
    title, title_el = _title(run, flat, found)
    if clean_text(title).casefold() in headlines:
        title = ""  # the page's own headline repeated in every entry is no entry title
    time_block = _meta_block(found.el, run, title_el) if found.el is not None else None
    excluded = {e for e in (title_el, time_block) if e is not None}
    if time_block is not None and time_block is not title_el and title_el is not None:
        if _contains(title_el, time_block):
            excluded.discard(time_block)  # dropped with its heading
    body_nodes = [n for n in run if n not in excluded]
    if title_el is None and found.el is member and flat:
        # A timed paragraph that is the whole entry: keep it, it is the body.
        body_nodes = run
        excluded = set()
    entry = RawEntry(
        key=_key(member, flat),
        title=title,
        body_html=fragment(body_nodes, excluded),
        body_text=" ".join(t for t in (text_of(n) for n in body_nodes) if t),
        published=found.instant if not found.naive else None,
        match_minute=found.printed.minute,
    )
    return Draft(entry, found)


def _meta_block(el: Any, run: list[Any], title_el: Any) -> Any:
    """The time element with the header around it that holds only metadata (time, author,
    the title): the Guardian's ``<header>``, sportowefakty's ``<aside>``. None of it is body."""
    best = el
    title_len = len(text_of(title_el)) if title_el is not None else 0
    for anc in el.iterancestors():
        if any(anc is n for n in run) or xp("boolean(descendant::p)")(anc):
            break
        inside = title_el is not None and _contains(anc, title_el)
        if len(text_of(anc)) - (title_len if inside else 0) > 120:
            break
        best = anc
    return best


def _contains(outer: Any, inner: Any) -> bool:
    return inner is outer or any(a is outer for a in inner.iterancestors())


def _title(run: list[Any], flat: bool, found: FoundTime) -> tuple[str, Any]:
    member = run[0]
    if flat and found.el is not None and _contains(member, found.el) and member.tag in _LEADS:
        # "05.20 Uhr: Titel", "+++ 14:26 Titel +++", "14:26 – Titel": the heading minus its time.
        text = text_of(member)
        whole_lead = found.el is not member and text_of(found.el) == text
        rest = _without_time(text)
        if rest and (member.tag != "p" or whole_lead or (len(run) > 1 and len(text) <= 200)):
            return rest, member
        if rest:
            return "", None
        # A bare "05:20" line before the entry's own heading: the heading is the title.
    for node in run:
        for el in xp(_TITLE)(node):
            if found.el is not None and _contains(found.el, el):
                continue
            text = text_of(el)
            if found.el is not None and _contains(el, found.el):
                text = _without_time(text)
            if text and len(text) <= 300:
                return text, el
            break
    return _strong_lead(run)


def _without_time(text: str) -> str:
    """A heading's text without its date, clock or minute and the separators around them."""
    day, day_span = read_day(text)
    if day_span:
        text = text[: day_span[0]] + " " + text[day_span[1] :]
    span = read_printed(text).span
    if span is not None:
        text = text[: span[0]] + " " + text[span[1] :]
    text = re.sub(r"^\W*Uhr\b", "", text.strip())
    return clean_text(text.strip(_SEPARATORS))


def _strong_lead(run: list[Any]) -> tuple[str, Any]:
    """A first paragraph that is all ``<strong>``/``<b>``, with more text after it."""
    for node in run:
        hits = [node] if node.tag == "p" else xp(_FIRST_PARA)(node)
        if not hits or not text_of(hits[0]):
            continue
        para = hits[0]
        lead = next((c for c in para if isinstance(c.tag, str)), None)
        if lead is None or lead.tag not in ("strong", "b") or (para.text or "").strip():
            return "", None
        text = text_of(para)
        if text_of(lead) != text or not 3 <= len(text) <= 200:
            return "", None
        after = sum(len(text_of(n)) for n in run) - len(text)
        return (text.rstrip(":"), para) if after >= 20 else ("", None)
    return "", None


def _key(member: Any, flat: bool) -> str:
    for attr in _ID_ATTRS:
        value = (member.get(attr) or "").strip()
        if value:
            return value
    if flat:
        prev = member.getprevious()
        if prev is not None and prev.get("id") and not text_of(prev):
            return prev.get("id").strip()  # an empty anchor right before the heading
    return ""


def resolve_dates(
    drafts: list[Draft],
    days: list[date | None],
    zone: tzinfo,
    reference: datetime | None,
) -> None:
    """Fill ``published`` from printed clocks, relative times and naive ISO times, in place.

    Runs of entries sharing a date heading are walked newest first with midnight rollover;
    entries without one take the page's time as their bound.
    """
    for d in drafts:
        f = d.found
        if f.naive and f.instant is not None:
            d.entry.published = localize(f.instant.replace(tzinfo=None), zone)
        elif f.printed.ago is not None and reference is not None:
            d.entry.published = reference - f.printed.ago
    printed_zone = next((d.found.printed.zone for d in drafts if d.found.printed.zone), None)
    zone = printed_zone or zone
    groups: list[tuple[date | None, list[int]]] = []
    for i, d in enumerate(drafts):
        if d.found.printed.clock is None or d.found.instant is not None:
            continue
        day = days[i] if i < len(days) else None
        if groups and groups[-1][0] == day:
            groups[-1][1].append(i)
        else:
            groups.append((day, [i]))
    for day, idx in groups:
        stamps: list[tuple[date | None, time | None]] = [
            (drafts[i].found.printed.day, drafts[i].found.printed.clock) for i in idx
        ]
        bound = reference
        if day is not None:
            end = datetime.combine(day, time(23, 59, 59), zone)
            same_day = reference is not None and reference.astimezone(zone).date() == day
            bound = min(end, reference) if same_day else end
        resolved = assign_dates(stamps, zone, reference=bound, fallback_day=day)
        for i, when in zip(idx, resolved, strict=True):
            if when is not None and when >= _EARLIEST:
                drafts[i].entry.published = when


def with_offset_zone(value: datetime | None) -> tzinfo | None:
    """The fixed zone of an aware instant (the page's own offset), for clocks printed bare."""
    if value is None or value.utcoffset() is None:
        return None
    return value.tzinfo if value.utcoffset() != timedelta(0) else UTC
