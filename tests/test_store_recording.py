"""Recording a poll against real SQLite files and a real PostgreSQL database (every test here runs
against both backends): one poll one transaction, revisions, seen stamps."""

import threading

import pytest

from crawler.items import EntryItem, PollItem
from crawler.store.queries import list_entries
from crawler.store.recording import record_poll
from tests.conftest import wait_until

URL = "http://127.0.0.1:1/live.html"


def poll(*entries, status="ok"):
    return PollItem(
        source_url=URL,
        kind="liveblog",
        status=status,
        entries=list(entries),
        strategy="test",
        body_hash="x",
    )


def item(key, text, minute, position=0):
    return EntryItem(
        key=key,
        title=f"T {key}",
        body=text,
        content_hash=f"{key}:{text}",
        raw_hash=f"{key}:{text}",
        published_at=f"2024-05-25T10:{minute:02d}:00+02:00",
        position=position,
    )


def test_new_changed_revisions_and_fts(store):
    first = record_poll(store, poll(item("a", "Kiew meldet Angriffe", 1, 1), item("b", "x", 2, 0)))
    assert [d.event for d in first.developments] == ["new", "new"]
    assert first.baseline
    second = record_poll(
        store, poll(item("a", "Kiew meldet neue Angriffe", 1, 1), item("b", "x", 2, 0))
    )
    assert [(d.event, d.key, d.revision) for d in second.developments] == [("changed", "a", 2)]
    revs = store.conn.execute("SELECT revision, body FROM revisions ORDER BY id").fetchall()
    assert revs == [(1, "Kiew meldet Angriffe"), (1, "x"), (2, "Kiew meldet neue Angriffe")]
    hits = store.conn.execute(
        "SELECT key FROM entries WHERE id IN "
        "(SELECT rowid FROM entries_fts WHERE entries_fts MATCH ?)",
        (store.quote_fts("neue"),),
    ).fetchall()
    assert hits == [("a",)]
    assert [e["key"] for e in list_entries(store, search="meldet neue")] == ["a"]
    # Stored times are UTC whatever offset the page used.
    assert store.conn.execute("SELECT published_at FROM entries WHERE key='a'").fetchone()[0] == (
        "2024-05-25T08:01:00+00:00"
    )


def test_crash_mid_poll_leaves_database_as_it_was(store, monkeypatch):
    record_poll(store, poll(item("a", "one", 1)))
    before = store.conn.execute("SELECT count(*) FROM entries").fetchone()[0]
    import crawler.store.recording as recording

    def boom(*args, **kwargs):
        raise RuntimeError("power cut")

    monkeypatch.setattr(recording, "mark_present", boom)
    with pytest.raises(RuntimeError):
        record_poll(store, poll(item("a", "one", 1), item("b", "two", 2)))
    assert store.conn.execute("SELECT count(*) FROM entries").fetchone()[0] == before
    assert store.conn.execute("SELECT count(*) FROM polls").fetchone()[0] == 1


def test_error_poll_touches_no_entry(store):
    record_poll(store, poll(item("a", "one", 1)))
    record_poll(store, PollItem(source_url=URL, kind="liveblog", status="error", error="HTTP 500"))
    rows = store.conn.execute("SELECT status, error FROM polls ORDER BY id").fetchall()
    assert rows == [("ok", None), ("error", "HTTP 500")]
    assert store.conn.execute("SELECT count(*), max(revision) FROM entries").fetchone() == (1, 1)


def _seen(store):
    rows = store.conn.execute("SELECT key, last_seen_at, position, missing_polls FROM entries")
    return {key: (seen[11:16], position, missing) for key, seen, position, missing in rows}


def test_last_seen_at_is_refreshed_at_most_every_ten_minutes_and_positions_always(store):
    """Rewriting every row on every poll was the largest write of an unchanged poll: rows are
    written when something about them changed (position included), ``last_seen_at`` of the
    rest every SEEN_REFRESH (crawler/store/rows.py); an entry missing from the page is never "seen"."""
    time_machine = pytest.importorskip("time_machine")
    with time_machine.travel("2026-11-25T12:00:00+00:00", tick=False) as clock:
        record_poll(store, poll(item("a", "x", 1, 0), item("b", "y", 2, 1)))
        clock.move_to("2026-11-25T12:03:00+00:00")
        record_poll(store, poll(status="not_modified"))
        assert _seen(store) == {"a": ("12:00", 0, 0), "b": ("12:00", 1, 0)}
        clock.move_to("2026-11-25T12:04:00+00:00")  # c on top: a and b move down at once
        record_poll(store, poll(item("c", "z", 3, 0), item("a", "x", 1, 1), item("b", "y", 2, 2)))
        assert _seen(store) == {"a": ("12:04", 1, 0), "b": ("12:04", 2, 0), "c": ("12:04", 0, 0)}
        clock.move_to("2026-11-25T12:06:00+00:00")  # a edited; b and c as they were
        record_poll(store, poll(item("c", "z", 3, 0), item("a", "x2", 1, 1), item("b", "y", 2, 2)))
        assert _seen(store) == {"a": ("12:06", 1, 0), "b": ("12:04", 2, 0), "c": ("12:04", 0, 0)}
        clock.move_to("2026-11-25T12:07:00+00:00")  # b missing (inside the window)
        record_poll(store, poll(item("c", "z", 3, 0), item("a", "x2", 1, 1)))
        assert _seen(store)["b"] == ("12:04", 2, 1)
        clock.move_to("2026-11-25T12:15:00+00:00")  # unchanged, past the refresh interval
        record_poll(store, poll(status="not_modified"))
        assert _seen(store) == {"a": ("12:15", 1, 0), "b": ("12:04", 2, 2), "c": ("12:15", 0, 0)}
        # the unchanged poll was b's second miss: removed, and still not "seen" at 12:15
        assert store.conn.execute("SELECT removed_at FROM entries WHERE key = 'b'").fetchone()[0]


