"""Read-only queries: what the CLI shows (entries, status, tail, history), what the daemon
schedules from, what the notifier sends and what series discovery and the Atom feed read."""

from __future__ import annotations

import sqlite3

from crawler.store.db import Store
from crawler.text.terminal import entry_text

ENTRY_COLUMNS = (
    "id, source, key, url, title, body, author, published_at, updated_at, first_seen_at, "
    "last_seen_at, removed_at, revision, position, pinned, match_minute"
)


# Enough of an entry's body to name it in a line when it has no title (crawler/text/terminal.py
# entry_text): development lines, ``tail`` and notifications read this, not whole bodies.
BODY_START = "substr(e.body, 1, 400) AS body_start"


def _rows(cursor: sqlite3.Cursor) -> list[dict]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor]


def _with_text(rows: list[dict]) -> list[dict]:
    """Each development row gets ``text`` (its title, else the start of its body)."""
    for row in rows:
        row["text"] = entry_text(row["title"], row.pop("body_start"))
    return rows


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
    where, params = _source_since(source, since, "coalesce(e.published_at, e.first_seen_at)")
    if search:
        where.append("e.id IN (SELECT rowid FROM entries_fts WHERE entries_fts MATCH ?)")
        params.append(store.quote_fts(search))
    if not include_removed:
        where.append("e.removed_at IS NULL")
    sql = (
        "SELECT e.id, s.name AS source, e.key, e.url, e.title, e.body, e.author, e.published_at, "
        "e.updated_at, e.first_seen_at, e.last_seen_at, e.removed_at, e.revision, e.position, "
        "e.pinned, e.match_minute FROM entries e JOIN sources s ON s.id = e.source_id"
    )
    order = "coalesce(e.published_at, e.first_seen_at) DESC, e.id DESC"
    return _rows(store.conn.execute(_finish(sql, where, order, limit), params))


def _source_since(source: str | None, since: str | None, time_column: str) -> tuple[list, list]:
    """The WHERE terms (and their parameters) of the ``--source`` and ``--since`` filters."""
    where, params = [], []
    if source:
        where.append("s.name = ?")
        params.append(source)
    if since:
        where.append(f"{time_column} >= ?")
        params.append(since)
    return where, params


def _finish(sql: str, where: list[str], order: str, limit: int | None) -> str:
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += f" ORDER BY {order}"
    return sql + (f" LIMIT {int(limit)}" if limit else "")


# An event of a source's first healthy poll: the baseline. The same test as the recording's
# (``RecordedPoll.baseline``: the poll is ok and no earlier poll of the source was), so the
# daemon's BASELINE line, ``poll``, ``tail`` and the notifier agree on which events it covers.
_BASELINE = (
    "(SELECT b.status = 'ok' AND NOT EXISTS (SELECT 1 FROM polls q WHERE q.source_id = "
    "b.source_id AND q.status = 'ok' AND q.id < b.id) FROM polls b WHERE b.id = ev.poll_id)"
)


def events_after(
    store: Store,
    after_id: int,
    *,
    source: str | None = None,
    limit: int = 500,
    newest: bool = False,
    before_id: int | None = None,
) -> list[dict]:
    """Developments committed after event ``after_id`` (and before ``before_id``), oldest first
    (what ``tail`` follows); ``newest`` takes the last ``limit`` of them instead of the first.
    A baseline event carries its poll's ``strategy`` and ``entries_found`` for the summary."""
    sql = (
        "SELECT ev.id, ev.event, ev.revision, ev.created_at, s.name AS source, e.key, e.title, "
        f"{BODY_START}, e.url, e.published_at, ev.poll_id, ev.entry_id, {_BASELINE} AS baseline, "
        "p.strategy, "
        "p.entries_found FROM events ev JOIN entries e ON e.id = ev.entry_id "
        "JOIN sources s ON s.id = ev.source_id JOIN polls p ON p.id = ev.poll_id WHERE ev.id > ?"
    )
    params: list = [after_id]
    if before_id is not None:
        sql += " AND ev.id < ?"
        params.append(before_id)
    if source:
        sql += " AND s.name = ?"
        params.append(source)
    sql += f" ORDER BY ev.id {'DESC' if newest else ''} LIMIT ?"
    params.append(limit)
    rows = _with_text(_rows(store.conn.execute(sql, params)))
    return rows[::-1] if newest else rows


