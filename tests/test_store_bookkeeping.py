"""The store's bookkeeping through its API, on SQLite and on PostgreSQL (conftest.py runs each
test on both): the daemon's and the workers' source rows (sources, pace, ticks), the outbox's
delivery records, the archive's statistics and forgetting a source. Each answer is compared
with plain Python values, so a backend that returns another type (a Decimal, a bool) fails."""

from __future__ import annotations

import time_machine

from crawler.items import EntryItem, PollItem, RawPage
from crawler.store.archive import archive_stats, source_id_named
from crawler.store.outbox import (
    begin_delivery,
    delivery_state,
    end_delivery,
    interrupted_deliveries,
)
from crawler.store.pace import SEED_ENTRIES, pace_state, set_ended, set_live_posting, set_pace
from crawler.store.queries import list_entries, source_status
from crawler.store.recording import record_poll
from crawler.store.sources import (
    forget_source,
    register_member,
    set_next_due,
    sync_source_name,
    unschedule_others,
)
from crawler.store.ticks import sync_sources, tick_states

A = "http://127.0.0.1:1/a.html"
B = "http://127.0.0.1:1/b.html"


def _poll(store, url: str, *keys: str, name: str | None = None, status: str = "ok", **extra):
    entries = [
        EntryItem(key=k, title=f"T {k}", body=f"Text {k}", content_hash=k, raw_hash=k) for k in keys
    ]
    item = PollItem(
        source_url=url,
        kind="liveblog",
        source_name=name,
        status=status,
        entries=entries,
        body_hash="-".join(keys),
        strategy="test",
        **extra,
    )
    return record_poll(store, item)


def _sources(store) -> list[tuple]:
    sql = "SELECT url, name, series, next_due_at FROM sources ORDER BY id"
    return [tuple(row) for row in store.conn.execute(sql)]


def test_series_members_names_and_the_daemon_plan(store):
    _poll(store, A, "a1", name="alpha")
    assert register_member(store, B, "beta", "daily")  # new to the series
    assert not register_member(store, B, "beta", "daily")  # already a source
    assert not register_member(store, A, "other", "daily")  # never moved into a series
    set_next_due(store, A, "2026-01-01T10:00:00+00:00")
    set_next_due(store, B, "2026-01-01T10:05:00+00:00")
    unschedule_others(store, [A])
    assert _sources(store) == [
        (A, "alpha", None, "2026-01-01T10:00:00+00:00"),
        (B, "beta", "daily", None),
    ]
    # The config points the name "beta" at A: B keeps its history under "beta (old 2)".
    sync_source_name(store, A, "beta")
    assert [row[1] for row in _sources(store)] == ["beta", "beta (old 2)"]
    sync_source_name(store, A, "beta")  # already so: nothing changes
    assert [row[1] for row in _sources(store)] == ["beta", "beta (old 2)"]


def test_a_new_name_that_is_taken_gets_a_number(store):
    _poll(store, A, "a1", name="live")
    _poll(store, B, "b1", name="live")
    assert [row[1] for row in _sources(store)] == ["live", "live-2"]


def test_pace_state_reads_back_what_the_scheduler_wrote(store):
    assert pace_state(store, A) is None
    with time_machine.travel("2026-03-01T12:00:00+00:00", tick=False):
        _poll(store, A, *(f"k{n}" for n in range(SEED_ENTRIES + 3)))
    set_pace(store, A, 90.5, "adaptive: 4 entries an hour")
    set_ended(store, A, "2026-03-02T00:00:00+00:00", "closed")
    state = pace_state(store, A)
    assert (state.poll_every, state.ended_at, state.ended_reason) == (
        90.5,
        "2026-03-02T00:00:00+00:00",
        "closed",
    )
    assert len(state.arrivals) == SEED_ENTRIES
    assert state.arrivals[0] == (None, "2026-03-01T12:00:00+00:00", None)  # no poll before
    assert state.live_posting_at is None and state.created_at == "2026-03-01T12:00:00+00:00"
    set_live_posting(store, A, "2026-03-01T12:00:00+00:00")
    set_live_posting(store, A, "2026-03-01T13:00:00+00:00")  # the first sighting stays
    assert pace_state(store, A).live_posting_at == "2026-03-01T12:00:00+00:00"
    # A worker pacing the poll it committed: the state before that poll.
    with time_machine.travel("2026-03-01T12:05:00+00:00", tick=False):
        later = _poll(store, A, "new", *(f"k{n}" for n in range(SEED_ENTRIES + 3)))
    with time_machine.travel("2026-03-01T12:09:00+00:00", tick=False):
        latest = _poll(store, A, "newer", "new", *(f"k{n}" for n in range(SEED_ENTRIES + 3)))
    before = pace_state(store, A, before=latest.poll_id)
    assert before.last_poll == "2026-03-01T12:05:00+00:00"
    assert before.arrivals[0] == (None, "2026-03-01T12:05:00+00:00", "2026-03-01T12:00:00+00:00")
    assert pace_state(store, A).arrivals[0][1:] == (
        "2026-03-01T12:09:00+00:00",
        "2026-03-01T12:05:00+00:00",
    )
    assert pace_state(store, A, before=later.poll_id).arrivals[0][1:] == (
        "2026-03-01T12:00:00+00:00",
        None,
    )
    (row,) = source_status(store)
    assert (row["poll_every"], row["poll_reason"], row["ended_reason"]) == (
        90.5,
        "adaptive: 4 entries an hour",
        "closed",
    )
    set_ended(store, A, None, None)
    assert pace_state(store, A).ended_at is None


