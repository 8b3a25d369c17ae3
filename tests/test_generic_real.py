"""The generic path on the real pages of ../shared/fixtures/real, held to the manifest.

Every liveblog (keys ``liveblogs`` and ``liveblogs_next``) read by the heuristic alone, and the
``liveblogs_next`` pages also as a user adding them gets them; every page or feed that is not a
liveblog refused, under its original URL.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawler.extractors import extract_liveblog
from tests.conftest import REAL, real_manifest

PLATFORMS = REAL.parent / "platforms"
pytestmark = pytest.mark.skipif(not REAL.is_dir(), reason=f"{REAL} is not beside this checkout")
MANIFEST = real_manifest()
NEXT = MANIFEST.get("liveblogs_next", [])
ALL = MANIFEST.get("liveblogs", []) + NEXT


def _site(page: dict) -> str:
    return page["file"].split("/", 1)[0]


def _id(key: str) -> str:
    """A DOM id in the form the extractors key it by: the Guardian adapter drops ``block-``
    (its JSON-LD form), NDTV's ``_parent`` goes (LD ``#80``); the heuristic keeps DOM ids."""
    return key.removeprefix("block-").removesuffix("_parent")


def _manifest_entry(entries: list, expected: dict) -> None:
    entry = next(e for e in entries if _id(e.key) == _id(expected["id"]))
    assert entry.title == (expected.get("title") or ""), entry.key
    assert entry.published_at == (
        expected["time"].replace("Z", "+00:00") if expected.get("time") else None
    )
    if expected.get("text_start"):
        from crawler.text.cleaning import clean_fragment

        assert clean_fragment(entry.body_html).startswith(expected["text_start"])


@pytest.mark.parametrize("page", NEXT, ids=_site)
def test_next_liveblogs_exactly_as_a_user_adding_them(page: dict) -> None:
    html = (REAL / page["file"]).read_bytes()
    result = extract_liveblog(html, page["url"])
    entries = result.entries
    assert len(entries) == page["entries_dom"], result.chosen_because or result.reason
    assert _id(entries[0].key) == _id(page["first_entry_id"])
    assert _id(entries[-1].key) == _id(page["last_entry_id"])
    _manifest_entry(entries, page["first_entry"])
    _manifest_entry(entries, page["last_entry"])
    assert len({e.key for e in entries}) == len(entries)
    assert all(e.published_at is None or e.published_at > "2000" for e in entries)
    if "entries_with_title" in page:
        assert sum(1 for e in entries if e.title) == page["entries_with_title"]


def test_sportowefakty_every_clock_is_a_time_and_nothing_else_is() -> None:
    page = next(p for p in NEXT if _site(p) == "sportowefakty.wp.pl")
    entries = extract_liveblog((REAL / page["file"]).read_bytes(), page["url"]).entries
    timed = [e for e in entries if e.published_at]
    assert len(timed) == 20  # the 20 entries with a printed clock; heat times are no clocks
    assert timed[0].published_at == "2020-09-28T17:30:00+00:00"  # 19:30 in Warsaw
    assert all(e.published_at.startswith("2020-09-28T1") for e in timed)
    assert sum(1 for e in entries if e.title.startswith("Bieg ")) == 15
    assert not any("onSiteReady" in (e.body_html or "") for e in entries if e.title)


def test_guardian_json_ld_is_outweighed_by_its_page_markup() -> None:
    page = next(p for p in NEXT if _site(p) == "theguardian.com")
    result = extract_liveblog((REAL / page["file"]).read_bytes(), page["url"], site="generic")
    times = [e.published_at for e in result.entries]
    assert len(set(times)) == 10 and times == sorted(times, reverse=True)
    auto = extract_liveblog((REAL / page["file"]).read_bytes(), page["url"])
    assert all(e.title != "Russia-Ukraine war live" for e in auto.entries)
    if auto.strategy == "jsonld+generic":
        assert any("structured times ignored" in line for line in auto.provenance)


@pytest.mark.parametrize("page", ALL, ids=_site)
def test_the_heuristic_alone_finds_every_rendered_entry(page: dict) -> None:
    result = extract_liveblog((REAL / page["file"]).read_bytes(), page["url"], site="generic")
    assert len(result.entries) == page["entries_dom"], result.reason
    assert result.entries[0].key == page["first_entry_id"]  # the DOM id as it stands
    assert all(e.published_at is None or e.published_at > "2000" for e in result.entries)


def _negatives() -> list[tuple[str, bytes, str]]:
    out = []
    for page in MANIFEST.get("non_liveblogs", []):
        out.append((page["file"], (REAL / page["file"]).read_bytes(), page["url"]))
    for feed in MANIFEST.get("feeds", []):
        url = feed.get("url") or feed.get("channel_link") or "http://127.0.0.1/feed"
        out.append((feed["file"], (REAL / feed["file"]).read_bytes(), url))
    if (PLATFORMS / "manifest.json").exists():
        listed = json.loads((PLATFORMS / "manifest.json").read_text(encoding="utf-8"))
        urls = {f["file"]: f.get("url", "") for f in listed.get("files", []) if "file" in f}
        for path in sorted(PLATFORMS.glob("*/negative_*.html")):
            name = str(path.relative_to(PLATFORMS))
            out.append((name, path.read_bytes(), urls.get(name) or "http://127.0.0.1/x.html"))
    return out


@pytest.mark.parametrize(("name", "raw", "url"), _negatives(), ids=lambda v: str(v)[:40])
def test_pages_that_are_not_liveblogs_stay_refused(name: str, raw: bytes, url: str) -> None:
    for where in (url, "http://127.0.0.1:1/live/x.html"):
        result = extract_liveblog(raw, where)
        assert result.strategy is None and result.entries == [], (name, where)
        assert result.reason.startswith("not a liveblog"), result.reason


def test_manifest_pages_are_all_here() -> None:
    assert {_site(p) for p in NEXT} >= {"theguardian.com", "sportowefakty.wp.pl"}
    assert Path(REAL / NEXT[0]["file"]).exists()