def source_names(store: Store) -> list[str]:
    return [row[0] for row in store.conn.execute("SELECT name FROM sources ORDER BY name")]


def newest_entry_time(store: Store, source: str | None = None) -> str | None:
    """When the newest stored entry was published (else first seen): what an empty query hints."""
    sql = (
        "SELECT max(coalesce(e.published_at, e.first_seen_at)) FROM entries e "
        "JOIN sources s ON s.id = e.source_id"
    )
    params: list = []
    if source:
        sql += " WHERE s.name = ?"
        params.append(source)
    return store.conn.execute(sql, params).fetchone()[0]


def last_event_id(store: Store) -> int:
    return store.conn.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0]


def source_status(store: Store) -> list[dict]:
    """Per source: last poll and its outcome, next due time, error streak, live entries."""
    next_due = "s.next_due_at" if _has_column(store, "sources", "next_due_at") else "NULL"
    pace = ", ".join(  # schema v6; a reader does not migrate an older database
        f"s.{c} AS {c}" if _has_column(store, "sources", "poll_every") else f"NULL AS {c}"
        for c in ("poll_every", "poll_reason", "ended_at", "ended_reason")
    )
    sql = f"""
    SELECT s.id, s.name, s.url, s.kind, s.series,
      (SELECT finished_at FROM polls p WHERE p.source_id = s.id ORDER BY id DESC LIMIT 1) AS last_poll,
      (SELECT status FROM polls p WHERE p.source_id = s.id ORDER BY id DESC LIMIT 1) AS last_status,
      (SELECT error FROM polls p WHERE p.source_id = s.id ORDER BY id DESC LIMIT 1) AS last_error,
      {next_due} AS next_due, {pace},
      ({_ERROR_STREAK}) AS error_streak,
      (SELECT count(*) FROM entries e WHERE e.source_id = s.id AND e.removed_at IS NULL) AS live_entries
    FROM sources s ORDER BY s.name
    """
    return _rows(store.conn.execute(sql))


# Errors since the last poll that was not an error.
_ERROR_STREAK = """SELECT count(*) FROM polls p WHERE p.source_id = s.id AND p.status = 'error' AND p.id >
         coalesce((SELECT max(id) FROM polls q WHERE q.source_id = s.id AND q.status != 'error'), 0)"""


def schedule_state(store: Store, url: str) -> dict | None:
    """What the daemon needs to place a source after a restart: last poll, streak, stored plan."""
    sql = f"""
    SELECT s.next_due_at,
      (SELECT finished_at FROM polls p WHERE p.source_id = s.id ORDER BY id DESC LIMIT 1) AS last_poll,
      (SELECT http_status FROM polls p WHERE p.source_id = s.id ORDER BY id DESC LIMIT 1) AS last_http,
      ({_ERROR_STREAK}) AS error_streak
    FROM sources s WHERE s.url = ?
    """
    rows = _rows(store.conn.execute(sql, (url,)))
    return rows[0] if rows else None


def pending_events(store: Store, *, limit: int = 200) -> list[dict]:
    """The notification outbox: events not yet notified, oldest first.

    ``baseline`` marks events of a source's first healthy poll, which the daemon reports as one
    summary line and never as notifications.
    """
    sql = f"""
    SELECT ev.id, ev.poll_id, ev.event, ev.revision, ev.created_at, ev.entry_id,
      s.name AS source, s.url AS source_url, e.key, e.title, {BODY_START}, e.url,
      e.published_at, {_BASELINE} AS baseline
    FROM events ev JOIN entries e ON e.id = ev.entry_id JOIN sources s ON s.id = ev.source_id
    WHERE ev.notified_at IS NULL ORDER BY ev.id LIMIT ?
    """
    return _with_text(_rows(store.conn.execute(sql, (limit,))))


def _has_column(store: Store, table: str, column: str) -> bool:
    return any(row[1] == column for row in store.conn.execute(f"PRAGMA table_info({table})"))


def series_members(store: Store, series: str) -> list[dict]:
    """The liveblogs a series has followed, in the order they were discovered."""
    sql = "SELECT id, name, url, created_at FROM sources WHERE series = ? ORDER BY id"
    return _rows(store.conn.execute(sql, (series,)))


