"""Workers on PostgreSQL (issue 15): 1 vs 2 (vs 3) ``tickerwatch worker`` processes, same load.

``python -m bench.workers [--sources 200] [--tick 10] [--seconds 60] [--workers 1,2]
[--concurrency 16]``

Needs the ``postgres`` extra and a PostgreSQL server (``$TICKERWATCH_TEST_PG``, default
127.0.0.1:5432, user postgres). For each worker count: a fresh database, ``init``, the
benchmark's own server (bench/server.py: realistic liveblogs, 20 % gaining an entry and 5 %
having one edited per tick), every source ``every`` one tick. After a warm-up of two ticks, over
``--seconds``: polls committed (and polls due: sources × ticks), the workers' CPU (user + system
from /proc) per committed poll, and PostgreSQL's load per poll from ``pg_stat_database``
(transactions, rows written) and the WAL position (bytes of WAL). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

from bench.common import ROOT, ctl, stop
from bench.server import ServerProcess

SERVER = os.environ.get("TICKERWATCH_TEST_PG", "postgresql://postgres@127.0.0.1:5432")
CLOCK = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK  # utime, stime


def _pg_state(admin: psycopg.Connection, name: str) -> tuple[int, int, int]:
    row = admin.execute(
        "SELECT xact_commit + xact_rollback, tup_inserted + tup_updated + tup_deleted, "
        "pg_current_wal_lsn() - '0/0'::pg_lsn FROM pg_stat_database WHERE datname = %s",
        (name,),
    ).fetchone()
    return int(row[0]), int(row[1]), int(row[2])


def _polls(url: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT count(*) FROM polls").fetchone()[0]


def run(
    workers: int, sources: int, tick: int, seconds: float, work: Path, concurrency: int
) -> dict:
    name = f"tickerwatch_bench_{uuid.uuid4().hex[:8]}"
    admin = psycopg.connect(f"{SERVER}/postgres", autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    url = f"{SERVER}/{name}"
    server = ServerProcess(sources, 0)
    procs: list[subprocess.Popen] = []
    try:
        listed = ctl(server.base, "sources")
        config = work / f"sources-{workers}.toml"
        config.write_text(
            "".join(
                f'[[source]]\nname = "lb{n}"\nurl = "{s["url"]}"\nkind = "liveblog"\n'
                f'every = "{max(tick, 10)}s"\n\n'
                for n, s in enumerate(listed)
            )
        )
        command = [sys.executable, "-m", "scheduler.cli.app", "--db", url]
        subprocess.run(command + ["init"], cwd=ROOT, check=True, capture_output=True)
        for n in range(workers):
            log = open(work / f"worker-{workers}-{n}.log", "w")
            procs.append(
                subprocess.Popen(
                    command
                    + ["worker", "--config", str(config), "--tick", str(tick)]
                    + ["--concurrency", str(concurrency)],
                    cwd=ROOT,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        deadline = time.time() + 120
        while _polls(url) < len(listed) and time.time() < deadline:
            time.sleep(0.5)
        ctl(server.base, "auto", interval=tick, add=0.2, edit=0.05, kinds="lb")
        time.sleep(2 * tick)  # warm-up: first polls (baselines) and one ordinary round
        start = (time.time(), _polls(url), sum(_cpu_seconds(p.pid) for p in procs))
        pg_start = _pg_state(admin, name)
        time.sleep(seconds)
        end = (time.time(), _polls(url), sum(_cpu_seconds(p.pid) for p in procs))
        pg_end = _pg_state(admin, name)
    finally:
        stop(procs, 30)
        server.close()
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
    elapsed, polls, cpu = (b - a for a, b in zip(start, end, strict=True))
    xacts, rows, wal = (b - a for a, b in zip(pg_start, pg_end, strict=True))
    return {
        "workers": workers,
        "due_per_s": sources / max(tick, 10),
        "polls_per_s": polls / elapsed,
        "cpu_ms_per_poll": 1000 * cpu / max(polls, 1),
        "cpu_share": cpu / elapsed,
        "xacts_per_poll": xacts / max(polls, 1),
        "rows_per_poll": rows / max(polls, 1),
        "wal_bytes_per_poll": wal / max(polls, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", type=int, default=200)
    parser.add_argument("--tick", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--concurrency", type=int, default=16, help="bucket jobs per worker")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="tw-bench-workers-"))
    rows = [
        run(int(n), args.sources, args.tick, args.seconds, work, args.concurrency)
        for n in args.workers.split(",")
    ]
    print(
        f"{args.sources} liveblogs every {args.tick} s, {args.seconds:.0f} s measured; logs in {work}\n"
    )
    print(
        "| workers | polls due/s | polls/s | CPU ms/poll (all workers) | worker CPU (cores) "
        "| PG transactions/poll | PG rows written/poll | WAL bytes/poll |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['workers']} | {r['due_per_s']:.1f} | {r['polls_per_s']:.1f} "
            f"| {r['cpu_ms_per_poll']:.1f} | {r['cpu_share']:.2f} | {r['xacts_per_poll']:.1f} "
            f"| {r['rows_per_poll']:.1f} | {r['wal_bytes_per_poll']:.0f} |"
        )


if __name__ == "__main__":
    main()
