"""What PostgreSQL workers (scheduler/workers/) read and write on the sources table."""

from __future__ import annotations

from dataclasses import dataclass

from crawler.store.db import Store
from crawler.store.postgres.dialect import SOURCES_LOCK
from crawler.store.queries import _ERROR_STREAK


@dataclass(frozen=True)
class TickState:
    last_tick: int | None  # the tick of the last committed poll (the compare-and-set's column)
    error_streak: int  # errors since the last poll that was not one (backoff)
    last_http: int | None
    retry_after_until: str | None  # next_due_at: a 429/503's Retry-After, as the worker stored it
    # Adaptive pacing (scheduler/timing/pacing.py), as the last poll's worker stored it.
    poll_every: float | None = None
    poll_reason: str | None = None
    ended_at: str | None = None


def tick_states(store: Store, urls: list[str]) -> dict[str, TickState]:
    """Per URL of one bucket: when it was last committed and how it has been failing."""
    if not urls:
        return {}
    marks = ",".join("?" * len(urls))
    sql = f"""
    SELECT s.url, s.last_tick, ({_ERROR_STREAK}) AS error_streak,
      (SELECT http_status FROM polls p WHERE p.source_id = s.id ORDER BY id DESC LIMIT 1),
      s.next_due_at, s.poll_every, s.poll_reason, s.ended_at
    FROM sources s WHERE s.url IN ({marks})
    """
    return {row[0]: TickState(*row[1:]) for row in store.conn.execute(sql, urls)}


def sync_sources(store: Store, sources: list[tuple[str, str, str]]) -> int:
    """Make every configured (url, kind, name) a source row; the config file stays the source
    of truth, this lets ``status`` list them before their first poll. Returns rows created."""
    created = 0
    with store.transaction() as conn:
        if store.postgres:  # workers starting together: one syncs, the next finds the rows
            conn.execute(SOURCES_LOCK)
        for url, kind, name in sources:
            created += store.ensure_source(conn, url, kind, name)[1]
    return created
