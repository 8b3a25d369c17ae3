"""extract_liveblog on the real pages in ../shared/fixtures/real, parametrised over the manifest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawler.extractors import NAMES, Extraction, describe_sites, extract_liveblog

REAL = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "real"
SITES = Path(__file__).resolve().parent / "fixtures" / "sites"
MANIFEST = REAL / "manifest.json"
# Served from loopback in the integration tests: detection must not depend on the host.
LOCAL_URL = "http://127.0.0.1:1234/x.html"

# Only the tests that read a real page skip without the shared folder (never on CI, see
# tests/conftest.py); the parametrised ones then have no cases at all.
needs_real = pytest.mark.skipif(
    not MANIFEST.exists(), reason=f"real fixtures not found at {REAL} (shared folder absent)"
)

# Union counts and the first/last entry as the page shows them (times in UTC; checked by hand
# against the DOM and the JSON-LD/microdata of each page).
EXPECTED: dict[str, dict] = {
    "express.co.uk": {
        "count": 9,
        "strategy": "jsonld+express",
        "pinned": 0,
        "first": (
            "live-1924698-qq0im",
            "The only person Prince Harry and Meghan Markle trust to look after Archie and Lilibet",
            "2024-07-18T10:48:00+00:00",
        ),
        "last": (
            "live-1924698-bbir0k",
            "Meghan Markle shows true colours with tragic blog post about dad Thomas Markle",
            "2024-07-18T06:06:00+00:00",
        ),
    },
    "mirror.co.uk": {
        "count": 428,
        "strategy": "jsonld+reach",
        "pinned": 9,
        "first": ("751105", "Loud bang heard at Plymouth scene", "2024-08-05T20:00:18+00:00"),
        "last": (
            "749874",
            "UK police braced for 'at least 15' protests over the weekend",
            "2024-08-02T17:42:00+00:00",
        ),
    },
    "corkbeo.ie": {
        "count": 26,
        "strategy": "jsonld+reach",
        "pinned": 1,
        "first": ("2259242", "Goodnight", "2020-10-06T20:22:53+00:00"),
        "last": (
            "2258190",
            "'Circuit breaker' plan - NPHET vs Government",
            "2020-10-06T07:44:43+00:00",
        ),
    },
    "repubblica.it": {
        "count": 79,
        "strategy": "jsonld+repubblica",
        "pinned": 16,  # the posts linked from the "Punti chiave" index
        "first": (
            "419364605_event79",
            "Oms: “A Gaza fermi 14 ospedali su 36, gli altri in sovraccarico”",
            "2023-11-02T15:56:32+00:00",
        ),
        "last": (
            "419364605_event1",
            "Israele: “Colpite due cellule terroristiche in Libano”",
            "2023-11-01T23:30:20+00:00",
        ),
    },
    "sports.ndtv.com": {
        "count": 40,
        "strategy": "microdata+ndtv",
        "pinned": 0,
        "first": ("80", "India vs Sri Lanka: It's a wrap!", "2023-11-02T15:36:52+00:00"),
        "last": ("41", "IND vs SL Live Score: Expensive over!", "2023-11-02T10:30:24+00:00"),
    },
    # ``liveblogs_next``: the JSON-LD updates all carry the page headline and one time (11:50:54);
    # 7 of 10 entries have no headline of their own. Keys are the block ids without ``block-``
    # (the JSON-LD @id form); permalinks keep the page's ``#block-…`` anchors.
    "theguardian.com": {
        "count": 10,
        "strategy": "jsonld+guardian",
        "pinned": 1,  # the entry div#pinned-post copies
        "anchor_prefix": "block-",
        "first": ("646219928f08e408b758af95", "", "2023-05-15T11:50:54+00:00"),
        "last": (
            "64620b708f08e408b758aedb",
            "Zelenskiy discussed 'coalition of jets' with Sunak on UK visit",
            "2023-05-15T10:42:56+00:00",
        ),
    },
    # 53 entries, 20 of them with a clock time; no structured updates.
    "sportowefakty.wp.pl": {
        "count": 53,
        "strategy": "generic",
        "pinned": 0,
        "first": ("904253", "", None),
        "last": ("903923", "", None),
    },
}
# Pages the extractors do not read exactly yet: strict, so the marker goes once they do.
NOT_YET: dict[str, str] = {}


def _manifest() -> dict:
    if not MANIFEST.exists():
        return {"liveblogs": [], "non_liveblogs": []}
    return json.loads(MANIFEST.read_text(encoding="utf-8"))


def _site(entry: dict) -> str:
    return entry["file"].split("/", 1)[0]


def _pages(*groups: str, exact: bool = True) -> list:
    """The manifest's pages of ``groups``; where ``exact`` results are asked for, the pages
    listed in NOT_YET are marked xfail."""
    out = []
    for group in groups:
        for page in _manifest().get(group, []):
            reason = NOT_YET.get(_site(page)) if exact else None
            marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
            out.append(pytest.param(page, marks=marks, id=_site(page)))
    return out


LIVEBLOGS = _pages("liveblogs", "liveblogs_next")
ALL_LIVEBLOGS = _pages("liveblogs", "liveblogs_next", exact=False)
NON_LIVEBLOGS = _manifest()["non_liveblogs"]


def _page(site: str) -> dict:
    pages = _manifest()["liveblogs"] + _manifest().get("liveblogs_next", [])
    return next(p for p in pages if _site(p) == site)


def _canonical_id(dom_id: str) -> str:
    """The manifest lists DOM ids; NDTV's key drops the ``_parent`` suffix (LD form ``#80``),
    the Guardian's the ``block-`` prefix (LD ``@id`` form)."""
    return dom_id.removesuffix("_parent").removeprefix("block-")


