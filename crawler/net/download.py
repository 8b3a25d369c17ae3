"""Scrapy's HTTP/1.1 download handler with bounded response headers.

Twisted's client parser has no limit on the number or total size of header lines (only 16 KiB
per line, and an overlong line just drops the connection without a word), so a server could
send 100 MB of headers and have them held in memory. This handler counts every status and
header line as it arrives and fails the response with :class:`ResponseHeadersTooLarge` once
there are more than ``TICKERWATCH_MAX_HEADERS`` lines or ``TICKERWATCH_MAX_HEADER_BYTES``
bytes, one line included, which crawler/net/failures.py classifies as ``response headers too
large``. It relies on Scrapy's private parser classes (as Scrapy's own lenient parser does on
Twisted's): the test suite pins the behaviour.
"""

from __future__ import annotations

from scrapy.core.downloader.handlers.http11 import (
    HTTP11DownloadHandler,
    _LenientHTTP11ClientFactory,
    _LenientHTTP11ClientProtocol,
    _LenientHTTPClientParser,
)
from scrapy.crawler import Crawler

from crawler.net.failures import ResponseHeadersTooLarge

MAX_HEADER_BYTES = 256 * 1024  # what browsers accept in total (Chrome: 256 KiB)
MAX_HEADERS = 256


class _BoundedParser(_LenientHTTPClientParser):
    """Counts header lines and bytes; raising fails the request (the protocol gives up)."""

    max_bytes = MAX_HEADER_BYTES
    max_count = MAX_HEADERS

    def lineReceived(self, line: bytes) -> None:
        # The parser object is created by Twisted and re-classed (no __init__): count lazily.
        self._tw_bytes = getattr(self, "_tw_bytes", 0) + len(line) + 1
        self._tw_lines = getattr(self, "_tw_lines", 0) + 1
        if self._tw_bytes > self.max_bytes:
            raise ResponseHeadersTooLarge(f"more than {self.max_bytes} bytes of headers")
        if self._tw_lines > self.max_count + 1:  # the status line is not a header
            raise ResponseHeadersTooLarge(f"more than {self.max_count} header lines")
        super().lineReceived(line)

    def lineLengthExceeded(self, line: bytes) -> None:
        raise ResponseHeadersTooLarge(f"a header line longer than {self.MAX_LENGTH} bytes")


def _factory(max_bytes: int, max_count: int) -> type[_LenientHTTP11ClientFactory]:
    parser = type(
        "BoundedParser",
        (_BoundedParser,),
        {"max_bytes": max_bytes, "max_count": max_count, "MAX_LENGTH": max_bytes},
    )

    class Protocol(_LenientHTTP11ClientProtocol):
        def request(self, request):
            deferred = super().request(request)
            assert self._parser is not None
            self._parser.__class__ = parser  # as Scrapy does for its lenient parser
            return deferred

    class Factory(_LenientHTTP11ClientFactory):
        def buildProtocol(self, addr):
            return Protocol(self._quiescentCallback)

    return Factory


class BoundedHTTPDownloadHandler(HTTP11DownloadHandler):
    """``DOWNLOAD_HANDLERS`` for http and https (crawler/settings.py)."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        settings = crawler.settings
        self._pool._factory = _factory(
            settings.getint("TICKERWATCH_MAX_HEADER_BYTES", MAX_HEADER_BYTES),
            settings.getint("TICKERWATCH_MAX_HEADERS", MAX_HEADERS),
        )