def test_tick_states_and_syncing_configured_sources(store):
    assert sync_sources(store, [(A, "liveblog", "alpha"), (B, "feed", "beta")]) == 2
    assert sync_sources(store, [(A, "liveblog", "alpha"), (B, "feed", "beta")]) == 0
    first = _poll(store, A, "a1", tick=3)
    _poll(store, A, status="error", error="HTTP 503", http_status=503, tick=4)
    _poll(store, A, status="error", error="HTTP 503", http_status=503, tick=5)
    set_next_due(store, A, "2026-01-01T10:00:00+00:00")
    states = tick_states(store, [A, B, "http://127.0.0.1:1/unknown"])
    assert set(states) == {A, B}
    assert tuple(states[A].__dict__.values()) == (
        *(5, 2, 503, "2026-01-01T10:00:00+00:00"),
        *(None, None, None),  # not paced
    )
    assert tuple(states[B].__dict__.values()) == (None, 0, None, None, None, None, None)
    set_pace(store, A, 20.0, "quiet 3 h")
    set_ended(store, A, "2026-01-01T09:00:00+00:00", "closed")
    paced = tick_states(store, [A])[A]
    assert (paced.poll_every, paced.poll_reason, paced.ended_at) == (
        20.0,
        "quiet 3 h",
        "2026-01-01T09:00:00+00:00",
    )
    assert tick_states(store, []) == {}
    assert first.source_id == source_id_named(store, "alpha")
    assert [(r["name"], r["kind"], r["error_streak"], r["live_entries"]) for r in
            source_status(store)] == [("alpha", "liveblog", 2, 1), ("beta", "feed", 0, 0)]  # fmt: skip


def test_deliveries_claimed_sent_refused_and_cut_off(store):
    _poll(store, A, "a1")
    poll_id = _poll(store, A, "a1", "a2").poll_id
    assert delivery_state(store, poll_id, "t://x") is None
    assert begin_delivery(store, poll_id, "t://x") and begin_delivery(store, poll_id, "t://y")
    assert delivery_state(store, poll_id, "t://x") == "sending"
    end_delivery(store, poll_id, "t://x", sent=True)
    assert delivery_state(store, poll_id, "t://x") == "sent"
    assert interrupted_deliveries(store, before="2000-01-01T00:00:00+00:00") == []
    assert interrupted_deliveries(store) == [poll_id]  # t://y was cut off mid-send
    assert delivery_state(store, poll_id, "t://y") == "uncertain"
    assert not begin_delivery(store, poll_id, "t://y")  # uncertain is never sent again


def test_archive_stats_are_plain_numbers(store):
    for n, body in enumerate((b"<p>one</p>", b"<p>one</p>", b"<p>one</p><p>two</p>")):
        raw = RawPage(body, f"h{len(body)}", A, "utf-8", "text/html")
        _poll(store, A, *(f"k{i}" for i in range(n + 1)), name="alpha", raw=raw)
    (row,) = archive_stats(store)
    assert row == {
        "name": "alpha",
        "pages": 2,
        "stored_bytes": row["stored_bytes"],
        "page_bytes": 10 + 20,
        "oldest": row["oldest"],
        "polls": 3,
    }
    assert type(row["stored_bytes"]) is int and type(row["page_bytes"]) is int
    assert row["stored_bytes"] > 0 and row["oldest"].endswith("+00:00")


def test_forget_drops_a_source_and_all_it_owns_and_nothing_else(store):
    raw = RawPage(b"<p>a</p>", "ha", A)
    _poll(store, A, "a1", name="alpha", raw=raw)
    poll_id = _poll(store, A, "a1", "a2", name="alpha").poll_id
    begin_delivery(store, poll_id, "t://x")
    _poll(store, B, "b1", name="beta")
    before = {t: store.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
    removed = forget_source(store, "alpha")
    assert removed == {
        "deliveries": 1,
        "events": 2,
        "revisions": 2,
        "entries": 2,
        "polls": 2,
        "pages": 1,
        "sources": 1,
    }
    after = {t: store.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
    assert {t: before[t] - after[t] for t in TABLES} == removed
    assert [e["key"] for e in list_entries(store, search="Text")] == ["b1"]
    try:
        forget_source(store, "alpha")
        raise AssertionError("forgetting an unknown source must raise KeyError")
    except KeyError:
        pass


TABLES = ("deliveries", "events", "revisions", "entries", "polls", "pages", "sources")
