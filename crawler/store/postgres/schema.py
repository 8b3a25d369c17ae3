"""The schema contract (README.md) in PostgreSQL: SQLite's migrations, translated, in place.

There is one schema, written once: the versioned migrations of crawler/store/schema.py.
PostgreSQL runs each of them as :mod:`.ddl` translates it (identity keys, ``DOUBLE
PRECISION``, ``BYTEA``, the FTS5 table as a GIN expression index), so the tables and their
columns are exactly SQLite's. ``tickerwatch_schema`` holds the version (SQLite keeps it in
``PRAGMA user_version``); a database at an older version is migrated in place, as SQLite's is.

Text columns are ``COLLATE "C"``, SQLite's byte order (ddl.py). Databases built before the
translation said so have the database's default collation on them, linguistic on an en-US
server (``alpha, beta, Zeit``): the first migrate that finds ``tickerwatch_schema
.text_collation`` unset alters them to ``"C"`` in its transaction (:func:`binary_text`) and
sets it, so later opens read one row as before instead of the catalog (3 to 6 ms on a new
connection). No version is bumped for it: the version is SQLite's migrations'.
"""

from __future__ import annotations

from crawler.store.postgres.ddl import BINARY, postgres_migrations
from crawler.store.schema import SCHEMA_VERSION

# Storage parameters, set after every migration (a rebuilt table gets them back) and on a
# database made before they were. A poll that adds an entry at the top moves every entry of
# the page down one ``position``: at the default fillfactor (100) those updates leave their
# page and re-enter every index, the full-text one included. With half of each page free they
# stay on it (HOT): measured in bench/workers.py, WAL 123-159 KB -> 9-10 KB per poll,
# PostgreSQL CPU -30 %, for 2.7 KB of heap per entry instead of 1.3 (bench/README.md).
STORAGE = {"entries": "fillfactor = 50"}
# The tables in the order their rows can be copied (each one's references come first).
TABLES = ("sources", "pages", "entries", "polls", "revisions", "events", "deliveries")
_LOCK = 7461  # pg_advisory_xact_lock key: one migrator at a time
# Our tables' text columns whose collation is not "C".
_NOT_BINARY = """SELECT c.relname, a.attname FROM pg_attribute a
  JOIN pg_class c ON c.oid = a.attrelid
  WHERE c.relnamespace = current_schema()::regnamespace AND c.relname = ANY(%s)
    AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
    AND a.atttypid = 'text'::regtype AND a.attcollation <> 'pg_catalog."C"'::regcollation
  ORDER BY a.attrelid, a.attnum"""


def migrate(conn, target: int = SCHEMA_VERSION, steps: list[list[str]] | None = None) -> int:
    """Bring the database to ``target``: migrations N+1 … in one transaction, under a lock that
    workers starting together queue on (the second finds the work done), and its text columns
    to ``COLLATE "C"`` (module docstring). A database built by a newer Tickerwatch is refused.
    ``steps``: the translated migrations (tests pass others)."""
    conn.execute("BEGIN")
    try:
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK,))
        if conn.execute("SELECT to_regclass('tickerwatch_schema')").fetchone()[0] is None:
            conn.execute(
                "CREATE TABLE tickerwatch_schema (version INTEGER NOT NULL, text_collation TEXT)"
            )
            conn.execute("INSERT INTO tickerwatch_schema VALUES (0, NULL)")
        # (version,) in a database made before text_collation was.
        version, *collation = conn.execute("SELECT * FROM tickerwatch_schema").fetchone()
        if version > target:
            raise RuntimeError(
                f"PostgreSQL schema version {version} is newer than this tickerwatch "
                f"({target}): upgrade tickerwatch to use this database"
            )
        if version < target:
            for step in (postgres_migrations() if steps is None else steps)[version:target]:
                for statement in step:
                    conn.execute(statement)
            conn.execute("UPDATE tickerwatch_schema SET version = %s", (target,))
        if version < target or collation != ["C"]:  # after a migration: an override's text too
            binary_text(conn)
            for table, parameters in STORAGE.items():
                if conn.execute("SELECT to_regclass(%s)", (table,)).fetchone()[0]:
                    conn.execute(f"ALTER TABLE {table} SET ({parameters})")
            if not collation:
                conn.execute("ALTER TABLE tickerwatch_schema ADD COLUMN text_collation TEXT")
            conn.execute("UPDATE tickerwatch_schema SET text_collation = 'C'")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return target


def binary_text(conn) -> list[str]:
    """Alter our tables' text columns that are not ``COLLATE "C"`` to it; returns them as
    ``table.column``. The rows stay (no rewrite: the type is the same), PostgreSQL rebuilds the
    indexes on them; unique keys hold still, since every collation a database can default to
    is deterministic (equal only when the bytes are). Inside :func:`migrate`'s transaction."""
    found: dict[str, list[str]] = {}
    for table, column in conn.execute(_NOT_BINARY, (list(TABLES),)).fetchall():
        found.setdefault(table, []).append(column)
    for table in sorted(found, key=TABLES.index):  # one order for every migrator
        alter = ", ".join(f"ALTER COLUMN {c} TYPE TEXT {BINARY}" for c in found[table])
        conn.execute(f"ALTER TABLE {table} {alter}")
    return [f"{table}.{column}" for table, columns in found.items() for column in columns]
