"""All SQL lives here: opening the database, reading a source's state, writing one poll atomically."""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import sqlite_utils

from crawler.items import EmbeddedSource, SourceState, StoredEntry
from crawler.store.postgres import is_postgres_url
from crawler.store.postgres.dialect import SOURCES_LOCK
from crawler.store.schema import migrate

DEFAULT_DB = Path("data") / "tickerwatch.db"
BUSY_TIMEOUT_MS = 30_000
# A reader that holds a snapshot (datasette) keeps the WAL growing; past this many pages we
# checkpoint after a write, which also truncates the file when no reader is in the way.
WAL_CHECKPOINT_PAGES = 4_000


def default_db_path() -> Path:
    """Where the database lives unless --db says otherwise: TICKERWATCH_DB, else data/."""
    return Path(os.environ.get("TICKERWATCH_DB") or DEFAULT_DB)


def utcnow() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# Every stored time is UTC, so that text order is time order in SQL.


def source_name_for(url: str) -> str:
    """A readable default name for a new source: host plus path, without scheme or query."""
    parts = urlsplit(url)
    path = parts.path.rstrip("/")
    return f"{parts.netloc}{path}" or url


_STORED_ENTRY = (
    "SELECT id, key, content_hash, raw_hash, published_at, removed_at, missing_polls, revision, "
    "position, pinned, scrolled_out_at FROM entries WHERE source_id = ?"
)