def test_a_feed_poll_reads_only_the_stored_items_it_shows(store):
    """A feed keeps every item it ever showed; a poll compares only the ones on the feed now,
    and an old item coming back (beyond Store.raw_hashes' ``newest``) is not new again."""
    feed = dict(source_url=URL, kind="feed", strategy="feed", body_hash="x")
    first = [item(k, "text", n, n) for n, k in enumerate("abcd")]
    assert len(record_poll(store, PollItem(**feed, entries=first)).developments) == 4
    assert list(store.raw_hashes(URL, newest=2)) == ["a", "b"]  # the top item is stored last
    with store.transaction() as conn:
        assert sorted(store.stored_entries(conn, 1, ["a", "x"])) == ["a"]
    back = [item("e", "new", 5, 0), item("d", "text", 3, 1)]
    developments = record_poll(store, PollItem(**feed, entries=back)).developments
    assert [(d.event, d.key) for d in developments] == [("new", "e")]
    assert store.conn.execute(
        "SELECT count(*), count(*) FILTER (WHERE removed_at IS NULL) FROM entries"
    ).fetchone() == (5, 5)


def test_a_refresh_stamp_from_the_future_does_not_freeze_last_seen_at(store):
    """The wall clock set back (tests/test_faults_time.py): a stamp later than now is stale."""
    time_machine = pytest.importorskip("time_machine")
    with time_machine.travel("2026-11-25T14:00:00+00:00", tick=False) as clock:
        record_poll(store, poll(item("a", "x", 1, 0)))
        clock.move_to("2026-11-25T12:00:00+00:00")  # two hours back
        record_poll(store, poll(status="not_modified"))
        assert _seen(store)["a"][0] == "12:00"
        clock.move_to("2026-11-25T12:05:00+00:00")
        record_poll(store, poll(status="not_modified"))
        assert _seen(store)["a"][0] == "12:00"  # and back to one refresh per interval


def test_a_re_keyed_entry_is_one_changed_on_both_backends(store):
    """A slug id retitled (crawler/diff/renames.py): the stored row takes the new key."""
    body = "Die Polizei hat am Abend die Innenstadt gesperrt, nachdem ein Paket gefunden wurde."
    record_poll(store, poll(item("neu", "Andere Meldung", 5, 0), item("paket", body, 1, 1)))
    renamed = item("paket-gefunden", body + " Entwarnung.", 1, 1)
    second = record_poll(store, poll(item("neu", "Andere Meldung", 5, 0), renamed))
    assert [(d.event, d.key, d.revision) for d in second.developments] == [
        ("changed", "paket-gefunden", 2)
    ]
    keys = store.conn.execute("SELECT key, missing_polls FROM entries ORDER BY id").fetchall()
    assert keys == [("paket-gefunden", 0), ("neu", 0)]


def test_a_poll_commits_once_per_tick(store):
    """The workers' compare-and-set (issue 15): a second poll of a source for a tick already
    committed (another worker's) rolls back whole; a later tick commits."""
    from crawler.store.recording import TickTaken

    first = poll(item("a", "one", 1))
    first.tick = 7
    record_poll(store, first)
    late = poll(item("a", "one", 1), item("b", "two", 2))
    late.tick = 7
    with pytest.raises(TickTaken):
        record_poll(store, late)
    older = poll(item("a", "one", 1), item("b", "two", 2))
    older.tick = 6
    with pytest.raises(TickTaken):
        record_poll(store, older)
    assert store.conn.execute("SELECT count(*) FROM polls").fetchone()[0] == 1
    assert store.conn.execute("SELECT count(*) FROM entries").fetchone()[0] == 1
    assert store.conn.execute("SELECT count(*) FROM events").fetchone()[0] == 1
    late.tick = 8
    assert [d.key for d in record_poll(store, late).developments] == ["b"]
    assert store.conn.execute("SELECT last_tick FROM sources").fetchone()[0] == 8


