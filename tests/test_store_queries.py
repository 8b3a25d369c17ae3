"""Reads of the store on a real SQLite file and a real PostgreSQL database (conftest.py runs
each test on both): the poll's SourceState, and the queries the CLI, the daemon and the
notifier read (crawler/store/queries.py)."""

from __future__ import annotations

from crawler.items import EntryItem, PollItem, SourceState
from crawler.store.queries import (
    developments,
    entry_history,
    entry_keys,
    events_after,
    hub_links,
    key_for_link,
    last_event_id,
    list_entries,
    newest_entry_time,
    pending_events,
    revision_pair,
    schedule_state,
    series_members,
    source_names,
    source_row,
)
from crawler.store.recording import record_poll
from crawler.store.sources import register_member, set_next_due, unschedule_others

URL = "http://127.0.0.1:1/live.html"


def _entry(key: str, body: str) -> EntryItem:
    return EntryItem(key=key, title=f"T {key}", body=body, content_hash=body, raw_hash=f"r{body}")


def _poll(store, *entries: EntryItem, status: str = "ok", etag: str | None = None) -> None:
    item = PollItem(
        source_url=URL,
        kind="liveblog",
        source_name="live",
        status=status,
        error="HTTP 503" if status == "error" else None,
        http_status=503 if status == "error" else 200,
        body_hash=f"h{len(entries)}",
        etag=etag,
        entries=list(entries),
    )
    record_poll(store, item)


def test_source_state_is_empty_for_an_unknown_source(store):
    assert store.source_state(URL) == SourceState()


def test_source_state_holds_what_the_next_request_needs(store):
    _poll(store, _entry("a", "eins"), etag='"v1"')
    state = store.source_state(URL)
    assert (state.name, state.kind, state.etag, state.body_hash) == (
        "live",
        "liveblog",
        '"v1"',
        "h1",
    )
    assert state.source_id and state.raw_hashes == {}  # the middleware adds them on a new body


def test_raw_hashes_newest_limits_to_the_newest_rows(store):
    _poll(store, _entry("a", "1"))
    _poll(store, _entry("a", "1"), _entry("b", "2"), _entry("c", "3"))
    assert set(store.raw_hashes(URL)) == {"a", "b", "c"}
    assert len(store.raw_hashes(URL, newest=2)) == 2 and "a" not in store.raw_hashes(URL, 2)


def test_entries_events_and_the_outbox(store):
    _poll(store, _entry("a", "eins"))
    _poll(store, _entry("a", "zwei"), _entry("b", "neu"))
    assert source_names(store) == ["live"]
    assert {(r["key"], r["revision"]) for r in list_entries(store)} == {("a", 2), ("b", 1)}
    assert [r["key"] for r in list_entries(store, search="neu")] == ["b"]
    events = events_after(store, 0)
    # New entries are written first (oldest first), then the edits.
    assert [(e["event"], e["key"]) for e in events] == [
        ("new", "a"),
        ("new", "b"),
        ("changed", "a"),
    ]
    pending = pending_events(store)
    assert [e["baseline"] for e in pending] == [1, 0, 0]  # the first poll is the baseline
    assert {"text", "source", "poll_id"} <= set(pending[-1])


def test_schedule_state_counts_the_error_streak(store):
    _poll(store, _entry("a", "eins"))
    _poll(store, status="error")
    _poll(store, status="error")
    state = schedule_state(store, URL)
    assert (state["error_streak"], state["last_http"]) == (2, 503) and state["last_poll"]
    assert schedule_state(store, "http://127.0.0.1:1/other") is None


def test_history_links_keys_and_developments(store):
    """What ``history``, ``feed`` and ``digest`` read: revisions, the key a link names, each
    development with the text before an edit; filters by source, time and count."""
    first = _entry("a", "eins")
    first.url = f"{URL}#post-a"
    _poll(store, first)
    edited = _entry("a", "zwei")
    edited.url = first.url
    _poll(store, edited, _entry("b", "neu"))
    entry, revisions = entry_history(store, "live", "a")
    assert (entry["key"], entry["revision"]) == ("a", 2)
    assert [(r["revision"], r["body"]) for r in revisions] == [(1, "eins"), (2, "zwei")]
    assert entry_history(store, "live", "zz") == (None, [])
    assert key_for_link(store, "live", f"{URL}#post-a") == "a"
    assert (
        key_for_link(store, "live", "#post-a") == "a" and key_for_link(store, "live", "x") is None
    )
    assert sorted(entry_keys(store, "live")) == ["a", "b"] and entry_keys(store, "live", 1)
    pair = revision_pair(store, entry["id"], 2)
    assert [(r["revision"], r["body"]) for r in pair] == [(1, "eins"), (2, "zwei")]
    row = source_row(store, "live")
    assert (row["name"], row["url"], row["kind"]) == ("live", URL, "liveblog")
    assert source_row(store, "nope") is None
    shown = developments(store)
    assert [(d["event"], d["key"], d["baseline"]) for d in shown] == [
        ("changed", "a", 0),
        ("new", "b", 0),
        ("new", "a", 1),
    ]
    assert (shown[0]["body"], shown[0]["old_body"]) == ("zwei", "eins")
    assert len(developments(store, source="live", since="2000-01-01", limit=2)) == 2
    assert developments(store, since="2999-01-01") == []
    assert last_event_id(store) == max(d["id"] for d in shown)
    assert newest_entry_time(store) == newest_entry_time(store, "live") is not None
    assert newest_entry_time(store, "nope") is None
    assert [e["key"] for e in list_entries(store, source="live", limit=1)] in (["a"], ["b"])
    assert list_entries(store, source="nope") == [] and list_entries(store, since="2999") == []


def test_series_members_hub_links_and_the_plan_of_an_empty_config(store):
    """Series discovery reads the hub's links and its members; a config with no source left
    unschedules every source (an empty list is no SQL error)."""
    hub = "http://127.0.0.1:1/hub"
    links = [_entry(k, k) for k in ("m2", "m1")]
    for n, link in enumerate(links):
        link.url, link.position = f"http://127.0.0.1:1/{link.key}", n
    record_poll(store, PollItem(source_url=hub, kind="feed", entries=links, quiet=True))
    assert [(h["url"], h["position"]) for h in hub_links(store, hub)] == [
        ("http://127.0.0.1:1/m1", 1),
        ("http://127.0.0.1:1/m2", 0),
    ]
    assert register_member(store, "http://127.0.0.1:1/m1", "m1", "daily")
    assert register_member(store, "http://127.0.0.1:1/m2", "m2", "daily")
    assert [m["name"] for m in series_members(store, "daily")] == ["m1", "m2"]
    assert series_members(store, "weekly") == []
    set_next_due(store, hub, "2026-01-01T10:00:00+00:00")
    unschedule_others(store, [])
    assert store.conn.execute("SELECT count(next_due_at) FROM sources").fetchone()[0] == 0
