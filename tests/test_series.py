"""A liveblog series: the real tagesschau RSS as hub, each day's liveblog found and followed."""

from __future__ import annotations

import time

import pytest

from tests.conftest import REAL, needs_real
from tests.conftest import query as rows
from tests.daemon_process import DaemonProcess, liveblog_page

RSS = "feeds/tagesschau_index-rss2_2023-12-12_trimmed.xml"
MONDAY = "/newsticker/liveblog-ukraine-montag-100.html"
TUESDAY = "/newsticker/liveblog-ukraine-dienstag-101.html"


def hub_feed(base: str, *liveblogs: tuple[str, str]) -> str:
    """The real feed, its links pointed at the loopback server, liveblog items put on top."""
    text = (REAL / RSS).read_text(encoding="utf-8").replace("https://www.tagesschau.de", base)
    items = "".join(
        f"<item><title>Liveblog: ++ {title} ++</title><link>{base}{path}</link>"
        f"<guid>{path}</guid><pubDate>Tue, 12 Dec 2023 16:00:00 +0100</pubDate></item>"
        for path, title in liveblogs
    )
    first_item = text.index("<item>")
    return text[:first_item] + items + text[first_item:]


def entries(prefix: str, n: int) -> list[tuple[str, str, str]]:
    return [(f"{prefix}{i}", f"{prefix} Meldung {i}", f"Text {prefix} {i}.") for i in range(n)]


@needs_real
def test_series_follows_the_daily_liveblog_and_retires_the_old_one(
    server, db_path, tmp_path, monkeypatch
):
    monkeypatch.setenv("TICKERWATCH_MIN_INTERVAL", "0.5")
    base = server.url("")
    server.set(MONDAY, liveblog_page(entries("mo", 2)))
    hub = server.set(
        "/index~rss2.xml", hub_feed(base, (MONDAY, "Montag")), content_type="application/rss+xml"
    )
    config = tmp_path / "sources.toml"
    config.write_text(
        "[[source]]\n"
        'name = "ukraine"\n'
        f'url = "{hub}"\n'
        'kind = "series"\n'
        'match = "/newsticker/liveblog-ukraine-"\n'
        'every = "1s"\n'
        'grace = "6s"  # the old liveblog is polled this long after the new one appears\n'
    )
    daemon = DaemonProcess(db_path, config)
    try:
        daemon.wait_for(r"series ukraine: following \S+liveblog-ukraine-montag-100\.html")
        daemon.wait_for(r"^BASELINE ukraine/liveblog-ukraine-montag-100 2 entries")
        server.set(MONDAY, liveblog_page(entries("mo", 3)))
        daemon.wait_for(r"^NEW ukraine/liveblog-ukraine-montag-100 \S+ mo Meldung 2 ")

        # The next day: a new liveblog appears in the feed.
        server.set(TUESDAY, liveblog_page(entries("di", 1)))
        server.set(
            "/index~rss2.xml",
            hub_feed(base, (TUESDAY, "Dienstag"), (MONDAY, "Montag")),
            content_type="application/rss+xml",
        )
        daemon.wait_for(r"series ukraine: following \S+liveblog-ukraine-dienstag-101\.html")
        daemon.wait_for(r"^BASELINE ukraine/liveblog-ukraine-dienstag-101 1 entries")
        # A late correction on Monday's page is still picked up within the grace period.
        server.set(MONDAY, liveblog_page(entries("mo", 4)))
        daemon.wait_for(r"^NEW ukraine/liveblog-ukraine-montag-100 \S+ mo Meldung 3 ")
        server.set(TUESDAY, liveblog_page(entries("di", 2)))
        daemon.wait_for(r"^NEW ukraine/liveblog-ukraine-dienstag-101 \S+ di Meldung 1 ")

        daemon.wait_for(r"grace period over, no longer polling ukraine/liveblog-ukraine-montag-100")
        monday_hits = server.hits(MONDAY)
        time.sleep(2.5)
        assert server.hits(MONDAY) <= monday_hits + 1  # at most one poll already in flight
        tuesday_before = server.hits(TUESDAY)
        deadline = time.monotonic() + 15  # the current liveblog goes on (1 s interval)
        while server.hits(TUESDAY) == tuesday_before and time.monotonic() < deadline:
            time.sleep(0.1)
        assert server.hits(TUESDAY) > tuesday_before
    finally:
        assert daemon.stop() == 0

    log = daemon.text()
    assert "NEW ukraine (hub)" not in log  # hub items are links to follow, not news to report
    # The hub's other links are never fetched: only matching liveblogs are followed.
    assert server.hits("/wirtschaft/haushalt-volumen-100.html") == 0
    members = rows(db_path, "SELECT name, kind FROM sources WHERE series = 'ukraine' ORDER BY id")
    assert members == [
        ("ukraine/liveblog-ukraine-montag-100", "liveblog"),
        ("ukraine/liveblog-ukraine-dienstag-101", "liveblog"),
    ]
    counts = dict(
        rows(
            db_path,
            "SELECT s.name, count(e.id) FROM sources s JOIN entries e ON e.source_id = s.id "
            "WHERE s.series = 'ukraine' GROUP BY s.name",
        )
    )
    assert counts == {
        "ukraine/liveblog-ukraine-montag-100": 4,
        "ukraine/liveblog-ukraine-dienstag-101": 2,
    }


