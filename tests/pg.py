"""A fresh PostgreSQL database per test, on the server the machine provides (127.0.0.1:5432).

Tests that need PostgreSQL take the ``pg_url`` fixture (conftest.py): it creates
``tickerwatch_test_<random>``, yields its URL and drops it afterwards. Without a reachable
server the test skips, unless ``TICKERWATCH_REQUIRE_PG`` is set (``.ci/run`` sets it): then
it fails, so CI cannot pass with the PostgreSQL tests silently skipped.
``linguistic_database`` makes one with an en-US collation (the machine's is C.UTF-8). Below,
what the schema tests (test_postgres_schema.py, test_postgres_ddl.py) read of a database.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    import sqlite_utils

SERVER = os.environ.get("TICKERWATCH_TEST_PG", "postgresql://postgres@127.0.0.1:5432")


def _admin():
    import psycopg

    return psycopg.connect(f"{SERVER}/postgres", autocommit=True, connect_timeout=5)


def unavailable() -> str | None:
    """Why PostgreSQL tests cannot run here, or None."""
    try:
        import procrastinate  # noqa: F401
        import psycopg  # noqa: F401
    except ImportError as error:
        return f"the postgres extra is not installed ({error})"
    try:
        _admin().close()
    except Exception as error:  # noqa: BLE001 - any reason is a reason to skip
        return f"no PostgreSQL server at {SERVER}: {error}"
    return None


def skip_or_fail(reason: str) -> None:
    if os.environ.get("TICKERWATCH_REQUIRE_PG"):
        pytest.fail(f"PostgreSQL required (TICKERWATCH_REQUIRE_PG): {reason}")
    pytest.skip(reason)


def fresh_database(options: str = "") -> Iterator[str]:
    """``options``: what follows ``CREATE DATABASE name`` (a template, a locale)."""
    reason = unavailable()
    if reason:
        skip_or_fail(reason)
    name = f"tickerwatch_test_{uuid.uuid4().hex[:12]}"
    with _admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}" {options}')
    try:
        yield f"{SERVER}/{name}"
    finally:
        with _admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def linguistic_database() -> Iterator[str]:
    """A fresh database whose default collation is en-US (``alpha, beta, Zeit``), the common
    one on servers that are not the test machine's C.UTF-8: ICU's (PostgreSQL 15+), else
    glibc's. Skips where the server has neither."""
    reason = unavailable()
    if reason:
        skip_or_fail(reason)
    with _admin() as admin:
        version = admin.info.server_version
        names = {
            row[0]
            for row in admin.execute(
                "SELECT collname FROM pg_collation WHERE collname IN ('en-US-x-icu', 'en_US.utf8')"
            )
        }
    if "en-US-x-icu" in names and version >= 150000:
        yield from fresh_database(
            "TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C'"
        )
    elif "en_US.utf8" in names:
        yield from fresh_database("TEMPLATE template0 LOCALE 'en_US.utf8'")
    else:
        pytest.skip("the PostgreSQL server has no en-US collation (ICU or glibc)")


# SQLite's declared type -> PostgreSQL's data_type for it (BIGINT: keys, references, wide).
TYPES = {
    "INTEGER": ("integer", "bigint"),
    "TEXT": ("text",),
    "REAL": ("double precision",),
    "BLOB": ("bytea",),
}


def connect(url):
    import psycopg

    return psycopg.connect(url, autocommit=True)


def built_schema(databases: Iterator[str]) -> Iterator[dict[str, list[tuple]]]:
    """The snapshot of the schema this Tickerwatch builds from nothing in the database that
    ``databases`` (``fresh_database()``, ``linguistic_database()``) yields."""
    from crawler.store.postgres.schema import migrate

    for url in databases:
        with connect(url) as conn:
            migrate(conn)
            yield snapshot(conn)


