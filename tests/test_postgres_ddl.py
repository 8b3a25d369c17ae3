"""The translation of SQLite's migrations to PostgreSQL (crawler/store/postgres/ddl.py) on
migrations yet to come: the common kinds need no PostgreSQL edit, SQLite's table rebuild keeps
what references the table, and what has no automatic form asks for an override."""

from __future__ import annotations

import sqlite3

import pytest
import sqlite_utils

from crawler.store.postgres.ddl import TranslationError, postgres_migrations
from crawler.store.postgres.dialect import FTS_DOCUMENT
from crawler.store.postgres.schema import migrate
from crawler.store.schema import MIGRATIONS, SCHEMA_VERSION
from crawler.store.schema import migrate as migrate_sqlite
from tests.pg import assert_same_columns, connect, read_rows, references, write_rows

NEXT = SCHEMA_VERSION + 1  # the number of the next migration, the one these tests invent

# A migration of the common kinds, written for SQLite only: PostgreSQL needs no edit for it.
_NEW = """
CREATE TABLE notes (
    id INTEGER PRIMARY KEY,
    source_id INTEGER NOT NULL,
    tag_id INTEGER,
    score REAL NOT NULL DEFAULT 0.5,
    raw BLOB,
    text TEXT NOT NULL,
    FOREIGN KEY (source_id) REFERENCES sources(id),
    FOREIGN KEY (tag_id) REFERENCES tags(id)
);
CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
ALTER TABLE entries ADD COLUMN note_id INTEGER REFERENCES notes(id);
INSERT OR IGNORE INTO tags (name) SELECT kind FROM sources;
INSERT OR IGNORE INTO tags (name) SELECT kind FROM sources;
UPDATE sources SET poll_reason = 'tagged' WHERE kind IN (SELECT name FROM tags);
CREATE INDEX notes_source ON notes(source_id) WHERE tag_id IS NOT NULL
"""


def test_a_new_migration_needs_no_postgres_edit(pg_url, tmp_path):
    """Tables (a reference to one created later), REAL, BLOB, ADD COLUMN … REFERENCES,
    INSERT OR IGNORE, UPDATE, a partial index: translated, run on a database of today's version with rows."""
    migrations = [*MIGRATIONS, _NEW]
    sqlite = sqlite_utils.Database(tmp_path / "t.db")
    migrate_sqlite(sqlite, migrations)
    with connect(pg_url) as conn:
        migrate(conn)
        write_rows(conn, SCHEMA_VERSION)
        assert migrate(conn, target=NEXT, steps=postgres_migrations(migrations)) == NEXT
        assert_same_columns(sqlite, conn, ["notes", "tags", "entries", "sources"])
        assert conn.execute("SELECT name FROM tags").fetchall() == [("feed",)]
        assert conn.execute("SELECT poll_reason FROM sources").fetchall() == [("tagged",)]
        assert {
            "notes.FOREIGN KEY (source_id) REFERENCES sources(id)",
            "notes.FOREIGN KEY (tag_id) REFERENCES tags(id)",
            "entries.FOREIGN KEY (note_id) REFERENCES notes(id)",
        } <= references(conn)


def _rebuild(db: sqlite_utils.Database, table: str) -> list[str]:
    """SQLite's recommended table rebuild of ``table``, with a column ``note`` after ``id``."""
    sql = db.execute("SELECT sql FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
    create = sql.replace(f"CREATE TABLE {table}", f"CREATE TABLE new_{table}", 1)
    create = create.replace("id INTEGER PRIMARY KEY,", "id INTEGER PRIMARY KEY, note TEXT,", 1)
    columns = ", ".join(c.name for c in db[table].columns)
    return [
        "PRAGMA foreign_keys = OFF",
        create,
        f"INSERT INTO new_{table} ({columns}) SELECT {columns} FROM {table}",
        f"DROP TABLE {table}",
        f"ALTER TABLE new_{table} RENAME TO {table}",
    ]


def test_a_table_rebuild_keeps_the_references_to_it(pg_url, tmp_path):
    """A future migration that rebuilds ``entries`` (referenced by revisions and events, under
    the full-text index) and ``pages`` (referenced by polls and by itself), SQLite's way: in
    PostgreSQL too the rows, the references, the index and the identities survive it."""
    sqlite = sqlite_utils.Database(tmp_path / "t.db")
    migrate_sqlite(sqlite)
    rebuild = _rebuild(sqlite, "entries") + _rebuild(sqlite, "pages")
    rebuild += ["CREATE INDEX IF NOT EXISTS pages_source ON pages(source_id, id)"]
    migrations = [*MIGRATIONS, rebuild]
    steps = postgres_migrations(migrations)
    migrate_sqlite(sqlite, migrations)  # the same migration runs on SQLite
    with connect(pg_url) as conn:
        migrate(conn)
        rows = write_rows(conn, SCHEMA_VERSION)
        conn.execute(
            "INSERT INTO pages (source_id, fetched_at, body_hash, size, data) "
            "VALUES (1, 't', 'h', 1, 'x'), (1, 't', 'h2', 1, 'y')"
        )
        conn.execute("UPDATE pages SET base_id = 1 WHERE id = 2")
        conn.execute("UPDATE polls SET page_id = 2")
        assert migrate(conn, target=NEXT, steps=steps) == NEXT
        assert read_rows(conn) == rows
        for table in ("entries", "pages"):
            columns = conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
                "AND table_schema = current_schema() ORDER BY ordinal_position",
                (table,),
            ).fetchall()
            assert [c[0] for c in columns] == [c.name for c in sqlite[table].columns]
        assert {
            "revisions.FOREIGN KEY (entry_id) REFERENCES entries(id)",
            "events.FOREIGN KEY (entry_id) REFERENCES entries(id)",
            "polls.FOREIGN KEY (page_id) REFERENCES pages(id)",
            "pages.FOREIGN KEY (base_id) REFERENCES pages(id)",
            "pages.FOREIGN KEY (source_id) REFERENCES sources(id)",
        } <= references(conn)
        assert conn.execute(
            f"SELECT id FROM entries WHERE {FTS_DOCUMENT} @@ plainto_tsquery('simple', 'Waffenruhe')"
        ).fetchall() == [(1,)]
        indexes = {r[0] for r in conn.execute("SELECT indexname FROM pg_indexes")}
        assert {"entries_fts", "pages_source"} <= indexes
        new = conn.execute(
            "INSERT INTO entries (source_id, key, first_seen_at, last_seen_at) "
            "VALUES (1, 'k3', 't', 't') RETURNING id"
        ).fetchone()[0]
        assert new == 3


def test_what_cannot_be_translated_asks_for_an_override():
    """A trigger that is not FTS bookkeeping, or a Python step, has no automatic form: the
    error names the migration and where its PostgreSQL form goes; an override takes over."""
    trigger = "CREATE TRIGGER t AFTER INSERT ON sources BEGIN UPDATE polls SET error = 'x'; END"
    with pytest.raises(TranslationError, match=f"migration {NEXT}: a trigger.*POSTGRES_MIGRATIONS"):
        postgres_migrations([*MIGRATIONS, [trigger]])

    def step(conn: sqlite3.Connection) -> None:
        conn.execute("UPDATE sources SET poll_reason = 'x'")

    with pytest.raises(TranslationError, match=f"migration {NEXT} is a Python step"):
        postgres_migrations([*MIGRATIONS, step])
    override = ["UPDATE sources SET poll_reason = 'x'"]
    assert postgres_migrations([*MIGRATIONS, step], {NEXT: override})[-1] == override
