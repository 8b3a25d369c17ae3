"""The schema against real SQLite files: the contract, migrations from older versions, FTS."""

import sqlite3

import pytest
import sqlite_utils

from crawler.store.db import Store
from crawler.store.schema import MIGRATIONS, SCHEMA_VERSION, migrate


@pytest.mark.sqlite_only("sqlite-utils' view of the tables, WAL and PRAGMA user_version")
def test_schema_contract(store):
    tables = set(store.db.table_names())
    assert {"sources", "entries", "revisions", "polls", "events", "entries_fts"} <= tables
    assert {c.name for c in store.db["entries"].columns} >= {
        "id",
        "source_id",
        "key",
        "url",
        "title",
        "body",
        "published_at",
        "updated_at",
        "first_seen_at",
        "last_seen_at",
        "removed_at",
        "revision",
        "position",
        "pinned",
    }
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_opening_an_older_database_migrates_it(tmp_path):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE unrelated (x)")
    conn.execute("INSERT INTO unrelated VALUES (42)")
    conn.commit()
    conn.close()
    store = Store(path)
    assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert store.conn.execute("SELECT x FROM unrelated").fetchone() == (42,)
    store.close()


@pytest.mark.sqlite_only("SQLite's FTS5 table and its triggers (PostgreSQL has an index)")
def test_fts_index_is_only_touched_by_title_or_body_changes(store):
    trigger = store.conn.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'entries_au'"
    ).fetchone()[0]
    assert "UPDATE OF title, body" in trigger
    assert store.db["entries"].detect_fts() == "entries_fts"


def test_version_2_database_gets_the_narrow_trigger_and_keeps_its_index(tmp_path):
    path = tmp_path / "v2.db"
    db = sqlite_utils.Database(path)
    migrate(db, MIGRATIONS[:2])
    db.execute("INSERT INTO sources (name, url, kind, created_at) VALUES ('s', 'u', 'feed', 'x')")
    db.execute(
        "INSERT INTO entries (source_id, key, title, body, first_seen_at, last_seen_at) "
        "VALUES (1, 'k', 'Waffenruhe', 'verkündet', 'x', 'x')"
    )
    db["entries"].enable_fts(["title", "body"], fts_version="FTS5", create_triggers=True)
    db.conn.commit()
    db.close()
    store = Store(path)
    hits = store.conn.execute(
        "SELECT rowid FROM entries_fts WHERE entries_fts MATCH 'Waffenruhe'"
    ).fetchall()
    assert hits == [(1,)]
    trigger = store.conn.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'entries_au'"
    ).fetchone()[0]
    assert "UPDATE OF title, body" in trigger
    store.close()


def test_version_6_database_gains_match_minute_and_keeps_its_entries(tmp_path):
    """Schema v7 adds ``entries.match_minute`` (sports commentary's minute, issue 11)."""
    path = tmp_path / "v6.db"
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(sqlite_utils.Database(conn), MIGRATIONS[:6])
    conn.execute(
        "INSERT INTO sources (name, url, kind, created_at) VALUES ('s', 'u', 'liveblog', 'x')"
    )
    conn.execute(
        "INSERT INTO entries (source_id, key, title, first_seen_at, last_seen_at) "
        "VALUES (1, 'k', 'Anpfiff', 'x', 'x')"
    )
    conn.commit()
    conn.close()
    store = Store(path)
    assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert store.conn.execute("SELECT title, match_minute FROM entries").fetchall() == [
        ("Anpfiff", None)
    ]
    store.close()


def test_version_7_database_gains_the_embed_columns(tmp_path):
    """Schema v8 (embedded platforms): sources.embed_* appear NULL; the stored embed round-trips
    through Store.set_embed and Store.source_state."""
    from crawler.items import EmbeddedSource

    path = tmp_path / "v7.db"
    db = sqlite_utils.Database(path)
    migrate(db, MIGRATIONS[:7])
    db.execute(
        "INSERT INTO sources (name, url, kind, created_at) VALUES ('s', 'u', 'liveblog', 'x')"
    )
    db.conn.commit()
    db.close()
    store = Store(path)
    assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    row = store.conn.execute(
        "SELECT name, embed_platform, embed_ref, embed_endpoint, embed_checked_at FROM sources"
    ).fetchone()
    assert row == ("s", None, None, None, None)
    assert store.source_state("u").embed is None
    embed = EmbeddedSource("tickaroo", "b1", "https://www.tickaroo.com/api/v6/x", "2024-04-01")
    with store.transaction() as conn:
        store.set_embed(conn, 1, embed)
    assert store.source_state("u").embed == embed
    with store.transaction() as conn:
        store.set_embed(conn, 1, None)
    assert store.source_state("u").embed is None
    store.close()


def test_a_python_step_migrates_like_a_script(tmp_path):
    """A migration may be a function of the connection (a data fix SQL cannot say); it runs in
    its version's transaction and a failure leaves the database at the version before."""
    store = Store(tmp_path / "t.db")
    store.conn.execute(
        "INSERT INTO sources (name, url, kind, created_at) VALUES ('s', 'u', 'feed', 'x')"
    )
    store.close()

    def fail(conn: sqlite3.Connection) -> None:
        conn.execute("UPDATE sources SET series = 'half done'")
        raise ValueError("boom")

    db = sqlite_utils.Database(sqlite3.connect(tmp_path / "t.db", isolation_level=None))
    with pytest.raises(ValueError, match="boom"):
        migrate(db, [*MIGRATIONS, fail])
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert db.execute("SELECT series FROM sources").fetchall() == [(None,)]

    def upper(conn: sqlite3.Connection) -> None:
        for source_id, name in conn.execute("SELECT id, name FROM sources").fetchall():
            conn.execute("UPDATE sources SET name = ? WHERE id = ?", (name.upper(), source_id))

    assert migrate(db, [*MIGRATIONS, upper]) == SCHEMA_VERSION + 1
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1
    assert db.execute("SELECT name FROM sources").fetchall() == [("S",)]
