"""Thousands of sources due at once (issue 12, item 12): false timeouts, SIGTERM time, warnings.

``python -m bench.many_sources [--sources 10000] [--delay 0.2] [--deadline 600]`` starts a
loopback server in its own process (every path answers a small tagesschau-style liveblog after
``--delay`` seconds), writes a sources file with that many sources (every 60 s, timeout 30 s),
runs the real ``tickerwatch run`` over it until every source has been polled once (the first
round: every source due at start) or ``--sigterm-after`` seconds, then sends SIGTERM and
measures how long the daemon takes to exit. It prints one JSON object: the first round's duration and its polls by status, the
polls that failed with a timeout (none may: the server answers every request), the SIGTERM
→ exit seconds (the promise is about 7.5 s) and the WARNING lines of the whole run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import ROOT

PAGE = (
    '<!DOCTYPE html><html lang="de"><head><meta charset="utf-8"><title>Liveblog: ++ Test ++'
    '</title></head><body><article><p class="metatextline">Stand: 25.05.2024 20:00 Uhr</p>'
    + "".join(
        f'<div class="liveblog--anchor columns twelve" id="e{i}">'
        f'<div class="liveblog__datetime">25.05.2024 • 1{i}:00 Uhr</div>'
        f'<h2 class="meldung__subhead">Meldung {i}</h2></div>'
        f'<p class="textabsatz columns twelve">Text der Meldung {i}.</p>'
        for i in range(9, 0, -1)
    )
    + "</article></body></html>"
).encode()


async def serve(delay: float) -> None:
    """Answer every GET with PAGE after ``delay`` s; exits when stdin closes."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                await reader.readuntil(b"\r\n\r\n")
                if delay:
                    await asyncio.sleep(delay)
                head = (
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                    f"Content-Length: {len(PAGE)}\r\n\r\n"
                )
                writer.write(head.encode() + PAGE)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=4096)
    print(f"READY {server.sockets[0].getsockname()[1]}", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


def first_round(db: Path, sources: int, deadline: float) -> tuple[float, dict[str, int]]:
    started = time.monotonic()
    while time.monotonic() - started < deadline:
        time.sleep(1.0)
        try:
            with sqlite3.connect(db) as conn:
                polled = conn.execute("SELECT count(DISTINCT source_id) FROM polls").fetchone()[0]
        except sqlite3.Error:
            continue
        if polled >= sources:
            break
    with sqlite3.connect(db) as conn:
        statuses = dict(conn.execute("SELECT status, count(*) FROM polls GROUP BY status"))
    return time.monotonic() - started, statuses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", type=int, default=10_000)
    parser.add_argument("--delay", type=float, default=0.2, help="server answer delay, s")
    parser.add_argument("--deadline", type=float, default=600.0, help="first round limit, s")
    parser.add_argument(
        "--sigterm-after", type=float, default=None, help="SIGTERM this long after start, s"
    )
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve(args.delay))
        return
    work = Path(tempfile.mkdtemp(prefix="tw-many-"))
    server = subprocess.Popen(
        [sys.executable, "-m", "bench.many_sources", "--serve", "--delay", str(args.delay)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    port = int(server.stdout.readline().split()[1])
    config, db, log = work / "sources.toml", work / "tw.db", work / "daemon.log"
    config.write_text(
        '[defaults]\nevery = "60s"\ntimeout = "30s"\n'
        + "".join(
            f'\n[[source]]\nname = "s{i}"\nurl = "http://127.0.0.1:{port}/lb/{i}"\n'
            'kind = "liveblog"\n'
            for i in range(args.sources)
        )
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    command = [sys.executable, "-m", "scheduler.cli.app", "--db", str(db), "run"]
    with open(log, "w", encoding="utf-8") as out:
        daemon = subprocess.Popen(
            [*command, "--config", str(config)], cwd=ROOT, env=env, stdout=out, stderr=out
        )
        try:
            took, statuses = first_round(db, args.sources, args.sigterm_after or args.deadline)
            started = time.monotonic()
            daemon.send_signal(signal.SIGTERM)
            code = daemon.wait(timeout=120)
            stop_s = time.monotonic() - started
        finally:
            if daemon.poll() is None:
                daemon.kill()
            server.stdin.close()
            server.wait(timeout=10)
    with sqlite3.connect(db) as conn:
        timeouts = conn.execute(
            "SELECT count(*) FROM polls WHERE status = 'error' AND (error LIKE '%imeout%' "
            "OR error LIKE '%did not finish%')"
        ).fetchone()[0]
    lines = log.read_text(encoding="utf-8").splitlines()
    result = {
        "sources": args.sources,
        "server_delay_s": args.delay,
        "first_round_s": round(took, 1),
        "polls_by_status": statuses,
        "timeouts": timeouts,
        "sigterm_to_exit_s": round(stop_s, 2),
        "exit_code": code,
        "warning_lines": sum(" WARNING " in line for line in lines),
        "log": str(log),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
