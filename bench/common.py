"""Helpers shared by the benchmark's processes: the server's control channel, stats, memory."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import statistics
import subprocess
import urllib.request
from collections.abc import Awaitable, Callable
from pathlib import Path

from scheduler.logs import quiet_chatty_loggers

# The checkout: where the benchmark's subprocesses run.
ROOT = Path(__file__).resolve().parent.parent


def stop(procs: list[subprocess.Popen], grace: float) -> None:
    """SIGTERM every process still running, then wait up to ``grace`` s for each and kill one
    that outlives it (all are signalled first, so they shut down side by side)."""
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()


def ctl(base: str, command: str, **params: object) -> object:
    """Call the loopback server's control channel (blocking; never inside a measured window)."""
    query = "&".join(f"{k}={v}" for k, v in params.items())
    with urllib.request.urlopen(f"{base}/_ctl/{command}?{query}", timeout=30) as response:
        return json.loads(response.read())


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read()


def summary(values_ms: list[float]) -> dict:
    """Median and p95 (nearest rank) of per-poll milliseconds."""
    if not values_ms:
        return {"n": 0}
    ordered = sorted(values_ms)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "n": len(ordered),
        "median": round(statistics.median(ordered), 3),
        "p95": round(p95, 3),
        "min": round(ordered[0], 3),
    }


def rss_mb() -> float:
    """Resident set size of this process now, from /proc (Linux)."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3


def db_bytes(path: str | Path) -> int:
    """Database size including its WAL, as a user would see it on disk."""
    total = 0
    for suffix in ("", "-wal"):
        p = Path(f"{path}{suffix}")
        if p.exists():
            total += p.stat().st_size
    return total


def log_to_file(path: str | Path) -> None:
    """Log as the daemon does (INFO, one line per development) but into a file, not the screen."""
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    quiet_chatty_loggers()


def phase_args() -> argparse.ArgumentParser:
    """The arguments bench/run.py's ``phase()`` gives every measuring process."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--log", default=None)
    return parser


def run_phase(args: argparse.Namespace, measure: Callable[[], Awaitable[dict]]) -> None:
    """Log like the daemon, run ``measure`` on the Twisted reactor, write its JSON to --out."""
    if args.log:
        log_to_file(args.log)
    from scheduler.reactor import run

    Path(args.out).write_text(json.dumps(run(measure), indent=1))
