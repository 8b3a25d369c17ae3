"""Realistic churn on a real page: the page as it would look after N more entries were posted.

The newest entry's element is copied N times under new ids and with its text numbered, and the
copies go above it in the raw bytes; everything else stays byte for byte as captured. Used by
the archive measurement (bench/adaptive.py) and by the re-extraction tests.
"""

from __future__ import annotations

import copy
from datetime import datetime, timedelta

import lxml.html

from crawler.extractors import extract_liveblog


def newest_key(body: bytes, url: str) -> str | None:
    """The key of the page's newest entry, when it is an element id in the markup."""
    extraction = extract_liveblog(body, url, encoding="utf-8")
    for entry in extraction.entries:
        if body.count(f'id="{entry.key}"'.encode()) == 1:
            return entry.key
    return None


def grow(body: bytes, n: int, key: str | None) -> bytes:
    """``body`` with ``n`` new entries on top (copies of the entry with id ``key``)."""
    if n <= 0:
        return body
    marker = f'id="{key}"'.encode() if key else b""
    at = body.find(marker) if key else -1
    if at < 0:  # no entry element to copy: a plain block at the top of the body
        start = body.find(b">", body.find(b"<body")) + 1
        blocks = b"".join(
            b'<div class="update" id="new-%d"><p>Update %d of the day.</p></div>' % (i, i)
            for i in range(n, 0, -1)
        )
        return body[:start] + blocks + body[start:]
    start = body.rfind(b"<", 0, at)
    element = lxml.html.document_fromstring(body).get_element_by_id(key)
    copies = []
    for i in range(n, 0, -1):
        clone = copy.deepcopy(element)
        clone.tail = None
        clone.set("id", f"{key}-new{i}")
        for node in clone.iter():
            if node.text and node.text.strip():
                node.text = f"{node.text.strip()} (update {i})"
            if node.get("datetime"):
                node.set("datetime", _later(node.get("datetime"), i))
        copies.append(lxml.html.tostring(clone, encoding="utf-8"))
    return body[:start] + b"".join(copies) + body[start:]


def _later(value: str, minutes: int) -> str:
    """A ``datetime`` attribute moved ``minutes`` later (each copy is a newer post)."""
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return value
    return (when + timedelta(minutes=minutes)).isoformat()
