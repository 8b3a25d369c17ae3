"""The benchmark's synthetic pages are real liveblogs and feeds to our extractors (bench/)."""

from __future__ import annotations

from bench.pages import STYLES, World
from bench.report import render
from crawler.extractors import extract_liveblog
from crawler.feeds.parse import parse_feed

BASE = "http://127.0.0.1:9"


def test_every_style_yields_all_entries_and_changes_are_seen():
    world = World(liveblogs=3, feeds=1, seed=3)
    world.render_all(BASE)
    strategies = set()
    for blog in world.liveblogs.values():
        extraction = extract_liveblog(blog.body.decode(), blog.url(BASE))
        assert len(extraction.entries) == 300
        strategies.add(extraction.strategy)
        record = world.change(blog.name, "add", BASE)
        titles = [e.title for e in extract_liveblog(blog.body.decode(), blog.url(BASE)).entries]
        assert len(titles) == 301 and any(record["tag"] in t for t in titles)
    assert {s.split("+")[0] for s in strategies} >= {"jsonld", "reach"} and len(STYLES) == 3
    feed = world.feeds["f0"]
    assert len(parse_feed(feed.body, feed.url(BASE)).entries) == 100


def test_report_renders_partial_results():
    text = render(
        {"machine": {"date": "d", "cores": 2, "cpu": "c", "python": "3"}, "mode": "quick"}
    )
    assert "Goals" in text
