"""SQLite's SQL as PostgreSQL runs it: every difference between the two dialects, in one place.

The store (crawler/store/) writes SQLite's dialect. Rather than a second copy of every
statement, each one is rewritten once (cached) on its way to PostgreSQL:

- ``?`` placeholders become psycopg's ``%s`` (and a literal ``%`` becomes ``%%``);
- ``BEGIN IMMEDIATE`` becomes ``BEGIN`` (row locks and the compare-and-set on
  ``sources.last_tick`` do what SQLite's database-wide write lock did);
- ``INSERT OR REPLACE`` becomes ``INSERT … ON CONFLICT … DO UPDATE``;
- ``json_each(?)`` becomes ``json_array_elements_text(?::json)``;
- the FTS5 lookup ``SELECT rowid FROM entries_fts WHERE entries_fts MATCH ?`` becomes a
  text-search match on the expression index ``entries_fts`` (schema.py);
- ``PRAGMA table_info(t)`` becomes a query of ``information_schema.columns``;
- an ``INSERT`` into a table with an ``id`` gets ``RETURNING id`` (``cursor.lastrowid``);
- what SQLite's database-wide write lock serialised by itself, creating a source, takes an
  advisory lock (``SOURCES_LOCK``).

Values come back as ``sqlite3`` returns them (:func:`answer_like_sqlite`): SQLite has no
decimal and no boolean type, so PostgreSQL's ``numeric`` (``sum`` of a ``bigint`` column) is
an ``int`` or a ``float``, and a ``boolean`` (``a = b``, ``EXISTS``) is ``1`` or ``0``; else a
``Decimal`` reached ``--json`` as a string and a ``bool`` as ``true``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# Creating sources takes this lock (Store.ensure_source, store/ticks.py sync_sources) until
# commit. SQLite's write lock serialises two polls that meet a new URL; on PostgreSQL both would
# find no row and the later insert would fail on the unique url (or the name both chose).
SOURCES_LOCK = "SELECT pg_advisory_xact_lock(7462)"
# The document the full-text index covers; the index in schema.py is on this very expression.
FTS_DOCUMENT = "to_tsvector('simple', coalesce(title, '') || ' ' || coalesce(body, ''))"
_FTS = re.compile(r"SELECT rowid FROM entries_fts WHERE entries_fts MATCH \?", re.IGNORECASE)
_FTS_PG = f"SELECT id FROM entries WHERE {FTS_DOCUMENT} @@ plainto_tsquery('simple', ?)"
_TABLE_INFO = re.compile(r"^\s*PRAGMA table_info\((\w+)\)\s*$", re.IGNORECASE)
_INSERT = re.compile(r"^\s*INSERT\s+(OR\s+REPLACE\s+)?INTO\s+(\w+)\s*\(([^)]*)\)", re.IGNORECASE)
# Tables whose key is not ``id``: their conflict target for INSERT OR REPLACE.
_KEYS = {"deliveries": ("poll_id", "target")}
_WITHOUT_ID = set(_KEYS)


def answer_like_sqlite(conn) -> None:
    """Register on a psycopg connection the loaders that return SQLite's value types."""
    from psycopg.adapt import Loader

    class Numeric(Loader):
        def load(self, data) -> int | float:
            text = bytes(data)
            return int(text) if text.lstrip(b"-").isdigit() else float(text)

    class Boolean(Loader):
        def load(self, data) -> int:
            return int(bytes(data) == b"t")

    conn.adapters.register_loader("numeric", Numeric)
    conn.adapters.register_loader("bool", Boolean)


@dataclass(frozen=True)
class Statement:
    sql: str
    returns_id: bool  # the statement ends in RETURNING id: fetch it as lastrowid


@lru_cache(maxsize=1024)
def translate(sql: str) -> Statement:
    """The PostgreSQL form of one SQLite statement."""
    stripped = sql.strip()
    if stripped.upper() == "BEGIN IMMEDIATE":
        return Statement("BEGIN", False)
    table_info = _TABLE_INFO.match(sql)
    if table_info:
        sql = (
            "SELECT ordinal_position, column_name FROM information_schema.columns "
            f"WHERE table_schema = current_schema() AND table_name = '{table_info[1].lower()}' "
            "ORDER BY ordinal_position"
        )
        return Statement(sql, False)
    sql = _FTS.sub(_FTS_PG, sql)
    sql = re.sub(r"json_each\(\?\)", "json_array_elements_text(?::json)", sql)
    returns_id = False
    insert = _INSERT.match(sql)
    if insert:
        table = insert[2].lower()
        if insert[1]:  # OR REPLACE
            sql = sql[: insert.start(1)] + sql[insert.end(1) :]
            keys = _KEYS[table]
            columns = [c.strip() for c in insert[3].split(",")]
            updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in keys)
            sql = f"{sql.rstrip()} ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}"
        if table not in _WITHOUT_ID and "RETURNING" not in sql.upper():
            sql, returns_id = f"{sql.rstrip()} RETURNING id", True
    return Statement(_placeholders(sql), returns_id)


def _placeholders(sql: str) -> str:
    """``?`` → ``%s`` and ``%`` → ``%%``, outside quoted literals and identifiers."""
    out, quote = [], None
    for char in sql:
        if quote:
            out.append("%%" if char == "%" else char)
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
            out.append(char)
        elif char == "?":
            out.append("%s")
        elif char == "%":
            out.append("%%")
        else:
            out.append(char)
    return "".join(out)
