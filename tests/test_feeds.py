"""Tests for crawler.feeds.parse (RSS/Atom/JSON Feed parsing) and crawler.feeds.articles (full text)."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import pytest

from crawler.feeds.articles import Article, extract_article
from crawler.feeds.dates import parse_loose_date
from crawler.feeds.parse import MAX_FEED_BYTES, looks_like_feed, parse_feed

FIXTURES = Path(__file__).resolve().parent / "fixtures"
REAL = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "real"
needs_real = pytest.mark.skipif(
    not (REAL / "feeds").is_dir(), reason=f"shared real fixtures not present at {REAL}"
)

# file, feed URL, count, first key, first title, first published_at
REAL_FEEDS = [
    (
        "tagesschau_index-rss2_2023-12-12_trimmed.xml",
        "https://www.tagesschau.de/index~rss2.xml",
        3,
        "2371e076-f0bd-4e39-8fcf-3e6cf3308eff",
        "Haushaltskrise: Um wie viele Milliarden es wirklich geht",
        "2023-12-12T14:20:21+00:00",
    ),
    (
        "tagesschau_index-atom_2023-12-12_trimmed.xml",
        "https://www.tagesschau.de/index~atom.xml",
        2,
        "2371e076-f0bd-4e39-8fcf-3e6cf3308eff",
        "Haushaltskrise: Um wie viele Milliarden es wirklich geht",
        "2023-12-12T14:20:21+00:00",
    ),
    (
        "guardian.rss",
        "https://www.theguardian.com/us/rss",
        55,
        "https://www.theguardian.com/us-news/2018/jan/31/donald-trump-state-of-the-union-address-unity-discord",
        "Trump State of the Union address promised unity but emphasized discord",
        "2018-01-31T07:26:05+00:00",
    ),
    (
        "heise.atom",
        "http://www.heise.de/developer/rss/news-atom.xml",
        15,
        "http://heise.de/-3088438",
        "Java-Anwendungsserver: Red Hat gibt WildFly 10 frei",
        "2016-02-01T16:22:00+00:00",
    ),
    (
        "uolNoticias.rss",
        "http://rss.uol.com.br/feed/noticias.xml",
        15,
        "https://noticias.uol.com.br/politica/eleicoes/2018/noticias/2018/09/24/ibope-bolsonaro-perde-de-haddad-ciro-e-alckmin-em-simulacoes-de-2-turno.htm",
        "Ibope: Bolsonaro perde de Haddad, Ciro e Alckmin em simulações de 2º turno",
        "2018-09-24T22:42:40+00:00",  # "Seg, 24 Set 2018 19:42:40 -0300"
    ),
]


@needs_real
@pytest.mark.parametrize(("name", "url", "count", "key", "title", "published"), REAL_FEEDS)
def test_real_feeds(name, url, count, key, title, published):
    body = (REAL / "feeds" / name).read_bytes()
    assert looks_like_feed(body, None)
    result = parse_feed(body, url, "application/xml")
    assert result.error is None
    assert len(result.entries) == count
    first = result.entries[0]
    assert (first.key, first.title, first.published_at) == (key, title, published)
    assert [e.position for e in result.entries] == list(range(count))
    assert len({e.key for e in result.entries}) == count
    for entry in result.entries:
        assert entry.body is not None and entry.body_html is None
        assert len(entry.raw_hash) == 40
        assert entry.url.startswith("http") and entry.article_url == entry.url
        assert entry.published_at is None or entry.published_at.endswith("+00:00")
        assert "<" not in entry.title and "\ufffd" not in entry.title + entry.body
    # Stable across polls: parsing again yields the same items.
    assert parse_feed(body, url, "application/xml").entries == result.entries


@needs_real
def test_real_feed_details():
    rss = parse_feed((REAL / "feeds" / REAL_FEEDS[0][0]).read_bytes(), REAL_FEEDS[0][1])
    first = rss.entries[0]
    assert first.body.startswith("Die Spitzen der Ampelkoalition")
    assert first.body.endswith("Von H.-J. Vieweger.")  # "[mehr]" link gone
    assert rss.title.startswith("tagesschau.de")
    atom = parse_feed((REAL / "feeds" / REAL_FEEDS[1][0]).read_bytes(), REAL_FEEDS[1][1])
    assert atom.format == "atom03"
    assert atom.entries[0].body == first.body  # escaped CDATA in Atom 0.3 unwrapped
    uol = parse_feed((REAL / "feeds" / "uolNoticias.rss").read_bytes(), REAL_FEEDS[4][1])
    assert any("Líder na pesquisa" in e.body for e in uol.entries)
    heise = parse_feed((REAL / "feeds" / "heise.atom").read_bytes(), REAL_FEEDS[3][1])
    assert heise.entries[0].updated_at == "2016-02-01T16:54:50+00:00"
    guardian = parse_feed((REAL / "feeds" / "guardian.rss").read_bytes(), REAL_FEEDS[2][1])
    assert guardian.entries[0].author == "David Smith in Washington"
    assert "Continue reading" not in guardian.entries[0].body
    assert "Related:" not in guardian.entries[0].body


def test_json_feed():
    body = (FIXTURES / "feed_jsonfeed.json").read_bytes()
    assert looks_like_feed(body, "application/json")
    result = parse_feed(body, "https://example.org/feed.json", "application/feed+json")
    assert result.error is None and result.format == "json"
    assert result.title == "Beispiel-Ticker"
    assert [e.key for e in result.entries] == ["2", "1"]  # duplicate id "2" collapsed
    second, first = result.entries
    assert second.title == "Zweite Meldung: Bürgerschaft tagt"
    assert second.body == "Die Bürgerschaft tagt seit 10 Uhr.\n\nWeitere Details folgen."
    assert second.published_at == "2024-03-01T10:30:00+00:00"
    assert second.updated_at == "2024-03-01T12:00:00+00:00"
    assert second.author == "Erika Mustermann"
    assert first.url == "https://example.org/artikel/eins"  # relative URL resolved
    assert first.body == "Nur Text.\n\nZweiter Absatz mit <spitzen Klammern>."
    assert first.published_at == "2024-03-01T09:00:00+00:00"  # no offset: taken as UTC


def test_duplicates_and_items_without_guid_or_link():
    body = (FIXTURES / "feed_duplicates_noguid.xml").read_bytes()
    result = parse_feed(body, "https://example.org/rss")
    assert result.error is None
    keys = [e.key for e in result.entries]
    assert keys[:2] == ["dup-1", "https://example.org/story?id=7"]  # stripped; tracking gone
    assert keys[2].startswith("h:") and len(keys) == 3  # identical hash-keyed items collapse
    assert [e.position for e in result.entries] == [0, 1, 2]
    dup, link_only, hashed = result.entries
    assert dup.title == "First with guid" and dup.body == "first body"  # first wins
    assert dup.published_at == "2024-03-01T10:30:00+00:00"  # RFC 822 with +0100
    assert dup.article_url is None and hashed.article_url is None
    assert link_only.published_at == "2024-03-01T09:00:00+00:00"  # no zone: UTC
    assert hashed.published_at is None  # unparseable date: no guess
    assert parse_feed(body, "https://example.org/rss").entries[2].key == hashed.key


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Seg, 24 Set 2018 19:42:40 -0300", "2018-09-24T22:42:40+00:00"),
        ("Di, 12 Dez 2023 15:20:21 +0100", "2023-12-12T14:20:21+00:00"),
        ("mar. 5 févr. 2019 08:00:00 +01:00", "2019-02-05T07:00:00+00:00"),
        ("12 giu 2020 10:00 GMT", "2020-06-12T10:00:00+00:00"),
        ("3 juil 2021 12:00:00", "2021-07-03T12:00:00+00:00"),
        ("31 Feb 2021 12:00:00 +0000", None),
        ("24 Foo 2018 19:42:40 -0300", None),
        ("gestern", None),
        ("", None),
    ],
)
def test_parse_loose_date(value, expected):
    assert parse_loose_date(value) == expected


def test_future_date_stays_as_given():
    body = (
        b'<rss version="2.0"><channel><title>t</title><item><guid>g</guid><title>y</title>'
        b"<pubDate>Sat, 01 Jan 2061 00:00:00 +0000</pubDate></item></channel></rss>"
    )
    result = parse_feed(body, "https://example.org/rss")
    assert result.entries[0].published_at == "2061-01-01T00:00:00+00:00"


@pytest.mark.parametrize(
    ("body", "content_type", "error"),
    [
        (b"", None, "not a feed: empty body"),
        (b"  \n ", "application/rss+xml", "not a feed: empty body"),
        (b"\x00\x9f\x92\x96garbage\xff\xfe\x00", None, "not a feed: "),
        (
            b"<!DOCTYPE html><html><head><title>Hi</title></head><body></body></html>",
            None,
            "not a feed: got an HTML page",
        ),
        (
            b"<html><body><p>Login</p></body></html>",
            "application/rss+xml",
            "not a feed: got an HTML page",
        ),
        (b'<rss version="2.0"><channel><item><title>trunc', "text/xml", "malformed feed: "),
        (b"{not json", "application/feed+json", "malformed feed: invalid JSON"),
        (b'{"version": "1", "items": []}', "application/json", "not a feed: "),
        (b"/etc/passwd", None, "not a feed: "),  # feedparser would open a path given as bytes
        (b"file:///etc/passwd", None, "not a feed: "),
    ],
)
def test_errors(body, content_type, error):
    result = parse_feed(body, "https://example.org/feed", content_type)
    assert result.error is not None and result.error.startswith(error)
    assert result.entries == []
    assert "root:" not in repr(result)


@pytest.mark.parametrize(
    "body",
    [
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>Empty</title></channel></rss>',
        b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>E</title></feed>',
        b'{"version": "https://jsonfeed.org/version/1.1", "title": "E", "items": []}',
    ],
)
def test_valid_feed_with_zero_items_is_no_error(body):
    result = parse_feed(body, "https://example.org/feed", "text/xml")
    assert (result.error, result.entries) == (None, [])
    assert result.title in ("E", "Empty")


def test_too_large_feed_is_refused():
    body = b"<rss>" + b" " * MAX_FEED_BYTES
    assert parse_feed(body, "https://example.org/feed").error.startswith("feed too large")


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
<!ENTITY lol "lol">
<!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>t</title>
<item><guid>a</guid><title>&lol9;</title><description>&lol9;</description></item>
</channel></rss>"""

