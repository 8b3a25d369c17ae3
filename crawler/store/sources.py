"""The daemon's bookkeeping on the sources table: its plan, config names, series members."""

from __future__ import annotations

from crawler.store.db import Store


def set_next_due(store: Store, url: str, when: str | None) -> None:
    """The daemon's plan for this source, for ``status`` and for the next start."""
    store.conn.execute("UPDATE sources SET next_due_at = ? WHERE url = ?", (when, url))


def unschedule_others(store: Store, urls: list[str]) -> None:
    """Sources the daemon does not poll (any more) have no next due time.

    No URL left (every source removed from the config): no ``NOT IN ()``, which SQLite
    accepts and PostgreSQL refuses."""
    sql = "UPDATE sources SET next_due_at = NULL WHERE next_due_at IS NOT NULL"
    if urls:
        sql += f" AND url NOT IN ({','.join('?' * len(urls))})"
    store.conn.execute(sql, urls)


def register_member(store: Store, url: str, name: str, series: str) -> bool:
    """Record a liveblog a series hub pointed at; True when it is new to the series.

    Hub content is not configuration: a URL that is already a source (configured, polled by
    hand, another series' member) is never moved into this series or renamed.
    """
    with store.transaction() as conn:
        row = conn.execute("SELECT id FROM sources WHERE url = ?", (url,)).fetchone()
        if row is not None:
            return False
        source_id, _, _ = store.ensure_source(conn, url, "liveblog", name)
        conn.execute("UPDATE sources SET series = ? WHERE id = ?", (series, source_id))
        return True


def sync_source_name(store: Store, url: str, name: str) -> None:
    """Make the stored name follow the config file (the name is set once, on first poll).

    A source that already holds the name under another URL (the user pointed the name at a
    new URL) keeps its history under ``name (old N)``.
    """
    with store.transaction() as conn:
        row = conn.execute("SELECT id, name FROM sources WHERE url = ?", (url,)).fetchone()
        if row is not None and row[1] == name:
            return
        holder = conn.execute("SELECT id FROM sources WHERE name = ?", (name,)).fetchone()
        if holder is not None:
            conn.execute(
                "UPDATE sources SET name = ?, next_due_at = NULL WHERE id = ?",
                (f"{name} (old {holder[0]})", holder[0]),
            )
        if row is not None:  # else the first poll creates it, now under the free name
            conn.execute("UPDATE sources SET name = ? WHERE id = ?", (name, row[0]))


# Children first: every table that points at a source, its polls or its entries.
_FORGET = (
    ("deliveries", "DELETE FROM deliveries WHERE poll_id IN (SELECT id FROM polls WHERE source_id = ?)"),
    ("events", "DELETE FROM events WHERE source_id = ?"),
    ("revisions", "DELETE FROM revisions WHERE entry_id IN (SELECT id FROM entries WHERE source_id = ?)"),
    ("entries", "DELETE FROM entries WHERE source_id = ?"),
    ("polls", "DELETE FROM polls WHERE source_id = ?"),
    ("pages", "DELETE FROM pages WHERE source_id = ?"),
    ("sources", "DELETE FROM sources WHERE id = ?"),
)  # fmt: skip


def forget_source(store: Store, name: str) -> dict[str, int]:
    """Delete a source and everything stored about it, in one transaction; rows per table.

    Raises KeyError when no source has that name. The full-text index follows through the
    ``entries_ad`` trigger.
    """
    with store.transaction() as conn:
        row = conn.execute("SELECT id FROM sources WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise KeyError(name)
        return {table: conn.execute(sql, (row[0],)).rowcount for table, sql in _FORGET}
