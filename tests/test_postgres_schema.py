"""PostgreSQL's schema, translated from SQLite's migrations, on a real PostgreSQL server."""

from __future__ import annotations

import pytest

from crawler.store.postgres.ddl import postgres_migrations


def _snapshot(conn) -> dict[str, list[tuple]]:
    """What makes two schemas the same: columns and types, constraints, indexes."""
    columns = """SELECT table_name, ordinal_position, column_name, data_type, is_nullable,
      column_default, is_identity, identity_generation FROM information_schema.columns
      WHERE table_schema = current_schema() ORDER BY 1, 2"""
    constraints = """SELECT conrelid::regclass::text, conname, contype, pg_get_constraintdef(oid)
      FROM pg_constraint WHERE connamespace = current_schema()::regnamespace ORDER BY 1, 2"""
    indexes = """SELECT tablename, indexname, indexdef FROM pg_indexes
      WHERE schemaname = current_schema() ORDER BY 1, 2"""
    return {
        name: conn.execute(sql).fetchall()
        for name, sql in (("columns", columns), ("constraints", constraints), ("indexes", indexes))
    }


def _connect(url):
    import psycopg

    return psycopg.connect(url, autocommit=True)


@pytest.fixture
def second_pg_url():
    from tests.pg import fresh_database

    yield from fresh_database()


def test_translated_migrations_build_the_old_hand_written_schema(pg_url, second_pg_url):
    """Databases built by the hand-written DDL (schema v9) are what the translation builds."""
    from crawler.store.postgres.schema import DDL

    with _connect(pg_url) as old, _connect(second_pg_url) as new:
        for statement in filter(str.strip, DDL.split(";")):
            old.execute(statement)
        new.execute("CREATE TABLE IF NOT EXISTS tickerwatch_schema (version INTEGER NOT NULL)")
        for step in postgres_migrations():
            for statement in step:
                new.execute(statement)
        expected, built = _snapshot(old), _snapshot(new)
    assert built["columns"] == expected["columns"]
    assert built["constraints"] == expected["constraints"]
    assert built["indexes"] == expected["indexes"]
    assert len(built["columns"]) > 60 and len(built["indexes"]) > 10
