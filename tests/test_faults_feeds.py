"""Feed faults: entity attacks, odd bodies served as feeds, and unstable items polled many times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crawler.feeds.parse import parse_feed
from crawler.items import PollItem
from crawler.store.recording import record_poll
from crawler.text.cleaning import content_hash
from tests.faultkit import canary, compare, fault_env, faults, last_poll, poll, record, rows
from tests.faultkit import snapshot as snap
from tests.faultserver import Reply
from tests.pages import rss_feed

pytestmark = pytest.mark.faults
__all__ = ["canary", "fault_env", "faults"]

RSS = {"Content-Type": "application/rss+xml"}
ITEMS = [
    {"guid": "a", "title": "Eins", "link": "", "summary": "Erste Meldung"},
    {"guid": "b", "title": "Zwei", "link": "", "summary": "Zweite Meldung"},
]

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol9 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">]>
<rss version="2.0"><channel><title>x</title><item><guid>z</guid><title>&lol9;</title></item></channel></rss>"""


def xxe(target: str) -> bytes:
    return (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "{target}">]>'
        '<rss version="2.0"><channel><title>x</title><item><guid>z</guid>'
        "<title>&xxe;</title><description>&xxe;</description></item></channel></rss>"
    ).encode()


def test_entity_attacks_are_malformed_feeds(faults, canary, db_path):
    attacks = {
        "billion laughs": BILLION_LAUGHS,
        "XXE file": xxe("file:///etc/passwd"),
        "XXE canary": xxe(canary.url("/secret")),
        "XXE parameter entity": xxe(canary.url("/dtd")).replace(b"ENTITY xxe", b"ENTITY % xxe"),
    }
    urls = {
        name: faults.route(f"/f{i}", rss_feed(ITEMS), headers=RSS) for i, name in enumerate(attacks)
    }
    assert poll(db_path, *urls.values()).returncode == 0
    before = {name: snap(db_path, url) for name, url in urls.items()}
    for i, body in enumerate(attacks.values()):
        faults.route(f"/f{i}", Reply(body, 200, RSS))
    result = poll(db_path, *urls.values())
    assert result.returncode == 1
    for name, url in urls.items():
        status, error = last_poll(db_path, url)
        damage = compare(before[name], snap(db_path, url))
        record(f"feed: {name}", canary_hits=canary.hits(), **damage)
        assert status == "error" and error.startswith("malformed feed"), (name, error)
        assert damage == {"lost": 0, "duplicated": 0, "false_removals": 0}
    assert canary.requests == []
    assert rows(db_path, "SELECT count(*) FROM entries WHERE body LIKE '%root:%'") == [(0,)]


def test_odd_bodies_served_as_feeds_are_reported_and_remove_nothing(faults, db_path):
    json_feed = (
        '{"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": ['
        '{"id": "a", "title": "Eins", "content_text": "Erste Meldung"},'
        '{"id": "b", "title": "Zwei", "content_text": "Zweite Meldung"}]}'
    )
    cases = {
        "HTML page": (
            Reply(b"<!doctype html><html><body><p>Hallo</p></body></html>"),
            "error",
            "not a feed",
        ),
        "empty 200": (Reply(b"", 200, RSS), "error", "empty body"),
        "feed without items": (Reply(rss_feed([]).encode(), 200, RSS), "suspicious", "no entries"),
        "JSON Feed": (
            Reply(json_feed.encode(), 200, {"Content-Type": "application/feed+json"}),
            "ok",
            None,
        ),
    }
    urls = {
        name: faults.route(f"/o{i}", rss_feed(ITEMS), headers=RSS) for i, name in enumerate(cases)
    }
    assert poll(db_path, *urls.values(), extra=("--kind", "feed")).returncode == 0
    before = {name: snap(db_path, url) for name, url in urls.items()}
    for i, (reply, _, _) in enumerate(cases.values()):
        faults.route(f"/o{i}", reply)
    result = poll(db_path, *urls.values(), extra=("--kind", "feed"))
    for name, url in urls.items():
        status, error = last_poll(db_path, url)
        damage = compare(before[name], snap(db_path, url))
        record(f"feed: {name}", **damage)
        assert status == cases[name][1], (name, status, error)
        if cases[name][2]:
            assert cases[name][2] in error and url in result.stderr, (name, error)
        assert damage == {"lost": 0, "duplicated": 0, "false_removals": 0}, name


def unstable_feed(n: int) -> bytes:
    """Duplicate GUIDs, items without GUID or link, odd dates; the body changes every poll."""
    future = (datetime.now(UTC) + timedelta(days=30)).strftime("%a, %d %b %Y %H:%M:%S +0000")
    items = [
        ("<guid>dup</guid><title>Erste Fassung</title>", "Mon, 25 May 2024 08:00:00 +0000"),
        ("<guid>dup</guid><title>Zweite Fassung</title>", "Mon, 25 May 2024 08:01:00 +0000"),
        ("<title>Ohne GUID und Link</title>", ""),
        (
            f"<link>https://example.org/a?utm_source=rss{n}&amp;id=1</link><title>Nur Link</title>",
            None,
        ),
        ("<guid>nodate</guid><title>Ohne Datum</title>", None),
        ("<guid>baddate</guid><title>Kaputtes Datum</title>", "gestern irgendwann"),
        ("<guid>naive</guid><title>Ohne Zone</title>", "2024-05-25T08:00:00"),
        ("<guid>future</guid><title>Zukunft</title>", future),
    ]
    parts = []
    for head, date in items:
        when = f"<pubDate>{date}</pubDate>" if date is not None else ""
        parts.append(f"<item>{head}<description>Stand {n % 3}</description>{when}</item>")
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>U {n}</title>'
        f"{''.join(parts)}</channel></rss>"
    ).encode()


def test_unstable_items_keep_stable_keys_over_100_polls(store):
    """In process: parse_feed + record_poll on each backend, 100 polls with changing bodies."""
    url = "http://127.0.0.1/unstable.xml"
    counts = []
    for n in range(100):
        result = parse_feed(unstable_feed(n), url, "application/rss+xml")
        assert result.error is None
        for entry in result.entries:
            entry.content_hash = content_hash(entry.title, entry.body)
        item = PollItem(source_url=url, kind="feed", entries=result.entries, body_hash=str(n))
        recorded = record_poll(store, item)
        assert recorded.status == "ok"
        assert n == 0 or not [d for d in recorded.developments if d.event == "new"], n
        counts.append(store.conn.execute("SELECT count(*) FROM entries").fetchone()[0])
    record("feed: 100 polls of unstable items")
    assert set(counts) == {counts[0]} and counts[0] == 7  # the duplicate GUID collapses to one


def test_unstable_items_through_the_cli(faults, db_path):
    url = faults.route("/unstable.xml", Reply(unstable_feed(0), 200, RSS))
    outputs = []
    for n in range(3):
        faults.route("/unstable.xml", Reply(unstable_feed(n), 200, RSS))
        outputs.append(poll(db_path, url))
        assert outputs[-1].returncode == 0, outputs[-1].stderr[-2000:]
    record("feed: unstable items via CLI")
    assert [o.stdout.count("NEW ") for o in outputs] == [7, 0, 0]
    assert rows(db_path, "SELECT count(*), count(DISTINCT key) FROM entries") == [(7, 7)]
