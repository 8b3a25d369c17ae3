"""The extraction contract (Extraction, RawEntry) and shared helpers: XPath, fragments, keys."""

from __future__ import annotations

import hashlib
import html as htmllib
import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

import lxml.html
from cssselect import GenericTranslator
from lxml import etree

from crawler.items import EntryItem
from crawler.text.timeparse import to_iso


@dataclass
class Extraction:
    """What one page yielded.

    ``strategy`` names the extractor(s) that won (e.g. ``"jsonld"``, ``"jsonld+reach"``,
    ``"tagesschau"``, ``"generic"``); ``None`` when nothing matched. ``reason`` explains an
    empty result in one human sentence (e.g. "not a liveblog: NewsArticle with 2 subheads").
    ``chosen_because`` says why the winning extractor was picked (markup found, host hint,
    forced by name), so a wrong pick can be diagnosed from the stored poll. ``page_url`` is the
    canonical URL the entry permalinks were built from. ``dom_count`` / ``structured_count``
    say how many entries the page markup and the structured data each gave before the merge:
    the extractor health check (crawler/diff/health.py) compares them across polls.
    Entries come newest first with ``position`` 0..n-1; each carries ``body_html`` (the raw
    fragment) and ``raw_hash`` (sha1 of it), ``body`` stays None for the clean pipeline.
    """

    strategy: str | None
    entries: list[EntryItem] = field(default_factory=list)
    reason: str = ""
    chosen_because: str = ""
    page_url: str = ""
    dom_count: int = 0
    structured_count: int = 0
    # Which fields came from where, one line each ("time: 7 page markup, 3 structured data"),
    # and what structured data was not believed: shown by ``inspect``.
    provenance: list[str] = field(default_factory=list)


@dataclass
class RawEntry:
    """An entry as one extractor saw it, before structured data and DOM are merged.

    ``key`` is the site's own identity (DOM id or LD url fragment) or "" when there is none;
    the merge derives a content key for those. ``time_trusted`` is False where the DOM time is
    known to be imprecise or mislabelled, so a structured-data time replaces it.
    """

    key: str = ""
    title: str = ""
    body_html: str | None = None
    body_text: str = ""
    published: datetime | None = None
    updated: datetime | None = None
    pinned: bool = False
    author: str = ""
    url: str = ""
    time_trusted: bool = True
    # The structured-data text of a merged entry. Change detection hashes this when present:
    # Mirror renders only the newest 30 of 428 posts, and a post that scrolls out of the DOM
    # switches from its DOM fragment to its LD articleBody — that is not an edit.
    structured_text: str | None = None
    # A sports match minute as printed ("95", "45+2"): a time of the match, not of the clock.
    match_minute: str | None = None
    # Where the fields came from, for ``inspect``: "dom" or "structured" (an entry the page
    # markup does not render), and the fields structured data filled in on a DOM entry.
    origin: str = "dom"
    filled: set[str] = field(default_factory=set)


# --- XPath / CSS -----------------------------------------------------------------------------


def css(selector: str, *, relative: bool = True) -> str:
    """Translate a CSS selector to XPath once, at import time of the adapter that uses it."""
    prefix = "descendant::" if relative else "descendant-or-self::"
    return GenericTranslator().css_to_xpath(selector, prefix=prefix)


@lru_cache(maxsize=512)
def xp(expr: str) -> etree.XPath:
    """Compile an XPath expression once (adapters reuse the same few dozen on every poll)."""
    return etree.XPath(expr)


def first(node: Any, expr: str) -> Any:
    """The first result of ``expr`` relative to ``node``, or None (XPath strings are stripped)."""
    if not expr:
        return None
    res = xp(expr)(node)
    if isinstance(res, list):
        res = res[0] if res else None
    if isinstance(res, str):
        res = res.strip()
    return res


# --- text and HTML fragments -------------------------------------------------------------------

_RELATIVE_RE = re.compile(
    r"\b\d+\s*(?:sec|secs|second|seconds|min|mins|minute|minutes|hr|hrs|hour|hours|day|days)"
    r"\s+ago\b|\bjust now\b",
    re.IGNORECASE,
)


def clean_text(value: str | None) -> str:
    """Unescape entities (LD headlines carry ``&#39;``), treat NBSP as space, collapse blanks."""
    if not value:
        return ""
    if "&" in value:
        value = htmllib.unescape(value)
    return " ".join(value.replace("\xa0", " ").split())