def test_series_config_needs_a_valid_match(tmp_path):
    from scheduler.config.model import ConfigError
    from scheduler.config.reading import load_config

    path = tmp_path / "sources.toml"
    path.write_text('[[source]]\nname = "s"\nurl = "https://example.org/feed"\nkind = "series"\n')
    with pytest.raises(ConfigError, match=r"sources.toml:1: a series needs match"):
        load_config(path)
    path.write_text('[[source]]\nurl = "https://example.org/feed"\nkind = "series"\nmatch = "(["\n')
    with pytest.raises(ConfigError, match=r"sources.toml:4: match: not a regular expression"):
        load_config(path)
    path.write_text('[[source]]\nurl = "https://example.org/x"\nmatch = "live"\n')
    with pytest.raises(ConfigError, match=r"sources.toml:3: match is only for kind"):
        load_config(path)


OVERVIEW = "/ukraine/index.html"


def overview_page(*links: tuple[str, str]) -> str:
    """A hub that is an HTML overview page (no feed): navigation, teasers, liveblog links."""
    teasers = "".join(
        f'<div class="teaser"><a href="{href}#top">{text}</a> <a href="{href}">mehr</a></div>'
        for href, text in links
    )
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Ukraine</title></head><body>'
        '<nav><a href="/">Start</a> <a href="mailto:x@example.org">Kontakt</a>'
        ' <a href="javascript:void(0)">Menü</a></nav>'
        f'<main>{teasers}<a href="/wirtschaft/haushalt-volumen-100.html">Haushalt</a></main>'
        "</body></html>"
    )


def test_hub_links_resolve_dedupe_and_skip_what_is_not_http():
    from crawler.feeds.hublinks import MAX_LINKS, extract_links

    html = overview_page((MONDAY, "Liveblog Montag"), ("https://other.example/x", "Fremd"))
    links = extract_links(html, "https://www.tagesschau.de/ukraine/index.html")
    assert [(e.key, e.title, e.position) for e in links] == [
        ("https://www.tagesschau.de/", "Start", 0),
        (f"https://www.tagesschau.de{MONDAY}", "Liveblog Montag", 1),  # fragment gone, once
        ("https://other.example/x", "Fremd", 2),
        ("https://www.tagesschau.de/wirtschaft/haushalt-volumen-100.html", "Haushalt", 3),
    ]
    assert all(e.url == e.key and e.body == "" and e.raw_hash for e in links)
    many = "".join(f'<a href="/p{i}.html">{i}</a>' for i in range(MAX_LINKS + 50))
    assert len(extract_links(f"<html><body>{many}</body></html>", "https://e.org/")) == MAX_LINKS
    assert extract_links("", "https://e.org/") == []


def test_a_series_whose_hub_is_an_html_page_follows_its_liveblogs(
    server, db_path, tmp_path, monkeypatch
):
    monkeypatch.setenv("TICKERWATCH_MIN_INTERVAL", "0.5")
    server.set(MONDAY, liveblog_page(entries("mo", 2)))
    hub = server.set(OVERVIEW, overview_page((MONDAY, "Liveblog: ++ Montag ++")))
    config = tmp_path / "sources.toml"
    config.write_text(
        f'[[source]]\nname = "ua"\nurl = "{hub}"\nkind = "series"\n'
        'match = "/newsticker/liveblog-ukraine-"\nevery = "1s"\n'
    )
    daemon = DaemonProcess(db_path, config)
    try:
        daemon.wait_for(r"series ua: following \S+liveblog-ukraine-montag-100\.html")
        daemon.wait_for(r"^BASELINE ua/liveblog-ukraine-montag-100 2 entries")
        server.set(TUESDAY, liveblog_page(entries("di", 1)))
        server.set(OVERVIEW, overview_page((TUESDAY, "Dienstag"), (MONDAY, "Montag")))
        daemon.wait_for(r"^BASELINE ua/liveblog-ukraine-dienstag-101 1 entries")
    finally:
        assert daemon.stop() == 0
    assert server.hits("/wirtschaft/haushalt-volumen-100.html") == 0  # only matching links
    hub_polls = rows(
        db_path,
        "SELECT p.strategy FROM polls p JOIN sources s ON s.id = p.source_id "
        "WHERE s.name = 'ua (hub)' AND p.status = 'ok'",
    )
    assert hub_polls and {s for (s,) in hub_polls} == {"hub-links"}
    assert "NEW ua (hub)" not in daemon.text()
