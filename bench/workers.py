"""Workers on PostgreSQL (issue 15): 1 vs 2 vs 3 ``tickerwatch worker`` processes, same load.

``python -m bench.workers [--quick] [--workers 1,2,3] [--repeat N] [--sources 100] [--tick 10]
[--ticks 4] [--warmup S] [--concurrency 16] [--entries-with PARAMS] [--json PATH]``
(``--render PATH`` prints a results file again)

Needs the ``postgres`` extra and a PostgreSQL server on this machine (``$TICKERWATCH_TEST_PG``,
default 127.0.0.1:5432, a superuser: the benchmark reads the WAL back with ``pg_walinspect``
and the backends' CPU from /proc). The benchmark's own server (bench/server.py: realistic
liveblogs, half of them answering 304) serves every source; one worker takes every first poll,
then the server changes pages without pause (20 % of the sources gain an entry and 5 % have one
edited per tick) and each worker count runs in turn on that database, every source due every
tick. After a warm-up, over ``--ticks`` whole ticks: polls committed per second; CPU per poll of every
worker process (/proc) and of the PostgreSQL backends; statements per poll counted on the wire
(bench/pgwire.py), transactions and rows from ``pg_stat_database``; WAL per poll
(bench/pgload.py): the cluster-wide position, and this database's own records with and without
full-page images, by table. ``--entries-with`` tries storage parameters on ``entries``
(``fillfactor=50``). Ratios are against the first 1-worker run of the same round.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import psycopg

from bench.common import ROOT, ctl, stop
from bench.pgload import PgWatch, cpu_seconds, delta
from bench.pgwire import WireCounter
from bench.server import ServerProcess
from bench.workers_report import render

SERVER = os.environ.get("TICKERWATCH_TEST_PG", "postgresql://postgres@127.0.0.1:5432")


def _write_config(path: Path, listed: list[dict], tick: int) -> None:
    path.write_text(
        "".join(
            f'[[source]]\nname = "lb{n}"\nurl = "{s["url"]}"\nkind = "liveblog"\n'
            f'every = "{max(tick, 10)}s"\n\n'
            for n, s in enumerate(listed)
        )
    )


def _worker_url(name: str, port: int, label: str) -> str:
    """The database through the counting proxy, the worker named in every connection."""
    parts = urlsplit(SERVER)
    auth = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
    options = f"sslmode=disable&gssencmode=disable&application_name={label}"
    return f"postgresql://{auth}127.0.0.1:{port}/{name}?{options}"


def _polls(conn: psycopg.Connection) -> tuple[int, int]:
    return conn.execute("SELECT count(*), coalesce(max(id), 0) FROM polls").fetchone()


class Bench:
    """One invocation: the page server and the database that every run continues.

    The first poll of a 300-entry liveblog costs several changed polls (bench/README.md); on a
    shared machine 200 of them took minutes per run. So one worker takes every source's first
    poll once; then the server changes pages without pause and the runs follow each other on
    the same database, each with its own worker processes: a run starts where the last left off
    (a few seconds of changes behind), never with a round of first polls or a stale copy.
    """

    def __init__(self, args: argparse.Namespace, work: Path) -> None:
        self.args, self.work = args, work
        self.admin = psycopg.connect(f"{SERVER}/postgres", autocommit=True)
        self.name = f"tickerwatch_bench_{uuid.uuid4().hex[:8]}"
        self.server = ServerProcess(args.sources, 0)
        self.listed = ctl(self.server.base, "sources")
        self.config = work / "sources.toml"
        _write_config(self.config, self.listed, args.tick)

    def _workers(self, urls: dict[str, str]) -> list[subprocess.Popen]:
        command = [sys.executable, "-m", "scheduler.cli.app", "--db"]
        procs = []
        for label, url in urls.items():
            log = open(self.work / f"{label}-{uuid.uuid4().hex[:4]}.log", "w")
            procs.append(
                subprocess.Popen(
                    command
                    + [url, "worker", "--config", str(self.config)]
                    + ["--tick", str(self.args.tick), "--concurrency", str(self.args.concurrency)],
                    cwd=ROOT,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        return procs

    def prepare(self) -> float:
        """``init``, every source's first poll by one worker, then the changes start; seconds."""
        began = time.time()
        self.admin.execute(f'CREATE DATABASE "{self.name}"')
        url = f"{SERVER}/{self.name}"
        command = [sys.executable, "-m", "scheduler.cli.app", "--db", url, "init"]
        subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
        with psycopg.connect(url, autocommit=True) as conn:
            if self.args.entries_with:  # storage parameters under test (default: the schema's)
                conn.execute(f"ALTER TABLE entries SET ({self.args.entries_with})")
            procs = self._workers({"tw-base": url})
            try:
                deadline = time.time() + 900
                while time.time() < deadline and conn.execute(
                    "SELECT count(DISTINCT source_id) FROM polls"
                ).fetchone()[0] < len(self.listed):
                    time.sleep(1)
            finally:
                stop(procs, 30)
        ctl(self.server.base, "auto", interval=self.args.tick, add=0.2, edit=0.05, kinds="lb")
        return time.time() - began

    def run(self, workers: int) -> dict:
        """One worker count; the figures of its measured window."""
        args, name = self.args, self.name
        url = f"{SERVER}/{name}"
        parts = urlsplit(SERVER)
        wire = WireCounter(parts.hostname or "127.0.0.1", parts.port or 5432)
        labels = [f"tw-w{n + 1}" for n in range(workers)]
        procs: list[subprocess.Popen] = []
        watch = None
        try:
            watch = PgWatch(url)
            # Every source's entries get their last_seen_at refreshed 10 minutes after this
            # stamp: in no run's window rather than all at once in one (bench/README.md counts
            # that refresh on paper).
            watch.conn.execute("UPDATE sources SET entries_seen_at = %s", (_now(),))
            procs = self._workers({label: _worker_url(name, wire.port, label) for label in labels})
            # Warm-up (catching up with the pages, caches filling), then a window of whole
            # ticks from a tick's start: every source is due once per tick, all at its start.
            time.sleep(args.warmup)
            time.sleep(args.tick - time.time() % args.tick)
            cpu0 = [cpu_seconds(p.pid) for p in procs]
            wire0, (polls0, last_id), pg0 = wire.snapshot(), _polls(watch.conn), watch.snapshot()
            time.sleep(args.ticks * args.tick)
            cpu1 = [cpu_seconds(p.pid) for p in procs]
            wire1, (polls1, _), pg1 = wire.snapshot(), _polls(watch.conn), watch.snapshot()
            statuses = dict(
                watch.conn.execute(
                    "SELECT status, count(*) FROM polls WHERE id > %s GROUP BY status", (last_id,)
                ).fetchall()
            )
            stop(procs, 30)  # before reading the WAL back: that is not part of the window
            wal = watch.wal(pg0, pg1)
        finally:
            stop(procs, 30)
            if watch is not None:
                watch.close()
            wire.close()
        per_worker = []
        for label, a, b in zip(labels, cpu0, cpu1, strict=True):
            after, before = wire1.get(label, {}), wire0.get(label, {})
            per_worker.append(
                {
                    "label": label,
                    "cpu_s": b - a,
                    "polls": after.get("polls", 0) - before.get("polls", 0),
                    "statements": after.get("statements", 0) - before.get("statements", 0),
                    "queue": after.get("queue", 0) - before.get("queue", 0),
                }
            )
        return {
            "workers": workers,
            "sources": args.sources,
            "tick": args.tick,
            "polls": polls1 - polls0,
            "statuses": statuses,
            "per_worker": per_worker,
            "pg": delta(pg0, pg1),
            "wal": wal,
        }

    def close(self) -> None:
        self.server.close()
        self.admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self.admin.close()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="40 sources, 2 ticks measured")
    parser.add_argument("--workers", default="1,2,3")
    parser.add_argument("--repeat", type=int, default=1, help="rounds of every worker count")
    parser.add_argument("--sources", type=int, default=None, help="liveblogs (100; quick 40)")
    parser.add_argument("--tick", type=int, default=10)
    parser.add_argument("--ticks", type=int, default=None, help="measured (4; quick 2)")
    parser.add_argument("--warmup", type=float, default=None, help="seconds (3 ticks; quick 2)")
    parser.add_argument("--concurrency", type=int, default=16, help="bucket jobs per worker")
    parser.add_argument("--entries-with", default="", help="storage parameters to try on entries")
    parser.add_argument("--json", type=Path, default=None, help="write the results here")
    parser.add_argument("--render", type=Path, default=None, help="print a results file again")
    args = parser.parse_args()
    if args.render:
        print(render(json.loads(args.render.read_text())))
        return
    args.sources = args.sources or (40 if args.quick else 100)
    args.ticks = args.ticks or (2 if args.quick else 4)
    if args.warmup is None:
        args.warmup = (2 if args.quick else 3) * args.tick
    work = Path(tempfile.mkdtemp(prefix="tw-bench-workers-"))
    bench = Bench(args, work)
    results = []
    try:
        prepared = bench.prepare()
        print(f"baseline (first polls): {prepared:.0f} s", file=sys.stderr, flush=True)
        for round_ in range(args.repeat):
            for n in args.workers.split(","):
                result = bench.run(int(n))
                result["round"] = round_ + 1
                results.append(result)
                print(f"round {round_ + 1}, {n} worker(s): done", file=sys.stderr, flush=True)
    finally:
        bench.close()
    out = args.json or work / "workers.json"
    out.write_text(json.dumps(results, indent=1))
    print(f"{args.sources} liveblogs every {args.tick} s, {args.ticks} ticks measured", end="")
    print(f" ({args.entries_with})" if args.entries_with else "", end="")
    print(f"; logs and {out.name} in {out.parent}\n")
    print(render(results))


if __name__ == "__main__":
    main()
