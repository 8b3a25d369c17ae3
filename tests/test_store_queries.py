"""Reads of the store against a real SQLite file: the poll's SourceState, and the queries the
CLI, the daemon and the notifier read (crawler/store/queries.py)."""

from __future__ import annotations

from crawler.items import EntryItem, PollItem, SourceState
from crawler.store.queries import (
    events_after,
    list_entries,
    pending_events,
    schedule_state,
    source_names,
)
from crawler.store.recording import record_poll

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
