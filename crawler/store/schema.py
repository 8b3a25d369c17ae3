"""The database schema, a public contract: tables, indexes, FTS and versioned migrations."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import sqlite_utils

SCHEMA_VERSION = 10

# Each migration takes a database at version N-1 to N. Append, never edit: users' databases
# were built by the old ones. Version 1 is the initial layout.
_V1 = """
CREATE TABLE IF NOT EXISTS sources (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    url TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('liveblog', 'feed')),
    created_at TEXT NOT NULL,
    series TEXT,
    etag TEXT,
    last_modified TEXT,
    body_hash TEXT
);
CREATE TABLE IF NOT EXISTS entries (
    id INTEGER PRIMARY KEY,
    source_id INTEGER NOT NULL REFERENCES sources(id),
    key TEXT NOT NULL,
    url TEXT,
    title TEXT,
    body TEXT,
    author TEXT,
    published_at TEXT,
    updated_at TEXT,
    first_seen_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    removed_at TEXT,
    scrolled_out_at TEXT,
    revision INTEGER NOT NULL DEFAULT 1,
    position INTEGER,
    pinned INTEGER NOT NULL DEFAULT 0,
    content_hash TEXT,
    raw_hash TEXT,
    missing_polls INTEGER NOT NULL DEFAULT 0,
    UNIQUE (source_id, key)
);
CREATE INDEX IF NOT EXISTS entries_source_published ON entries(source_id, published_at);
CREATE TABLE IF NOT EXISTS revisions (
    id INTEGER PRIMARY KEY,
    entry_id INTEGER NOT NULL REFERENCES entries(id),
    revision INTEGER NOT NULL,
    title TEXT,
    body TEXT,
    seen_at TEXT NOT NULL,
    poll_id INTEGER REFERENCES polls(id),
    UNIQUE (entry_id, revision)
);
CREATE TABLE IF NOT EXISTS polls (
    id INTEGER PRIMARY KEY,
    source_id INTEGER NOT NULL REFERENCES sources(id),
    started_at TEXT,
    finished_at TEXT NOT NULL,
    http_status INTEGER,
    status TEXT NOT NULL CHECK (status IN ('ok', 'not_modified', 'error', 'suspicious')),
    error TEXT,
    strategy TEXT,
    entries_found INTEGER NOT NULL DEFAULT 0,
    new INTEGER NOT NULL DEFAULT 0,
    changed INTEGER NOT NULL DEFAULT 0,
    removed INTEGER NOT NULL DEFAULT 0,
    restored INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS polls_source ON polls(source_id, id);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY,
    poll_id INTEGER NOT NULL REFERENCES polls(id),
    source_id INTEGER NOT NULL REFERENCES sources(id),
    entry_id INTEGER NOT NULL REFERENCES entries(id),
    event TEXT NOT NULL CHECK (event IN ('new', 'changed', 'removed', 'restored')),
    revision INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    notified_at TEXT
);
CREATE INDEX IF NOT EXISTS events_pending ON events(notified_at) WHERE notified_at IS NULL;
"""

# Version 2: the daemon's schedule, so `status` (another process) and a restart know when each
# source is next due, including a server's Retry-After that the poll rows do not keep.
_V2 = """
ALTER TABLE sources ADD COLUMN next_due_at TEXT
"""

# Version 3: full-text search over titles and bodies (FTS5, external content), with an update
# trigger that fires only when the title or body changes. The one sqlite-utils creates fires on
# every UPDATE, so refreshing last_seen_at on a 300-entry page rewrote 300 index rows per poll
# (88% of an unchanged poll's CPU in bench/). Statements are listed one by one: triggers
# contain semicolons.
_V3 = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS entries_fts USING FTS5 (title, body, content=[entries])",
    "DROP TRIGGER IF EXISTS entries_ai",
    "DROP TRIGGER IF EXISTS entries_ad",
    "DROP TRIGGER IF EXISTS entries_au",
    """CREATE TRIGGER entries_ai AFTER INSERT ON entries BEGIN
      INSERT INTO entries_fts (rowid, title, body) VALUES (new.rowid, new.title, new.body);
    END""",
    """CREATE TRIGGER entries_ad AFTER DELETE ON entries BEGIN
      INSERT INTO entries_fts (entries_fts, rowid, title, body)
        VALUES ('delete', old.rowid, old.title, old.body);
    END""",
    """CREATE TRIGGER entries_au AFTER UPDATE OF title, body ON entries BEGIN
      INSERT INTO entries_fts (entries_fts, rowid, title, body)
        VALUES ('delete', old.rowid, old.title, old.body);
      INSERT INTO entries_fts (rowid, title, body) VALUES (new.rowid, new.title, new.body);
    END""",
    "INSERT INTO entries_fts (entries_fts) VALUES ('rebuild')",
]

# Version 4: one row per (poll, notification target), written before a message is handed to
# the target and closed after. A crash between the two leaves "sending": the next start marks
# it "uncertain" and does not send again, so no revision is ever notified twice.
_V4 = """
CREATE TABLE IF NOT EXISTS deliveries (
    poll_id INTEGER NOT NULL REFERENCES polls(id),
    target TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('sending', 'sent', 'uncertain')),
    updated_at TEXT NOT NULL,
    PRIMARY KEY (poll_id, target)
)
"""

# Version 5: what an unchanged poll reads and writes without visiting every entry row. When the
# source's entries last had ``last_seen_at`` refreshed in bulk (at most every 10 minutes, see
# crawler/store/recording.py), and the entries pending removal by a partial index: both were scans
# of all of a source's rows on every poll.
_V5 = """
ALTER TABLE sources ADD COLUMN entries_seen_at TEXT;
CREATE INDEX IF NOT EXISTS entries_pending ON entries(source_id)
    WHERE missing_polls != 0 AND removed_at IS NULL
