"""The lxml feed path (crawler/feeds/fast.py) against feedparser's, and skipping unchanged items.

Both paths must give the same EntryItems (every field but raw_hash, whose definition differs:
see feeds_fast.inputs_digest) on every feed the fast path accepts; feeds it must refuse go to
feedparser. Then: items whose raw_hash is stored are not cleaned, and a database written by the
feedparser path sees no "changed" events when the fast path takes over.
"""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urljoin

import pytest

import crawler.feeds.parse as feeds
from bench.pages import World
from crawler.feeds.fast import parse_fast
from crawler.feeds.items import _PLAIN_URL
from crawler.feeds.parse import complete_item, parse_feed
from crawler.items import PollItem, SourceState
from crawler.pipelines import CleanPipeline
from crawler.store.db import Store
from crawler.store.recording import record_poll
from crawler.text.cleaning import stored_raw_hash

FIXTURES = Path(__file__).resolve().parent / "fixtures"
REAL = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "real" / "feeds"
URL = "https://example.org/feed.xml"

RSS_ITEMS = [
    "<title>Plain &amp; simple</title><link>https://example.org/a?x=1&amp;utm_source=rss</link>"
    "<guid isPermaLink='false'>a</guid><description>&lt;p&gt;One &lt;b&gt;bold&lt;/b&gt; "
    "&lt;a href='/rel'&gt;link&lt;/a&gt;&lt;script&gt;x()&lt;/script&gt;&lt;/p&gt;</description>"
    "<pubDate>Fri, 01 Mar 2024 11:30:00 +0100</pubDate>",
    "<title>Permalink GUID</title><guid>https://example.org/b</guid>"
    "<description><![CDATA[<p onclick='x'>CDATA <img src=x.jpg> body</p>]]></description>"
    "<dc:date>2024-03-01T10:00:00Z</dc:date><dc:creator>Erika  Mustermann</dc:creator>",
    "<title>&lt;b&gt;HTML&lt;/b&gt; title &amp;amp; more</title><guid isPermaLink='false'>c</guid>"
    "<content:encoded><![CDATA[<figure><img src=a.jpg><figcaption>Bild: dpa</figcaption>"
    "</figure>]]></content:encoded><description>Summary stands in</description>",
    "<title>Both</title><guid isPermaLink='false'>d</guid><description>Short</description>"
    "<content:encoded><![CDATA[<p>Long</p><p>Text – “quoted” ü</p>]]></content:encoded>"
    "<pubDate>1 Mar 2024 09:00:00</pubDate><author>Max Muster</author>",
    "<title>Ã¼ber mojibake &#150; dash</title><link>/relative/path</link>"
    "<pubDate>Seg, 24 Set 2018 19:42:40 -0300</pubDate><!-- a comment -->",
    "<title>No key at all</title><description>Body x</description><pubDate>nope</pubDate>",
    "<description>&lt;p&gt;Only a body&lt;/p&gt;</description>",
    "<title>Media</title><guid isPermaLink='false'>m</guid><category>x</category>"
    "<media:content url='https://i.example.org/a.jpg'><media:credit>AP</media:credit>"
    "</media:content><enclosure url='https://e.example.org/a.mp3' type='audio/mpeg'/>",
    "<title>Empty link</title><guid>https://example.org/g</guid><link></link>",
    "<title>  </title><guid isPermaLink='false'>  spaced  </guid><description>  </description>",
    "",
    "<title>Dup</title><guid isPermaLink='false'>a</guid><description>second</description>",
]
ATOM_ENTRIES = [
    "<title type='text'>Text &amp; title</title><id>urn:uuid:1</id>"
    "<link rel='alternate' type='text/html' href='https://example.org/1'/>"
    "<link rel='self' href='https://example.org/1.atom'/><summary type='html'>&lt;p&gt;S"
    "&lt;/p&gt;</summary><content type='html'>&lt;p&gt;C &lt;em&gt;x&lt;/em&gt;&lt;/p&gt;"
    "</content><published>2024-03-01T10:00:00+01:00</published>"
    "<updated>2024-03-01T12:00:00Z</updated><author><name>A</name><email>a@x.org</email></author>",
    "<title type='html'>&lt;b&gt;Html&lt;/b&gt; &amp;amp; title</title><id>https://example.org/2</id>"
    "<content>Plain text content &lt;not a tag&gt;</content>",
    "<title>No alternate</title><id>tag:example.org,2024:3</id>"
    "<link rel='enclosure' href='https://example.org/3.mp3'/><summary>Only summary</summary>",
    "<title>Two alternates</title><id>4</id><link href='https://example.org/4a'/>"
    "<link rel='alternate' type='application/xhtml+xml' href='https://example.org/4b'/>"
    "<category term='x'/><rights>(c)</rights>",
]


