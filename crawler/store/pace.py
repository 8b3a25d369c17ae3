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
    poll_reason: str | None
    ended_at: str | None
    ended_reason: str | None
    live_posting_at: str | None  # when a LiveBlogPosting was first seen on the page
    created_at: str  # when the source row was made: since then it has been watched
    last_poll: str | None  # when the poll before ``before`` finished (None without ``before``)
    # (published_at, first_seen_at, when the poll before the one that first saw it finished),
    # newest first: what the daemon's live rule judges an arrival time by.
    arrivals: tuple[tuple[str | None, str, str | None], ...]


# The poll before the one that first saw the entry (revision 1's): one step back on polls_source.
_ARRIVALS = """
SELECT e.published_at, e.first_seen_at,
  (SELECT p.finished_at FROM polls p WHERE p.source_id = e.source_id AND p.id < r.poll_id
   ORDER BY p.id DESC LIMIT 1)
FROM entries e LEFT JOIN revisions r ON r.entry_id = e.id AND r.revision = 1
WHERE e.source_id = ? {before} ORDER BY e.id DESC LIMIT ?
"""


def pace_state(store: Store, url: str, before: int | None = None) -> PaceState | None:
    """What pacing starts from: the last effective interval, the end, the newest entries' times.

    ``before``: a poll id; the state as it was before that poll (its own new entries left out),
    for a PostgreSQL worker that paces a poll it has just committed. None: as it is now (the
    daemon's restart).
    """
    row = store.conn.execute(
        "SELECT id, poll_every, poll_reason, ended_at, ended_reason, live_posting_at, created_at "
        "FROM sources WHERE url = ?",
        (url,),
    ).fetchone()
    if row is None:
        return None
    source_id = row[0]
    params: list = [source_id]
    last_poll = None
    if before is not None:
        params.append(before)
        last = store.conn.execute(
            "SELECT finished_at FROM polls WHERE source_id = ? AND id < ? ORDER BY id DESC LIMIT 1",
            (source_id, before),
        ).fetchone()
        last_poll = last[0] if last else None
    sql = _ARRIVALS.format(
        before="AND (r.poll_id IS NULL OR r.poll_id < ?)" if before is not None else ""
    )
    arrivals = store.conn.execute(sql, (*params, SEED_ENTRIES)).fetchall()
    return PaceState(*row[1:], last_poll, tuple(map(tuple, arrivals)))


def set_live_posting(store: Store, url: str, when: str) -> None:
    """A LiveBlogPosting is on the page (the first time): from now on, losing it ends the blog."""
    store.conn.execute(
        "UPDATE sources SET live_posting_at = ? WHERE url = ? AND live_posting_at IS NULL",
        (when, url),
    )


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
