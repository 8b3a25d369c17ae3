"""Poll cycles on 127.0.0.1 for 24liveblog, Arena and ScribbleLive, through `tickerwatch poll`.

Like tests/test_platforms_poll.py (Tickaroo, Sourcefabric, WordPress) and
tests/test_platforms_incremental.py (Live Center with its ``Changes`` form): the page is read
once, its embed found and the platform's endpoint read in the same poll; later polls go to the
endpoint. Each cycle: baseline, a new entry, an edit, a deletion. 24liveblog (``deleted``) and
ScribbleLive (``IsDeleted``, ``Deletes``) state theirs and lose the entry on that one poll;
Arena states none, so its deleted post goes by the two-poll rule. The payloads are written in
the shapes the adapters' docstrings name (documented, except ScribbleLive's post: seen).
"""

from __future__ import annotations

import json

import pytest

from crawler.extractors.platforms import get_platform
from crawler.extractors.platforms.base import EmbedRef
from crawler.extractors.platforms.hosts import ENV_TEST_HOSTS
from tests.conftest import tickerwatch
from tests.test_platforms_incremental import path_of
from tests.test_platforms_poll import T0, lines, rows


def liveblog24(posts: list[dict]) -> bytes:
    news = [
        {
            "nid": f"29164017078724471{p['id']}",
            "created": p["t"],
            "contents": f"<p>{p['text']}</p>",
            "is_top": int(bool(p.get("pinned"))),
            **({"deleted": True} if p.get("deleted") else {}),
        }
        for p in posts
        if not p.get("gone")
    ]
    return json.dumps({"err_code": 100, "data": {"count": len(news), "news": news}}).encode()


def arena(posts: list[dict]) -> bytes:
    items = [
        {
            "key": f"p-{p['id']}",
            "createdAt": p["t"] * 1000,
            "message": {"title": "", "text": f"<p>{p['text']}</p>"},
            "isPinned": bool(p.get("pinned")),
        }
        for p in posts
        if not (p.get("gone") or p.get("deleted"))  # Arena states no deletion: it vanishes
    ]
    return json.dumps({"eventInfo": {"name": "La final"}, "posts": items}).encode()


def scribblelive(posts: list[dict]) -> bytes:
    items = [
        {
            "Id": int(p["id"]),
            "EventId": 2024120,
            "Type": "TEXT",
            "IsApproved": 1,
            "IsComment": 0,
            "IsDeleted": int(bool(p.get("deleted"))),
            "IsStuck": int(bool(p.get("pinned"))),
            "Content": p["text"],
            "Created": f"/Date({p['t'] * 1000}+0000)/",
            "LastModified": f"/Date({p['t'] * 1000}+0000)/",
            "Creator": {"Id": 1, "Name": "Desk"},
        }
        for p in posts
        if not p.get("gone")
    ]
    return json.dumps({"Posts": items}).encode()