def rss(items: list[str], head: str = '<?xml version="1.0" encoding="UTF-8"?>') -> bytes:
    ns = (
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:media="http://search.yahoo.com/mrss/"'
    )
    body = "".join(f"<item>{i}</item>" for i in items)
    return (
        f'{head}<rss version="2.0" {ns}><channel><title>Feed &amp; co</title>'
        f"<link>https://example.org/</link>{body}</channel></rss>"
    ).encode()


def atom(entries: list[str]) -> bytes:
    body = "".join(f"<entry>{e}</entry>" for e in entries)
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title type='html'>Atom &amp;amp; feed</title><id>f</id>{body}</feed>"
    ).encode()


def _feedparser_only(body: bytes, url: str, content_type: str | None) -> feeds.FeedResult:
    original = feeds.parse_fast
    feeds.parse_fast = lambda *args: None
    try:
        return parse_feed(body, url, content_type)
    finally:
        feeds.parse_fast = original


def _fields(entry) -> dict:
    out = dataclasses.asdict(entry)
    del out["raw_hash"], out["unparsed"]
    return out


def _accepted() -> list[tuple[str, bytes, str, str | None]]:
    cases = [
        ("rss edge items", rss(RSS_ITEMS), URL, "application/rss+xml"),
        ("rss no declaration, text/xml", rss(RSS_ITEMS[:4], head=""), URL, "text/xml"),
        ("rss with BOM", b"\xef\xbb\xbf" + rss(RSS_ITEMS[:3]), URL, None),
        ("rss charset header", rss(RSS_ITEMS[:3]), URL, "application/xml; charset=UTF-8"),
        ("atom edge entries", atom(ATOM_ENTRIES), URL, "application/atom+xml"),
        ("rss empty", rss([]), URL, None),
    ]
    cases += [(p.name, p.read_bytes(), URL, None) for p in sorted(FIXTURES.glob("feed_*.xml"))]
    for feed in World(1, 2).feeds.values():
        base = "http://127.0.0.1:8000"
        cases.append((f"bench {feed.name}", feed.render(base), feed.url(base), None))
    if REAL.is_dir():
        for name in ("guardian.rss", "heise.atom", "tagesschau_index-rss2_2023-12-12_trimmed.xml"):
            cases.append((name, (REAL / name).read_bytes(), "https://example.org/", None))
    return cases


ACCEPTED = _accepted()


@pytest.mark.parametrize(("name", "body", "url", "ctype"), ACCEPTED, ids=[c[0] for c in ACCEPTED])
def test_fast_path_equals_feedparser(name, body, url, ctype):
    fast = parse_fast(body, url, ctype, None)
    assert fast is not None, "the fast path should take this feed"
    slow = _feedparser_only(body, url, ctype)
    assert (fast.title, fast.format, fast.error) == (slow.title, slow.format, slow.error)
    assert [_fields(e) for e in fast.entries] == [_fields(e) for e in slow.entries]
    assert parse_feed(body, url, ctype).entries == fast.entries  # parse_feed takes it too


