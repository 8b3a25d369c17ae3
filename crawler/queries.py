"""Read-only queries behind the CLI's ``entries``, ``status`` and ``tail`` (the SQL users see)."""

from __future__ import annotations

import sqlite3

from crawler.storage import Store

ENTRY_COLUMNS = (
    "id, source, key, url, title, body, author, published_at, updated_at, first_seen_at, "
    "last_seen_at, removed_at, revision, position, pinned"
)


def _rows(cursor: sqlite3.Cursor) -> list[dict]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor]


def list_entries(
    store: Store,
    *,
    source: str | None = None,
    since: str | None = None,
    search: str | None = None,
    include_removed: bool = True,
    limit: int | None = None,
) -> list[dict]:
    """Entries newest first (by publication time, else first sighting)."""
    where, params = [], []
    if source:
        where.append("s.name = ?")
        params.append(source)
    if since:
        where.append("coalesce(e.published_at, e.first_seen_at) >= ?")
        params.append(since)
    if search:
        where.append("e.id IN (SELECT rowid FROM entries_fts WHERE entries_fts MATCH ?)")
        params.append(store.db.quote_fts(search))
    if not include_removed:
        where.append("e.removed_at IS NULL")
    sql = (
        "SELECT e.id, s.name AS source, e.key, e.url, e.title, e.body, e.author, e.published_at, "
        "e.updated_at, e.first_seen_at, e.last_seen_at, e.removed_at, e.revision, e.position, "
        "e.pinned FROM entries e JOIN sources s ON s.id = e.source_id"
    )
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY coalesce(e.published_at, e.first_seen_at) DESC, e.id DESC"
    if limit:
        sql += f" LIMIT {int(limit)}"
    return _rows(store.conn.execute(sql, params))


def events_after(store: Store, after_id: int, *, source: str | None = None, limit: int = 500) -> list[dict]:
    """Developments committed after event ``after_id``, oldest first (what ``tail`` follows)."""
    sql = (
        "SELECT ev.id, ev.event, ev.revision, ev.created_at, s.name AS source, e.key, e.title, "
        "e.url, e.published_at, ev.poll_id FROM events ev JOIN entries e ON e.id = ev.entry_id "
        "JOIN sources s ON s.id = ev.source_id WHERE ev.id > ?"
    )
    params: list = [after_id]
    if source:
        sql += " AND s.name = ?"
        params.append(source)
    sql += " ORDER BY ev.id LIMIT ?"
    params.append(limit)
    return _rows(store.conn.execute(sql, params))


def last_event_id(store: Store) -> int:
    return store.conn.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0]


def source_status(store: Store) -> list[dict]:
    """Per source: last poll and its outcome, error streak, live entries."""
    sql = """
    SELECT s.id, s.name, s.url, s.kind,
      (SELECT finished_at FROM polls p WHERE p.source_id = s.id ORDER BY id DESC LIMIT 1) AS last_poll,
      (SELECT status FROM polls p WHERE p.source_id = s.id ORDER BY id DESC LIMIT 1) AS last_status,
      (SELECT error FROM polls p WHERE p.source_id = s.id ORDER BY id DESC LIMIT 1) AS last_error,
      (SELECT count(*) FROM polls p WHERE p.source_id = s.id AND p.status = 'error' AND p.id >
         coalesce((SELECT max(id) FROM polls q WHERE q.source_id = s.id AND q.status != 'error'), 0)
      ) AS error_streak,
      (SELECT count(*) FROM entries e WHERE e.source_id = s.id AND e.removed_at IS NULL) AS live_entries
    FROM sources s ORDER BY s.name
    """
    return _rows(store.conn.execute(sql))
