"""The Guardian adapter: entry times and titles from the markup, never the page's own.

Our page tests/fixtures/sites/guardian.html mimics the real one (``liveblogs_next`` in
../shared/fixtures/real): JSON-LD updates that all carry the page headline and one time, most
entries without a headline, an id-less pinned copy of one entry, "Updated at" footers.
"""

from __future__ import annotations

import re
from pathlib import Path

from crawler.extractors import extract_liveblog
from crawler.extractors import incremental as inc

SITES = Path(__file__).resolve().parent / "fixtures" / "sites"
LOCAL_URL = "http://127.0.0.1:1234/live.html"
PAGE_URL = "https://www.theguardian.com/uk-news/live/2024/mar/09/storm-gwen-live-updates"
HEADLINE = "Storm Gwen live: red warning as 90mph winds hit the coast"


def _entries(**kw):
    return extract_liveblog((SITES / "guardian.html").read_bytes(), LOCAL_URL, **kw).entries


def test_times_titles_and_updates_are_each_entrys_own() -> None:
    entries = _entries()
    assert [
        (e.key[-1], e.title, e.published_at[11:19], (e.updated_at or "")[11:19]) for e in entries
    ] == [
        ("5", "", "17:52:10", ""),
        ("4", "Flood barrier closed", "17:31:00", "17:40:12"),  # a leading bold line
        ("3", "Red warning issued for the coast", "17:05:42", "17:20:00"),
        ("2", "", "16:40:00", ""),  # a bold word is not a headline
        ("1", "Yellow warnings in place", "16:02:13", ""),
    ]
    assert all(e.title != HEADLINE for e in entries)
    # The shared LD dateModified (17:52:10) is the page's, not an entry's update time.
    assert all(e.updated_at != "2024-03-09T17:52:10+00:00" for e in entries)


def test_the_pinned_copy_is_a_flag_not_an_entry() -> None:
    entries = _entries()
    assert len(entries) == 5 and len({e.key for e in entries}) == 5
    assert [e.key for e in entries if e.pinned] == ["65ec18e98f08aa0000000003"]
    assert sum("Met Office" in e.body_html for e in entries) == 1


def test_a_pinned_entry_is_known_by_its_own_link_or_by_the_copy() -> None:
    """The original links to ``#pinned-post``; renders without that link are read by the link
    of the copy in div#pinned-post to its original."""
    html = (SITES / "guardian.html").read_text(encoding="utf-8")
    start, end = html.index('<div id="pinned-post"'), html.index('<span class="dcr-90inr0">')
    no_copy = html[:start] + html[end:]
    no_link = re.sub(r'<a href="[^"]*#pinned-post"[^>]*>.*?</a>', "", html)
    assert no_copy != html and no_link != html
    for variant in (no_copy, no_link):
        entries = extract_liveblog(variant, LOCAL_URL).entries
        assert [e.key for e in entries if e.pinned] == ["65ec18e98f08aa0000000003"]
    neither = re.sub(r'<a href="[^"]*#pinned-post"[^>]*>.*?</a>', "", no_copy)
    assert not any(e.pinned for e in extract_liveblog(neither, LOCAL_URL).entries)


def test_permalinks_keep_the_page_anchor_and_bodies_leave_furniture_out() -> None:
    first = _entries()[0]
    assert first.url == f"{PAGE_URL}#block-65ec1e0a8f08aa0000000005"
    assert first.author == "Rhiannon Reporter"
    assert "Trees are down" in first.body_html
    for furniture in ("4m ago", "Share on Facebook", "17.52", "Rhiannon Reporter"):
        assert furniture not in first.body_html
    second = _entries()[1]
    assert "Flood barrier closed" not in second.body_html  # the title is not repeated
    assert "Environment Agency" in second.body_html


def test_the_incremental_path_weighs_the_structured_data_the_same_way() -> None:
    memo = inc.EntryMemo(inc.MEMO_ENTRIES)
    original, inc.MEMO = inc.MEMO, memo
    try:
        full = _entries()
        stored = {e.key: inc.stored_hash(e) for e in full}
        _entries(known=stored)
        newest = full[0].key
        again = _entries(known={k: v for k, v in stored.items() if k != newest})
        assert all(e.body_html is None for e in again[1:]), "incremental path not taken"
        got = [(e.key, e.title, e.published_at, e.updated_at, e.url, e.pinned) for e in again]
        assert got == [
            (e.key, e.title, e.published_at, e.updated_at, e.url, e.pinned) for e in full
        ]
    finally:
        inc.MEMO = original