CASES = {
    # platform: (host page markup, payload builder, embed reference, the platform states deletions)
    "24liveblog": (
        '<div id="LB24_LIVE_CONTENT" data-eid="2916125192049037403"></div>',
        liveblog24,
        EmbedRef("24liveblog", "2916125192049037403"),
        True,
    ),
    "arena": (
        '<div class="arena-liveblog" data-publisher="examplepub" data-event="eYsOvI6"></div>',
        arena,
        EmbedRef("arena", "eYsOvI6", (("publisher", "examplepub"),)),
        False,
    ),
    "scribblelive": (
        '<div class="scrbbl-embed" data-src="/event/2024120/150000"></div>',
        scribblelive,
        EmbedRef("scribblelive", "2024120"),
        True,
    ),
}
HOSTS = ("data.24liveplus.com", "cached-api.arena.im", "apiv1.scribblelive.com")


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_poll_cycle_through_the_platform(name, server, db_path, monkeypatch) -> None:
    markup, payload_of, ref, states_deletions = CASES[name]
    monkeypatch.setenv(ENV_TEST_HOSTS, " ".join(f"{h}=127.0.0.1:{server.port}" for h in HOSTS))
    url = server.set(
        "/live.html", f"<html><head><title>Live</title></head><body>{markup}</body></html>"
    )
    endpoint = path_of(get_platform(name).endpoint(ref))

    def serve(posts: list[dict]) -> None:
        server.set(endpoint, payload_of(posts), content_type="application/json")

    def live_keys() -> list[str]:
        found = rows(db_path, "SELECT key FROM entries WHERE removed_at IS NULL ORDER BY key")
        return [key[-1] for (key,) in found]

    posts = [
        {"id": "1", "t": T0, "text": "First", "pinned": True},
        {"id": "2", "t": T0 + 60, "text": "Second"},
    ]
    serve(posts)

    # 1. Baseline through the page's embed, in one poll.
    first = tickerwatch("poll", url, db=db_path)
    assert first.returncode == 0, first.stderr
    assert len(lines(first, "NEW")) == 2
    assert rows(db_path, "SELECT strategy, status FROM polls") == [(name, "ok")]
    assert rows(db_path, "SELECT embed_platform, embed_ref FROM sources") == [(name, ref.id)]
    assert rows(db_path, "SELECT pinned FROM entries ORDER BY published_at") == [(1,), (0,)]

    # 2. A new entry, from the endpoint alone.
    posts.append({"id": "3", "t": T0 + 120, "text": "Third"})
    serve(posts)
    second = tickerwatch("poll", url, db=db_path)
    assert [line.split()[0] for line in second.stdout.splitlines()] == ["NEW"], second.stderr
    assert server.hits("/live.html") == 1 and server.hits(endpoint) == 2

    # 3. An edit.
    posts[1]["text"] = "Second, corrected"
    serve(posts)
    third = tickerwatch("poll", url, db=db_path)
    assert [line.split()[0] for line in third.stdout.splitlines()] == ["CHANGED"], third.stdout

    # 4. Entry 2 is deleted: stated (removed on this poll) or, on Arena, simply gone.
    posts[1]["deleted"] = True
    serve(posts)
    fourth = tickerwatch("poll", url, db=db_path)
    assert fourth.returncode == 0, fourth.stderr
    if not states_deletions:
        assert not fourth.stdout.strip() and live_keys() == ["1", "2", "3"]
        posts.append({"id": "4", "t": T0 + 180, "text": "Fourth"})  # the next poll differs
        serve(posts)
        fourth = tickerwatch("poll", url, db=db_path)
        assert len(lines(fourth, "NEW")) == 1
    assert len(lines(fourth, "REMOVED")) == 1, fourth.stdout + fourth.stderr
    assert "2" not in live_keys() and {"1", "3"} <= set(live_keys())
    assert rows(db_path, "SELECT count(*) FROM entries WHERE removed_at IS NOT NULL") == [(1,)]


def test_scribblelive_deletes_list_removes_at_once(server, db_path, monkeypatch) -> None:
    """The v1 list wrapper's ``Deletes`` (bare ids; documented, not seen) removes at once."""
    monkeypatch.setenv(ENV_TEST_HOSTS, f"apiv1.scribblelive.com=127.0.0.1:{server.port}")
    markup, payload_of, ref, _ = CASES["scribblelive"]
    url = server.set("/live.html", f"<html><body>{markup}</body></html>")
    endpoint = path_of(get_platform("scribblelive").endpoint(ref))
    posts = [{"id": "1", "t": T0, "text": "One"}, {"id": "2", "t": T0 + 60, "text": "Two"}]
    server.set(endpoint, payload_of(posts), content_type="application/json")
    assert tickerwatch("poll", url, db=db_path).returncode == 0
    data = json.loads(payload_of(posts[1:]))
    data["Deletes"] = [1]
    server.set(endpoint, json.dumps(data).encode(), content_type="application/json")
    result = tickerwatch("poll", url, db=db_path)
    assert [line.split()[0] for line in result.stdout.splitlines()] == ["REMOVED"], result.stdout
