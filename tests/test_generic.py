"""The generic extractor on shapes no adapter knows: small pages of our own in
tests/fixtures/generic/, one per shape, each asserting count, keys, times and titles."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crawler.extractors import Extraction, extract_liveblog
from crawler.extractors.base import content_key
from crawler.extractors.generic.signals import LIVE_RE

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "generic"
LOCAL_URL = "http://127.0.0.1:1234/page.html"
NOW = datetime(2025, 2, 4, 9, 0, tzinfo=UTC)


def _extract(name: str, url: str = LOCAL_URL, **kw) -> Extraction:
    kw.setdefault("now", NOW)
    return extract_liveblog((FIXTURES / name).read_text(encoding="utf-8"), url, **kw)


def _rows(result: Extraction) -> list[tuple]:
    return [(e.key, e.published_at, e.match_minute, e.title) for e in result.entries]


def test_flat_headings_with_the_date_heading_after_the_entries() -> None:
    """An NDR-style ticker: h2 "05.20 Uhr: Titel" + paragraphs, no ids, the day below."""
    result = _extract("flat_uhr_date_after.html")
    assert result.strategy == "generic", result.reason
    assert "flat runs after <h2>" in result.chosen_because
    times_titles = [(e.published_at, e.title) for e in result.entries]
    assert times_titles == [
        ("2025-02-04T04:20:00+00:00", "Bahn stellt Fernverkehr im Norden ein"),  # 05.20 Uhr
        ("2025-02-04T03:55:00+00:00", "Feuerwehr im Dauereinsatz"),  # +++ 04:55 … +++
        ("2025-02-04T00:10:00+00:00", "Sturmflutwarnung für die Elbe"),  # 01:10 Uhr | …
        ("2025-02-03T22:40:00+00:00", "Erste Orkanböen an der Küste"),  # 23:40 – … (rollover)
    ]
    first, last = result.entries[0], result.entries[-1]
    assert first.key.startswith("h:") and len({e.key for e in result.entries}) == 4
    assert first.body_html.startswith("<p>Die Deutsche Bahn") and "<h2>" not in first.body_html
    assert "Reisende" in first.body_html
    assert "Fischmarkt" in result.entries[2].body_html  # the list belongs to its entry
    # The last entry stops before the date heading, the source line and the back link.
    assert "Quelle" not in last.body_html and "Zurück" not in last.body_html
    assert "Dienstag" not in last.body_html


def test_flat_keys_survive_a_body_edit() -> None:
    page = (FIXTURES / "flat_uhr_date_after.html").read_text(encoding="utf-8")
    before = extract_liveblog(page, LOCAL_URL, now=NOW)
    edited = page.replace("Reisende sollen", "Alle Reisenden sollen")
    after = extract_liveblog(edited, LOCAL_URL, now=NOW)
    assert [e.key for e in after.entries] == [e.key for e in before.entries]
    assert after.entries[0].raw_hash != before.entries[0].raw_hash


def test_bold_timed_paragraph_runs_dated_from_json_ld() -> None:
    """n-tv style: <p><b>+++ 00:15 Headline +++</b></p> starts an entry; rollover at midnight."""
    result = _extract("ntv_bold_runs.html")
    assert result.strategy == "generic", result.reason
    assert [(e.published_at, e.title) for e in result.entries] == [
        ("2024-03-01T23:15:00+00:00", "UN-Sicherheitsrat tagt erneut"),
        ("2024-03-01T22:50:00+00:00", "Hilfskonvoi erreicht Grenzübergang"),
        ("2024-03-01T21:05:00+00:00", "Außenministerin reist in die Region"),
    ]
    assert "Verteilung" in result.entries[1].body_html
    assert "fortlaufend" not in "".join(e.body_html for e in result.entries)


def test_match_minutes_in_alternating_class_variants_without_ids() -> None:
    """A French minute-by-minute page: "direct" in URL and title, ev-left/ev-right blocks, only
    match minutes (and data-time="95", which is no epoch)."""
    url = "https://foot.example.fr/direct/om-psg-ligue-1"
    result = _extract("match_minutes_variants.html", url)
    assert result.strategy == "generic", result.reason
    assert [e.match_minute for e in result.entries] == ["95", "90+2", "45+2", "23", "1"]
    assert all(e.published_at is None for e in result.entries)  # never January 1970
    assert all(e.key.startswith("m:") for e in result.entries)
    assert result.entries[0].key == content_key(None, "", "", "95")
    assert "Coup de sifflet final" in result.entries[0].body_html
    assert "95'" not in result.entries[0].body_html
    assert "time: 5 match minute" in result.provenance


def test_amp_live_list_items() -> None:
    result = _extract("amp_live_list.html")
    assert result.strategy == "generic" and "amp-live-list" in result.chosen_because
    assert _rows(result) == [
        ("post-3003", "2024-11-06T05:00:00+00:00", None, "Polls close on the west coast"),
        ("post-3002", "2024-11-06T04:00:00+00:00", None, "Turnout beats the last election"),
        ("post-3001", "2024-11-06T03:00:00+00:00", None, "First results from Indiana"),  # epoch s
    ]


def test_strong_lead_is_the_title_only_when_more_text_follows() -> None:
    result = _extract("strong_leads.html")
    assert _rows(result) == [
        ("u4", "2025-03-26T13:05:00+00:00", None, "Fuel duty frozen for another year"),
        ("u3", "2025-03-26T12:48:00+00:00", None, ""),  # <strong>Name</strong> inside a sentence
        ("u2", "2025-03-26T12:30:00+00:00", None, "Markets steady before the statement"),
        ("u1", "2025-03-26T12:00:00+00:00", None, ""),  # a strong line with nothing after it
    ]
    assert "Fuel duty frozen" not in result.entries[0].body_html
    assert "Rachel Reeves" in result.entries[1].body_html


def test_degenerate_json_ld_loses_to_the_page_markup() -> None:
    """Every LD update carries one time and the page headline: DOM times and titles win, and the
    DOM id ``post-9c3`` is matched to the LD ``@id`` ``9c3``."""
    result = _extract("degenerate_jsonld.html")
    assert result.strategy == "jsonld+generic"
    assert _rows(result) == [
        ("post-9c3", "2024-11-24T11:38:12+00:00", None, "Pontypridd town centre under water"),
        ("post-9c2", "2024-11-24T11:02:40+00:00", None, ""),
        ("post-9c1", "2024-11-24T10:15:03+00:00", None, ""),
    ]
    assert result.provenance[:3] == [
        "time: 3 page markup",
        "title: 1 page markup, 2 none",
        "body: 3 page markup",
    ]
    assert any("share 2024-11-24T11:40:00Z" in line for line in result.provenance)
    assert any("repeat the page headline" in line for line in result.provenance)
    forced = _extract("degenerate_jsonld.html", site="jsonld")
    assert all(e.published_at is None and e.title == "" for e in forced.entries)


def test_relative_times_count_back_from_the_page_time() -> None:
    result = _extract("relative_times.html")
    assert [(e.published_at, e.title) for e in result.entries] == [
        ("2025-02-03T22:26:00+00:00", "Chelsea complete loan signing"),  # 4m ago
        ("2025-02-03T21:55:00+00:00", "Arsenal bid rejected"),  # 35 mins ago
        ("2025-02-03T20:30:00+00:00", "Window opens its final day"),  # 2 hours ago
    ]


def test_printed_zone_and_date_heading_before_the_entries() -> None:
    result = _extract("clock_zone_date_heading.html")
    assert [e.published_at for e in result.entries] == [
        "2024-12-27T05:12:00+00:00",  # 10:42 (IST)
        "2024-12-27T05:01:00+00:00",
        "2024-12-27T04:00:00+00:00",
    ]


def test_tagesschau_clock_only_entries_dated_by_the_stand_line() -> None:
    """ "07:27 Uhr" entries and "Stand: 04.02.2025" elsewhere on the page; two empty layout
    anchors before the first entry; bodies nested (2022) and following (2024); the source line
    and footer after the last entry belong to the page."""
    result = _extract("tagesschau_stand_date_only.html", now=None)
    assert result.strategy == "tagesschau"
    assert _rows(result) == [
        ("lb-7", "2025-02-04T06:27:00+00:00", None, "Kiew meldet Drohnenangriffe"),
        ("lb-6", "2025-02-04T05:02:00+00:00", None, "Selenskyj dankt für Flugabwehr"),
        ("lb-5", "2025-02-03T22:48:00+00:00", None, "Stromausfälle im Osten"),
    ]
    assert "Drohnen" in result.entries[0].body_html
    assert "Quelle" not in result.entries[-1].body_html
    generic = _extract("tagesschau_stand_date_only.html", now=None, site="generic")
    assert [(e.key, e.published_at) for e in generic.entries] == [
        (k, t) for k, t, _, _ in _rows(result)
    ]


LIVE_WORDS = [
    "Live",
    "Liveblog",
    "Live-Blog",
    "Brexit vote – as it happened",
    "Liveticker",
    "Newsticker",
    "Ticker",
    "Wahl im Ticker",
    "En direct",
    "DIRECT",
    "In diretta",
    "En directo",
    "En vivo",
    "Ao vivo",
    "Na żywo",
    "Relacja",
    "Canlı",
]


def _timed_blocks(title: str, n: int = 3, nav: str = "") -> str:
    blocks = "".join(
        f'<div class="post"><time datetime="2025-01-0{n - i}T10:00:00Z">10:00</time>'
        f"<p>Entry number {i} with enough words in it to count as a real liveblog post.</p></div>"
        for i in range(n)
    )
    return (
        f"<html><head><title>{title}</title></head><body><nav>{nav}</nav>"
        f'<main><div class="stream">{blocks}</div></main></body></html>'
    )


@pytest.mark.parametrize("word", LIVE_WORDS)
def test_live_words_in_each_language_make_the_title_a_signal(word: str) -> None:
    result = extract_liveblog(_timed_blocks(f"{word}: Wahl 2025"), LOCAL_URL)
    assert result.strategy == "generic", result.reason
    assert len(result.entries) == 3
    assert LIVE_RE.search(word)


@pytest.mark.parametrize("word", ["Liverpool", "Delivery", "Directory", "Olive oil", "Tickets"])
def test_words_that_merely_contain_a_live_word_are_no_signal(word: str) -> None:
    result = extract_liveblog(_timed_blocks(f"{word} news"), LOCAL_URL)
    assert result.strategy is None
    assert "without a live signal" in result.reason


def test_a_weak_signal_needs_a_strong_structure() -> None:
    """A "Liveticker" menu link is no signal for three blocks, but is for six timed ones."""
    nav = '<a href="/ticker">Liveticker</a>'
    three = extract_liveblog(_timed_blocks("Wahl 2025", 3, nav), LOCAL_URL)
    assert three.strategy is None and "too few" in three.reason
    six = extract_liveblog(_timed_blocks("Wahl 2025", 6, nav), LOCAL_URL)
    assert six.strategy == "generic" and "in the page" in six.chosen_because
    assert len(six.entries) == 6


def test_an_article_with_timed_comments_is_not_a_liveblog() -> None:
    result = _extract("article_with_comments.html")
    assert result.strategy is None and result.entries == []
    assert result.reason.startswith("not a liveblog:")


def test_inspect_says_where_each_field_came_from(server, tmp_path) -> None:
    from tests.conftest import tickerwatch

    page = (FIXTURES / "degenerate_jsonld.html").read_bytes()
    url = server.set("/live/storm-bert", page)
    result = tickerwatch("inspect", url, "--json", db=tmp_path / "tw.db")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["strategy"] == "jsonld+generic"
    assert "time: 3 page markup" in report["provenance"]
    assert any("structured times ignored" in line for line in report["provenance"])
    text = tickerwatch("inspect", url, db=tmp_path / "tw.db")
    assert "fields   title: 1 page markup, 2 none" in text.stdout


def test_match_minutes_are_stored_as_minutes_through_a_real_poll(server, db_path) -> None:
    import sqlite3

    from tests.conftest import tickerwatch

    page = (FIXTURES / "match_minutes_variants.html").read_bytes()
    url = server.set("/direct/om-psg-ligue-1", page)
    result = tickerwatch("poll", url, db=db_path)
    assert result.returncode == 0, result.stderr
    conn = sqlite3.connect(db_path)
    try:
        rows = conn.execute(
            "SELECT match_minute, published_at FROM entries ORDER BY position"
        ).fetchall()
    finally:
        conn.close()
    assert rows == [("95", None), ("90+2", None), ("45+2", None), ("23", None), ("1", None)]


def _posts(ids: list[int], edited: int | None = None, ld: bool = False) -> str:
    blocks, updates = [], []
    for n in ids:
        text = f"Report {n}: officials said the situation in the region remains tense tonight."
        if n == edited:
            text += " Updated with a statement."
        when = f"2025-01-0{1 + n % 5}T{10 + n % 10}:{n % 60:02d}:00Z"
        blocks.append(
            f'<div class="entry entry--{"left" if n % 2 else "right"}" id="e-{n}">'
            f'<time datetime="{when}">x</time><h3>Headline {n}</h3><p>{text}</p></div>'
        )
        updates.append({"@type": "BlogPosting", "@id": str(n), "headline": "Live: memo"})
    head = "<title>Live: memo</title>"
    if ld:
        data = {"@type": "LiveBlogPosting", "headline": "Live: memo", "liveBlogUpdate": updates}
        head += f'<script type="application/ld+json">{json.dumps(data)}</script>'
    return f'<html><head>{head}</head><body><div class="feed">{"".join(blocks)}</div></body></html>'


@pytest.mark.parametrize("ld", [False, True], ids=["generic", "jsonld+generic"])
def test_the_memo_path_gives_what_a_fresh_extraction_gives(ld: bool) -> None:
    """A poll with one new and one edited entry reuses the rest, and still equals a full run."""
    from crawler.extractors.generic import memo

    url = f"http://127.0.0.1:1/memo-{ld}.html"
    first = extract_liveblog(_posts(list(range(30, 0, -1)), ld=ld), url, known={})
    assert len(first.entries) == 30
    page = _posts(list(range(31, 0, -1)), edited=7, ld=ld)
    again = extract_liveblog(page, url, known={})
    assert memo.recipe_for(url) is not None  # the second poll followed the first one's layout
    memo.MEMO.clear()
    memo.remember_recipe(url, None)
    fresh = extract_liveblog(page, url, known={})

    def view(r: Extraction) -> list[tuple]:
        return [(e.key, e.title, e.published_at, e.body_html, e.raw_hash) for e in r.entries]

    assert view(again) == view(fresh)
    assert len(again.entries) == 31 and again.strategy == fresh.strategy
    assert "Updated with a statement" in next(e for e in again.entries if e.key == "e-7").body_html


def _teasers(n: int) -> str:
    return "".join(
        f'<article class="card"><a href="/news/{i}"><h3>Story number {i} about the city council'
        f'</h3></a><time datetime="2025-01-0{1 + i}T10:00:00Z">Jan {1 + i}</time></article>'
        for i in range(n)
    )


def test_a_teaser_list_on_an_article_is_not_a_liveblog() -> None:
    """Six timed cards whose text is their link (a "latest news" box) and a "Live" menu link."""
    page = (
        "<html><head><title>Council approves cycle lanes</title></head><body>"
        '<nav><a href="/live">Live</a></nav><article class="story"><h1>Council approves</h1>'
        "<p>The council voted on Thursday to build twelve kilometres of cycle lanes.</p>"
        f'</article><section class="latest">{_teasers(6)}</section></body></html>'
    )
    result = extract_liveblog(page, LOCAL_URL)
    assert result.strategy is None, result.chosen_because


def test_a_layout_modifier_naming_the_sidebar_does_not_hide_the_entries() -> None:
    page = _timed_blocks("Liveticker: Wahl 2025").replace(
        "<main>", '<main class="layout layout--with-sidebar has-sidebar">'
    )
    assert extract_liveblog(page, LOCAL_URL).strategy == "generic"


def test_a_time_line_before_the_entry_heading() -> None:
    """<p class="zeit">09:05</p><h3>Title</h3><p>…</p>: the heading after the time is the title."""
    result = _extract("time_line_then_heading.html")
    assert [(e.published_at, e.title) for e in result.entries] == [
        ("2024-09-16T07:05:00+00:00", "Pegel in Dresden steigt weiter"),
        ("2024-09-16T06:40:00+00:00", "Fähren stellen Betrieb ein"),
        ("2024-09-16T05:55:00+00:00", "Krisenstab tagt"),
    ]
    assert result.entries[0].body_html.startswith("<p>Die Elbe")


def test_times_printed_as_permalinks_and_a_bare_day_attribute() -> None:
    """<a href="#p3">11:50</a> is the entry's time; data-date="2025-01-10" is no midnight."""
    result = _extract("permalink_times.html")
    assert result.strategy == "generic", result.reason
    assert [e.published_at for e in result.entries] == [
        "2025-01-10T11:50:00+00:00",
        "2025-01-10T11:20:00+00:00",
        "2025-01-10T10:45:00+00:00",
    ]
