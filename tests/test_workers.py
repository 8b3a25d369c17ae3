"""Several ``tickerwatch worker`` processes on one PostgreSQL database (issue 15): real processes,
real Procrastinate, real Scrapy, a recording server on 127.0.0.1 (tests/workerkit.py).

Every source is polled once per tick, never by two workers at once; every change is stored once;
a worker SIGKILLed while a request of its is in flight has its bucket finished by another worker
within the tick, so no source misses more than one tick, with nothing lost, duplicated or
falsely removed, and no event twice.
"""

from __future__ import annotations

import json
import random
import statistics
import subprocess
import time
from collections import Counter
from datetime import UTC, datetime
from functools import partial

import psycopg
import pytest

from bench.common import stop
from tests.conftest import tickerwatch
from tests.workerkit import (
    TICK,
    RecordingServer,
    by_path,
    late_windows,
    missed_ticks,
    polled_after,
    start,
    victim,
    wait,
    window,
)

WORKERS = 3


@pytest.mark.parametrize(
    "sources, kills, seconds",
    [
        (30, 2, 0),
        # The full form: 300 sources, 10 SIGKILLs at random moments, 3 minutes.
        pytest.param(300, 10, 180, marks=pytest.mark.slow),
    ],
)
def test_three_workers_poll_once_per_tick_and_survive_sigkills(
    tmp_path, pg_url, sources, kills, seconds
):
    server = RecordingServer()
    config = tmp_path / "sources.toml"
    server.write_sources(config, sources)
    init = tickerwatch("--db", pg_url, "init")
    assert init.returncode == 0, init.stderr
    logs = []

    def launch() -> subprocess.Popen:
        logs.append(open(tmp_path / f"worker{len(logs)}.log", "w"))
        worker = start(pg_url, config, logs[-1], concurrency=16)
        server.pids.append(worker.pid)
        return worker

    workers = [launch() for _ in range(WORKERS)]
    everyone = list(workers)
    cut_off: list[dict] = []
    takeovers: list[float] = []
    kills_at: list[tuple[float, int]] = []
    begun = time.time()
    try:
        wait(lambda: len(server.requests) >= 2 * sources, 180, "two rounds of polls")
        polling_from = time.time()
        for _ in range(kills):
            # Kill a worker that has requests in flight; a fresh one takes its place.
            killed = None
            while killed is None:
                pids = [w.pid for w in workers]
                pid, _ = wait(partial(victim, server, pids), 60, "a request in flight")
                killed = server.kill(pid)
            killed_at, in_flight = killed
            kills_at.append((killed_at, pid))
            workers = [w for w in workers if w.pid != pid]
            # Its buckets are taken over: every source it had in flight is polled again.
            paths = {r["path"] for r in in_flight}
            wait(
                lambda: all(polled_after(server, p, killed_at) for p in paths),  # noqa: B023
                90,
                "the killed worker's sources polled again",
            )
            last = max(polled_after(server, p, killed_at)["start"] for p in paths)
            takeovers.append(last - killed_at)
            # The dead worker's requests in flight, or answered but perhaps not yet stored:
            # none of them may commit, and they may be polled again.
            cut_off += [
                r
                for r in list(server.requests)
                if r["pid"] == pid
                and r["start"] < killed_at
                and (r["end"] is None or r["end"] > killed_at - 5)
            ]
            new = launch()
            workers.append(new)
            everyone.append(new)
            time.sleep(random.uniform(1, TICK))
        wait(lambda: time.time() >= begun + seconds, seconds + 10, "the run's length")
        last_kill = time.time()
        wait(lambda: time.time() > last_kill + 2 * TICK, 60, "two more ticks")
    finally:
        stopped_at = time.time()
        stop(everyone, 30)  # SIGTERM all, then kill a straggler
        for log in logs:
            log.close()
        server.close(tmp_path / "requests.jsonl")
    assert all(w.returncode == 0 for w in workers), [w.returncode for w in workers]

    kept = [r for r in server.requests if not any(r is c for c in cut_off)]
    paths = by_path(kept)
    # Judged tick by tick between the second round and the last full tick before the stop;
    # the machine's late ticks are those a tenth of the sources missed.
    first, last = int(polling_from // TICK) + 1, int(stopped_at // TICK) - 1
    judged = [r for r in kept if first <= window(r) <= last]
    late = late_windows(by_path(judged), cut_off, first, last)
    missed = {path: missed_ticks(records, late) for path, records in by_path(judged).items()}
    (tmp_path / "kills.json").write_text(json.dumps(kills_at))
    print(
        f"{kills} SIGKILLs: every source in flight polled again by another worker after "
        f"{min(takeovers):.1f}/{statistics.median(takeovers):.1f}/{max(takeovers):.1f} s "
        f"(min/median/max); {len(cut_off)} requests cut off; {len(late)} of "
        f"{last - first + 1} ticks late for the machine; most ticks a source missed: "
        f"{max(missed.values())}"
    )
    # Within the tick: the dead worker's buckets are polled again before the next tick is due.
    assert max(takeovers) < TICK, takeovers
    # No source misses more than one tick, kills or not, the ticks the machine was late for
    # aside (on a machine too busy for the schedule most are, and the line above says so).
    assert max(missed.values()) <= 1, {p: m for p, m in missed.items() if m > 1}

    with psycopg.connect(pg_url) as conn:
        polls = conn.execute(
            "SELECT s.url, p.started_at, p.status FROM polls p JOIN sources s ON s.id = p.source_id"
        ).fetchall()
        entries = conn.execute(
            "SELECT s.url, count(*), count(*) FILTER (WHERE removed_at IS NOT NULL) "
            "FROM entries e JOIN sources s ON s.id = e.source_id GROUP BY s.url"
        ).fetchall()
        twice = conn.execute(
            "SELECT entry_id, event, revision, count(*) FROM events "
            "GROUP BY entry_id, event, revision HAVING count(*) > 1"
        ).fetchall()
        news = dict(
            conn.execute(
                "SELECT s.url, count(*) FROM events ev JOIN sources s ON s.id = ev.source_id "
                "WHERE ev.event = 'new' GROUP BY s.url"
            ).fetchall()
        )
    assert twice == [], "an event recorded twice"
    assert {status for _, _, status in polls} <= {"ok", "not_modified"}

    # No two requests of one source overlap, and at most one per tick (the requests the kill
    # cut off are the exception: they never committed, their worker is gone).
    for path, records in paths.items():
        for before, after in zip(records, records[1:], strict=False):
            assert before["end"] is not None and before["end"] <= after["start"], path
        per_tick = Counter(window(r) for r in records)
        assert max(per_tick.values()) == 1, (path, per_tick)
    # Every committed poll is one request; the requests that did not commit are those the kill
    # cut off and those SIGTERM abandoned at the end.
    committed = Counter(url.rsplit("/", 1)[1] for url, _, _ in polls)
    for path, records in by_path(server.requests).items():
        lost = sum(any(r is c for c in cut_off) or r["start"] > stopped_at - 3 for r in records)
        assert 0 <= len(records) - committed[path.lstrip("/")] <= lost, path
    per_tick = Counter(
        (url, int(datetime.fromisoformat(started).timestamp() // TICK)) for url, started, _ in polls
    )
    assert max(per_tick.values()) == 1, "two polls of one source committed in one tick"
    # Every change detected exactly once, nothing falsely removed.
    for url, count, removed in entries:
        path = "/" + url.rsplit("/", 1)[1]
        last_seen = max(r["entries"] for r in paths[path] if r["end"])
        assert count == last_seen and removed == 0, (path, count, last_seen)
        assert news[url] == count
    assert len(entries) == sources


def test_workers_wait_out_a_database_outage_and_commit_nothing_twice(tmp_path, pg_url):
    """The database refuses every connection for 20 s (its connections cut, new ones refused:
    an outage of this database only, the server's other databases untouched). The workers stay
    up, connect again, and go on polling; no poll is committed twice for a tick."""
    server = RecordingServer()
    config = tmp_path / "sources.toml"
    server.write_sources(config, 10)
    assert tickerwatch("--db", pg_url, "init").returncode == 0
    name = pg_url.rsplit("/", 1)[1]
    logs = [open(tmp_path / f"worker{n}.log", "w") for n in range(2)]
    workers = [start(pg_url, config, log) for log in logs]
    server.pids = [w.pid for w in workers]
    from tests.pg import SERVER

    admin = psycopg.connect(f"{SERVER}/postgres", autocommit=True)
    try:
        wait(lambda: len(server.requests) >= 10, 120, "a first round of polls")
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
        )
        outage_start = time.time()
        time.sleep(20)  # the outage itself: what the workers must wait out
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        back = time.time()
        assert all(w.poll() is None for w in workers), "a worker died in the outage"

        def polled_since_back():
            with psycopg.connect(pg_url) as conn:
                return (
                    conn.execute(
                        "SELECT count(DISTINCT source_id) FROM polls WHERE finished_at > %s",
                        (datetime.fromtimestamp(back, UTC).isoformat(timespec="seconds"),),
                    ).fetchone()[0]
                    == 10
                )

        wait(polled_since_back, 120, "every source polled and committed after the outage")
        recovered = time.time() - back
    finally:
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        admin.close()
        stop(workers, 30)  # SIGTERM all, then kill a straggler
        for log in logs:
            log.close()
        server.close()
    print(
        f"outage of {back - outage_start:.0f} s: every source committed again {recovered:.1f} s later"
    )
    assert all(w.returncode == 0 for w in workers)
    with psycopg.connect(pg_url) as conn:
        polls = conn.execute("SELECT source_id, started_at FROM polls").fetchall()
        twice = conn.execute(
            "SELECT entry_id, event, revision FROM events GROUP BY entry_id, event, revision "
            "HAVING count(*) > 1"
        ).fetchall()
    per_tick = Counter(
        (source, int(datetime.fromisoformat(started).timestamp() // TICK))
        for source, started in polls
    )
    assert max(per_tick.values()) == 1, "a poll committed twice for one tick"
    assert twice == []
