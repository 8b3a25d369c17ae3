"""Guards that keep pathological HTML from costing unbounded time or passing as "0 entries".

Real liveblogs carry a few thousand tags (the largest saved page, NDTV's, about 6,500); a page
with hundreds of thousands is an attack or a broken render, and lxml would spend seconds and
hundreds of megabytes on it. libxml2 also stops building the tree at a nesting depth of 256
and silently drops the rest, which would look like entries vanishing: when a page yields no
entries we ask the parser whether it gave up, so the poll says "extraction failed" instead.
"""

from __future__ import annotations

from lxml import etree
from lxml import html as lxml_html

MAX_TAGS = 200_000
# Media types that are never a page, whatever the URL says (Scrapy picks an HtmlResponse for a
# URL ending in .html even when the server answers image/png).
_NEVER_PAGES = ("image/", "audio/", "video/", "font/", "model/", "application/pdf")


def not_a_page(content_type: str | None, body: bytes) -> str | None:
    """Why a 200 answer to a liveblog source is not an HTML page at all, else None.

    Text, HTML and XML types pass; media types never do; anything else (octet-stream from a
    misconfigured server) passes only when the body starts like markup.
    """
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if not media or media.startswith("text/") or "html" in media or "xml" in media:
        return None
    if media.startswith(_NEVER_PAGES) or not body.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return f"not an HTML page ({media})"
    return None


# How far from the end a complete page closes its body or html element (trailing scripts and
# comments after </html> are common; a cut page has neither closing tag anywhere near the end).
_TAIL_BYTES = 65_536


def looks_cut(body: bytes) -> str | None:
    """Why a 200 page is a document cut off mid-way (a Content-Length that matches a truncated
    render, a proxy that gave up), else None. Such a page must not revise any entry: the entry
    at the cut would be stored with half its text.

    A page that opens ``<body>`` or ``<html>`` and closes neither is incomplete. Every real
    liveblog closes both; a fragment without either tag is not judged.
    """
    head = body[:_TAIL_BYTES].lower()
    if b"<body" not in head and b"<html" not in head:
        return None
    tail = body[-_TAIL_BYTES:].lower()
    if b"</body" in tail or b"</html" in tail:
        return None
    return f"incomplete document: no </body> or </html> after {len(body)} bytes (cut off)"


def too_complex(text: str | bytes) -> str | None:
    """Why ``text`` must not be extracted at all (cheap: one C-speed count), else None."""
    if len(text) <= MAX_TAGS:  # fewer characters than the limit: cannot hold more tags
        return None
    tags = text.count(b"<" if isinstance(text, bytes) else "<")
    if tags > MAX_TAGS:
        return f"page too complex ({tags} tags, limit {MAX_TAGS})"
    return None


def parser_gave_up(text: str) -> str | None:
    """Why libxml2 truncated ``text`` (excessive nesting), else None. Costs one parse."""
    parser = lxml_html.HTMLParser(recover=True)
    try:
        lxml_html.document_fromstring(text, parser=parser)
    except (etree.ParserError, ValueError):
        return None
    for error in parser.error_log:
        if "depth" in error.message.lower():
            return f"page nested too deeply for the parser ({error.message.strip()})"
    return None
