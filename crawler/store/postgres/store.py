"""The Store over PostgreSQL: the SQLite store's methods and SQL, on a PgConnection."""

from __future__ import annotations

from crawler.store.db import Store
from crawler.store.postgres.connection import PgConnection
from crawler.store.postgres.schema import migrate


class PgStore(Store):
    """One PostgreSQL connection; ``path`` keeps the URL (names the database in messages)."""

    def __init__(self, path: str, *, readonly: bool = False) -> None:
        self.path = str(path)  # type: ignore[assignment]
        self._conn = PgConnection(self.path)
        if not readonly:
            migrate(self._conn.raw)

    @property
    def conn(self) -> PgConnection:  # type: ignore[override]
        return self._conn

    def quote_fts(self, search: str) -> str:
        return search  # plainto_tsquery (dialect.py) requires every word, as FTS5's quoting does

    def close(self) -> None:
        self._conn.close()

    def _maybe_checkpoint(self) -> None:
        """PostgreSQL checkpoints by itself."""
