"""One test page per site adapter (tests/fixtures/sites/), detection by markup, and the CLI views.

Every adapter in the registry must have ``<name>.html`` (our own page in the site's markup)
and ``<name>.json`` (what it must yield). Pages are extracted under a 127.0.0.1 URL, and each
must be claimed by exactly one adapter's markup detection: two adapters that both claim a page
make the pick depend on registry order, which is a bug waiting for the next redesign.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawler.extractors import extract_liveblog
from crawler.extractors.page import Page
from crawler.extractors.platforms import PLATFORM_NAMES
from crawler.extractors.registry import ADAPTERS, NAMES
from tests.conftest import REAL, needs_real, tickerwatch
from tests.pages import rss_feed

SITES = Path(__file__).resolve().parent / "fixtures" / "sites"
LOCAL_URL = "http://127.0.0.1:1234/live.html"
ADAPTER_NAMES = sorted(a.name for a in ADAPTERS)


def expected(name: str) -> dict:
    return json.loads((SITES / f"{name}.json").read_text(encoding="utf-8"))


def test_every_registered_adapter_has_a_test_page() -> None:
    missing = [n for n in ADAPTER_NAMES if not (SITES / f"{n}.html").is_file()]
    missing += [f"{n}.json" for n in ADAPTER_NAMES if not (SITES / f"{n}.json").is_file()]
    assert not missing, f"add tests/fixtures/sites/<name>.html and .json for: {missing}"
    strays = sorted({p.stem for p in SITES.glob("*.html")} - set(ADAPTER_NAMES))
    assert not strays, f"test pages without a registered adapter: {strays}"


@pytest.mark.parametrize("name", ADAPTER_NAMES)
def test_page_yields_what_its_json_says(name: str) -> None:
    want = expected(name)
    result = extract_liveblog((SITES / f"{name}.html").read_bytes(), LOCAL_URL)
    assert result.strategy == want["strategy"], result.chosen_because or result.reason
    assert result.strategy.split("+")[-1] == name
    assert result.chosen_because.startswith(f"{name}: markup ")
    assert result.page_url == want["page_url"]
    entries = result.entries
    assert len(entries) == want["count"]
    assert [e.key for e in entries if e.pinned] == want["pinned"]
    for end, entry in (("first", entries[0]), ("last", entries[-1])):
        got = {"key": entry.key, "title": entry.title, "published_at": entry.published_at}
        assert got == want[end], end
    keys = [e.key for e in entries]
    assert len(set(keys)) == len(keys)
    times = [e.published_at for e in entries]
    assert all(t and t.endswith("+00:00") for t in times)
    assert times == sorted(times, reverse=True)
    assert all(e.body_html for e in entries)
    # Entries without a headline of their own (most Guardian posts) keep an empty title.
    assert [e.key for e in entries if not e.title] == want.get("untitled", [])
    assert result.dom_count > 0


@pytest.mark.parametrize("name", ADAPTER_NAMES)
def test_exactly_one_adapter_claims_each_page(name: str) -> None:
    # No canonical link and a loopback URL: no host hint at all, the markup alone decides.
    html = (SITES / f"{name}.html").read_text(encoding="utf-8")
    html = html.replace('rel="canonical"', 'rel="x-not-canonical"')
    page = Page(html, LOCAL_URL)
    claims = [a.name for a in ADAPTERS if a.detect(page)]
    assert claims == [name]


@needs_real
def test_no_adapter_claims_the_near_miss_page() -> None:
    path = next((REAL / "sportschau.de").glob("*.html"))
    page = Page(path.read_bytes(), LOCAL_URL)
    assert [a.name for a in ADAPTERS if a.detect(page)] == []


# --- the CLI -------------------------------------------------------------------------------


def test_sites_lists_every_extractor() -> None:
    text = tickerwatch("sites")
    assert text.returncode == 0, text.stderr
    names = [line.split()[0] for line in text.stdout.splitlines() if not line.startswith(" ")]
    assert names == [*PLATFORM_NAMES, "jsonld", *ADAPTER_NAMES, "generic"]
    assert "div.live-event-entries > div.live-event-entry[id]" in text.stdout
    assert "mirror.co.uk" in text.stdout
    rows = json.loads(tickerwatch("sites", "--json").stdout)
    assert sorted(r["name"] for r in rows) == sorted(NAMES)
    assert {r["kind"] for r in rows} == {"platform", "structured", "site", "heuristic"}
    assert "formats: seen (real payloads: liveblog.pro demo, dpa newslab)" in text.stdout


@pytest.mark.parametrize("name", ADAPTER_NAMES)
def test_inspect_shows_the_adapter_and_the_first_entries(server, tmp_path, name: str) -> None:
    want = expected(name)
    url = server.set(f"/{name}.html", (SITES / f"{name}.html").read_bytes())
    db = tmp_path / "never.db"
    result = tickerwatch("inspect", url, "--json", "--limit", "2", db=db)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["adapter"] == name and report["strategy"] == want["strategy"]
    assert report["chosen_because"].startswith(f"{name}: markup ")
    assert report["entries_found"] == want["count"]
    assert len(report["entries"]) == 2
    first = report["entries"][0]
    assert {k: first[k] for k in ("key", "title", "published_at")} == want["first"]
    assert first["preview"] and "<" not in first["preview"]
    assert not db.exists() and not (tmp_path / "data").exists()


def test_inspect_text_output(server, tmp_path) -> None:
    url = server.set("/reach.html", (SITES / "reach.html").read_bytes())
    result = tickerwatch("inspect", url, "--limit", "3", db=tmp_path / "never.db")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "adapter  reach (strategy jsonld+reach)" in out
    assert "entries  6 (5 from the page markup, 6 from structured data; 1 pinned)" in out
    assert "first 3 of 6:" in out
    assert "[2] 90003  2024-03-09T18:30:00+00:00  PINNED" in out
    assert "Residents were asked to stay away from the river." in out
    assert "[3]" not in out
    assert not (tmp_path / "never.db").exists()
    # No database means no store components, not three "Disabled …" warnings per run.
    assert "Disabled" not in result.stderr and "WARNING" not in result.stderr, result.stderr


def test_inspect_forcing_a_site_and_a_feed(server, tmp_path) -> None:
    url = server.set("/reach.html", (SITES / "reach.html").read_bytes())
    db = tmp_path / "never.db"
    forced = json.loads(tickerwatch("inspect", url, "--site", "jsonld", "--json", db=db).stdout)
    assert forced["strategy"] == "jsonld" and forced["chosen_because"].startswith("forced")
    assert forced["dom_count"] == 0 and forced["structured_count"] == 6
    bogus = tickerwatch("inspect", url, "--site", "bogus", db=db)
    assert bogus.returncode == 2
    assert "express, generic, guardian, jsonld" in " ".join(bogus.stderr.split())
    items = [{"guid": "g1", "title": "Eins", "link": "", "summary": "<p>Erste <b>Meldung</b></p>"}]
    feed = server.set("/feed.xml", rss_feed(items), content_type="application/rss+xml")
    report = json.loads(tickerwatch("inspect", feed, "--json", db=db).stdout)
    assert report["kind"] == "feed" and report["adapter"] == "feed"
    assert report["entries"][0]["key"] == "g1" and report["entries"][0]["preview"] == (
        "Erste Meldung"
    )
    assert not db.exists()


def test_inspect_a_non_liveblog_says_why_and_exits_1(server, tmp_path) -> None:
    page = "<html><head><title>Impressum</title></head><body><p>Kontakt</p></body></html>"
    url = server.set("/impressum.html", page)
    result = tickerwatch("inspect", url, db=tmp_path / "never.db")
    assert result.returncode == 1
    assert "result   not a liveblog: " in result.stdout
    missing = tickerwatch("inspect", server.url("/gone.html"), db=tmp_path / "never.db")
    assert missing.returncode == 1 and "HTTP 404" in missing.stderr
    assert not (tmp_path / "never.db").exists()
