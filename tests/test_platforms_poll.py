"""End to end on 127.0.0.1: a page that embeds a platform liveblog, polled with `tickerwatch poll`.

Real Scrapy, real SQLite, a real HTTP server. The platform's API host is mapped to the loopback
server with the test-only TICKERWATCH_TEST_PLATFORM_HOSTS (WordPress needs none: its API is the
page's own site). Each cycle: baseline, a new entry, an edit, a deletion the platform states
(removed on that one poll), an embed that changes its id (followed on the next page read), and
a payload of the wrong shape (a specific error, nothing changed).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest

from crawler.extractors.platforms import get_platform
from crawler.extractors.platforms.base import EmbedRef
from crawler.extractors.platforms.hosts import ENV_TEST_HOSTS
from tests.conftest import query as rows
from tests.conftest import tickerwatch

T0 = 1711990000  # 2024-04-01T16:46:40Z


def backdate_page_read(db) -> None:
    """An hour passes: the next poll reads the page again (TICKERWATCH_EMBED_RECHECK)."""
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("UPDATE sources SET embed_checked_at = '2000-01-01T00:00:00+00:00'")
    conn.close()


def lines(result, event: str) -> list[str]:
    return [line for line in result.stdout.splitlines() if line.startswith(event + " ")]


# --- payloads in each platform's shape --------------------------------------------------------


def tickaroo_payload(posts: list[dict]) -> bytes:
    events = [
        {
            "_type": "Tik::Model::Event",
            "local_id": p["id"],
            "local_status": 100 if p.get("deleted") else 0,
            "created_at": p["t"],
            "updated_at": p["t"],
            "highlight": "sticky" if p.get("pinned") else "",
            "contents": [
                {
                    "_type": "Tik::Model::Content::RichTextContentBlock",
                    "text": f"<p>{p['text']}</p>",
                }
            ],
        }
        for p in posts
    ]
    return json.dumps({"_type": "Tik::Model::Api::GameShowResponse", "events": events}).encode()


def sourcefabric_payload(posts: list[dict]) -> bytes:
    items = [
        {
            "_id": f"urn:newsml:localhost:2024-04-01:{p['id']}",
            "_created": _iso(p["t"]),
            "_updated": _iso(p["t"]),
            "published_date": _iso(p["t"]),
            "sticky": bool(p.get("pinned")),
            "deleted": bool(p.get("deleted")),
            "post_status": "open",
            "groups": [
                {"id": "root", "refs": [{"idRef": "main"}]},
                {"id": "main", "refs": [{"item": {"item_type": "text", "text": p["text"]}}]},
            ],
        }
        for p in posts
    ]
    return json.dumps({"_items": items, "_meta": {"total": len(items)}}).encode()


def wordpress_payload(posts: list[dict]) -> bytes:
    entries = [
        {
            "id": p["id"],
            "type": "delete" if p.get("deleted") else "new",
            "render": "" if p.get("deleted") else f"<p>{p['text']}</p>",
            "timestamp": p["t"],
            "entry_time": p["t"],
            "key_event": bool(p.get("pinned")),
        }
        for p in posts
    ]
    return json.dumps({"entries": entries, "page": 1, "pages": 1}).encode()


def _iso(t: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(t, UTC).isoformat()


def tickaroo_page(blog: str) -> str:
    return f'<html><body><tickaroo-liveblog liveblogId="{blog}" clientId="cli1"></tickaroo-liveblog></body></html>'


def sourcefabric_page(blog: str) -> str:
    return f'<html><body><iframe id="liveblog-iframe" src="https://demo.liveblog.pro/embed/{blog}"></iframe></body></html>'


def wordpress_page(blog: str) -> str:
    settings = json.dumps({"post_id": blog, "endpoint_url": "https://elsewhere.example/"})
    return (
        f"<html><head><script>var liveblog_settings = {settings};</script></head>"
        '<body><div id="wpcom-liveblog-container"></div></body></html>'
    )


CASES = {
    # platform: (page builder, payload builder, params, blog ids A and B)
    "tickaroo": (tickaroo_page, tickaroo_payload, (("client_id", "cli1"),), "blogA1", "blogB2"),
    "sourcefabric": (
        sourcefabric_page,
        sourcefabric_payload,
        (("host", "demo.liveblog.pro"),),
        "a" * 24,
        "b" * 24,
    ),
    "wordpress": (wordpress_page, wordpress_payload, None, "101", "202"),
}


def route_for(server, platform: str, blog: str, params) -> Callable[[bytes], None]:
    """A setter serving the platform's endpoint for ``blog`` on the loopback server."""
    if params is None:  # WordPress: the page's own origin
        params = (("origin", f"http://127.0.0.1:{server.port}"),)
    endpoint = get_platform(platform).endpoint(EmbedRef(platform, blog, params))
    parts = urlsplit(endpoint)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return lambda body: server.set(path, body, content_type="application/json")


