"""The incremental forms of Tickaroo, WordPress Liveblog and Live Center, end to end on 127.0.0.1.

After a full read the source polls the platform's incremental URL (the cursor inside the stored
endpoint). The loopback server answers that URL with the delta only — a new entry, an edit, a
deletion the platform states — and nothing else: the deletion is REMOVED on that poll, the
entries the delta does not list stay as they are (no missing-counter moves, however many
deltas pass), a refused cursor is answered by a full read in the same poll, and the hourly
page read reads the full form again. Payloads are in each platform's documented shape.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest

from crawler.extractors.platforms import get_platform
from crawler.extractors.platforms.base import EmbedRef
from crawler.extractors.platforms.hosts import ENV_TEST_HOSTS
from tests.conftest import tickerwatch
from tests.test_platforms_poll import (
    T0,
    backdate_page_read,
    lines,
    rows,
    tickaroo_page,
    tickaroo_payload,
    wordpress_page,
)

C1, C2, C3 = T0 + 120, T0 + 200, T0 + 300  # cursors: a version, a timestamp, a changes id


def tickaroo(posts: list[dict], cursor: int) -> bytes:
    data = json.loads(tickaroo_payload(posts))
    data["game"] = {"_type": "Tik::Model::Game", "version": cursor}
    return json.dumps(data).encode()


def wordpress(posts: list[dict], cursor: int) -> bytes:
    """The ``entries/<since>/<until>/`` shape; a full read (``get-entries``) has no
    ``latest_timestamp`` (the newest entry ``timestamp`` is the cursor then)."""
    entries = [
        {
            "id": p["id"],
            "type": "delete" if p.get("deleted") else p.get("type", "new"),
            "render": "" if p.get("deleted") else f"<p>{p['text']}</p>",
            "timestamp": p.get("stamp", p["t"]),
            "entry_time": p["t"],
            "key_event": bool(p.get("pinned")),
        }
        for p in posts
    ]
    body = {"entries": entries, "pages": 1}
    if cursor != C1:
        body["latest_timestamp"] = cursor
    return json.dumps(body).encode()


def livecenter(posts: list[dict], cursor: int) -> bytes:
    changed = [
        {"id": int(p["id"]), "created": p["t"], "title": "", "content": {"html": p["text"]}}
        for p in posts
        if not p.get("deleted")
    ]
    gone = [int(p["id"]) for p in posts if p.get("deleted")]
    result = {"addedOrChanged": changed, "deleted": gone, "lastChangesId": cursor}
    return json.dumps({"success": True, "result": result}).encode()


def livecenter_page(_blog: str) -> str:
    src = "https://livecenter.norkon.net/frame/exampletidning/23200/default"
    return f'<html><body><div class="live-center-embed" data-src="{src}"></div></body></html>'


CASES = {
    # platform: (page builder, payload builder, embed reference)
    "tickaroo": (tickaroo_page, tickaroo, EmbedRef("tickaroo", "blogA1", (("client_id", "cli1"),))),
    "wordpress": (wordpress_page, wordpress, EmbedRef("wordpress", "101")),
    "livecenter": (
        livecenter_page,
        livecenter,
        EmbedRef("livecenter", "23200", (("tenant", "exampletidning"),)),
    ),
}


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_incremental_form_adds_edits_and_removes_what_it_states_and_nothing_else(
    name, server, db_path, monkeypatch
) -> None:
    page_of, payload_of, ref = CASES[name]
    monkeypatch.setenv(
        ENV_TEST_HOSTS,
        f"www.tickaroo.com=127.0.0.1:{server.port} livecentercdn.norkon.net=127.0.0.1:{server.port}",
    )
    if name == "wordpress":
        ref = EmbedRef(name, ref.id, (("origin", f"http://127.0.0.1:{server.port}"),))
    platform = get_platform(name)
    full = platform.endpoint(ref)
    since = {c: platform.with_cursor(full, str(c)) for c in (C1, C2, C3)}
    url = server.set("/live/ticker.html", page_of(ref.id))

    def serve(endpoint: str, body: bytes, **options) -> None:
        server.set(path_of(endpoint), body, content_type="application/json", **options)

    def stored_endpoint() -> str:
        return rows(db_path, "SELECT embed_endpoint FROM sources")[0][0]

    def entries() -> list[tuple]:
        return rows(
            db_path,
            "SELECT key, revision, removed_at IS NOT NULL, missing_polls FROM entries ORDER BY key",
        )

    posts = [
        {"id": "1", "t": T0, "text": "Erster Eintrag", "pinned": True},
        {"id": "2", "t": T0 + 60, "text": "Zweiter Eintrag"},
        {"id": "3", "t": T0 + 120, "text": "Dritter Eintrag"},
    ]
    serve(full, payload_of(posts, C1))

    # 1. Baseline: page, full form; the next poll asks the incremental form from the cursor.
    first = tickerwatch("poll", url, db=db_path)
    assert first.returncode == 0, first.stderr
    assert len(lines(first, "NEW")) == 3
    assert stored_endpoint() == since[C1] != full

    # 2. The delta only: a new entry, an edit of the oldest entry, a stated deletion. Entry 2
    # is not in it, though older entries are: a full answer without it would make it missing.
    delta = [
        {"id": "4", "t": T0 + 180, "text": "Vierter Eintrag"},
        {"id": "1", "t": T0, "text": "Erster Eintrag, korrigiert", "type": "update"},
        {"id": "3", "t": T0 + 120, "text": "", "deleted": True},
    ]
    delta[1]["stamp"], delta[2]["stamp"] = T0 + 190, T0 + 200
    serve(since[C1], payload_of(delta, C2))
    second = tickerwatch("poll", url, db=db_path)
    assert second.returncode == 0, second.stderr
    events = sorted(line.split()[0] for line in second.stdout.splitlines())
    assert events == ["CHANGED", "NEW", "REMOVED"], second.stdout + second.stderr
    assert server.hits(path_of(full)) == 1 and server.hits("/live/ticker.html") == 1
    assert stored_endpoint() == since[C2]
    keys = [k for k, *_ in entries()]
    suffix = {k[-1]: k for k in keys}
    expect = {suffix["1"]: (2, 0, 0), suffix["2"]: (1, 0, 0), suffix["3"]: (1, 1, 0)}
    expect[suffix["4"]] = (1, 0, 0)
    assert {k: tuple(v) for k, *v in entries()} == expect

    # 3. Empty deltas, twice (past the two-poll rule): nothing changes, nothing goes missing.
    serve(since[C2], payload_of([], C2))
    for _ in range(2):
        quiet = tickerwatch("poll", url, db=db_path)
        assert quiet.returncode == 0 and not quiet.stdout.strip(), quiet.stdout + quiet.stderr
    assert {k: tuple(v) for k, *v in entries()} == expect
    statuses = rows(db_path, "SELECT status, entries_found FROM polls ORDER BY id")
    assert [s for s, _ in statuses] == ["ok", "ok", "ok", "not_modified"], statuses
    assert statuses[2][1] == 3  # the source's live entries, not the empty answer's size

    # 4. The platform refuses the cursor: a full read in the same poll, nothing changes.
    now = [{**posts[0], "text": "Erster Eintrag, korrigiert"}, posts[1], delta[0]]
    serve(full, payload_of(now, C3))
    serve(since[C2], b'{"error": "expired"}', status=410)
    refused = tickerwatch("poll", url, db=db_path)
    assert refused.returncode == 0, refused.stderr
    assert not refused.stdout.strip(), refused.stdout
    assert server.hits(path_of(full)) == 2
    assert platform.full_endpoint(stored_endpoint()) == full != stored_endpoint()
    assert stored_endpoint() != since[C2]
    assert {k: tuple(v) for k, *v in entries()} == expect

    # 5. An hour later the page and the full form are read again: resynchronised, no news.
    backdate_page_read(db_path)
    hourly = tickerwatch("poll", url, db=db_path)
    assert hourly.returncode == 0 and not hourly.stdout.strip(), hourly.stdout + hourly.stderr
    assert server.hits("/live/ticker.html") == 2 and server.hits(path_of(full)) == 3
    assert {k: tuple(v) for k, *v in entries()} == expect


def test_an_incremental_answer_of_the_wrong_shape_falls_back_to_the_full_form(
    server, db_path, monkeypatch
) -> None:
    monkeypatch.setenv(ENV_TEST_HOSTS, f"www.tickaroo.com=127.0.0.1:{server.port}")
    ref = CASES["tickaroo"][2]
    platform = get_platform("tickaroo")
    full = platform.endpoint(ref)
    url = server.set("/live/ticker.html", tickaroo_page(ref.id))
    posts = [{"id": "1", "t": T0, "text": "Eins"}]
    server.set(path_of(full), tickaroo(posts, C1), content_type="application/json")
    assert tickerwatch("poll", url, db=db_path).returncode == 0
    server.set(path_of(platform.with_cursor(full, str(C1))), b'{"events": 7}')
    result = tickerwatch("poll", url, db=db_path)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr
    assert server.hits(path_of(full)) == 2
    assert rows(db_path, "SELECT count(*) FROM entries WHERE removed_at IS NULL") == [(1,)]


def test_only_full_reads_count_towards_the_two_poll_rule(server, db_path, monkeypatch) -> None:
    """An entry missing from a full read waits for the next full read: the deltas between
    (processed or unchanged) say nothing of it. A 503 of the incremental form is an ordinary
    failed poll (later, not a bigger request)."""
    monkeypatch.setenv(ENV_TEST_HOSTS, f"www.tickaroo.com=127.0.0.1:{server.port}")
    ref = CASES["tickaroo"][2]
    platform = get_platform("tickaroo")
    full = platform.endpoint(ref)
    url = server.set("/live/ticker.html", tickaroo_page(ref.id))
    posts = [{"id": str(i), "t": T0 + 60 * i, "text": f"Eintrag {i}"} for i in (1, 2, 3)]

    def serve(endpoint: str, body: bytes, **options) -> None:
        server.set(path_of(endpoint), body, content_type="application/json", **options)

    def missing() -> list[tuple]:
        return rows(
            db_path, "SELECT missing_polls, removed_at IS NOT NULL FROM entries WHERE key = '2'"
        )

    serve(full, tickaroo(posts, C1))
    assert tickerwatch("poll", url, db=db_path).returncode == 0
    # The hourly full read no longer lists entry 2 (older and newer ones are there).
    backdate_page_read(db_path)
    serve(full, tickaroo([posts[0], posts[2]], C2))
    assert tickerwatch("poll", url, db=db_path).returncode == 0
    assert missing() == [(1, 0)]
    serve(platform.with_cursor(full, str(C2)), tickaroo([], C2))
    for _ in range(2):  # processed, then unchanged (the same bytes)
        result = tickerwatch("poll", url, db=db_path)
        assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr
    assert missing() == [(1, 0)]
    serve(platform.with_cursor(full, str(C2)), b"busy", status=503)
    busy = tickerwatch("poll", url, db=db_path)
    assert busy.returncode == 1 and server.hits(path_of(full)) == 2
    # The next full read still misses it: removed now (two full reads).
    backdate_page_read(db_path)
    again = tickerwatch("poll", url, db=db_path)
    assert len(lines(again, "REMOVED")) == 1, again.stdout + again.stderr
    assert missing() == [(2, 1)]


# --- the pieces, pure ---------------------------------------------------------------------------


def test_cursors_are_read_from_each_platforms_answer_and_only_as_plain_integers() -> None:
    tick, wp, lc = (get_platform(n) for n in ("tickaroo", "wordpress", "livecenter"))
    assert tick.cursor({"game": {"version": 42}, "events": []}) == "42"
    assert tick.cursor({"version": "7", "events": []}) == "7"
    assert tick.cursor({"events": []}) is None
    assert tick.cursor({"game": {"version": "1&x=2"}}) is None  # never smuggled into the URL
    assert wp.cursor({"entries": [], "latest_timestamp": 1511882674}) == "1511882674"
    assert wp.cursor({"entries": [{"timestamp": 5}, {"timestamp": 9}, {"id": "x"}]}) == "9"
    assert wp.cursor({"entries": []}) is None
    assert lc.cursor({"success": True, "result": {"lastChangesId": 123456}}) == "123456"
    assert lc.cursor({"result": {"lastChangesId": True}}) is None
    # The platforms without an incremental form name no cursor and keep their endpoint.
    for name in ("sourcefabric", "24liveblog", "arena", "scribblelive"):
        assert get_platform(name).cursor({"result": {"lastChangesId": 1}, "version": 1}) is None


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_cursor_round_trips_through_the_stored_endpoint(name) -> None:
    platform = get_platform(name)
    ref = CASES[name][2]
    if name == "wordpress":
        ref = EmbedRef(name, "101", (("origin", "https://news.example"),))
    full = platform.endpoint(ref)
    assert platform.full_endpoint(full) == full
    first = platform.with_cursor(full, "100")
    assert first == platform.endpoint(ref, since="100") and first != full
    assert platform.with_cursor(first, "200") == platform.endpoint(ref, since="200")
    assert platform.full_endpoint(first) == full
    assert platform.allows(first, "https://news.example/live.html") or name != "wordpress"