def test_a_suspicious_episode_is_reported_once_and_its_recovery(store):
    """The health bookkeeping reads the last ok/suspicious poll back (Store.health_state): one
    "started" per episode, errors in between change nothing, then one "recovered"."""
    full = [item(k, f"text {k}", n, n) for n, k in enumerate("abcdef")]
    record_poll(store, poll(*full))
    episodes = [record_poll(store, poll()).episode]  # the page suddenly shows nothing
    record_poll(store, PollItem(source_url=URL, kind="liveblog", status="error", error="HTTP 502"))
    episodes += [record_poll(store, poll()).episode, record_poll(store, poll(*full)).episode]
    assert episodes == ["started", "continues", "recovered"]
    statuses = [r[0] for r in store.conn.execute("SELECT status FROM polls ORDER BY id")]
    assert statuses == ["ok", "suspicious", "error", "suspicious", "ok"]
    live = store.conn.execute("SELECT count(*) FROM entries WHERE removed_at IS NULL")
    assert live.fetchone()[0] == len(full)  # nothing removed while the page looked broken


def test_polls_creating_sources_at_once_make_one_row_per_url_and_unique_names(
    store, store_location
):
    """Two ``poll`` commands (or a worker and a hand poll) meet a new URL at once: the later
    waits for the first one's commit, then finds the source (same URL) or takes the next free
    name (same name, another URL). SQLite's write lock serialises them; PostgreSQL must too,
    not fail the later poll on the unique url or name."""
    from crawler.store.db import Store

    other = "http://127.0.0.1:1/other.html"
    stores = [Store(store_location) for _ in range(3)]
    outcomes: dict[str, object] = {}

    def later(url: str, writer) -> None:
        new = poll(item("a", "one", 1))
        new.source_url, new.source_name = url, "live"
        try:
            outcomes[url] = record_poll(writer, new).source_name
        except Exception as error:  # noqa: BLE001 - the outcome the test reports
            outcomes[url] = error

    threads = [
        threading.Thread(target=later, args=(url, writer))
        for url, writer in ((URL, stores[0]), (other, stores[1]))
    ]
    try:
        with store.transaction() as conn:
            store.ensure_source(conn, URL, "liveblog", "live")
            for thread in threads:
                thread.start()
            wait_until(lambda: waiting(stores[2]) == (2 if store.postgres else 0))
        for thread in threads:
            thread.join(60)
    finally:
        for each in stores:
            each.close()
    assert outcomes == {URL: "live", other: "live-2"}
    assert store.conn.execute("SELECT url, name FROM sources ORDER BY id").fetchall() == [
        (URL, "live"),
        (other, "live-2"),
    ]


def waiting(store) -> int:
    """Sessions of this PostgreSQL database waiting for a lock (SQLite's waits are unseen)."""
    if not store.postgres:
        return 0
    sql = (
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    return store.conn.execute(sql).fetchone()[0]


def test_nul_and_controls_in_a_key_or_author_are_stored_without_them(store):
    """JSON-LD's ``"@id": "id\\u0000 1"`` or an author with one: the database keeps text minus NUL
    and C0 controls (README), on SQLite as on PostgreSQL, which refused the whole poll (text
    cannot hold NUL) on every poll of the page; the next poll finds the same entry unchanged."""

    def entry() -> EntryItem:
        return EntryItem(key="p\x00\x1b1", title="T", body="B", author="A\x00a", raw_hash="r",
                         content_hash="c")  # fmt: skip

    record_poll(store, poll(entry()))
    assert record_poll(store, poll(entry())).developments == []
    assert store.conn.execute("SELECT key, author FROM entries").fetchall() == [("p1", "Aa")]


def test_a_new_entry_on_top_moves_every_entry_down_in_few_statements(store):
    """A new entry moves every other entry down one place: 600 rows to write. SQLite runs one
    prepared statement for them; PostgreSQL gets them as one UPDATE … FROM (VALUES …) per 500
    rows (crawler/store/rows.py), not 600 statements each parsed and planned anew."""
    n = 600
    record_poll(store, poll(*(item(f"e{k}", "x", k % 60, n - 1 - k) for k in range(n))))
    sent = []
    if store.postgres:  # the statements as they leave for the server
        execute, executemany = store.conn.execute, store.conn.executemany
        store.conn.execute = lambda sql, params=(): sent.append(sql) or execute(sql, params)
        store.conn.executemany = lambda sql, rows: (
            sent.extend([sql] * len(rows)) or executemany(sql, rows)
        )
    shifted = [item(f"e{k}", "x", k % 60, n - k) for k in range(n)]
    result = record_poll(store, poll(item("top", "new", 59, 0), *shifted))
    assert [(d.event, d.key) for d in result.developments] == [("new", "top")]
    positions = dict(store.conn.execute("SELECT key, position FROM entries").fetchall())
    assert positions == {"top": 0, **{f"e{k}": n - k for k in range(n)}}
    seen = store.conn.execute(
        "SELECT count(DISTINCT last_seen_at), max(missing_polls) FROM entries"
    )
    assert seen.fetchone() == (1, 0)
    if store.postgres:
        updates = [s for s in sent if s.lstrip().startswith("UPDATE entries")]
        assert len(updates) == 2  # 500 + 100 rows
