"""A worker that is alive but silent is not a dead one (issue 15): real workers on PostgreSQL,
a recording server on 127.0.0.1 (tests/workerkit.py).

A worker is SIGSTOPped while a request of its is in flight, for longer than Procrastinate's
heartbeat timeout: the heartbeat rule finds it silent, yet no other worker polls its buckets
while it is stopped, because it still holds their locks (its session lives: its kernel
answers). After SIGCONT it finishes its own polls, which commit (as timeouts: they took
longer than 30 s), and the buckets go on being polled, once per tick, by whichever worker.
"""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from datetime import UTC, datetime
from functools import partial

import psycopg

from bench.common import stop
from scheduler.workers.takeover import stalled_after
from tests.conftest import tickerwatch
from tests.workerkit import TICK, RecordingServer, by_path, start, victim, wait, window

SOURCES = 10
WORKERS = 2


def _commits_since(pg_url: str, url: str, since: float) -> list[tuple[str, str, str]]:
    """The polls of ``url`` committed at ``since`` or later: (started, finished, status)."""
    moment = datetime.fromtimestamp(int(since), UTC).isoformat(timespec="seconds")
    with psycopg.connect(pg_url) as conn:
        return conn.execute(
            "SELECT p.started_at, p.finished_at, p.status FROM polls p "
            "JOIN sources s ON s.id = p.source_id WHERE s.url = %s AND p.finished_at >= %s "
            "ORDER BY p.id",
            (url, moment),
        ).fetchall()


def test_a_stopped_worker_keeps_its_bucket_and_no_poll_overlaps_its_own(tmp_path, pg_url):
    server = RecordingServer()
    config = tmp_path / "sources.toml"
    server.write_sources(config, SOURCES)
    assert tickerwatch("--db", pg_url, "init").returncode == 0
    logs = [open(tmp_path / f"worker{n}.log", "w") for n in range(WORKERS)]
    workers = [start(pg_url, config, log) for log in logs]
    server.pids = [w.pid for w in workers]
    stopped = None
    try:
        wait(lambda: len(server.requests) >= 2 * SOURCES, 180, "two rounds of polls")
        pid, in_flight = wait(partial(victim, server, server.pids), 60, "a request in flight")
        os.kill(pid, signal.SIGSTOP)
        stopped, stopped_at = pid, time.time()
        # Every request the stopped worker has in flight: the server has not answered them,
        # so none of their polls can have committed.
        held = {
            r["path"]: r
            for r in list(server.requests)
            if r["pid"] == pid and (r["end"] is None or r["end"] > stopped_at)
        }
        assert in_flight["path"] in held
        # Stopped past the heartbeat timeout, and a tick more: its jobs are retried meanwhile.
        time.sleep(stalled_after(TICK) + TICK)
        os.kill(pid, signal.SIGCONT)
        stopped, continued_at = None, time.time()
        # Its own polls finish and commit (nobody else committed those sources meanwhile).
        for path in held:
            wait(
                lambda path=path: _commits_since(pg_url, server.url(int(path[2:-5])), stopped_at),
                60,
                f"the stopped worker's poll of {path} committed",
            )
        # The sources go on being polled afterwards, by some worker, and so does the worker.
        for path in held:
            wait(
                partial(_polled_after_commit, server, pg_url, path, stopped_at),
                3 * TICK,
                f"{path} polled again after the stopped worker's poll",
            )
        wait(
            lambda: any(r["pid"] == pid and r["start"] > continued_at for r in server.requests),
            3 * TICK,
            "the worker that was stopped polling again",
        )
    finally:
        if stopped is not None:
            os.kill(stopped, signal.SIGCONT)
        stop(workers, 30)  # SIGTERM all, then kill a straggler
        for log in logs:
            log.close()
        server.close(tmp_path / "requests.jsonl")
    assert all(w.returncode == 0 for w in workers), [w.returncode for w in workers]
    paths = by_path(server.requests)
    for path, record in held.items():
        url = server.url(int(path[2:-5]))
        commit = _commits_since(pg_url, url, stopped_at)[0]
        # That first commit after the stop is the stopped worker's own poll of the request it
        # had in flight (it started before the stop): a timeout if the answer was read after
        # its timer had run out, as a poll stopped for 40 s may be.
        started = datetime.fromisoformat(commit[0]).timestamp()
        assert started <= stopped_at, (path, commit)
        finished = datetime.fromisoformat(commit[1]).timestamp()
        assert finished >= int(continued_at), (path, commit)
        assert commit[2] in ("ok", "not_modified", "error"), (path, commit)
        # Nobody else asked for the source from that request on until the stopped worker had
        # resumed and committed its poll.
        others = [r for r in paths[path] if r["start"] > record["start"]]
        assert all(r["start"] >= max(finished, continued_at) for r in others), (path, others[:3])
    # Never two requests of one source at once, nor two in one tick.
    for path, records in paths.items():
        for before, after in zip(records, records[1:], strict=False):
            assert before["end"] is not None and before["end"] <= after["start"], path
        assert max(Counter(window(r) for r in records).values()) == 1, path
    log_text = "".join((tmp_path / f"worker{n}.log").read_text() for n in range(WORKERS))
    silent = log_text.count("still holds its lock: left to it")
    retried = log_text.count("taken over")
    print(
        f"stopped {continued_at - stopped_at:.0f} s with {len(held)} requests in flight: "
        f"{silent} of its jobs found silent and left to it, {retried} retried; no other poll "
        f"of its sources until its own committed"
    )
    # The heartbeat timeout passed: its jobs were judged silent, and left to it.
    assert silent >= 1 and retried == 0, log_text
    with psycopg.connect(pg_url) as conn:
        twice = conn.execute(
            "SELECT entry_id, event, revision FROM events GROUP BY entry_id, event, revision "
            "HAVING count(*) > 1"
        ).fetchall()
    assert twice == [], "an event recorded twice"


def _polled_after_commit(server: RecordingServer, pg_url: str, path: str, since: float) -> bool:
    url = server.url(int(path[2:-5]))
    commit = _commits_since(pg_url, url, since)
    if not commit:
        return False
    finished = datetime.fromisoformat(commit[0][1]).timestamp()
    return any(r["path"] == path and r["start"] >= finished for r in list(server.requests))