def _extract(entry: dict, **kw) -> Extraction:
    return extract_liveblog((REAL / entry["file"]).read_bytes(), LOCAL_URL, **kw)


@pytest.mark.parametrize("page", LIVEBLOGS)
def test_real_liveblog(page: dict) -> None:
    expected = EXPECTED[_site(page)]
    result = _extract(page)
    entries = result.entries

    assert result.strategy == expected["strategy"], result.chosen_because
    assert len(entries) == expected["count"]
    assert result.chosen_because and result.reason == ""
    assert result.page_url == page["url"]

    first, last = entries[0], entries[-1]
    assert (first.key, first.title, first.published_at) == expected["first"]
    assert (last.key, last.title, last.published_at) == expected["last"]
    assert first.key == _canonical_id(page["first_entry_id"])
    if page.get("last_entry_id"):
        assert last.key == _canonical_id(page["last_entry_id"])
    assert first.url == f"{page['url']}#{expected.get('anchor_prefix', '')}{first.key}"
    for end, entry in (("first_entry", first), ("last_entry", last)):
        if end in page:  # liveblogs_next lists time and title (None: the entry has none)
            want = page[end]
            assert entry.title == (want.get("title") or ""), end
            assert entry.published_at == (want["time"] and want["time"].replace("Z", "+00:00"))

    # Invariants: unique keys, positions, newest first, aware UTC times, sha1 change hashes
    # (of the structured-data text where the entry has one, see test_change_detection.py).
    keys = [e.key for e in entries]
    assert len(set(keys)) == len(keys)
    assert [e.position for e in entries] == list(range(len(entries)))
    times = [e.published_at for e in entries if e.published_at]
    assert all(t.endswith("+00:00") for t in times)
    assert times == sorted(times, reverse=True)
    if page.get("entries_with_title") is not None:
        assert sum(1 for e in entries if e.title) == page["entries_with_title"]
    for e in entries:
        assert e.body is None
        assert e.body_html or e.title, e.key  # Mirror LD has 18 image/video posts without text
        assert len(e.raw_hash) == 40 and int(e.raw_hash, 16) >= 0
        assert "&#39;" not in e.title and "&quot;" not in e.title and e.title == e.title.strip()
        assert e.url.startswith(page["url"] + "#")
    assert sum(e.pinned for e in entries) == expected["pinned"]


@needs_real
def test_mirror_dom_entries_keep_rich_bodies_and_ld_fills_the_rest() -> None:
    page = _page("mirror.co.uk")
    entries = _extract(page).entries
    dom, ld_only = entries[:30], entries[30:]
    assert all("<p>" in e.body_html for e in dom)
    # LD-only posts: articleBody as paragraphs; 18 of them (image/video posts) have no text.
    assert sum(1 for e in ld_only if not e.body_html) == 18
    assert all("<p>" in e.body_html for e in ld_only if e.body_html)
    assert any("image--live-event" in e.body_html for e in dom)  # DOM body (with images) won
    assert not any("Loud bang heard" in e.body_html for e in dom[:1])  # headline not in body
    assert all(e.author for e in entries)
    assert {e.key for e in entries if e.pinned} <= {e.key for e in dom}
    assert ld_only[0].published_at < dom[-1].published_at


@needs_real
def test_repubblica_dom_time_is_corrected_by_ld() -> None:
    """``time@datetime="…T16:48Z"`` is Rome time; the matched LD item gives 15:48:45Z."""
    page = _page("repubblica.it")
    by_key = {e.key: e for e in _extract(page).entries}
    assert by_key["419364605_event78"].published_at == "2023-11-02T15:48:45+00:00"
    assert by_key["419364605_event78"].pinned  # listed under "Punti chiave"
    assert by_key["419364605_event78"].title == (
        "Netanyahu non ha approvato la benzina per ospedali di Gaza"
    )


@needs_real
def test_express_local_times_and_authors() -> None:
    page = _page("express.co.uk")
    entries = _extract(page).entries
    assert all(e.author == "Jon King" for e in entries)
    assert "live-events__entry-info" not in entries[0].body_html  # "21 mins ago" stays out
    assert "photo" in entries[0].body_html


