"""What the tests of several ``tickerwatch worker`` processes share: a loopback server that
records every request (and which worker process sent it), starting a worker, and reading the
record tick by tick.

Ticks are read from the server's side: a request belongs to the tick (window of ``TICK``
seconds) in which it started. A window in which more than a tenth of the sources went unpolled
is one the machine was late for (two busy cores, a tick's work spilling into the next, a
killed worker's share of the work until its replacement is up); a source's missed tick counts
only in a window that was on time, so a kill is judged by what it did to its own buckets, not
by the load around it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.conftest import REPO
from tests.pages import jsonld_liveblog

TICK = 10
NEW_ENTRY_EVERY = 15.0  # seconds: each page gains an entry this often
DELAY = 1.0  # each answer waits this long, so polls are caught in flight
ON_TIME = 0.9  # a window in which fewer sources than this share were polled was late


class RecordingServer:
    """Serves /s<i>.html, whose entries grow with time; records every request's start and end
    (and the client port, to find the process that sent it)."""

    def __init__(self) -> None:
        self.t0 = time.time()
        self.lock = threading.Lock()
        self.requests: list[dict] = []
        self.pids: list[int] = []  # the workers, to tell whose request each one is
        self.tracing = 0  # requests whose sender is being looked up
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                record = {"path": self.path, "start": time.time(), "end": None}
                record["port"] = self.client_address[1]
                # Traced once per connection (a worker keeps its connections open): reading
                # /proc for every request would make this server the machine's load.
                if getattr(self, "pid", None) is None:
                    with owner.lock:
                        owner.tracing += 1
                    try:
                        self.pid = pid_of_port(record["port"], owner.pids)
                    finally:
                        with owner.lock:
                            owner.tracing -= 1
                record["pid"] = self.pid
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

    def write_sources(self, path: Path, count: int) -> None:
        """A sources file of ``count`` liveblogs on this server, each polled every tick."""
        path.write_text(
            "".join(
                f'\n[[source]]\nname = "s{i}"\nurl = "{self.url(i)}"\nkind = "liveblog"\n'
                f'every = "{TICK}s"\n'
                for i in range(count)
            )
        )

    def kill(self, pid: int) -> tuple[float, list[dict]] | None:
        """SIGKILL a worker with requests in flight: (when, those requests), their answers not
        yet sent, so none of their polls can have committed. The worker is stopped first, so
        every request it sent can still be traced to it; one whose requests were all answered
        meanwhile is let go on (None)."""
        os.kill(pid, signal.SIGSTOP)
        wait(lambda: not self.tracing, 30, "the stopped worker's requests traced")
        with self.lock:
            cut = [r for r in self.requests if r["pid"] == pid and r["end"] is None]
        if not cut:
            os.kill(pid, signal.SIGCONT)
            return None
        os.kill(pid, signal.SIGKILL)
        return time.time(), cut

    def in_flight(self) -> list[dict]:
        with self.lock:
            return [r for r in self.requests if r["end"] is None]

    def close(self, record: Path | None = None) -> None:
        """Stop serving; write every request to ``record`` (JSON lines), to read after a
        failure beside the workers' logs."""
        self.httpd.shutdown()
        self.httpd.server_close()
        if record is not None:
            with self.lock:
                record.write_text("".join(json.dumps(r) + "\n" for r in self.requests))


def pid_of_port(port: int, pids: list[int]) -> int | None:
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


def start(pg_url: str, config, log, concurrency: int = 8, tick: int = TICK) -> subprocess.Popen:
    command = [sys.executable, "-m", "scheduler.cli.app", "--db", pg_url, "worker"]
    command += ["--config", str(config), "--tick", str(tick), "--concurrency", str(concurrency)]
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)


def wait(condition, deadline: float, what: str):
    end = time.time() + deadline
    while time.time() < end:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def victim(server: RecordingServer, pids: list[int]) -> tuple[int, dict] | None:
    """A worker with a request in flight, and that request."""
    for record in server.in_flight():
        pid = pid_of_port(record["port"], pids)
        if pid is not None:
            return pid, record
    return None


def polled_after(server: RecordingServer, path: str, since: float) -> dict | None:
    """The first request for ``path`` that started after ``since``."""
    return next(
        (r for r in list(server.requests) if r["path"] == path and r["start"] > since), None
    )


def window(record: dict) -> int:
    return int(record["start"] // TICK)


def by_path(records: list[dict]) -> dict[str, list[dict]]:
    paths: dict[str, list[dict]] = defaultdict(list)
    for record in sorted(records, key=lambda r: r["start"]):
        paths[record["path"]].append(record)
    return paths


def late_windows(
    paths: dict[str, list[dict]], cut_off: list[dict], first: int, last: int
) -> set[int]:
    """The windows from ``first`` to ``last`` in which fewer than ``ON_TIME`` of the sources were
    polled (those a kill cut off in that window or the one before aside, which may miss it):
    the machine, not a failover, was behind."""
    polled: dict[int, set[str]] = defaultdict(set)
    for path, records in paths.items():
        for record in records:
            polled[window(record)].add(path)
    late = set()
    for w in range(first, last + 1):
        judges = set(paths) - {r["path"] for r in cut_off if w - 1 <= window(r) <= w}
        if len(polled[w] & judges) < ON_TIME * len(judges):
            late.add(w)
    return late


def missed_ticks(records: list[dict], late: set[int]) -> int:
    """The most on-time windows one source went without a poll between two of its polls."""
    windows = sorted({window(r) for r in records})
    gaps = [
        sum(w not in late for w in range(before + 1, after))
        for before, after in zip(windows, windows[1:], strict=False)
    ]
    return max(gaps, default=0)
