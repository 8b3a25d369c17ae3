"""Copying a whole database between backends: ``export-sqlite`` and ``import-sqlite``.

The schema contract makes this a plain copy: the same tables with the same columns, ids
included, so every reference still points where it did. Tables go in the order of their
references (crawler/store/postgres/schema.py TABLES); SQLite's FTS index follows through its
insert trigger, PostgreSQL's is an index.
"""

from __future__ import annotations

from crawler.store.db import Store
from crawler.store.postgres.schema import TABLES

BATCH = 2_000


def _columns(store: Store, table: str) -> list[str]:
    return [row[1] for row in store.conn.execute(f"PRAGMA table_info({table})")]


def copy_database(source: Store, target: Store) -> dict[str, int]:
    """Every row of every contract table from ``source`` into the empty ``target``, in one
    transaction; rows per table. Raises ValueError when ``target`` already holds sources."""
    if target.conn.execute("SELECT count(*) FROM sources").fetchone()[0]:
        raise ValueError("the target database already holds sources: import into an empty one")
    counts = {}
    # One snapshot of the source, however long the copy takes and whoever writes meanwhile.
    source.conn.execute(
        "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" if source.postgres else "BEGIN"
    )
    try:
        _copy(source, target, counts)
    finally:
        source.conn.execute("COMMIT")
    return counts


def _copy(source: Store, target: Store, counts: dict[str, int]) -> None:
    with target.transaction() as conn:
        for table in TABLES:
            columns = [c for c in _columns(source, table) if c in set(_columns(target, table))]
            names = ", ".join(columns)
            insert = f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})"
            order = "id" if "id" in columns else "1, 2"
            counts[table], offset = 0, 0
            while True:
                rows = source.conn.execute(
                    f"SELECT {names} FROM {table} ORDER BY {order} LIMIT ? OFFSET ?",
                    (BATCH, offset),
                ).fetchall()
                if not rows:
                    break
                conn.executemany(insert, rows)
                counts[table] += len(rows)
                offset += len(rows)
            if target.postgres and "id" in columns:  # identities go on after the copied ids
                conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"coalesce((SELECT max(id) FROM {table}), 0) + 1, false)"
                )