@pytest.mark.parametrize("page", NON_LIVEBLOGS, ids=_site)
def test_real_non_liveblog(page: dict) -> None:
    result = _extract(page)
    assert result.strategy is None
    assert result.entries == []
    assert result.reason.startswith("not a liveblog:")
    assert "NewsArticle" in result.reason and "liveblog--anchor" in result.reason


@pytest.mark.parametrize("page", ALL_LIVEBLOGS)
def test_forcing_an_adapter_by_name(page: dict) -> None:
    auto = _extract(page)
    name = auto.strategy.split("+")[-1]
    forced = _extract(page, site=name)
    assert [e.key for e in forced.entries] == [e.key for e in auto.entries]
    if page.get("entries_jsonld"):
        ld = _extract(page, site="jsonld")
        assert ld.strategy in ("jsonld", "microdata")


def test_unknown_site_name_lists_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="known: .*reach.*tagesschau"):
        extract_liveblog("<html></html>", LOCAL_URL, site="bogus")


def test_describe_sites_lists_every_extractor() -> None:
    rows = describe_sites()
    assert sorted(r["name"] for r in rows) == sorted(NAMES)
    kinds = [r["kind"] for r in rows]
    first_site = kinds.index("structured")
    assert set(kinds[:first_site]) == {"platform"}  # the embedded platforms head the list
    assert rows[first_site]["name"] == "jsonld" and rows[-1]["name"] == "generic"
    assert all(r["description"] and r["claims"] for r in rows)


@pytest.mark.parametrize("page", LIVEBLOGS)
def test_generic_heuristic_gets_close_to_the_dom_count(page: dict, capsys) -> None:
    """With adapters and structured data switched off, the heuristic finds the rendered entries."""
    result = _extract(page, site="generic")
    dom = page["entries_dom"]
    found = len(result.entries)
    with capsys.disabled():
        print(
            f"\n  generic {_site(page):16} {found:3d} of {dom:3d} rendered"
            f"  ({result.chosen_because})"
        )
    assert result.strategy == "generic"
    assert abs(found - dom) <= max(2, dom // 10)


def test_the_adapter_that_claimed_a_url_keeps_it_while_its_markup_is_there() -> None:
    """Adapters are asked in registry order, except that last poll's adapter for the same URL
    is asked first: each adapter that does not apply costs a scan of the whole page, and a
    second adapter's markup appearing on the page does not switch extraction under a source."""
    from crawler.extractors import extract as ex
    from crawler.extractors.page import Page

    reach = (SITES / "reach.html").read_text(encoding="utf-8")
    express = (SITES / "express.html").read_text(encoding="utf-8")
    body = reach[reach.index("<body") : reach.index("</body>")]
    both = express.replace("</body>", body.split(">", 1)[1] + "</body>")  # express's head
    url = "http://127.0.0.1:1/sticky-live.html"
    ex._LAST_ADAPTER.pop(url, None)
    assert ex._choose(Page(both, "http://127.0.0.1:1/fresh-live.html"), None)[0].name == "express"
    assert ex._choose(Page(reach, url), None)[0].name == "reach"
    assert ex._choose(Page(both, url), None)[0].name == "reach"
    assert ex._choose(Page(express, url), None)[0].name == "express"  # reach markup gone
    assert ex._choose(Page(both, url), None)[0].name == "express"


def test_liveblog_updates_given_as_references_into_a_graph_are_read():
    """Yoast-style JSON-LD: the posting lists ``{"@id": …}`` references and the updates are
    described as their own nodes of the ``@graph`` (or another block); a reference to nothing
    described is no entry."""
    posts = [
        {
            "@type": "BlogPosting",
            "@id": f"https://example.org/live#post-{n}",
            "headline": f"Meldung {n}",
            "articleBody": f"Text der Meldung {n} mit genug Worten für einen Eintrag.",
            "datePublished": f"2026-11-30T0{n}:00:00+01:00",
        }
        for n in (3, 2, 1)
    ]
    posting = {
        "@type": "LiveBlogPosting",
        "@id": "https://example.org/live#liveblog",
        "headline": "Liveblog: Wetter",
        "liveBlogUpdate": [{"@id": p["@id"]} for p in posts] + [{"@id": "#nowhere"}],
    }
    graph = {"@context": "https://schema.org", "@graph": [posting, *posts[:2]]}
    elsewhere = {"@context": "https://schema.org", **posts[2]}
    html = (
        "<html><head><title>Liveblog: Wetter</title>"
        f'<script type="application/ld+json">{json.dumps(graph)}</script>'
        f'<script type="application/ld+json">{json.dumps(elsewhere)}</script>'
        "</head><body><h1>Liveblog: Wetter</h1></body></html>"
    ).encode()
    result = extract_liveblog(html, "https://example.org/live")
    assert [(e.key, e.title) for e in result.entries] == [
        ("post-3", "Meldung 3"),
        ("post-2", "Meldung 2"),
        ("post-1", "Meldung 1"),
    ], result.chosen_because
    assert result.entries[0].published_at == "2026-11-30T02:00:00+00:00"
