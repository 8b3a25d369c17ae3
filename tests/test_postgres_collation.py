"""Text on PostgreSQL orders and compares as on SQLite (byte order, ``COLLATE "C"``), also on a
server whose default collation is en-US, where ``ORDER BY name`` would give ``alpha, beta,
Zeit`` and SQLite gives ``Zeit, alpha, beta``; a database made before text columns said so is
converted when opened, its rows kept."""

from __future__ import annotations

import json

import pytest

from crawler.store.db import Store
from crawler.store.postgres.ddl import TranslationError, postgres_migrations
from crawler.store.postgres.schema import binary_text
from crawler.store.schema import MIGRATIONS, SCHEMA_VERSION
from tests.pg import built_schema, connect, linguistic_database, read_rows, snapshot, write_rows
from tests.test_postgres_cli import invoke

NAMES = ["Zeit", "alpha", "beta"]  # SQLite's order; en-US's is alpha, beta, Zeit


@pytest.fixture
def en_us_url():
    yield from linguistic_database()


@pytest.fixture(scope="module")
def fresh_schema():
    """The schema this Tickerwatch builds from nothing on an en-US server."""
    yield from built_schema(linguistic_database())


def _add_sources(location: str) -> None:
    store = Store(location)
    try:
        with store.transaction() as conn:
            for name in ("beta", "Zeit", "alpha"):  # ids in neither order
                store.ensure_source(conn, f"http://127.0.0.1/{name}", "feed", name)
    finally:
        store.close()


def _reads(location: str) -> dict[str, object]:
    """What the reading commands show of the sources' order, and a comparison."""
    status = invoke("--db", location, "status", "--json")
    sources = invoke("--db", location, "sources", "--json")
    unknown = invoke("--db", location, "entries", "--source", "nope")
    store = Store(location, readonly=True)
    try:
        below = store.conn.execute("SELECT name FROM sources WHERE name < 'a' ORDER BY name")
        below_a = [row[0] for row in below.fetchall()]
    finally:
        store.close()
    return {
        "status": [json.loads(line)["name"] for line in status.output.splitlines()],
        "sources": [json.loads(line)["name"] for line in sources.output.splitlines()],
        "unknown": unknown.output.splitlines()[-1],
        "below_a": below_a,
    }


def test_text_orders_and_compares_as_on_sqlite(en_us_url, tmp_path):
    sqlite = str(tmp_path / "t.db")
    for location in (sqlite, en_us_url):
        _add_sources(location)
    on_sqlite, on_postgres = _reads(sqlite), _reads(en_us_url)
    assert on_sqlite["status"] == on_sqlite["sources"] == NAMES
    assert "known: Zeit, alpha, beta" in on_sqlite["unknown"]
    assert on_postgres == on_sqlite


def _old_translation(conn) -> None:
    """A database at today's version as Tickerwatch built it before text was COLLATE "C":
    the same statements without it, and a version table without ``text_collation``."""
    conn.execute("CREATE TABLE tickerwatch_schema (version INTEGER NOT NULL)")
    conn.execute("INSERT INTO tickerwatch_schema VALUES (%s)", (SCHEMA_VERSION,))
    for step in postgres_migrations():
        for statement in step:
            conn.execute(statement.replace(' COLLATE "C"', ""))


def _default_collation(conn) -> int:
    return conn.execute(
        "SELECT count(*) FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND data_type = 'text' AND collation_name IS NULL AND table_name <> 'tickerwatch_schema'"
    ).fetchone()[0]


def test_a_database_of_the_old_translation_is_converted_when_opened(en_us_url, fresh_schema):
    with connect(en_us_url) as conn:
        _old_translation(conn)
        assert _default_collation(conn) > 30  # every text column of every table
        write_rows(conn, SCHEMA_VERSION)
        for name in NAMES:
            conn.execute(
                "INSERT INTO sources (name, url, kind, created_at) VALUES (%s, %s, 'feed', 't')",
                (name, f"http://127.0.0.1/{name}"),
            )
        rows = read_rows(conn)
        wrong = conn.execute("SELECT name FROM sources ORDER BY name").fetchall()
        assert [r[0] for r in wrong] == ["alpha", "beta", "s", "Zeit"]  # what users of it saw
    store = Store(en_us_url)  # what every command and worker does first
    try:
        conn = store.conn.raw
        assert _default_collation(conn) == 0
        assert snapshot(conn) == fresh_schema  # indexes and constraints rebuilt as they were
        assert read_rows(conn) == rows
        ordered = conn.execute("SELECT name FROM sources ORDER BY name").fetchall()
        assert [r[0] for r in ordered] == [*NAMES, "s"]
        hits = store.conn.execute(
            "SELECT rowid FROM entries_fts WHERE entries_fts MATCH ?", ("Waffenruhe",)
        ).fetchall()
        assert hits == [(1,)]
        version = conn.execute("SELECT version, text_collation FROM tickerwatch_schema")
        assert version.fetchall() == [(SCHEMA_VERSION, "C")]
    finally:
        store.close()
    assert _reads(en_us_url)["status"] == [*NAMES, "s"]
    with connect(en_us_url) as conn:  # recorded: later opens do not look at the catalog
        conn.execute("BEGIN")
        assert binary_text(conn) == []
        conn.execute("ROLLBACK")


def test_sqlite_collations_in_postgres_words():
    """A future migration's text column: ``COLLATE "C"`` added (ADD COLUMN, a new table),
    SQLite's ``BINARY`` is that, ``NOCASE`` has no form and asks for an override."""
    added = postgres_migrations(
        [*MIGRATIONS, "ALTER TABLE sources ADD COLUMN note TEXT NOT NULL DEFAULT 'x'"]
    )[-1]
    assert added == ["ALTER TABLE sources ADD COLUMN note TEXT COLLATE \"C\" NOT NULL DEFAULT 'x'"]
    (table,) = postgres_migrations([*MIGRATIONS, "CREATE TABLE t (a TEXT COLLATE BINARY)"])[-1]
    assert 'a TEXT COLLATE "C"' in table and "BINARY" not in table
    with pytest.raises(TranslationError, match="COLLATE NOCASE"):
        postgres_migrations([*MIGRATIONS, "ALTER TABLE sources ADD COLUMN b TEXT COLLATE NOCASE"])