REFUSED = {
    "atom 0.3": b'<feed xmlns="http://purl.org/atom/ns#" version="0.3"><title>t</title></feed>',
    "rss 0.91": b'<rss version="0.91"><channel><title>t</title></channel></rss>',
    "rdf": b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"></rdf:RDF>',
    "latin-1 declared": rss(["<title>x</title>"]).replace(b"UTF-8", b"ISO-8859-1"),
    "latin-1 bytes": rss(["<title>\xe4</title>"]).replace("\xe4".encode(), b"\xe4"),
    "latin-1 header": rss(["<title>x</title>"]),
    "doctype": rss(["<title>x</title>"], head='<!DOCTYPE rss SYSTEM "x.dtd">'),
    "xml:base": rss(['<title xml:base="http://a/">x</title>']),
    "media:title": rss(["<title>x</title><media:title>y</media:title>"]),
    "unknown namespace": rss(['<x:y xmlns:x="urn:x">z</x:y>']),
    "repeated title": rss(["<title>x</title><title>y</title>"]),
    "author e-mail": rss(["<title>x</title><author>a@example.org (A)</author>"]),
    "xhtml content": atom(["<title>x</title><content type='xhtml'><div>y</div></content>"]),
    "Item in odd case": rss(["<title>x</title>"]).replace(b"</channel>", b"<Item/></channel>"),
    "not well-formed": rss(["<title>x"]),
    "item in the image": rss([]).replace(b"</channel>", b"<image><item/></image></channel>"),
    "item outside the channel": rss([]).replace(b"</rss>", b"<item><title>x</title></item></rss>"),
    "Entry in an item": rss(["<title>x</title><Entry/>"]),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_unusual_feeds_go_to_feedparser(name):
    ctype = "application/rss+xml; charset=iso-8859-1" if name == "latin-1 header" else None
    assert parse_fast(REFUSED[name], URL, ctype, None) is None


def test_real_feeds_the_fast_path_refuses():
    if not REAL.is_dir():
        pytest.skip(f"shared real fixtures not present at {REAL}")
    for name in ("tagesschau_index-atom_2023-12-12_trimmed.xml", "uolNoticias.rss"):
        assert parse_fast((REAL / name).read_bytes(), URL, None, None) is None, name


def _stored(entries) -> dict[str, str]:
    return {e.key: stored_raw_hash(e.title, e.raw_hash) for e in entries}


@pytest.mark.parametrize("fast", [True, False], ids=["fast path", "feedparser path"])
def test_stored_items_are_not_cleaned(fast):
    body = rss(RSS_ITEMS)
    parse = parse_feed if fast else _feedparser_only
    full = parse(body, URL, None).entries
    stored = _stored(full)
    del stored[full[0].key]  # one item is new
    if fast:
        partial = parse_feed(body, URL, None, stored).entries
    else:
        original = feeds.parse_fast
        feeds.parse_fast = lambda *args: None
        try:
            partial = parse_feed(body, URL, None, stored).entries
        finally:
            feeds.parse_fast = original
    assert [e.key for e in partial] == [e.key for e in full]
    assert partial[0].body == full[0].body and partial[0].unparsed is None
    skipped = [e for e in partial if e.key in stored and e.body is None]
    # Items keyed by title and date (or body) need their dates (or body) for the key itself.
    assert len(skipped) >= len(full) - 3
    for entry, whole in zip(partial, full, strict=True):
        assert (entry.title, entry.url, entry.author, entry.raw_hash) == (
            whole.title,
            whole.url,
            whole.author,
            whole.raw_hash,
        )
        if entry.body is None:
            complete_item(entry)
        assert _fields(entry) == _fields(whole)


def _clean(item: PollItem) -> None:
    crawler = SimpleNamespace(stats=SimpleNamespace(inc_value=lambda *a, **k: None))
    CleanPipeline(crawler).process_item(item)


def _poll(store: Store, body: bytes, url: str, *, fast: bool, n: int) -> list[dict]:
    stored = store.raw_hashes(url)
    if fast:
        result = parse_feed(body, url, None, stored)
    else:
        result = _feedparser_only(body, url, None)
    item = PollItem(source_url=url, kind="feed", entries=result.entries, body_hash=str(n))
    # The feedparser-only path built every body: the pipeline compares with the current state.
    item.state = SourceState(raw_hashes=stored)
    _clean(item)
    assert all(e.body is not None for e in item.entries if e.content_hash)
    return record_poll(store, item).developments


@pytest.mark.parametrize(("name", "body", "url", "ctype"), ACCEPTED, ids=[c[0] for c in ACCEPTED])
def test_database_from_feedparser_sees_no_false_changes(store, name, body, url, ctype):
    """The raw_hash definition differs between the paths: each item is re-cleaned once when the
    fast path takes over, and its content hash (the only thing an edit is judged by) is equal."""
    first = _poll(store, body, url, fast=False, n=0)
    assert all(d.event == "new" for d in first)
    bodies = store.conn.execute(
        "SELECT key, body, content_hash FROM entries ORDER BY key"
    ).fetchall()
    for n in range(1, 4):
        assert _poll(store, body, url, fast=True, n=n) == [], n
    assert (
        store.conn.execute("SELECT key, body, content_hash FROM entries ORDER BY key").fetchall()
        == bodies
    )


def test_skipped_item_is_completed_when_the_stored_state_moved(store):
    body = rss(RSS_ITEMS[:4])
    _poll(store, body, URL, fast=True, n=0)
    snapshot = store.raw_hashes(URL)
    result = parse_feed(body, URL, None, snapshot)
    assert all(e.body is None for e in result.entries)
    store.conn.execute("UPDATE entries SET raw_hash = 'x'")  # another poll got in between
    item = PollItem(source_url=URL, kind="feed", entries=result.entries, body_hash="1")
    item.state = SourceState(raw_hashes=store.raw_hashes(URL))  # the pipeline sees the moved state
    _clean(item)
    assert all(e.body for e in item.entries if e.key != "c") and item.entries[2].body is not None
    assert record_poll(store, item).developments == []
    assert store.conn.execute("SELECT count(*) FROM entries WHERE body = ''").fetchone()[0] == 0


def test_plain_url_shortcut_is_what_urljoin_returns():
    rng = random.Random(6)
    alphabet = "aZ09.-/:?#;%&= \t_~@[]"
    for _ in range(20000):
        tail = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        link = rng.choice(["http://", "https://", "HTTP://", "http:/"]) + "h" + tail
        if _PLAIN_URL.fullmatch(link):
            for base in ("http://example.org/feed", "https://example.org/a/b"):
                assert urljoin(base, link) == link, link


def test_remembered_items_are_what_reading_them_again_gives():
    """The second poll of an unchanged item takes it from the memo (crawler/feeds/fast.py):
    same fields as reading it, a body on demand, and no memo hit once the store has moved."""
    from crawler.feeds import fast as feeds_fast

    url = "http://127.0.0.1:1/memo-feed.xml"
    body = rss(RSS_ITEMS)
    full = parse_feed(body, url, None).entries
    stored = _stored(full)
    feeds_fast.MEMO.clear()
    read = parse_feed(body, url, None, stored).entries  # fills the memo
    assert len(feeds_fast.MEMO.get((url, "rss20"))) == sum(e.body is None for e in read) > 0
    again = parse_feed(body, url, None, stored).entries  # from the memo
    for entry, whole in zip(again, full, strict=True):
        if entry.body is None:
            complete_item(entry)
        assert _fields(entry) == _fields(whole)
    moved = {key: "0" * 40 for key in stored}  # another process rewrote every item
    rebuilt = parse_feed(body, url, None, moved).entries
    assert all(e.body is not None for e in rebuilt)
    assert [_fields(e) for e in rebuilt] == [_fields(e) for e in full]
