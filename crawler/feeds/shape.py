"""Feedparser-shaped entries from an item's raw fields: feedparser's value post-processing, reproduced.

crawler/feeds/fast.py reads the XML; this module turns each field into exactly the string
feedparser would store (its own URI, sanitiser and repair functions, called in its order), so
crawler/feeds/items.py can treat both paths' entries alike. The feedparser internals used here
are private: if a release renames them, ``FP`` is None and the fast path is simply off.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

try:
    from feedparser.datetimes import _parse_date
    from feedparser.html import _cp1252
    from feedparser.mixin import _FeedParserMixin as FP
    from feedparser.sanitizer import _sanitize_html
    from feedparser.urls import _urljoin, resolve_relative_uris
except ImportError:  # pragma: no cover
    FP = None

_HTML_TYPES = ("text/html", "application/xhtml+xml")  # feedparser's html_types


class Unusual(Exception):
    """Something feedparser handles its own way: give the feed to feedparser."""


def fp_value(raw: str) -> str:
    """What feedparser's pop() does to every text value besides URI and HTML handling."""
    out = raw.strip()
    if out.isascii():
        return out  # neither repair below can change ASCII
    try:  # "UTF-8 decoded as Latin-1" repair, applied by feedparser to every value
        out = out.encode("iso-8859-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        pass
    return out.translate(_cp1252)


def _resolve(uri: str) -> str:
    """feedparser's _urljoin against its empty base: only "scheme:///x" slashes change."""
    return _urljoin("", uri) if ":///" in uri else uri


def html_value(raw: str, ctype: str | None) -> str:
    """A title, summary or content value exactly as feedparser stores it (sanitised HTML)."""
    if ctype != "text/html":
        return fp_value(raw)
    out = resolve_relative_uris(raw.strip(), "", "utf-8", ctype)
    return fp_value(_sanitize_html(out, "utf-8", ctype))


def shaped_entry(fields: dict[str, Any], full: bool = True) -> dict[str, Any]:
    """A dict shaped like a feedparser entry, for crawler.feeds.items.from_feedparser; without
    ``full`` only what keys and titles need (no content, summary or dates: the costly part)."""
    out: dict[str, Any] = {}
    guid = fields.get("id")
    if guid:
        out["id"] = _resolve(fp_value(guid[0])) if guid[2] else fp_value(guid[0])
        if guid[2]:
            out["link"] = out["id"]  # a permalink GUID stands in for a missing link
    if "link" in fields:
        link = _resolve(fp_value(fields["link"][0]))
        if "&" in link:  # feedparser's repair of "?a=1&b;=2"-style links
            link = re.sub("&([A-Za-z0-9_]+);", r"&\g<1>", link.replace("&amp;", "&"))
        out["link"] = link
    for attrs in fields["links"]:
        if "url" in attrs or "uri" in attrs or "href" not in attrs:
            raise Unusual("link without href")
        rel = attrs.get("rel", "alternate")
        ctype = attrs.get("type", "application/atom+xml" if rel == "self" else "text/html")
        if rel == "alternate" and FP.map_content_type(ctype) in _HTML_TYPES:
            out["link"] = _resolve(attrs["href"])  # the last one wins, as in feedparser
    if "title" in fields:
        raw, ctype, _ = fields["title"]
        out["title"], out["title_detail"] = html_value(raw, ctype), {"type": ctype}
    if "author" in fields:
        out["author"] = fp_value(fields["author"][0])
    if not full:
        return out
    if "content" in fields:
        raw, ctype, _ = fields["content"]
        out["content"] = [{"type": ctype, "value": html_value(raw, ctype)}]
    if "summary" in fields:
        out["summary"] = html_value(*fields["summary"][:2])
    elif "content" in fields:
        out["summary"] = out["content"][0]["value"]
    for name in ("published", "updated"):
        if name in fields:
            out[name] = fp_value(fields[name][0])
            out[f"{name}_parsed"] = _parse_date(out[name])
    return out


def inputs_digest(fields: dict[str, Any]) -> str:
    """The fast path's raw_hash: every input of the body (content and summary) before the
    sanitiser, so an unchanged item is recognised without running the sanitiser on it."""
    parts = [fp_value(fields[n][0]) for n in ("content", "summary") if n in fields]
    return hashlib.sha1("\x1e".join(parts).encode("utf-8", "surrogatepass")).hexdigest()
