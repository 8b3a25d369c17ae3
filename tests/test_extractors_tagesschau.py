"""The tagesschau adapter on pages written to the reconstructed ARD liveblog markup."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from crawler.extractors import extract_liveblog

FIXTURES = Path(__file__).resolve().parent / "fixtures"
LOCAL_URL = "http://127.0.0.1:1234/x.html"
CANONICAL = "https://www.tagesschau.de/newsticker/liveblog-ukraine-samstag-390.html"


def _extract(name: str, **kw):
    return extract_liveblog((FIXTURES / name).read_bytes(), LOCAL_URL, **kw)


def test_entries_are_flat_runs_after_each_anchor() -> None:
    result = _extract("tagesschau_liveblog.html")
    assert result.strategy == "tagesschau"
    assert "div.liveblog--anchor" in result.chosen_because
    assert result.page_url == CANONICAL
    got = [(e.position, e.key, e.title, e.published_at) for e in result.entries]
    assert got == [
        (
            0,
            "liveblog-eintrag-1003",
            "Selenskyj fordert mehr Luftabwehr",
            "2024-05-25T18:37:00+00:00",
        ),
        (1, "liveblog-eintrag-1002", "Charkiw erneut unter Beschuss", "2024-05-25T16:05:00+00:00"),
        (
            2,
            "liveblog-eintrag-1001",
            "G7-Finanzminister beraten über russisches Vermögen",
            "2024-05-25T07:12:00+00:00",
        ),
        # "06:02 Uhr" without a date takes the running date (25.05., from the entries above)
        (
            3,
            "liveblog-eintrag-1000",
            "Der Liveblog vom Freitag zum Nachlesen",
            "2024-05-25T04:02:00+00:00",
        ),
    ]
    assert all(e.url == f"{CANONICAL}#{e.key}" for e in result.entries)
    assert not any(e.pinned for e in result.entries)


def test_body_collects_paragraphs_lists_images_links_and_embeds() -> None:
    first, second, third, _ = _extract("tagesschau_liveblog.html").entries
    # subhead after the anchor, image, "Mehr dazu" link; no datetime, no subhead in the body
    assert first.body_html.count('class="textabsatz') == 3
    assert "absatzbild" in first.body_html and "selenskyj-100.jpg" in first.body_html
    assert "Mehr dazu:" in first.body_html and "/ausland/europa/selenskyj-luftabwehr-100.html" in (
        first.body_html
    )
    assert "liveblog__datetime" not in first.body_html
    assert "meldung__subhead" not in first.body_html
    # subhead inside the anchor; list and tweet embed belong to the entry, the loose script not
    assert "<li>Mindestens zwei Tote</li>" in second.body_html
    assert "twitter-tweet" in second.body_html
    assert "tsLiveblog" not in second.body_html
    assert "meldung__subhead" not in second.body_html
    # the run stops at the next anchor
    assert "Baumarkt" not in first.body_html and "G7" not in second.body_html
    assert third.body_html.startswith('<p class="textabsatz')


def test_highlight_list_and_footer_are_not_entries() -> None:
    entries = _extract("tagesschau_liveblog.html").entries
    bodies = "".join(e.body_html for e in entries)
    assert "#liveblog-eintrag-1002" not in bodies  # highlight links under the lead
    assert "meldungsfooter" not in bodies and "taglist" not in bodies
    assert "ARD-aktuell" not in bodies


def test_midnight_rollover_with_time_only_entries() -> None:
    result = _extract("tagesschau_liveblog_midnight.html")
    got = [(e.key, e.published_at) for e in result.entries]
    assert got == [
        ("anchor-5", "2024-05-25T22:35:00+00:00"),  # 00:35 on the 26th (CEST)
        ("anchor-4", "2024-05-25T22:05:00+00:00"),
        ("anchor-3", "2024-05-25T21:50:00+00:00"),  # clock rose: 23:50 on the 25th
        ("anchor-2", "2024-05-25T20:10:00+00:00"),
        ("anchor-1", "2024-05-24T21:58:00+00:00"),  # explicit date
    ]
    untitled = result.entries[3]
    assert untitled.title == "" and untitled.key == "anchor-2"


def test_fall_back_night_keeps_page_order_and_real_instants() -> None:
    result = _extract("tagesschau_liveblog_dst.html")
    assert [e.key for e in result.entries] == ["e6", "e5", "e4", "e3", "e2", "e1"]
    assert [e.published_at for e in result.entries] == [
        "2024-10-27T02:10:00+00:00",  # 03:10 CET
        "2024-10-27T01:40:00+00:00",  # 02:40 CET (second pass)
        "2024-10-27T01:10:00+00:00",  # 02:10 CET (second pass)
        "2024-10-27T00:50:00+00:00",  # 02:50 CEST (first pass)
        "2024-10-27T00:20:00+00:00",  # 02:20 CEST (first pass)
        "2024-10-26T23:55:00+00:00",  # 01:55 CEST
    ]


def test_ard_article_with_anchor_subheads_is_not_a_liveblog() -> None:
    result = _extract("tagesschau_article_not_liveblog.html")
    assert result.strategy is None and result.entries == []
    assert result.reason.startswith("not a liveblog:")
    assert "2 liveblog--anchor" in result.reason


def test_date_falls_back_to_json_ld_then_now_without_stand_line() -> None:
    page = (FIXTURES / "tagesschau_liveblog_midnight.html").read_text(encoding="utf-8")
    page = page.replace('<p class="metatextline">Stand: 26.05.2024 00:40 Uhr</p>', "")
    now = datetime(2024, 5, 25, 22, 45, tzinfo=UTC)  # 00:45 Berlin on the 26th
    result = extract_liveblog(page, LOCAL_URL, now=now)
    assert result.entries[0].published_at == "2024-05-25T22:35:00+00:00"
    assert result.entries[2].published_at == "2024-05-25T21:50:00+00:00"


def test_forced_by_name_and_detected_without_host_hint() -> None:
    forced = _extract("tagesschau_liveblog.html", site="tagesschau")
    assert [e.key for e in forced.entries] == [
        e.key for e in _extract("tagesschau_liveblog.html").entries
    ]
    page = (FIXTURES / "tagesschau_liveblog.html").read_text(encoding="utf-8")
    page = page.replace("www.tagesschau.de", "example.org")
    result = extract_liveblog(page, LOCAL_URL)
    assert result.strategy == "tagesschau" and "host" not in result.chosen_because


def test_generic_heuristic_on_the_flat_layout() -> None:
    """The heuristic sees the anchors as short blocks and extends each by its siblings."""
    result = _extract("tagesschau_liveblog.html", site="generic")
    assert len(result.entries) == 4
    assert "Flugabwehrsysteme" in result.entries[0].body_html


def test_reach_pinned_copy_is_flagged_once_not_duplicated() -> None:
    result = _extract("reach_pinned_duplicate.html")
    assert result.strategy == "jsonld+reach"  # the invalid second JSON-LD block is skipped
    got = [(e.key, e.pinned, e.author) for e in result.entries]
    assert got == [
        ("103", False, "Jane Reporter"),
        ("102", True, "Jane Reporter"),
        ("101", False, ""),
    ]
    assert result.entries[2].body_html == "<p>The storm has arrived.</p><p>Winds of 80mph.</p>"


@pytest.mark.parametrize(
    "html",
    [
        "",
        "<html><body><p>nothing here</p></body></html>",
        "<html><head><title>Live: x</title></head><body><ul><li>a</li></ul></body></html>",
    ],
)
def test_empty_or_plain_pages_yield_nothing(html: str) -> None:
    result = extract_liveblog(html, LOCAL_URL)
    assert result.strategy is None and result.entries == [] and result.reason
