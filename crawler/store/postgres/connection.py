"""A psycopg connection that answers like the ``sqlite3`` one the store was written against.

Autocommit, as the SQLite store's ``isolation_level=None``: a statement outside
``Store.transaction`` commits on its own, ``BEGIN``/``COMMIT`` are explicit. Client-side
parameter binding (``ClientCursor``) keeps SQLite's loose typing: a parameter's type comes from
its value, not from a server-side guess that a ``?`` compared with a text column must be text.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import psycopg
from psycopg.pq import TransactionStatus

from crawler.store.postgres.dialect import answer_like_sqlite, translate

CONNECT_TIMEOUT = 10


class PgCursor:
    """The part of ``sqlite3.Cursor`` the store uses."""

    def __init__(self, cursor: psycopg.Cursor, lastrowid: int | None = None) -> None:
        self._cursor = cursor
        self.lastrowid = lastrowid

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def description(self) -> list[tuple[str, ...]] | None:
        columns = self._cursor.description
        return None if columns is None else [(c.name,) for c in columns]

    def fetchone(self) -> tuple | None:
        return self._cursor.fetchone() if self._cursor.description else None

    def fetchall(self) -> list[tuple]:
        return self._cursor.fetchall() if self._cursor.description else []

    def __iter__(self) -> Iterator[tuple]:
        return iter(self.fetchall())


class PgConnection:
    """The part of ``sqlite3.Connection`` the store uses, over one psycopg connection.

    A connection the server dropped (a restart, a failover, a cut network) is opened again
    before the next statement that starts something (a transaction or an autocommit
    statement); a statement inside a transaction fails instead, and the transaction with it:
    what it wrote was never committed, so nothing is written twice.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.raw = self._connect()
        self.closed = False  # by close(): never reopened, like a closed sqlite3 connection

    def _connect(self) -> psycopg.Connection:
        conn = psycopg.connect(
            self.url,
            autocommit=True,
            cursor_factory=psycopg.ClientCursor,
            connect_timeout=CONNECT_TIMEOUT,
        )
        answer_like_sqlite(conn)
        return conn

    def _cursor(self) -> psycopg.Cursor:
        if self.closed:
            raise psycopg.InterfaceError("the connection is closed (Store.close)")
        if self.raw.broken or self.raw.closed:
            self.raw = self._connect()
        return self.raw.cursor()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> PgCursor:
        statement = translate(sql)
        ends = statement.sql in ("COMMIT", "ROLLBACK")
        if ends and (self.raw.broken or self.raw.closed):
            # Never COMMIT on a new connection: that would "succeed" with nothing to commit.
            raise psycopg.OperationalError("connection lost: the transaction was rolled back")
        starts = not ends and not self.in_transaction  # safe to redo on a new connection
        cursor = self._cursor() if starts else self.raw.cursor()
        try:
            cursor.execute(statement.sql, tuple(params))
        except psycopg.OperationalError:
            if not (starts and self.raw.broken):
                raise
            self.raw = self._connect()  # the server went away between two transactions
            cursor = self.raw.cursor()
            cursor.execute(statement.sql, tuple(params))
        lastrowid = cursor.fetchone()[0] if statement.returns_id else None
        return PgCursor(cursor, lastrowid)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> PgCursor:
        statement = translate(sql)
        cursor = self.raw.cursor() if self.in_transaction else self._cursor()
        rows = [tuple(r) for r in rows]
        if rows:
            cursor.executemany(statement.sql, rows)
        return PgCursor(cursor)

    @property
    def in_transaction(self) -> bool:
        """A transaction is open (a broken connection has none left to roll back)."""
        if self.raw.broken or self.raw.closed:
            return False
        return self.raw.info.transaction_status != TransactionStatus.IDLE

    def close(self) -> None:
        self.closed = True
        self.raw.close()
