"""What a liveblog page says about its own life: still live, scheduled to end, or closed.

Read from the raw bytes with a few regular expressions (a few milliseconds on 1 MB), not
from a parse: the scheduler wants these on every changed poll, whichever extractor ran.

- ``LiveBlogPosting``: the page declares itself a liveblog (JSON-LD or microdata). A page
  that had it and lost it has usually become a plain article: the blog is over.
- ``coverageEndTime``: taken only when it is after ``coverageStartTime``. The Guardian writes
  the newest update's time into both while the blog is live (theguardian.com fixture); Express
  and NDTV write a planned end a day or two ahead.
- A closing notice in the page text ("This blog is now closed", tagesschau's "Der Liveblog
  ist beendet" …).
"""

from __future__ import annotations

import re

from crawler.items import PageSignals
from crawler.text.timeparse import iso_to_utc

_LIVE = re.compile(rb"LiveBlogPosting")
# Each pattern starts with its literal name, so the regex engine skips ahead to it.
_START = re.compile(rb'coverageStartTime"?\s*:\s*"([^"]{10,40})"')
_END = re.compile(rb'coverageEndTime"?\s*:\s*"([^"]{10,40})"')
_END_MICRODATA = re.compile(
    rb'itemprop=["\']coverageEndTime["\'][^>]*?(?:content|datetime)=["\']([^"\']{10,40})'
)
_START_MICRODATA = re.compile(
    rb'itemprop=["\']coverageStartTime["\'][^>]*?(?:content|datetime)=["\']([^"\']{10,40})'
)
# Closing notices as they appear in page text; anchored on whole phrases so that a headline
# about something else that "ended" does not close a blog.
_CLOSED = re.compile(
    rb"(this (?:live ?)?blog is (?:now )?closed"
    rb"|this live (?:coverage|blog) has (?:now )?ended"
    rb"|we(?:'|&#39;|&#x27;|\xe2\x80\x99)?(?:ve| have)? (?:now )?(?:closed|ended) (?:this|our) live ?blog"
    rb"|(?:der|dieser|unser) live-?blog (?:ist|wird) (?:hiermit )?(?:beendet|geschlossen)"
    rb"|wir beenden (?:hiermit )?(?:diesen|unseren) live-?blog"
    rb"|(?:il|questo) live(?:blog)? (?:\xc3\xa8|e) (?:chiuso|terminato))",
    re.IGNORECASE,
)


def page_signals(body: bytes) -> PageSignals:
    """The signals of one page (bytes as received; UTF-8 or any ASCII-compatible charset)."""
    live = _LIVE.search(body) is not None
    end = None
    if b"coverageEndTime" in body:  # most pages have none: two scans of the page spared
        end = _first(_END, body) or _first(_END_MICRODATA, body)
    if end is not None:
        start = _first(_START, body) or _first(_START_MICRODATA, body)
        if start is None or end <= start:
            end = None
    closed = _closing_notice(body)
    return PageSignals(
        live_posting=live,
        coverage_end=end,
        closed=closed.group(0).decode("utf-8", "replace") if closed else None,
    )


# Every closing phrase contains one of these words. Searching the whole page with the
# case-insensitive alternation above costs 40–80 ms on a real 0.6–1.3 MB liveblog (no literal
# for the regex engine to skip ahead on), more than the rest of a changed poll; finding these
# words in the lower-cased bytes costs about 1 ms, and the phrase is then only looked for
# around them.
_CLOSING_WORDS = (b"closed", b"ended", b"beendet", b"beenden", b"geschlossen", b"chiuso")
_CLOSING_WORDS += (b"terminato",)
_AROUND = 100  # bytes either side of a closing word: longer than any phrase


def _closing_notice(body: bytes) -> re.Match[bytes] | None:
    """The first closing notice in the page, as ``_CLOSED.search(body)`` finds it."""
    lower = body.lower()  # ASCII only, as IGNORECASE on a bytes pattern
    best: re.Match[bytes] | None = None
    for word in _CLOSING_WORDS:
        at = lower.find(word)
        while at != -1 and (best is None or at - _AROUND < best.start()):
            lo, hi = max(0, at - _AROUND), at + len(word) + _AROUND
            around = lower[lo:hi]
            # every phrase names the blog ("blog", "live"): other sentences cost no regex
            if b"blog" in around or b"live" in around:
                hit = _CLOSED.search(body, lo, hi)
                if hit is not None and (best is None or hit.start() < best.start()):
                    best = hit
            at = lower.find(word, at + 1)
    return best


def _first(pattern: re.Pattern[bytes], body: bytes) -> str | None:
    match = pattern.search(body)
    if match is None:
        return None
    return iso_to_utc(match.group(1).decode("ascii", "replace"))