class Store:
    """One connection to the Tickerwatch database; writes go through :meth:`transaction`.

    The location is a SQLite file or a ``postgresql://`` URL. PostgreSQL runs the same SQL
    through a connection that answers like ``sqlite3``'s (crawler/store/postgres/): every
    method below serves both backends; only opening, closing and checkpoints differ.
    """

    def __init__(self, path: str | Path, *, readonly: bool = False) -> None:
        self.postgres = is_postgres_url(path)
        if self.postgres:
            from crawler.store.postgres.connection import PgConnection
            from crawler.store.postgres.schema import migrate as migrate_postgres

            self.path: Path | str = str(path)  # names the database in messages and caches
            self._conn = PgConnection(self.path)
            if not readonly:
                migrate_postgres(self._conn.raw)
            return
        self.path = Path(path)
        if readonly:
            conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, isolation_level=None)
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        self.db = sqlite_utils.Database(conn)
        self._conn = conn
        if not readonly:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            migrate(self.db)

    @property
    def conn(self) -> sqlite3.Connection:
        return self._conn

    def quote_fts(self, search: str) -> str:
        """A user's search words as this backend's full-text query (each word required)."""
        if self.postgres:
            return search  # plainto_tsquery (postgres/dialect.py) requires every word
        return self.db.quote_fts(search)

    def close(self) -> None:
        if self.postgres:
            self.conn.close()
            return
        try:
            self._truncate_wal()
        except sqlite3.Error:
            pass
        self.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE: take the write lock up front so a reader can never deadlock us."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
            self.conn.execute("COMMIT")
        except BaseException:
            # SQLite rolls back by itself on some errors (SQLITE_FULL, a failed COMMIT): a
            # second ROLLBACK would raise "no transaction is active" and hide the real error.
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        self._maybe_checkpoint()

    def _maybe_checkpoint(self) -> None:
        # A PASSIVE checkpoint copies the WAL into the database (about 1 ms a commit, every
        # poll); SQLite's own auto-checkpoint does that already. The WAL file is at least as
        # large as its log, so a small file means a short log: only a big one is worth a look.
        if self.postgres:
            return  # PostgreSQL checkpoints by itself
        try:
            wal_bytes = os.stat(f"{self.path}-wal").st_size
        except OSError:
            return
        page_size = getattr(self, "_page_size", None)
        if page_size is None:
            page_size = self._page_size = self.conn.execute("PRAGMA page_size").fetchone()[0]
        if wal_bytes <= WAL_CHECKPOINT_PAGES * page_size:  # each frame: a page plus a header
            return
        busy, log_pages, _ = self.conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        if not busy and log_pages > WAL_CHECKPOINT_PAGES:
            self._truncate_wal()

    def _truncate_wal(self) -> None:
        """TRUNCATE waits for every reader to leave the WAL, through the busy handler: with a
        reader holding a snapshot (datasette) that froze each commit for BUSY_TIMEOUT_MS. Try
        without waiting; a later commit tries again once the reader has gone."""
        self.conn.execute("PRAGMA busy_timeout = 0")
        try:
            self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        finally:
            self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")

    # --- sources -----------------------------------------------------------------------

    def ensure_source(
        self,
        conn: sqlite3.Connection,
        url: str,
        kind: str,
        name: str | None,
        *,
        read_as_kind: bool = True,
    ) -> tuple[int, bool, str]:
        """The source's id and name, creating it on first sight; the bool says it was just created.

        An existing source's kind changes only when ``read_as_kind``: the poll read it that way
        (``poll --kind feed`` of a liveblog that then fails must not make it a feed)."""
        find = "SELECT id, kind, name FROM sources WHERE url = ?"
        row = conn.execute(find, (url,)).fetchone()
        if row is None and self.postgres:  # one creator at a time, as SQLite's write lock does
            conn.execute(SOURCES_LOCK)
            row = conn.execute(find, (url,)).fetchone()  # created while this one waited
        if row:
            if read_as_kind and kind in ("liveblog", "feed") and row[1] != kind:
                conn.execute("UPDATE sources SET kind = ? WHERE id = ?", (kind, row[0]))
            return row[0], False, row[2]
        name = name or source_name_for(url)
        taken = {
            r[0] for r in conn.execute("SELECT name FROM sources WHERE name LIKE ?", (name + "%",))
        }
        unique, n = name, 2
        while unique in taken:
            unique, n = f"{name}-{n}", n + 1
        cursor = conn.execute(
            "INSERT INTO sources (name, url, kind, created_at) VALUES (?, ?, ?, ?)",
            (unique, url, kind if kind in ("liveblog", "feed") else "liveblog", utcnow()),
        )
        return cursor.lastrowid, True, unique

    def source_state(self, url: str) -> SourceState:
        """What a poll request needs: validators for a conditional GET and the last body hash."""
        row = self.conn.execute(
            "SELECT id, name, kind, etag, last_modified, body_hash, embed_platform, embed_ref, "
            "embed_endpoint, embed_checked_at FROM sources WHERE url = ?",
            (url,),
        ).fetchone()
        if not row:
            return SourceState()
        embed = EmbeddedSource(*row[6:]) if row[6] else None
        return SourceState(*row[:6], embed=embed)

    def set_embed(
        self, conn: sqlite3.Connection, source_id: int, embed: EmbeddedSource | None
    ) -> None:
        """The platform liveblog the source's page embeds (an EmbeddedSource), or None: cleared."""
        values = (
            (embed.platform, embed.ref, embed.endpoint, embed.checked_at) if embed else (None,) * 4
        )
        conn.execute(
            "UPDATE sources SET embed_platform = ?, embed_ref = ?, embed_endpoint = ?, "
            "embed_checked_at = ? WHERE id = ?",
            (*values, source_id),
        )

    def mark_notified(self, event_ids: list[int], when: str | None = None) -> None:
        """Close outbox rows: sent, or deliberately not sent (baseline, no target, too old)."""
        if not event_ids:
            return
        with self.transaction() as conn:
            conn.executemany(
                "UPDATE events SET notified_at = ? WHERE id = ? AND notified_at IS NULL",
                [(when or utcnow(), event_id) for event_id in event_ids],
            )

    # --- entries -----------------------------------------------------------------------

    def raw_hashes(self, url: str, newest: int = -1) -> dict[str, str]:
        """key -> raw fragment hash, so unchanged fragments skip cleaning (SourceState.raw_hashes).

        ``newest`` limits it to the newest rows: a feed keeps every item it ever showed, and
        an item missing here is only cleaned once more, not mistaken for a new one.
        """
        sql = (
            "SELECT e.key, e.raw_hash FROM entries e JOIN sources s ON s.id = e.source_id "
            "WHERE s.url = ? AND e.raw_hash IS NOT NULL AND e.raw_hash != ''"
        )
        if newest >= 0:
            return dict(self.conn.execute(sql + " ORDER BY e.id DESC LIMIT ?", (url, newest)))
        return dict(self.conn.execute(sql, (url,)))

    def stored_entries(
        self, conn: sqlite3.Connection, source_id: int, keys: list[str] | None = None
    ) -> dict[str, StoredEntry]:
        """The source's stored entries; only those of ``keys`` if given (a feed's history grows
        without end, and feed items are never removed, so the rest do not matter)."""
        if keys is None:
            rows = conn.execute(_STORED_ENTRY, (source_id,))
        else:
            sql = _STORED_ENTRY + " AND key IN (SELECT value FROM json_each(?))"
            rows = conn.execute(sql, (source_id, json.dumps(keys)))
        return {row[1]: StoredEntry._make(row) for row in rows}

    def bodies(self, conn: sqlite3.Connection, ids: list[int]) -> dict[int, str]:
        """The stored bodies of entry ``ids`` (the few a rename check compares)."""
        rows = conn.execute(
            "SELECT id, body FROM entries "
            "WHERE id IN (SELECT CAST(value AS INTEGER) FROM json_each(?))",
            (json.dumps(ids),),
        )
        return {row[0]: row[1] or "" for row in rows}

    def pending_removals(self, conn: sqlite3.Connection, source_id: int) -> dict[str, StoredEntry]:
        """The live entries that were missing on the last poll (what an unchanged poll advances)."""
        # The WHERE of the partial index entries_pending (schema v5), so SQLite uses it.
        sql = _STORED_ENTRY + " AND missing_polls != 0 AND removed_at IS NULL"
        return {row[1]: StoredEntry._make(row) for row in conn.execute(sql, (source_id,))}

    def last_healthy_count(self, conn: sqlite3.Connection, source_id: int) -> int | None:
        row = conn.execute(
            "SELECT entries_found FROM polls WHERE source_id = ? AND status = 'ok' "
            "ORDER BY id DESC LIMIT 1",
            (source_id,),
        ).fetchone()
        return row[0] if row else None

    def health_state(
        self, conn: sqlite3.Connection, source_id: int
    ) -> tuple[tuple[str, int, str | None] | None, str | None]:
        """(status, entries_found, error) of the last ok/suspicious poll; the last ok strategy.

        The first says whether a suspicious episode is open and of which kind (one warning per
        episode, across restarts); the second which extractor the last healthy poll used.
        """
        last = conn.execute(
            "SELECT status, entries_found, error FROM polls WHERE source_id = ? "
            "AND status IN ('ok', 'suspicious') ORDER BY id DESC LIMIT 1",
            (source_id,),
        ).fetchone()
        healthy = conn.execute(
            "SELECT strategy FROM polls WHERE source_id = ? AND status = 'ok' "
            "ORDER BY id DESC LIMIT 1",
            (source_id,),
        ).fetchone()
        return (tuple(last) if last else None, healthy[0] if healthy else None)