@pytest.mark.parametrize("platform", sorted(CASES))
def test_a_full_poll_cycle_through_the_platform(platform, server, db_path, monkeypatch) -> None:
    page_of, payload_of, params, blog_a, blog_b = CASES[platform]
    monkeypatch.setenv(
        ENV_TEST_HOSTS,
        f"www.tickaroo.com=127.0.0.1:{server.port} demo.liveblog.pro=127.0.0.1:{server.port}",
    )
    url = server.set("/live/ticker.html", page_of(blog_a))
    serve_a = route_for(server, platform, blog_a, params)
    posts = [
        {"id": "1", "t": T0, "text": "Erster Eintrag", "pinned": True},
        {"id": "2", "t": T0 + 60, "text": "Zweiter Eintrag"},
    ]
    serve_a(payload_of(posts))

    # 1. Baseline: the page is read, its embed found, the platform polled in the same poll.
    first = tickerwatch("poll", url, db=db_path)
    assert first.returncode == 0, first.stderr
    assert len(lines(first, "NEW")) == 2
    (source,) = rows(
        db_path, "SELECT embed_platform, embed_ref, embed_endpoint, embed_checked_at FROM sources"
    )
    assert source[0] == platform and source[1] == blog_a and source[3]
    assert source[2].startswith("https://" if platform != "wordpress" else "http://127.0.0.1")
    assert rows(db_path, "SELECT strategy, status FROM polls") == [(platform, "ok")]
    assert rows(db_path, "SELECT pinned FROM entries ORDER BY key") == [(1,), (0,)]
    page_hits = server.hits("/live/ticker.html")

    # 2. A new entry: the source now polls the endpoint, not the page.
    posts.append({"id": "3", "t": T0 + 120, "text": "Dritter Eintrag"})
    serve_a(payload_of(posts))
    second = tickerwatch("poll", url, db=db_path)
    assert [line.split()[0] for line in second.stdout.splitlines()] == ["NEW"], second.stderr
    assert server.hits("/live/ticker.html") == page_hits

    # 3. An edit.
    posts[1]["text"] = "Zweiter Eintrag, korrigiert"
    serve_a(payload_of(posts))
    third = tickerwatch("poll", url, db=db_path)
    assert len(lines(third, "CHANGED")) == 1, third.stdout + third.stderr
    assert rows(db_path, "SELECT revision FROM entries WHERE key LIKE '%2'") == [(2,)]

    # 4. The platform says entry 3 is deleted: removed on this one poll.
    posts[2]["deleted"] = True
    serve_a(payload_of(posts))
    fourth = tickerwatch("poll", url, db=db_path)
    assert len(lines(fourth, "REMOVED")) == 1, fourth.stdout + fourth.stderr
    removed = rows(db_path, "SELECT key FROM entries WHERE removed_at IS NOT NULL")
    assert [k for (k,) in removed] == [k for (k,) in removed if k.endswith("3")] and removed

    # 5. A payload of the wrong shape: a specific error, nothing stored changes.
    before = rows(db_path, "SELECT key, revision, removed_at, body FROM entries ORDER BY key")
    serve_a(b'{"unexpected": true}' if platform != "wordpress" else b'{"entries": 5}')
    broken = tickerwatch("poll", url, db=db_path)
    assert broken.returncode == 1
    ((error,),) = rows(db_path, "SELECT error FROM polls WHERE status = 'error'")
    assert error.startswith(f"{platform} liveblog {blog_a}: {platform}: expected ")
    assert (
        rows(db_path, "SELECT key, revision, removed_at, body FROM entries ORDER BY key") == before
    )

    # 6. An hour later the page is read again; it now embeds another liveblog: followed.
    server.set("/live/ticker.html", page_of(blog_b))
    route_for(server, platform, blog_b, params)(
        payload_of([{"id": "9", "t": T0 + 3600, "text": "Neuer Liveblog"}])
    )
    backdate_page_read(db_path)
    fifth = tickerwatch("poll", url, db=db_path)
    assert fifth.returncode == 0, fifth.stderr
    assert server.hits("/live/ticker.html") == page_hits + 1
    assert len(lines(fifth, "NEW")) == 1 and not lines(fifth, "REMOVED")
    assert rows(db_path, "SELECT embed_ref FROM sources") == [(blog_b,)]


