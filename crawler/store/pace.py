"""The adaptive scheduler's bookkeeping on the sources table (scheduler/timing/pacing.py)."""

from __future__ import annotations

from dataclasses import dataclass

from crawler.store.db import Store

SEED_ENTRIES = (
    9  # the newest entries a restart reads back as arrivals (scheduler/timing/adaptive.py)
)


@dataclass(frozen=True)
class PaceState:
    poll_every: float | None
    ended_at: str | None
    ended_reason: str | None
    arrivals: tuple[tuple[str | None, str], ...]  # (published_at, first_seen_at), newest first


def pace_state(store: Store, url: str) -> PaceState | None:
    """What a restart needs: the last effective interval, the end, the newest entries' times."""
    row = store.conn.execute(
        "SELECT id, poll_every, ended_at, ended_reason FROM sources WHERE url = ?", (url,)
    ).fetchone()
    if row is None:
        return None
    arrivals = store.conn.execute(
        "SELECT published_at, first_seen_at FROM entries WHERE source_id = ? "
        "ORDER BY id DESC LIMIT ?",
        (row[0], SEED_ENTRIES),
    ).fetchall()
    return PaceState(row[1], row[2], row[3], tuple(map(tuple, arrivals)))


def set_pace(store: Store, url: str, every: float | None, reason: str) -> None:
    """The effective interval and why, for ``status`` (another process) and the next start."""
    store.conn.execute(
        "UPDATE sources SET poll_every = ?, poll_reason = ? WHERE url = ?", (every, reason, url)
    )


def set_ended(store: Store, url: str, when: str | None, reason: str | None) -> None:
    """Mark the source ended (or, with None, live again)."""
    store.conn.execute(
        "UPDATE sources SET ended_at = ?, ended_reason = ? WHERE url = ?", (when, reason, url)
    )
