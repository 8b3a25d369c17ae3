"""``extract_liveblog``: pick the extractors for a page, run them on one parse, merge the result."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime

from crawler.extractors.adapter import DomAdapter
from crawler.extractors.base import Extraction, xp
from crawler.extractors.custom import custom_adapter
from crawler.extractors.incremental import extract_incremental
from crawler.extractors.merge import dedupe, merge, to_items
from crawler.extractors.page import MAX_LD_CHARS, Page
from crawler.extractors.platforms import PLATFORM_NAMES, unknown_embed
from crawler.extractors.provenance import provenance, structured_notes
from crawler.extractors.registry import ADAPTERS, GENERIC, NAMES, STRUCTURED, get_adapter
from crawler.extractors.structured import Structured

log = logging.getLogger(__name__)


def extract_liveblog(
    html: str | bytes,
    url: str,
    *,
    site: str | None = None,
    now: datetime | None = None,
    selectors: Mapping[str, str] | None = None,
    known: Mapping[str, str] | None = None,
    encoding: str | None = None,
) -> Extraction:
    """Extract every entry of a liveblog page, newest first.

    Order: structured data (JSON-LD / microdata ``LiveBlogPosting``) and the site adapter whose
    markup the page carries are both run and merged (union by key). The adapter is chosen by
    markup; the canonical/og:url host, then the request host, only decide which adapter is tried
    first, so pages served from 127.0.0.1 are recognised too. Without an adapter, the generic
    heuristic runs, but only on a page that declares itself live (URL, title or
    LiveBlogPosting).

    ``site`` forces one extractor by name: a site adapter (still merged with structured data),
    ``"jsonld"`` (structured data only) or ``"generic"`` (the heuristic alone, no gate, no
    structured data: to evaluate it or to rescue a page whose adapter broke). An unknown name
    raises ValueError listing the valid ones. ``now`` dates time-only clocks on pages without
    a date of their own. ``selectors`` (CSS, from a source's ``[source.selectors]`` table)
    builds an adapter for a site no adapter knows, used like a forced one.

    ``known`` (the poll's ``SourceState.raw_hashes``, see crawler/items.py) turns on the
    incremental path (incremental.py): entries unchanged since the last poll in this process
    are reused without their ``body_html``. Everything else is the same as without ``known``.
    ``encoding`` is the charset Scrapy found for ``html`` given as bytes (UTF-8 is parsed as is).
    """
    if site is not None and site not in NAMES:
        raise ValueError(f"unknown site {site!r}; known: {', '.join(NAMES)}")
    page = Page(html, url, now, encoding)
    if site in PLATFORM_NAMES:  # read from the platform by the spider (spiders/embedded.py)
        reason = f"forced site {site!r} is an embedded platform: the page itself is not read"
        return Extraction(None, reason=reason, page_url=page.canonical)
    if site == GENERIC.name:
        return _generic_only(page, [] if known is None else None)
    if selectors:
        adapter = custom_adapter(selectors)
        why = adapter.detect(page) or "forced: selectors from the sources file"
    else:
        adapter, why = (None, "") if site == STRUCTURED.name else _choose(page, site)
    if known is not None and adapter is not None:
        quick = extract_incremental(page, adapter, STRUCTURED, known, why)
        if quick is not None:
            log.debug(
                "%s: %d entries via %s (incremental)", url, len(quick.entries), quick.strategy
            )
            return quick
    sd = STRUCTURED.extract(page, adapter.zone if adapter else None)
    # Where each field came from is for ``inspect`` (no ``known``); polls skip the counting.
    explain = known is None
    notes = None
    if explain:
        notes = structured_notes(page, STRUCTURED) if sd.kind == "jsonld" else []
    dom = dedupe(adapter.extract(page)) if adapter else []
    if adapter and dom:
        entries = merge(dom, sd.entries)
        strategy = f"{sd.kind}+{adapter.name}" if sd.entries else adapter.name
        if sd.entries:
            why += f"; merged with {len(sd.entries)} {sd.kind} updates"
        return _done(
            page, strategy, entries, why, dom=len(dom), structured=len(sd.entries), notes=notes
        )
    if sd.entries:
        because = f"{len(sd.entries)} {sd.kind} liveBlogUpdate items"
        if site == STRUCTURED.name:
            forced = f"forced: site={site!r}; {because}"
            entries = merge([], sd.entries)
            return _done(page, sd.kind, entries, forced, structured=len(sd.entries), notes=notes)
        found = GENERIC.extract(page).entries
        entries = merge(found, sd.entries, add_unmatched=False)
        kept = {id(x) for x in entries}
        used = sum(1 for e in found if id(e) in kept)
        if used:
            why = f"{because}; {used} DOM blocks matched"
            return _done(
                page,
                f"{sd.kind}+generic",
                entries,
                why,
                dom=used,
                structured=len(sd.entries),
                notes=notes,
            )
        return _done(page, sd.kind, entries, because, structured=len(sd.entries), notes=notes)
    if adapter is not None:
        return Extraction(None, reason=f"{why}, but it yielded no entries", page_url=page.canonical)
    return _generic_gated(page, sd, [] if explain else None)


def _generic_gated(page: Page, sd: Structured, notes: list[str] | None) -> Extraction:
    """The heuristic on a page no adapter claims, if the page calls itself live.

    A strong live signal (URL, title, headline, LiveBlogPosting, AMP live list) accepts three
    timed blocks; a weak one (a live word anywhere, data-live*, auto-refresh, SportsEvent)
    only a strong structure. Articles with a "Liveticker" link in their menu stay refused.
    """
    if page.is_feed:
        reason = "not a liveblog: the document is a feed"
        return Extraction(None, reason=reason, page_url=page.canonical)
    signal = GENERIC.strong_signal(page, declared=sd.is_liveblog)
    result = GENERIC.extract(page)
    layout = result.layout
    note = result.note
    if result.entries and layout is not None:
        if not signal and layout.strong():
            signal = GENERIC.weak_signal(page)
        if signal and (signal.strength == "strong" or layout.strong()):
            why = f"generic: {result.note}; live signal: {signal.why}"
            entries = merge(result.entries, [])
            return _done(page, GENERIC.name, entries, why, dom=len(result.entries), notes=notes)
        if signal:
            note = f"{result.note}: too few for a page whose only live signal is {signal.why}"
        else:
            note = f"{result.note}, too few to go by without a live signal in URL or title"
    elif not signal:
        note = ""
    return Extraction(None, reason=_not_a_liveblog(page, sd, note), page_url=page.canonical)


def _choose(page: Page, site: str | None) -> tuple[DomAdapter | None, str]:
    if site is not None:
        adapter = get_adapter(site)
        return adapter, adapter.detect(page) or f"forced: site={site!r}"
    # The adapter that claimed this URL last time is asked first: each adapter that does not
    # apply costs a substring scan of the whole page, a tenth of its parse. An earlier adapter
    # that would also claim the page does not take it over while the last one still applies.
    last = _LAST_ADAPTER.get(page.url)
    hinted = [a for a in ADAPTERS if a.host_hint(page)]
    order = hinted + [a for a in ADAPTERS if a not in hinted]
    if last is not None:
        order = [last] + [a for a in order if a is not last]
    for adapter in order:
        why = adapter.detect(page)
        if why:
            if adapter is not last:
                if len(_LAST_ADAPTER) >= _LAST_ADAPTER_MAX:
                    _LAST_ADAPTER.clear()
                _LAST_ADAPTER[page.url] = adapter
            return adapter, why
    return None, ""


# page URL -> the adapter that claimed it on the last poll (a hint: a wrong one costs one scan).
_LAST_ADAPTER: dict[str, DomAdapter] = {}
_LAST_ADAPTER_MAX = 20_000


def _done(
    page: Page,
    strategy: str | None,
    entries: list,
    why: str,
    *,
    dom: int = 0,
    structured: int = 0,
    notes: list[str] | None = None,
) -> Extraction:
    """The result, with how many entries markup and structured data each gave (for health);
    ``notes`` (None: not asked for) turns on the field provenance ``inspect`` shows."""
    items = to_items(entries, page)
    log.debug("%s: %d entries via %s (%s)", page.url, len(items), strategy, why)
    lines = provenance(entries) + notes if notes is not None else []
    return Extraction(strategy, items, "", why, page.canonical, dom, structured, lines)


def _generic_only(page: Page, notes: list[str] | None) -> Extraction:
    result = GENERIC.extract(page)
    if not result.entries:
        return Extraction(None, reason=f"generic: {result.note}", page_url=page.canonical)
    entries = merge(result.entries, [])
    why = f"forced: site='generic'; {result.note}"
    return _done(page, GENERIC.name, entries, why, dom=len(result.entries), notes=notes)


def _not_a_liveblog(page: Page, sd: Structured, generic_note: str) -> str:
    """One sentence saying what the page is and which liveblog signal is missing."""
    types = [t for t in dict.fromkeys(sd.page_types) if t.endswith(("Article", "Posting", "Page"))]
    parts = [f"{'/'.join(types)}" if types else "no schema.org type"]
    if sd.is_liveblog:
        parts.append("LiveBlogPosting without liveBlogUpdate items or entry markup")
    elif page.ld_too_large:
        size = max(page.ld_too_large) / 1e6
        parts.append(
            f"a JSON-LD block too large to read ({size:.1f} MB, limit {MAX_LD_CHARS / 1e6:g} MB)"
        )
    else:
        parts.append("no LiveBlogPosting")
    if page.has("liveblog--anchor"):
        n = int(xp("count(//*[contains(@class, 'liveblog--anchor')])")(page.doc))
        parts.append(
            f"{n} liveblog--anchor in-page anchors but no div anchor with a datetime block"
        )
    else:
        parts.append("no known site markup")
    unknown = unknown_embed(page)
    if unknown:
        parts.append(unknown)
    if generic_note:
        parts.append(f"generic: {generic_note}")
    else:
        parts.append("no live signal in URL, title or page")
    return "not a liveblog: " + ", ".join(parts)


__all__ = ["extract_liveblog"]