def snapshot(conn) -> dict[str, list[tuple]]:
    """What makes two schemas the same: columns and types, constraints, indexes, storage
    parameters."""
    columns = """SELECT table_name, ordinal_position, column_name, data_type, collation_name,
      is_nullable, column_default, is_identity, identity_generation FROM information_schema.columns
      WHERE table_schema = current_schema() ORDER BY 1, 2"""
    constraints = """SELECT conrelid::regclass::text, conname, contype, pg_get_constraintdef(oid)
      FROM pg_constraint WHERE connamespace = current_schema()::regnamespace ORDER BY 1, 2"""
    indexes = """SELECT tablename, indexname, indexdef FROM pg_indexes
      WHERE schemaname = current_schema() ORDER BY 1, 2"""
    storage = """SELECT relname, reloptions FROM pg_class
      WHERE relnamespace = current_schema()::regnamespace AND relkind = 'r' AND reloptions IS NOT NULL
      ORDER BY 1"""
    parts = (("columns", columns), ("constraints", constraints), ("indexes", indexes))
    return {name: conn.execute(sql).fetchall() for name, sql in (*parts, ("storage", storage))}


def references(conn) -> set[str]:
    """Every foreign key as ``table.FOREIGN KEY (column) REFERENCES other(id)``."""
    sql = """SELECT conrelid::regclass::text || '.' || pg_get_constraintdef(oid)
      FROM pg_constraint WHERE contype = 'f'"""
    return {row[0] for row in conn.execute(sql)}


def assert_same_columns(sqlite: sqlite_utils.Database, conn, tables: list[str]) -> None:
    """Column by column as SQLite's PRAGMA table_info: name, order, type, NOT NULL, default,
    key; text compared as SQLite's ``BINARY`` does (``COLLATE "C"``)."""
    for table in tables:
        columns = conn.execute(
            """SELECT column_name, data_type, is_nullable = 'NO', column_default,
              is_identity = 'YES', collation_name FROM information_schema.columns
              WHERE table_schema = current_schema() AND table_name = %s
              ORDER BY ordinal_position""",
            (table,),
        ).fetchall()
        info = sqlite.execute(f"PRAGMA table_info({table})").fetchall()
        assert [c[0] for c in columns] == [row[1] for row in info], table
        rowid = [row[1] for row in info if row[5]] if sum(row[5] > 0 for row in info) == 1 else []
        for (name, kind, notnull, default, identity, collation), row in zip(
            columns, info, strict=True
        ):
            _, _, declared, sqlite_notnull, sqlite_default, pk = row
            assert kind in TYPES[declared], (table, name, kind)
            assert collation == ("C" if declared == "TEXT" else None), (table, name, collation)
            assert identity == (declared == "INTEGER" and name in rowid), (table, name)
            assert notnull == bool(sqlite_notnull or pk), (table, name)
            assert default == (None if identity else sqlite_default), (table, name)


def write_rows(conn, version: int) -> dict[str, list[tuple]]:
    """Rows in the tables of schema ``version`` (ids by the identities); what they read as."""
    conn.execute("INSERT INTO sources (name, url, kind, created_at) VALUES ('s', 'u', 'feed', 't')")
    conn.execute(
        "INSERT INTO entries (source_id, key, title, body, first_seen_at, last_seen_at) "
        "VALUES (1, 'k1', 'Waffenruhe', 'verkündet', 't', 't'), (1, 'k2', 'Anpfiff', '', 't', 't')"
    )
    conn.execute("INSERT INTO polls (source_id, finished_at, status) VALUES (1, 't', 'ok')")
    conn.execute(
        "INSERT INTO revisions (entry_id, revision, title, seen_at, poll_id) "
        "VALUES (1, 1, 'Waffenruhe', 't', 1)"
    )
    conn.execute(
        "INSERT INTO events (poll_id, source_id, entry_id, event, revision, created_at) "
        "VALUES (1, 1, 1, 'new', 1, 't')"
    )
    if version >= 4:
        conn.execute("INSERT INTO deliveries VALUES (1, 'x', 'sent', 't')")
    return read_rows(conn)


def read_rows(conn) -> dict[str, list[tuple]]:
    queries = {
        "sources": "SELECT id, name, url, kind, created_at FROM sources ORDER BY id",
        "entries": "SELECT id, source_id, key, title, body FROM entries ORDER BY id",
        "polls": "SELECT id, source_id, finished_at, status FROM polls ORDER BY id",
        "revisions": "SELECT id, entry_id, revision, title, poll_id FROM revisions ORDER BY id",
        "events": "SELECT id, poll_id, entry_id, event FROM events ORDER BY id",
    }
    return {table: conn.execute(sql).fetchall() for table, sql in queries.items()}