XXE_FEEDS = [
    b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><title>&xxe;</title>
<item><guid>a</guid><title>x&xxe;y</title><description>&xxe;</description></item>
</channel></rss>""",
    b"""<?xml version="1.0"?>
<!DOCTYPE feed [
  <!ENTITY % ext SYSTEM "file:///etc/passwd">
  <!entity xxe SYSTEM "file:///etc/passwd">
]>
<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>
<entry><id>a</id><title>&xxe;</title><content type="html">&xxe;</content></entry></feed>""",
    b"""<?xml version="1.0"?>
<!DOCTYPE rss SYSTEM "file:///etc/passwd">
<rss version="2.0"><channel><title>t</title><item><guid>a</guid><title>x</title></item>
</channel></rss>""",
]


def test_billion_laughs_is_refused_quickly():
    start = time.perf_counter()
    result = parse_feed(BILLION_LAUGHS, "https://example.org/feed")
    assert time.perf_counter() - start < 1
    assert result.error == "malformed feed: entity declarations are not allowed"
    assert "lollol" not in repr(result)


@pytest.mark.parametrize("body", XXE_FEEDS)
def test_xxe_never_reads_local_files(body):
    result = parse_feed(body, "https://example.org/feed")
    assert "root:" not in repr(result)
    assert result.error is None or result.error.startswith("malformed feed")


def test_looks_like_feed():
    assert looks_like_feed(
        b'\xef\xbb\xbf<?xml version="1.0"?>\n<!-- c --><rss version="2.0">', None
    )
    assert looks_like_feed(
        b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">', None
    )
    assert looks_like_feed(b'<feed xmlns="http://www.w3.org/2005/Atom">', "text/html")
    assert looks_like_feed(b'{"version": "https://jsonfeed.org/version/1", "items": []}', None)
    assert not looks_like_feed(b"<!DOCTYPE html><html><body>live</body></html>", None)
    assert not looks_like_feed(b"<html><body>x</body></html>", "application/rss+xml")
    assert not looks_like_feed(b"", "application/rss+xml")
    assert not looks_like_feed(b'{"live": true}', "application/json")


def test_extract_article_from_page():
    html = (FIXTURES / "article_tagesschau_like.html").read_bytes()
    article = extract_article(html, "https://www.example.org/inland/haushalt-einigung-100.html")
    assert isinstance(article, Article)
    assert article.title == "Ampel einigt sich auf Haushalt für 2024"
    assert article.author == "Hans-Joachim Vieweger"
    assert article.published_at == "2023-12-13T08:41:00+00:00"
    assert article.text.startswith("Nach wochenlangem Streit")
    assert "„guten Ergebnis“" in article.text and "Höhe" in article.text
    assert article.text.count("\n\n") == 3  # four paragraphs
    for junk in ("Cookies", "akzeptieren", "Teilen", "mehr dazu", "Startseite", "Impressum"):
        assert junk not in article.text
    assert "Um wie viele Milliarden" not in article.text  # the "mehr dazu" box
    assert dataclasses.asdict(article)  # plain data


@pytest.mark.parametrize("html", [b"", "", b"\x00\xff garbage", "<html></html>", "<p>kurz</p>"])
def test_extract_article_failure_is_none(html):
    assert extract_article(html, "https://example.org/") is None