def test_two_embeds_and_an_unknown_platform_fail_the_poll_and_store_nothing(
    server, db_path
) -> None:
    two = server.set(
        "/two.html",
        tickaroo_page("blogA1").replace("</body>", sourcefabric_page("a" * 24)[12:]),
    )
    result = tickerwatch("poll", two, db=db_path)
    assert result.returncode == 1
    assert "embeds 2 liveblogs" in result.stderr and "--site NAME" in result.stderr
    unknown = server.set(
        "/coverage.html",
        '<html><body><iframe src="https://cdn.vendor.example/liveblog/77"></iframe></body></html>',
    )
    result = tickerwatch("poll", unknown, db=db_path)
    assert result.returncode == 1 and "unknown platform (cdn.vendor.example" in result.stderr
    assert rows(db_path, "SELECT count(*) FROM entries") == [(0,)]
    assert {s for (s,) in rows(db_path, "SELECT status FROM polls")} == {"error"}


def test_site_names_the_embed_to_follow_on_a_page_with_two(server, db_path, monkeypatch) -> None:
    monkeypatch.setenv(ENV_TEST_HOSTS, f"demo.liveblog.pro=127.0.0.1:{server.port}")
    two = server.set(
        "/two.html",
        tickaroo_page("blogA1").replace("</body>", sourcefabric_page("a" * 24)[12:]),
    )
    params = CASES["sourcefabric"][2]
    route_for(server, "sourcefabric", "a" * 24, params)(
        sourcefabric_payload([{"id": "1", "t": T0, "text": "Eins"}])
    )
    result = tickerwatch("poll", two, "--site", "sourcefabric", db=db_path)
    assert result.returncode == 0, result.stderr
    assert len(lines(result, "NEW")) == 1
    assert rows(db_path, "SELECT embed_platform FROM sources") == [("sourcefabric",)]


def test_a_page_url_the_embed_names_is_never_contacted(server, db_path) -> None:
    """liveblog_settings names elsewhere.example as its endpoint_url: only the page's own site
    is asked, for the page and the plugin's entries route."""
    url = server.set("/wp.html", wordpress_page("101"))
    route_for(server, "wordpress", "101", None)(
        wordpress_payload([{"id": "1", "t": T0, "text": "x"}])
    )
    result = tickerwatch("poll", url, db=db_path)
    assert result.returncode == 0, result.stderr
    assert [p for _, p, _ in server.requests] == [
        "/wp.html",
        "/wp-json/liveblog/v1/101/get-entries/1/0-0",
    ]


def test_inspect_shows_the_embed_and_the_platforms_entries(server, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv(ENV_TEST_HOSTS, f"www.tickaroo.com=127.0.0.1:{server.port}")
    url = server.set("/live/ticker.html", tickaroo_page("blogA1"))
    posts = [
        {"id": "1", "t": T0, "text": "Erster Eintrag", "pinned": True},
        {"id": "2", "t": T0 + 60, "text": "Zweiter Eintrag"},
        {"id": "3", "t": T0 + 90, "text": "Weg", "deleted": True},
    ]
    route_for(server, "tickaroo", "blogA1", CASES["tickaroo"][2])(tickaroo_payload(posts))
    db = tmp_path / "never.db"
    text = tickerwatch("inspect", url, db=db)
    assert text.returncode == 0, text.stderr
    endpoint = "https://www.tickaroo.com/api/v6/ticker/show.json?id=blogA1&limit=100&client_id=cli1"
    assert f"embedded tickaroo liveblog blogA1 → {endpoint}" in text.stdout
    assert "entries  2 (1 more the platform marks deleted)" in text.stdout
    report = json.loads(tickerwatch("inspect", url, "--json", db=db).stdout)
    assert report["embedded"] == {"platform": "tickaroo", "id": "blogA1", "endpoint": endpoint}
    assert [e["key"] for e in report["entries"]] == ["2", "1"] and report["entries"][1]["pinned"]
    assert not db.exists()
    server.set("/two.html", tickaroo_page("x1").replace("</body>", sourcefabric_page("a" * 24)))
    two = tickerwatch("inspect", server.url("/two.html"), db=db)
    assert two.returncode == 1 and "embeds 2 liveblogs" in two.stdout