"""

# Version 6 (issue 14): the archive of raw pages, re-extraction and adaptive polling.
# ``pages``: every body that differed from the source's previous one, zstd-compressed; a page
# with a ``base_id`` was compressed with that (previous) page as its dictionary, so a new entry
# on a 1 MB page costs hundreds of bytes (crawler/store/archive.py); ``depth`` counts the chain
# back to a page stored whole. ``polls.page_id``: the body that poll read. ``revisions
# .reextracted``: a correction made by ``tickerwatch reextract``, not a publisher's edit.
# ``sources.poll_every``/``poll_reason``: the daemon's effective interval and why (``status``);
# ``ended_at``/``ended_reason``: when and why the liveblog was seen to have ended.
_V6 = """
CREATE TABLE IF NOT EXISTS pages (
    id INTEGER PRIMARY KEY,
    source_id INTEGER NOT NULL REFERENCES sources(id),
    fetched_at TEXT NOT NULL,
    body_hash TEXT NOT NULL,
    url TEXT,
    encoding TEXT,
    content_type TEXT,
    size INTEGER NOT NULL,
    base_id INTEGER REFERENCES pages(id),
    depth INTEGER NOT NULL DEFAULT 0,
    data BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS pages_source ON pages(source_id, id);
ALTER TABLE polls ADD COLUMN page_id INTEGER REFERENCES pages(id);
CREATE INDEX IF NOT EXISTS polls_page ON polls(page_id) WHERE page_id IS NOT NULL;
ALTER TABLE revisions ADD COLUMN reextracted INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sources ADD COLUMN poll_every REAL;
ALTER TABLE sources ADD COLUMN poll_reason TEXT;
ALTER TABLE sources ADD COLUMN ended_at TEXT;
ALTER TABLE sources ADD COLUMN ended_reason TEXT
"""

# Version 7: the match minute of sports commentary as printed ("95", "45+2"). Such entries have
# no wall-clock time; storing the minute as a time would date them in January 1970.
_V7 = """
ALTER TABLE entries ADD COLUMN match_minute TEXT
"""

# Version 8 (issue 16): embedded platforms (crawler/extractors/platforms): the liveblog a
# source's page embeds, the endpoint polled instead of the page, when the page was last read.
_V8 = """
ALTER TABLE sources ADD COLUMN embed_platform TEXT;
ALTER TABLE sources ADD COLUMN embed_ref TEXT;
ALTER TABLE sources ADD COLUMN embed_endpoint TEXT;
ALTER TABLE sources ADD COLUMN embed_checked_at TEXT
"""

# Version 9 (issue 15): the tick of the last poll a PostgreSQL worker committed for the source,
# the compare-and-set that makes a poll's effect happen once per tick whichever worker ran it
# (crawler/store/recording.py). SQLite's single daemon leaves it NULL; the column is here so
# both backends have the same columns (export-sqlite, import-sqlite).
_V9 = """
ALTER TABLE sources ADD COLUMN last_tick INTEGER
"""

# Version 10: when a schema.org LiveBlogPosting was first seen on the source's page. A page
# that had one and lost it has ended (scheduler/timing/adaptive.py); the daemon kept that in
# memory, but a PostgreSQL worker's next poll of the source may be another process's. And the
# series members by series: every worker reads them once per tick (scheduler/workers/), a scan
# of every source without the index (38 ms at 100,000 sources, per series and worker).
_V10 = """
ALTER TABLE sources ADD COLUMN live_posting_at TEXT;
CREATE INDEX IF NOT EXISTS sources_series ON sources(series) WHERE series IS NOT NULL
"""

# A migration is a script (split at ";"), a list of statements, or a Python step.
Migration = str | list[str] | Callable[[sqlite3.Connection], None]
MIGRATIONS: list[Migration] = [_V1, _V2, _V3, _V4, _V5, _V6, _V7, _V8, _V9, _V10]

# PostgreSQL runs these same migrations, translated statement by statement
# (crawler/store/postgres/ddl.py); a new migration needs nothing here in the common case.
# The exceptions, each next to the migration it concerns:
# - POSTGRES_TYPES: an INTEGER column whose values can pass 2**31 (bytes, ticks, epoch times)
#   is BIGINT there (SQLite's INTEGER is 64 bits, PostgreSQL's 32); by column name, in any
#   table, so that a table rebuild (new_pages) keeps it. Keys and references are BIGINT
#   without a line here.
# - POSTGRES_MIGRATIONS: migration number -> the PostgreSQL statements that replace its
#   translation, for a Python step or a statement with no PostgreSQL form (a trigger that is
#   not FTS bookkeeping, an FTS5 table other than entries_fts, SQLite-only functions).
POSTGRES_TYPES: dict[str, str] = {
    "size": "BIGINT",  # v6 pages.size
    "last_tick": "BIGINT",  # v9 sources.last_tick
}
POSTGRES_MIGRATIONS: dict[int, list[str]] = {}


def statements(script: str | list[str]) -> list[str]:
    """A migration's statements: a list as it stands (triggers hold semicolons), else split."""
    return [s for s in (script if isinstance(script, list) else script.split(";")) if s.strip()]


def migrate(db: sqlite_utils.Database, migrations: list[Migration] = MIGRATIONS) -> int:
    """Bring the database up to the last migration; each step commits with its version number."""
    conn: sqlite3.Connection = db.conn
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > len(migrations):
        raise RuntimeError(
            f"database schema version {version} is newer than this tickerwatch ({len(migrations)})"
        )
    for number, script in enumerate(migrations[version:], start=version + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            if callable(script):
                script(conn)
            else:
                for statement in statements(script):
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return len(migrations)
