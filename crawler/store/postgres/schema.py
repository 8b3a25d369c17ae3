"""The schema contract (README.md) in PostgreSQL: SQLite's migrations, translated, in place.

There is one schema, written once: the versioned migrations of crawler/store/schema.py.
PostgreSQL runs each of them as :mod:`.ddl` translates it (identity keys, ``DOUBLE
PRECISION``, ``BYTEA``, the FTS5 table as a GIN expression index), so the tables and their
columns are exactly SQLite's. ``tickerwatch_schema`` holds the version (SQLite keeps it in
``PRAGMA user_version``); a database at an older version is migrated in place, as SQLite's is.
"""

from __future__ import annotations

from crawler.store.postgres.ddl import postgres_migrations
from crawler.store.schema import SCHEMA_VERSION

# The tables in the order their rows can be copied (each one's references come first).
TABLES = ("sources", "pages", "entries", "polls", "revisions", "events", "deliveries")
_LOCK = 7461  # pg_advisory_xact_lock key: one migrator at a time


def migrate(conn, target: int = SCHEMA_VERSION, steps: list[list[str]] | None = None) -> int:
    """Bring the database to ``target``: migrations N+1 … in one transaction, under a lock that
    workers starting together queue on (the second finds the work done). A database built by
    a newer Tickerwatch is refused. ``steps``: the translated migrations (tests pass others)."""
    conn.execute("BEGIN")
    try:
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK,))
        if conn.execute("SELECT to_regclass('tickerwatch_schema')").fetchone()[0] is None:
            conn.execute("CREATE TABLE tickerwatch_schema (version INTEGER NOT NULL)")
            conn.execute("INSERT INTO tickerwatch_schema VALUES (0)")
        version = conn.execute("SELECT version FROM tickerwatch_schema").fetchone()[0]
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
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return target
