"""Several ``tickerwatch worker`` processes on one PostgreSQL database (issue 15): real processes,
real Procrastinate, real Scrapy, a recording server on 127.0.0.1.

Every source is polled once per tick, never by two workers at once; every change is stored once;
a worker SIGKILLed while a request of its is in flight has its bucket finished by another worker
with nothing lost, duplicated or falsely removed, and no event twice.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import psycopg
import pytest

from bench.common import stop
from tests.conftest import REPO, tickerwatch
from tests.pages import jsonld_liveblog

TICK = 10
SOURCES = 30
WORKERS = 3
NEW_ENTRY_EVERY = 15.0  # seconds: each page gains an entry this often
DELAY = 1.0  # each answer waits this long, so polls are caught in flight


class RecordingServer:
    """Serves /s<i>.html, whose entries grow with time; records every request's start and end
    (and the client port, to find the process that sent it)."""

    def __init__(self) -> None:
        self.t0 = time.time()
        self.lock = threading.Lock()
        self.requests: list[dict] = []
        self.pids: list[int] = []  # the workers, to tell whose request each one is
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                record = {"path": self.path, "start": time.time(), "end": None}
                record["port"] = self.client_address[1]
                record["pid"] = _pid_of_port(record["port"], owner.pids)
                count = 1 + int((record["start"] - owner.t0) // NEW_ENTRY_EVERY)
                record["entries"] = count
                with owner.lock:
                    owner.requests.append(record)
                entries = [
                    {"id": n, "headline": f"{self.path} entry {n}", "body": f"text {n}"}
                    for n in range(count, 0, -1)
                ]
                body = jsonld_liveblog(entries).encode()
                time.sleep(DELAY)
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html; charset=utf-8")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass
                record["end"] = time.time()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self, i: int) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/s{i}.html"

    def in_flight(self) -> list[dict]:
        with self.lock:
            return [r for r in self.requests if r["end"] is None]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _pid_of_port(port: int, pids: list[int]) -> int | None:
    """The worker whose socket has this local port (a request in flight is that worker's)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as lines:
            for line in list(lines)[1:]:
                fields = line.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == port:
                    inodes.add(fields[9])
    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:[") and target[8:-1] in inodes:
                return pid
    return None


def _start(pg_url: str, config, log, tick: int = TICK) -> subprocess.Popen:
    command = [sys.executable, "-m", "scheduler.cli.app", "--db", pg_url, "worker"]
    command += ["--config", str(config), "--tick", str(tick), "--concurrency", "8"]
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)


def _wait(condition, deadline: float, what: str):
    end = time.time() + deadline
    while time.time() < end:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _victim(server: RecordingServer, pids: list[int]) -> tuple[int, dict] | None:
    """A worker with a request in flight, and that request."""
    for record in server.in_flight():
        pid = _pid_of_port(record["port"], pids)
        if pid is not None:
            return pid, record
    return None


def _polled_after(server: RecordingServer, path: str, since: float) -> dict | None:
    return next(
        (r for r in list(server.requests) if r["path"] == path and r["start"] > since and r["end"]),
        None,
    )


@pytest.mark.parametrize(
    "sources, kills, seconds",
    [
        (SOURCES, 1, 0),
        # The full form: 300 sources, 10 SIGKILLs at random moments, 3 minutes.
        pytest.param(300, 10, 180, marks=pytest.mark.slow),
    ],
)
def test_three_workers_poll_once_per_tick_and_survive_sigkills(
    tmp_path, pg_url, sources, kills, seconds
):
    import random

    server = RecordingServer()
    config = tmp_path / "sources.toml"
    config.write_text(
        "".join(
            f'\n[[source]]\nname = "s{i}"\nurl = "{server.url(i)}"\nkind = "liveblog"\n'
            'every = "10s"\n'
            for i in range(sources)
        )
    )
    init = tickerwatch("--db", pg_url, "init")
    assert init.returncode == 0, init.stderr
    logs = []

    def start() -> subprocess.Popen:
        logs.append(open(tmp_path / f"worker{len(logs)}.log", "w"))
        worker = _start(pg_url, config, logs[-1])
        server.pids.append(worker.pid)
        return worker

    workers = [start() for _ in range(WORKERS)]
    everyone = list(workers)
    cut_off: list[dict] = []
    takeovers: list[float] = []
    begun = time.time()
    try:
        _wait(lambda: len(server.requests) >= 2 * sources, 180, "two rounds of polls")
        for _ in range(kills):
            # Kill the worker that has a request in flight; a fresh one takes its place.
            pids = [w.pid for w in workers]
            pid, in_flight = _wait(
                partial(_victim, server, pids), 60, "a request in flight from a worker"
            )
            os.kill(pid, signal.SIGKILL)
            killed_at = time.time()
            workers = [w for w in workers if w.pid != pid]
            path = in_flight["path"]
            # Its bucket is taken over: the source in flight is polled again, by another worker.
            taken_over = _wait(
                partial(_polled_after, server, path, killed_at),
                90,
                "another worker to poll the killed worker's source",
            )
            takeovers.append(taken_over["start"] - killed_at)
            # The dead worker's requests in flight, or answered but perhaps not yet stored:
            # none of them may commit, and they may be polled again.
            cut_off += [
                r
                for r in list(server.requests)
                if r["pid"] == pid
                and r["start"] < killed_at
                and (r["end"] is None or r["end"] > killed_at - 5)
            ]
            new = start()
            workers.append(new)
            everyone.append(new)
            time.sleep(random.uniform(1, TICK))
        _wait(lambda: time.time() >= begun + seconds, seconds + 10, "the run's length")
        last_kill = time.time()
        _wait(lambda: time.time() > last_kill + 2 * TICK, 60, "two more ticks")
    finally:
        stopped_at = time.time()
        stop(everyone, 30)  # SIGTERM all, then kill a straggler
        for log in logs:
            log.close()
        server.close()
    print(
        f"{kills} SIGKILLs, {len(cut_off)} requests cut off (in flight or answered in the 5 s "
        f"before); the source in flight polled again by another worker after "
        f"{min(takeovers):.1f}–{max(takeovers):.1f} s"
    )
    assert all(w.returncode == 0 for w in workers), [w.returncode for w in workers]

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

    by_path = defaultdict(list)
    for record in server.requests:
        by_path[record["path"]].append(record)
    # No two polls of one source overlap, and at most one per tick (the poll the kill cut off
    # is the one exception: it never committed).
    for path, records in by_path.items():
        records.sort(key=lambda r: r["start"])
        for before, after in zip(records, records[1:], strict=False):
            if any(before is r for r in cut_off):
                continue
            assert before["end"] is not None and before["end"] <= after["start"], path
        kept = [r for r in records if not any(r is c for c in cut_off)]
        per_tick = Counter(int(r["start"] // TICK) for r in kept)
        assert max(per_tick.values()) == 1, (path, per_tick)
    # Every committed poll is one request; the requests that did not commit are those the kill
    # cut off and those SIGTERM abandoned at the end.
    committed = Counter(url.rsplit("/", 1)[1] for url, _, _ in polls)
    for path, records in by_path.items():
        lost = sum(any(r is c for c in cut_off) or r["start"] > stopped_at - 3 for r in records)
        assert 0 <= len(records) - committed[path.lstrip("/")] <= lost, path
    per_tick = Counter(
        (url, int(datetime.fromisoformat(started).timestamp() // TICK)) for url, started, _ in polls
    )
    assert max(per_tick.values()) == 1, "two polls of one source committed in one tick"
    # Every change detected exactly once, nothing falsely removed.
    for url, count, removed in entries:
        path = "/" + url.rsplit("/", 1)[1]
        last = max(
            r["entries"] for r in by_path[path] if not any(r is c for c in cut_off) and r["end"]
        )
        assert count == last and removed == 0, (path, count, last)
        assert news[url] == count
    assert len(entries) == sources


def test_workers_wait_out_a_database_outage_and_commit_nothing_twice(tmp_path, pg_url):
    """The database refuses every connection for 20 s (its connections cut, new ones refused:
    an outage of this database only, the server's other databases untouched). The workers stay
    up, connect again, and go on polling; no poll is committed twice for a tick."""
    server = RecordingServer()
    config = tmp_path / "sources.toml"
    config.write_text(
        "".join(
            f'\n[[source]]\nname = "s{i}"\nurl = "{server.url(i)}"\nkind = "liveblog"\n'
            'every = "10s"\n'
            for i in range(10)
        )
    )
    assert tickerwatch("--db", pg_url, "init").returncode == 0
    name = pg_url.rsplit("/", 1)[1]
    logs = [open(tmp_path / f"worker{n}.log", "w") for n in range(2)]
    workers = [_start(pg_url, config, log) for log in logs]
    server.pids = [w.pid for w in workers]
    from tests.pg import SERVER

    admin = psycopg.connect(f"{SERVER}/postgres", autocommit=True)
    try:
        _wait(lambda: len(server.requests) >= 10, 120, "a first round of polls")
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

        _wait(polled_since_back, 120, "every source polled and committed after the outage")
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