def text_of(node: Any) -> str:
    """Visible-ish text of an element (script/style excluded), whitespace collapsed."""
    if node is None:
        return ""
    if isinstance(node, str):
        return clean_text(node)
    parts = xp("descendant-or-self::text()[not(ancestor::script or ancestor::style)]")(node)
    return clean_text("".join(parts))


def normalise_for_key(value: str) -> str:
    """Lower-case text without relative times ("21 mins ago") and blanks, for content hashing."""
    return " ".join(_RELATIVE_RE.sub(" ", clean_text(value)).casefold().split())


def fragment(nodes: list[Any], exclude: set[Any] | None = None) -> str:
    """Serialise ``nodes`` (each with its subtree, without its tail) minus excluded elements.

    A node with excluded direct children (a headline inside the body container) is emitted as
    its inner HTML without them; excluded elements deeper down cost a copy of the node.
    """
    exclude = exclude or set()
    out: list[str] = []
    for node in nodes:
        if node in exclude or not isinstance(node.tag, str):
            continue
        inside = [d for d in exclude if is_ancestor(node, d)]
        if not inside:
            out.append(_tostring(node))
        elif all(d.getparent() is node for d in inside):
            out.append(htmllib.escape(node.text or "", quote=False))
            for child in node:
                if child in exclude:
                    out.append(htmllib.escape(child.tail or "", quote=False))
                else:
                    out.append(etree.tostring(child, encoding="unicode", method="html"))
        else:
            root = node.getroottree()
            base = root.getpath(node)
            copy = lxml.html.fromstring(_tostring(node))
            for d in inside:
                for hit in copy.xpath("." + root.getpath(d)[len(base) :]):
                    _drop(hit)
            out.append(_tostring(copy))
    return "".join(out).strip()


def is_ancestor(anc: Any, node: Any) -> bool:
    """Whether ``anc`` encloses ``node`` (identity, not equality: lxml elements are proxies)."""
    for parent in node.iterancestors():
        if parent is anc:
            return True
    return False


def _drop(node: Any) -> None:
    """Remove an element but keep its tail text in place."""
    if node.getparent() is not None:
        node.drop_tree()


def _tostring(node: Any) -> str:
    return etree.tostring(node, encoding="unicode", method="html", with_tail=False)


def sha1(value: str) -> str:
    return hashlib.sha1(value.encode("utf-8")).hexdigest()


def content_key(
    published: datetime | None, title: str, body_text: str, minute: str | None = None
) -> str:
    """A key for id-less entries that survives later edits of the body.

    Rule: ``"h:" + sha1(published minute in UTC + "|" + normalised title)[:16]`` when the entry
    has a title or a time; ``"m:" + sha1(match minute + "|" + title)`` for match commentary; only when it has neither does the normalised body text go into the
    hash (``"b:" + …``), so then an edit shows up as remove + add. Normalising drops entities,
    NBSP, case and relative times ("21 mins ago").
    """
    ntitle = normalise_for_key(title)
    if minute and not published:  # match commentary: the match minute stands for the time
        return "m:" + sha1(f"{minute}|{ntitle}")[:16]
    minute = to_iso(published.replace(second=0, microsecond=0)) if published else ""
    if minute or clean_text(title):
        return "h:" + sha1(f"{minute}|{ntitle}")[:16]
    return "b:" + sha1(normalise_for_key(body_text))[:16]


_BLOCK_RE = re.compile(r"<(?:p|div|ul|ol|h[1-6]|figure|blockquote|table)\b", re.IGNORECASE)


def body_from_text(article_body: str) -> str:
    """Turn an LD ``articleBody`` into a fragment: one ``<p>`` a line unless it has block HTML.

    LD bodies are entity-escaped text ("&quot;"), text with inline links (Mirror) or full HTML
    (zdfheute); all three are valid HTML inside a ``<p>`` except the last, which is kept as is.
    """
    value = (article_body or "").strip()
    if not value:
        return ""
    if _BLOCK_RE.search(value):
        return value
    return "".join(f"<p>{line.strip()}</p>" for line in value.splitlines() if line.strip())


def fragment_key(url: str | None) -> str:
    """The ``#fragment`` of a permalink, which on Reach/Express/NDTV equals the DOM entry id."""
    if not url:
        return ""
    return url.strip().partition("#")[2]
