"""Writes of ``tickerwatch reextract``: entries our extraction missed, and its corrections.

Every row written here is our own correction, not news: revisions carry ``reextracted = 1``
and no event is written, so nothing reaches ``tail``, the log or a notification.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from crawler.items import EntryItem
from crawler.store.db import Store


@dataclass(frozen=True)
class StoredVersion:
    """The current state of a stored entry, as re-extraction compares it."""

    id: int
    key: str
    title: str | None
    body: str | None
    content_hash: str | None
    published_at: str | None
    first_seen_at: str
    revision: int
    removed_at: str | None


@dataclass
class Correction:
    """One change re-extraction makes: ``add`` a missed entry or ``correct`` a stored one."""

    action: str  # "add" | "correct"
    entry: EntryItem  # the version the newest archived page showing it has (cleaned)
    published_at: str | None  # normalised UTC
    first_seen_at: str  # the first archived page showing it (or the stored time if earlier)
    last_seen_at: str
    poll_id: int | None  # the poll that fetched the page with this version
    stored: StoredVersion | None = None
    fields: tuple[str, ...] = ()  # what a correction changes: title, body, published_at, …


def source_row(store: Store, name: str) -> tuple[int, str, str] | None:
    """(id, url, kind) of the source called ``name``."""
    row = store.conn.execute("SELECT id, url, kind FROM sources WHERE name = ?", (name,)).fetchone()
    return tuple(row) if row else None


def first_polls(conn: sqlite3.Connection, source_id: int) -> dict[int, int]:
    """page id -> the first poll that read it."""
    sql = (
        "SELECT page_id, min(id) FROM polls WHERE source_id = ? AND page_id IS NOT NULL "
        "GROUP BY page_id"
    )
    return dict(conn.execute(sql, (source_id,)).fetchall())


def stored_versions(conn: sqlite3.Connection, source_id: int) -> dict[str, StoredVersion]:
    sql = (
        "SELECT id, key, title, body, content_hash, published_at, first_seen_at, revision, removed_at "
        "FROM entries WHERE source_id = ?"
    )
    return {row[1]: StoredVersion(*row) for row in conn.execute(sql, (source_id,))}


def apply_corrections(
    conn: sqlite3.Connection, source_id: int, corrections: list[Correction], now: str
) -> None:
    """Write them inside the caller's transaction; oldest additions first (ids follow age)."""
    for c in sorted(corrections, key=lambda c: (c.action != "add", c.first_seen_at)):
        e = c.entry
        if c.action == "add":
            cursor = conn.execute(
                "INSERT INTO entries (source_id, key, url, title, body, author, published_at, "
                "updated_at, first_seen_at, last_seen_at, revision, position, pinned, "
                "content_hash, raw_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)",
                (
                    source_id,
                    e.key,
                    e.url,
                    e.title,
                    e.body,
                    e.author,
                    c.published_at,
                    e.updated_at,
                    c.first_seen_at,
                    c.last_seen_at,
                    e.position,
                    int(e.pinned),
                    e.content_hash,
                    e.raw_hash,
                ),
            )
            _revision(conn, cursor.lastrowid, 1, e, c.first_seen_at, c.poll_id)
            continue
        old = c.stored
        assert old is not None
        if "first_seen_at" in c.fields:
            conn.execute(
                "UPDATE entries SET first_seen_at = ? WHERE id = ?", (c.first_seen_at, old.id)
            )
        if "removed_at" in c.fields:
            conn.execute(
                "UPDATE entries SET removed_at = NULL, missing_polls = 0 WHERE id = ?", (old.id,)
            )
        if {"title", "body", "published_at"} & set(c.fields):
            revision = old.revision + 1
            conn.execute(
                "UPDATE entries SET title = ?, body = ?, content_hash = ?, raw_hash = ?, url = ?, "
                "author = ?, published_at = ?, updated_at = ?, revision = ? WHERE id = ?",
                (
                    e.title,
                    e.body,
                    e.content_hash,
                    e.raw_hash,
                    e.url,
                    e.author,
                    c.published_at,
                    e.updated_at,
                    revision,
                    old.id,
                ),
            )
            _revision(conn, old.id, revision, e, now, c.poll_id)


def _revision(conn, entry_id: int, revision: int, e: EntryItem, seen_at: str, poll_id) -> None:
    conn.execute(
        "INSERT INTO revisions (entry_id, revision, title, body, seen_at, poll_id, reextracted) "
        "VALUES (?, ?, ?, ?, ?, ?, 1)",
        (entry_id, revision, e.title, e.body, seen_at, poll_id),
    )
