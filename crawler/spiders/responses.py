"""What the spiders read off a response's headers, in one place (the page and a platform's payload)."""

from __future__ import annotations

import re

from scrapy.http import Response

_HINTS = (b"Cache-Control", b"Expires", b"Date", b"Age")


def freshness_hints(response: Response) -> dict[str, str]:
    """The headers that say how long the response stays fresh (the scheduler's lower bound)."""
    return {n.decode(): v for n in _HINTS if (v := header(response, n)) is not None}


# RFC 9110 field values hold no control character but HTAB: a NUL or ESC is a broken or hostile
# server, and such a value would be stored (PostgreSQL refuses NUL in text: every poll of the
# source failed) and sent back as If-None-Match.
_CONTROL = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")


def header(response: Response, name: bytes) -> str | None:
    """The header's value as text; None when absent, empty or holding a control character."""
    value = response.headers.get(name)
    if not value or _CONTROL.search(value):
        return None
    return value.decode("latin-1")
