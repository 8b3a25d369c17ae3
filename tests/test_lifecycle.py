"""Closing notices are found around their closing words, exactly where a whole-page search would.

The whole-page case-insensitive search cost 40–80 ms per changed poll on real liveblogs; the
windowed one must find the same first notice (same span) on every page, with notices placed
anywhere, in any case, and several in one page.
"""

from __future__ import annotations

import random

import pytest

from crawler.extractors.lifecycle import _CLOSED, _closing_notice, page_signals
from tests.conftest import REAL

PHRASES = (
    b"This blog is now closed",
    b"this live coverage has ended",
    b"We&#39;ve now closed this live blog",
    b"We\xe2\x80\x99ve ended our liveblog",
    b"Der Liveblog ist beendet",
    b"Dieser Live-Blog wird hiermit geschlossen",
    b"Wir beenden hiermit diesen Liveblog",
    b"Questo live \xc3\xa8 chiuso",
    b"il liveblog e terminato",
    b"THIS BLOG IS CLOSED",
)
FILLER = b"<p>The recommended route was closed and the extended session ended.</p>" * 2000


def _pages() -> list[bytes]:
    """Our filler and the smallest real page (each whole-page search costs ~40 ms)."""
    real = sorted(REAL.glob("*/*.html"), key=lambda p: p.stat().st_size)[:1]
    return [FILLER, *(p.read_bytes() for p in real)]


@pytest.mark.parametrize("phrase", PHRASES)
def test_the_first_notice_is_the_one_a_whole_page_search_finds(phrase: bytes) -> None:
    rng = random.Random(phrase)
    for body in _pages():
        assert _closing_notice(body) is None and _CLOSED.search(body) is None
        for _ in range(2):
            at = rng.randrange(len(body))
            page = body[:at] + b" " + phrase + b" " + body[at:]
            if rng.random() < 0.5:  # a second notice, before or after the first
                other = rng.randrange(len(page))
                page = page[:other] + b" " + rng.choice(PHRASES) + b" " + page[other:]
            found, whole = _closing_notice(page), _CLOSED.search(page)
            assert found is not None and found.span() == whole.span()
            assert page_signals(page).closed == whole.group(0).decode("utf-8", "replace")


def test_closing_words_in_other_sentences_close_nothing() -> None:
    for body in [p.read_bytes() for p in sorted(REAL.glob("*/*.html"))] or [FILLER]:
        assert page_signals(body).closed is None
    assert page_signals(b"<p>The blog about roads that closed</p>").closed is None
