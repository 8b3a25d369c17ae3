"""What the spiders read off a response's headers, in one place (the page and a platform's payload)."""

from __future__ import annotations

from scrapy.http import Response

_HINTS = (b"Cache-Control", b"Expires", b"Date", b"Age")


def freshness_hints(response: Response) -> dict[str, str]:
    """The headers that say how long the response stays fresh (the scheduler's lower bound)."""
    return {n.decode(): v for n in _HINTS if (v := header(response, n)) is not None}


def header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
