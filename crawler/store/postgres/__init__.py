"""The PostgreSQL backend: the same tables and the same SQL as SQLite, for many workers.

``--db postgresql://…`` selects it: ``Store`` (crawler/store/db.py) then opens a
:class:`~crawler.store.postgres.connection.PgConnection`. The store's SQL is SQLite's;
:mod:`.dialect` is the one place that turns it into PostgreSQL's. :mod:`.locks` holds the
workers' session advisory locks and reads which jobs hold none (scheduler/workers/locks.py, takeover.py).
"""

from __future__ import annotations


def shown(location: object) -> str:
    """A ``--db`` value fit for messages and logs: a URL's password replaced by ``***``."""
    text = str(location)
    if not is_postgres_url(text):
        return text
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(text)
    if parts.password is None:
        return text
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


def is_postgres_url(location: object) -> bool:
    """Whether a ``--db`` value names a PostgreSQL database rather than a SQLite file."""
    return str(location).startswith(("postgresql://", "postgres://"))
