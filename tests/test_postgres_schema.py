"""PostgreSQL's schema, translated from SQLite's migrations, on a real PostgreSQL server:
the same tables and columns as SQLite, older databases migrated in place with their rows, a
newer one refused, migrators starting together (migrations yet to come: test_postgres_ddl.py)."""

from __future__ import annotations

import threading

import pytest
import sqlite_utils

from crawler.store.db import Store
from crawler.store.postgres.ddl import postgres_migrations
from crawler.store.postgres.schema import TABLES, migrate
from crawler.store.schema import MIGRATIONS, SCHEMA_VERSION
from crawler.store.schema import migrate as migrate_sqlite
from tests.pg import (
    assert_same_columns,
    built_schema,
    connect,
    fresh_database,
    read_rows,
    snapshot,
    write_rows,
)


def _version(conn) -> int:
    return conn.execute("SELECT version FROM tickerwatch_schema").fetchone()[0]


@pytest.fixture(scope="module")
def fresh_schema():
    """The schema of a database built from nothing by this Tickerwatch."""
    yield from built_schema(fresh_database())


def test_migrations_and_version_agree():
    assert len(MIGRATIONS) == SCHEMA_VERSION == len(postgres_migrations())


def test_postgres_has_sqlites_tables_and_columns(pg_url, tmp_path):
    """Every SQLite table column by column, and the full-text index; TABLES (the copy order of
    import/export) lists every table."""
    sqlite = sqlite_utils.Database(tmp_path / "t.db")
    migrate_sqlite(sqlite)
    tables = [t for t in sqlite.table_names() if not t.startswith("entries_fts")]
    assert sorted(tables) == sorted(TABLES)
    with connect(pg_url) as conn:
        migrate(conn)
        assert_same_columns(sqlite, conn, tables)
        storage = conn.execute("SELECT reloptions FROM pg_class WHERE relname = 'entries'")
        assert storage.fetchone()[0] == ["fillfactor=50"]  # position updates stay on the page
        indexes = {row[0] for row in conn.execute("SELECT indexname FROM pg_indexes")}
    sqlite_indexes = {i.name for t in tables for i in sqlite[t].indexes}
    assert {i for i in sqlite_indexes if not i.startswith("sqlite_")} | {"entries_fts"} <= indexes


@pytest.mark.parametrize("version", [1, 2, 3, 5, 8])
def test_an_older_database_is_migrated_with_its_rows(pg_url, fresh_schema, version):
    with connect(pg_url) as conn:
        assert migrate(conn, target=version) == version
        assert _version(conn) == version
        rows = write_rows(conn, version)
    store = Store(pg_url)  # what every command and worker does first
    try:
        assert read_rows(store.conn.raw) == rows
        assert _version(store.conn.raw) == SCHEMA_VERSION
        assert snapshot(store.conn.raw) == fresh_schema
        hits = store.conn.execute(
            "SELECT rowid FROM entries_fts WHERE entries_fts MATCH ?", ("Waffenruhe",)
        ).fetchall()
        assert hits == [(1,)]
        with store.transaction() as conn:  # the identities go on after the stored rows
            assert store.ensure_source(conn, "u2", "feed", "s2")[0] == 2
    finally:
        store.close()


def test_a_newer_database_is_refused_and_left_alone(pg_url):
    with connect(pg_url) as conn:
        migrate(conn)
        conn.execute("UPDATE tickerwatch_schema SET version = %s", (SCHEMA_VERSION + 1,))
        before = snapshot(conn)
        with pytest.raises(RuntimeError, match="newer than this tickerwatch"):
            Store(pg_url)
        assert _version(conn) == SCHEMA_VERSION + 1
        assert snapshot(conn) == before


@pytest.mark.parametrize("start", [0, 2])
def test_migrators_starting_together_end_with_one_schema(pg_url, fresh_schema, start):
    """Workers started at once on a new (or old) database: one migrates, the others wait for
    the lock and find the work done; no error, one version row, the rows kept."""
    with connect(pg_url) as conn:
        rows = write_rows(conn, start) if migrate(conn, target=start) else None
    barrier, results, errors = threading.Barrier(3), [], []

    def migrator() -> None:
        try:
            with connect(pg_url) as conn:
                barrier.wait()
                results.append(migrate(conn))
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=migrator) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == [] and results == [SCHEMA_VERSION] * 3
    with connect(pg_url) as conn:
        assert conn.execute("SELECT count(*) FROM tickerwatch_schema").fetchone()[0] == 1
        assert snapshot(conn) == fresh_schema
        assert rows is None or read_rows(conn) == rows