def hub_links(store: Store, hub_url: str) -> list[dict]:
    """Every link a series hub has listed, in the order first seen (newest poll last)."""
    sql = (
        "SELECT e.url, e.title, e.position, e.first_seen_at FROM entries e "
        "JOIN sources s ON s.id = e.source_id WHERE s.url = ? ORDER BY e.id"
    )
    return _rows(store.conn.execute(sql, (hub_url,)))


def entry_history(store: Store, source: str, key: str) -> tuple[dict | None, list[dict]]:
    """One entry (by source name and key) and every revision of it, oldest first."""
    entries = _rows(
        store.conn.execute(
            "SELECT e.id, s.name AS source, e.key, e.url, e.published_at, e.first_seen_at, "
            "e.removed_at, e.revision FROM entries e JOIN sources s ON s.id = e.source_id "
            "WHERE s.name = ? AND e.key = ?",
            (source, key),
        )
    )
    if not entries:
        return None, []
    revisions = _rows(
        store.conn.execute(
            "SELECT revision, title, body, seen_at, poll_id FROM revisions WHERE entry_id = ? "
            "ORDER BY revision",
            (entries[0]["id"],),
        )
    )
    return entries[0], revisions


def key_for_link(store: Store, source: str, link: str) -> str | None:
    """The key of the entry whose link is ``link`` or ends in ``#link``, else None.

    Keys are what the site calls an entry (Guardian ``646219…``), while the link a user copies
    carries the page's anchor (``#block-646219…``): both should find the entry.
    """
    fragment = link.split("#", 1)[1] if "#" in link else link
    if not fragment:
        return None
    rows = store.conn.execute(
        "SELECT e.key, e.url FROM entries e JOIN sources s ON s.id = e.source_id "
        "WHERE s.name = ? AND e.url IS NOT NULL",
        (source,),
    )
    for key, url in rows:
        if url == link or url.endswith("#" + fragment):
            return key
    return None


def entry_keys(store: Store, source: str, limit: int = 10) -> list[str]:
    """The newest keys of a source: what an unknown key's error suggests."""
    sql = (
        "SELECT e.key FROM entries e JOIN sources s ON s.id = e.source_id WHERE s.name = ? "
        "ORDER BY coalesce(e.published_at, e.first_seen_at) DESC LIMIT ?"
    )
    return [row[0] for row in store.conn.execute(sql, (source, limit))]


def revision_pair(store: Store, entry_id: int, revision: int) -> list[dict]:
    """The revision before ``revision`` and ``revision`` itself (what a CHANGED line compares)."""
    sql = (
        "SELECT revision, title, body FROM revisions WHERE entry_id = ? AND revision IN (?, ?) "
        "ORDER BY revision"
    )
    return _rows(store.conn.execute(sql, (entry_id, revision - 1, revision)))


def source_row(store: Store, name: str) -> dict | None:
    rows = _rows(
        store.conn.execute(
            "SELECT id, name, url, kind, created_at FROM sources WHERE name = ?", (name,)
        )
    )
    return rows[0] if rows else None


def developments(
    store: Store, *, source: str | None = None, since: str | None = None, limit: int | None = None
) -> list[dict]:
    """Events newest first, each with the entry's text at that revision and, for an edit, the
    text before it (what the feeds and the digest show)."""
    sql = f"""
    SELECT ev.id, ev.event, ev.revision, ev.created_at, s.name AS source, s.url AS source_url,
      e.key, e.url, e.published_at, e.removed_at, r.title, r.body,
      pr.title AS old_title, pr.body AS old_body, {_BASELINE} AS baseline
    FROM events ev JOIN entries e ON e.id = ev.entry_id JOIN sources s ON s.id = ev.source_id
    LEFT JOIN revisions r ON r.entry_id = ev.entry_id AND r.revision = ev.revision
    LEFT JOIN revisions pr ON ev.event = 'changed' AND pr.entry_id = ev.entry_id
      AND pr.revision = ev.revision - 1
    """
    where, params = _source_since(source, since, "ev.created_at")
    return _rows(store.conn.execute(_finish(sql, where, "ev.id DESC", limit), params))
