"""The rows one poll writes: the poll row, new entries and revisions, and the entries still on
the page. Called inside :func:`crawler.store.recording.record_poll`'s transaction only."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta

from crawler.items import EntryItem
from crawler.text.timeparse import iso_to_utc as to_utc

# How stale ``last_seen_at`` of an entry that stays on the page may get: refreshing it on every
# poll rewrote every row of the source (0.2 ms of a 2 ms unchanged poll, bench/README.md).
SEEN_REFRESH = timedelta(minutes=10)
_BATCH = 500  # rows per UPDATE … FROM (VALUES …) on PostgreSQL (mark_present)


def insert_poll(
    conn, source_id, item, status, now, *, error=None, result=None, page_id=None, found=None
) -> int:
    counts = {"new": 0, "changed": 0, "removed": 0, "restored": 0}
    for development in result.developments if result else []:
        counts[development.event] += 1
    cursor = conn.execute(
        "INSERT INTO polls (source_id, started_at, finished_at, http_status, status, error, "
        "strategy, entries_found, new, changed, removed, restored, page_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            source_id,
            item.started_at,
            now,
            item.http_status,
            status,
            error or item.error,
            item.strategy,
            live_count(item.entries) if found is None else found,
            counts["new"],
            counts["changed"],
            counts["removed"],
            counts["restored"],
            page_id,
        ),
    )
    return cursor.lastrowid


def live_count(entries: list[EntryItem]) -> int:
    """Entries the source shows: a platform's stated deletions are not among them."""
    return sum(1 for e in entries if not e.deleted)


def refresh_due(conn: sqlite3.Connection, source_id: int, now: str) -> bool:
    """Whether this poll refreshes ``last_seen_at`` of every entry on the page; it does at most
    every SEEN_REFRESH, and ``sources.entries_seen_at`` says when it last did."""
    stale = (datetime.fromisoformat(now) - SEEN_REFRESH).isoformat(timespec="seconds")
    cursor = conn.execute(
        "UPDATE sources SET entries_seen_at = ? WHERE id = ? "
        "AND (entries_seen_at IS NULL OR entries_seen_at < ? OR entries_seen_at > ?)",
        (now, source_id, stale, now),  # a stamp from the future: the clock was set back
    )
    return cursor.rowcount > 0


def mark_present(
    conn: sqlite3.Connection,
    stored,
    entries: list[EntryItem],
    now: str,
    everything: bool,
    *,
    one_statement: bool = False,
) -> None:
    """Entries on the page: not missing, their position and flags current, seen now.

    Only rows with something to say are written, unless ``everything`` (the periodic refresh
    of ``last_seen_at``): an edit of one entry of a 300-entry page rewrote 300 rows.

    A new entry at the top still moves every other entry down one place. ``one_statement``
    (PostgreSQL) writes those rows with one ``UPDATE … FROM (VALUES …)`` per _BATCH rows instead
    of one statement each: the values are bound on the client, so PostgreSQL parses and plans
    every single-row UPDATE anew (300 of them: 8.5 ms of the backend's CPU, against 2 ms in one
    statement; bench/README.md, "Workers on PostgreSQL"). SQLite runs one prepared statement.
    """
    rows = []
    for e in entries:
        old = stored.get(e.key)
        if old is None:
            continue
        if (
            everything
            or old.missing_polls
            or old.scrolled_out_at is not None
            or old.raw_hash != e.raw_hash
            or old.pinned != int(e.pinned)
            or old.position != e.position
        ):
            rows.append((e.position, int(e.pinned), e.raw_hash, old.id))
    if not one_statement:
        conn.executemany(
            "UPDATE entries SET last_seen_at = ?, missing_polls = 0, scrolled_out_at = NULL, "
            "position = ?, pinned = ?, raw_hash = ? WHERE id = ?",
            [(now, *row) for row in rows],
        )
        return
    for start in range(0, len(rows), _BATCH):
        batch = rows[start : start + _BATCH]
        conn.execute(
            "UPDATE entries SET last_seen_at = ?, missing_polls = 0, scrolled_out_at = NULL, "
            "position = v.column1, pinned = v.column2, raw_hash = v.column3 "
            f"FROM (VALUES {', '.join(['(?, ?, ?, ?)'] * len(batch))}) AS v "
            "WHERE entries.id = v.column4",
            [now, *(value for row in batch for value in row)],
        )


def insert_entry(conn: sqlite3.Connection, source_id: int, entry: EntryItem, now: str) -> int:
    cursor = conn.execute(
        "INSERT INTO entries (source_id, key, url, title, body, author, published_at, updated_at, "
        "first_seen_at, last_seen_at, revision, position, pinned, content_hash, raw_hash, "
        "match_minute) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?)",
        (
            source_id,
            entry.key,
            entry.url,
            entry.title,
            entry.body,
            entry.author,
            to_utc(entry.published_at),
            to_utc(entry.updated_at),
            now,
            now,
            entry.position,
            int(entry.pinned),
            entry.content_hash,
            entry.raw_hash,
            entry.match_minute,
        ),
    )
    return cursor.lastrowid


def insert_revision(conn, entry_id: int, revision: int, entry: EntryItem, now: str, poll_id: int):
    conn.execute(
        "INSERT INTO revisions (entry_id, revision, title, body, seen_at, poll_id) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (entry_id, revision, entry.title, entry.body, now, poll_id),
    )
