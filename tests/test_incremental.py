"""The incremental extraction path gives the same entries as the full one, on every test page.

Compared per entry after the clean pipeline's step (crawler/pipelines.py): key, title, body
after cleaning, times, url, author, position, pinned and the stored raw_hash. Run on the real
pages in ../shared/fixtures/real and on tests/fixtures/sites/*.html, each as a first poll
(nothing remembered), an unchanged poll (everything remembered), and polls where one entry is
new, one has a stale stored hash and the memo was evicted.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawler.extractors import extract_liveblog
from crawler.extractors import incremental as inc
from crawler.items import EntryItem
from crawler.text.cleaning import clean_fragment, content_hash
from tests.conftest import REAL

SITES = Path(__file__).resolve().parent / "fixtures" / "sites"
LOCAL_URL = "http://127.0.0.1:1234/live.html"
# Strategies whose pages take the incremental path (the others fall back to the full one).
INCREMENTAL = {
    "jsonld+reach",
    "jsonld+express",
    "jsonld+guardian",
    "reach",
    "express",
    "guardian",
}


def _pages() -> list[tuple[str, Path, str]]:
    pages = [(p.stem, p, LOCAL_URL) for p in sorted(SITES.glob("*.html"))]
    if (REAL / "manifest.json").is_file():
        manifest = json.loads((REAL / "manifest.json").read_text())
        rows = manifest["liveblogs"] + manifest.get("liveblogs_next", [])
        for row in rows + manifest.get("non_liveblogs", []):
            pages.append((Path(row["file"]).name, REAL / row["file"], row["url"]))
    return pages


PAGES = _pages()


def _cleaned(entries: list[EntryItem], stored: dict[str, str]) -> list[tuple]:
    """What CleanPipeline makes of each entry, as a comparable tuple."""
    out = []
    for entry in entries:
        raw = inc.stored_hash(entry)
        body = digest = None
        if stored.get(entry.key) != raw:
            body = clean_fragment(entry.body_html or "")
            digest = content_hash(entry.title, body)  # what the diff compares: must match too
        out.append(
            (
                entry.key,
                entry.title,
                body,
                digest,
                entry.published_at,
                entry.updated_at,
                entry.url,
                entry.author,
                entry.position,
                entry.pinned,
                raw,
            )
        )
    return out


@pytest.mark.parametrize(("name", "path", "url"), PAGES, ids=[p[0] for p in PAGES])
def test_incremental_equals_full(name: str, path: Path, url: str) -> None:
    html = path.read_bytes()
    full = extract_liveblog(html, url)
    memo = inc.EntryMemo(inc.MEMO_ENTRIES)
    original = inc.MEMO
    inc.MEMO = memo
    try:
        stored = {e.key: inc.stored_hash(e) for e in full.entries}
        scenarios = {"first poll": stored, "unchanged": stored}
        if full.entries:
            newest = full.entries[0].key
            scenarios["one new"] = {k: v for k, v in stored.items() if k != newest}
            scenarios["stale hash"] = {**stored, full.entries[-1].key: "0" * 40}
        for scenario, known in scenarios.items():
            got = extract_liveblog(html, url, known=known)
            assert got.strategy == full.strategy, scenario
            assert got.chosen_because == full.chosen_because, scenario
            assert (got.dom_count, got.structured_count) == (
                full.dom_count,
                full.structured_count,
            ), scenario
            assert _cleaned(got.entries, known) == _cleaned(full.entries, known), scenario
            if scenario == "unchanged" and full.strategy in INCREMENTAL:
                assert all(e.body_html is None for e in got.entries), "path not taken"
        memo.clear()  # evicted: everything is built again, still the same
        again = extract_liveblog(html, url, known=stored)
        assert _cleaned(again.entries, stored) == _cleaned(full.entries, stored)
    finally:
        inc.MEMO = original


def test_unchanged_entries_are_reused_without_their_body() -> None:
    """The point of the path: a second poll rebuilds only what is not stored as it is now."""
    html = (SITES / "reach.html").read_bytes()
    memo = inc.EntryMemo(inc.MEMO_ENTRIES)
    original, inc.MEMO = inc.MEMO, memo
    try:
        full = extract_liveblog(html, LOCAL_URL)
        stored = {e.key: inc.stored_hash(e) for e in full.entries}
        extract_liveblog(html, LOCAL_URL, known=stored)
        newest = full.entries[0].key
        got = extract_liveblog(
            html, LOCAL_URL, known={k: v for k, v in stored.items() if k != newest}
        )
        assert got.entries[0].body_html == full.entries[0].body_html
        assert all(e.body_html is None for e in got.entries[1:])
    finally:
        inc.MEMO = original


def test_memo_is_bounded() -> None:
    memo = inc.EntryMemo(max_entries=3)
    done = inc._Done(0, "", ("k",) * 8, None)
    memo.put(("a",), {"1": done, "2": done})
    memo.put(("b",), {"1": done, "2": done})
    assert memo.get(("a",)) == {}
    assert len(memo.get(("b",))) == 2


@pytest.mark.parametrize(("name", "path", "url"), PAGES, ids=[p[0] for p in PAGES])
def test_declared_utf8_bytes_give_what_the_decoded_text_gives(
    name: str, path: Path, url: str
) -> None:
    """The spider hands a declared-UTF-8 body to lxml as bytes (no decode/encode round trip)."""
    html = path.read_bytes()
    try:
        text = html.decode("utf-8")
    except UnicodeDecodeError:
        pytest.skip("not a UTF-8 page")
    from_text = extract_liveblog(text, url)
    from_bytes = extract_liveblog(html, url, encoding="utf-8")
    assert from_bytes.strategy == from_text.strategy
    assert _cleaned(from_bytes.entries, {}) == _cleaned(from_text.entries, {})


def test_invalid_utf8_bytes_become_replacement_characters_as_when_decoding() -> None:
    html = (SITES / "reach.html").read_bytes()
    broken = html.replace(b"<h3>Flood barrier", b"<h3>Fl\xe9od b\xc3rrier", 1)
    assert broken != html, "the test page changed: pick another word"
    from_bytes = extract_liveblog(broken, LOCAL_URL, encoding="utf-8")
    from_text = extract_liveblog(broken.decode("utf-8", "replace"), LOCAL_URL)
    assert _cleaned(from_bytes.entries, {}) == _cleaned(from_text.entries, {})
    assert any("\ufffd" in (e.body_html or "") + e.title for e in from_bytes.entries)
