"""Session advisory locks of the PostgreSQL workers (scheduler/workers/locks.py), and what
tells a dead worker's job from a live one: its lock, which only a live session holds.

A worker runs each job while holding a session-level advisory lock ``(space, key)`` on a
connection of its own. When the worker's process dies, its kernel closes the socket and
PostgreSQL ends the session at once, releasing the lock; a machine lost without a TCP reset
is found by the server's keepalive probes, set on that connection (``KEEPALIVE``), within
about half a minute. So "a running job whose lock no session holds" means "a job of a dead
worker", with no clock involved.

Async (psycopg ``AsyncConnection``): these run on the worker's asyncio loop beside Scrapy and
Procrastinate, and must not block it while the database is slow or away.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg.conninfo import conninfo_to_dict

CONNECT_TIMEOUT = 10
# The server probes an idle lock connection after 10 s, then every 5 s; 3 unanswered probes
# end the session (a machine lost without a TCP reset frees its locks ~25 s after it went
# silent). A stopped or busy process still answers: its kernel acknowledges the probes.
KEEPALIVE = "-c tcp_keepalives_idle=10 -c tcp_keepalives_interval=5 -c tcp_keepalives_count=3"


async def connect(url: str) -> psycopg.AsyncConnection:
    """A connection for locks only (autocommit: a session lock outlives every statement)."""
    options = " ".join(filter(None, [conninfo_to_dict(url).get("options"), KEEPALIVE]))
    return await psycopg.AsyncConnection.connect(
        url,
        autocommit=True,
        connect_timeout=CONNECT_TIMEOUT,
        options=options,
        application_name="tickerwatch worker locks",
    )


async def try_lock(conn: psycopg.AsyncConnection, space: int, key: int) -> bool:
    """Take the session lock ``(space, key)`` if no other session holds it. Re-entrant: the
    caller must not ask twice on one connection (scheduler/workers/locks.Locks keeps that account)."""
    cursor = await conn.execute("SELECT pg_try_advisory_lock(%s, %s)", (space, key))
    return bool((await cursor.fetchone())[0])


async def unlock(conn: psycopg.AsyncConnection, space: int, key: int) -> bool:
    cursor = await conn.execute("SELECT pg_advisory_unlock(%s, %s)", (space, key))
    return bool((await cursor.fetchone())[0])


async def held(conn: psycopg.AsyncConnection, spaces: tuple[int, ...]) -> set[tuple[int, int]]:
    """Every ``(space, key)`` lock of ``spaces`` that some session of this database holds."""
    cursor = await conn.execute(
        """
        SELECT classid::bigint, objid::bigint FROM pg_locks
        WHERE locktype = 'advisory' AND objsubid = 2 AND granted
          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND classid::bigint = ANY(%s)
        """,
        (list(spaces),),
    )
    # objid is unsigned: a negative int4 key shows as key + 2**32.
    return {(space, key - 2**32 if key >= 2**31 else key) for space, key in await cursor.fetchall()}


@dataclass(frozen=True)
class RunningJob:
    id: int
    task_name: str
    args: dict
    running_for: float  # seconds since it was last fetched (Procrastinate's 'started' event)
    worker_id: int | None
    queueing_lock: str | None


async def running_jobs(conn: psycopg.AsyncConnection, task_names: list[str]) -> list[RunningJob]:
    """Procrastinate's jobs in ``doing`` of these tasks, with how long each has run."""
    cursor = await conn.execute(
        """
        SELECT j.id, j.task_name, j.args,
          EXTRACT(EPOCH FROM now() - (
            SELECT max(e.at) FROM procrastinate_events e
            WHERE e.job_id = j.id AND e.type = 'started'))::float8,
          j.worker_id, j.queueing_lock
        FROM procrastinate_jobs j
        WHERE j.status = 'doing' AND j.task_name = ANY(%s)
        """,
        (task_names,),
    )
    return [
        RunningJob(job, task, args, float("inf") if age is None else age, worker, queueing)
        for job, task, args, age, worker, queueing in await cursor.fetchall()
    ]
