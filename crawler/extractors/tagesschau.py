"""tagesschau.de liveblogs (ARD CMS): entries are flat runs of siblings after each anchor div.

The markup is reconstructed (see LIVEBLOG-STRUCTURES.md), not verified on a stored page, so the
adapter is strict about what it claims: a ``div.liveblog--anchor[id]`` together with a
``div.liveblog__datetime`` block. ``liveblog--anchor`` alone (on ``h2`` subheads of ordinary
sportschau/tagesschau articles) is just an in-page anchor.
"""

from __future__ import annotations

import re
from datetime import date, time
from typing import Any

from crawler.extractors.adapter import DomAdapter, Selectors
from crawler.extractors.base import RawEntry, css, first, fragment, is_ancestor, text_of, xp
from crawler.extractors.page import Page
from crawler.text.rollover import assign_dates
from crawler.text.timeparse import parse_german_datetime

_ANCHOR = "contains(concat(' ', normalize-space(@class), ' '), ' liveblog--anchor ')"
_DATETIME = "contains(concat(' ', normalize-space(@class), ' '), ' liveblog__datetime ')"
# Siblings that end the last entry: the ARD article footer, tag list, teasers, share bar.
_TERMINATOR_RE = re.compile(
    r"meldungsfooter|taglist|teaser|socialbuttons|sharing|article-footer|backlink"
)
_SKIP_TAGS = {"script", "style", "noscript"}


class TagesschauAdapter(DomAdapter):
    """ARD liveblogs: ``div.liveblog--anchor[id]`` starts an entry, the body follows it.

    Overrides the ``extract`` hook because an entry is not one container: it is the anchor plus
    the ``p.textabsatz``/``ul``/``div.absatzbild``/embed siblings up to the next anchor. The time
    is "DD.MM.YYYY • HH:MM Uhr" or just "HH:MM Uhr" in Europe/Berlin; date-less clocks get
    their date from the "Stand:" line (else the JSON-LD date) with midnight rollover. The
    highlight list under the lead comes before the first anchor and is never an entry. Key =
    the anchor id.
    """

    name = "tagesschau"
    description = "tagesschau.de / ARD liveblogs (div.liveblog--anchor + div.liveblog__datetime)"
    domains = ("tagesschau.de", "sportschau.de", "br.de", "mdr.de", "ndr.de", "wdr.de", "swr.de")
    claims = "div.liveblog--anchor[id] with div.liveblog__datetime"
    sel = Selectors(
        marker="liveblog__datetime",
        entry=f"//div[@id][{_ANCHOR}]",
        # a datetime block inside an anchor div, or right after one
        detect=(
            f"//div[{_DATETIME}][ancestor::div[@id][{_ANCHOR}]"
            f" or preceding-sibling::*[1][self::div[@id][{_ANCHOR}]]]"
        ),
        time=f"descendant-or-self::div[{_DATETIME}]",
        title=css("h2.meldung__subhead", relative=False),
        timezone="Europe/Berlin",
    )

    def extract(self, page: Page) -> list[RawEntry]:
        anchors = xp(self.sel.entry)(page.doc)
        if not anchors:
            return []
        blocks = _blocks(anchors)
        block_set = set(blocks)
        stamps: list[tuple[date | None, time | None]] = []
        drafts: list[RawEntry] = []
        for anchor, block in zip(anchors, blocks, strict=True):
            run = [block]
            for sib in block.itersiblings():
                if sib in block_set or _is_terminator(sib):
                    break
                run.append(sib)
            time_el = _first_in(run, self.sel.time)
            title_el = _first_in(run, self.sel.title)
            if time_el is None and not text_of(block):
                continue  # a layout anchor (before the first entry): no time, no text
            excluded = {e for e in (time_el, title_el) if e is not None}
            nodes = list(block) + [n for n in run[1:] if n.tag not in _SKIP_TAGS]
            stamps.append(parse_german_datetime(text_of(time_el)))
            key = anchor.get("id", "").strip()
            drafts.append(
                RawEntry(
                    key=key,
                    title=text_of(title_el),
                    body_html=fragment(nodes, excluded),
                    url=page.permalink(key),
                )
            )
        for entry, when in zip(
            drafts, assign_dates(stamps, self.zone, reference=page.reference_time), strict=True
        ):
            entry.published = when
        return drafts


def _blocks(anchors: list[Any]) -> list[Any]:
    """Each anchor's ancestor-or-self that is a direct child of the anchors' common container.

    On the flat ARD layout that is the anchor itself; if a redesign wraps each anchor, the
    wrapper is the block and the run continues from it.
    """
    if len(anchors) == 1:
        return anchors
    container = anchors[0].getparent()
    while container is not None and not all(is_ancestor(container, a) for a in anchors):
        container = container.getparent()
    out = []
    for a in anchors:
        node = a
        while node.getparent() is not None and node.getparent() is not container:
            node = node.getparent()
        out.append(node)
    return out


def _is_terminator(node: Any) -> bool:
    return isinstance(node.tag, str) and bool(_TERMINATOR_RE.search(node.get("class") or ""))


def _first_in(run: list[Any], expr: str) -> Any:
    for node in run:
        hit = first(node, expr)
        if hit is not None:
            return hit
    return None
