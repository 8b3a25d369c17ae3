"""Measurements of whole processes: the naive design (one ``scrapy crawl`` per poll) and the
daemon's start-up (``tickerwatch run`` from exec to its first committed poll)."""

from __future__ import annotations

import os
import resource
import sqlite3
import subprocess
import time
from pathlib import Path

from bench.common import ROOT, ctl, stop, summary


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def naive(base: str, work: Path, runs: int) -> dict:
    """One ``scrapy crawl liveblog`` process per poll, each after one new entry appeared."""
    probe = [s for s in ctl(base, "sources") if s["kind"] == "liveblog"][0]
    db = work / "naive.db"
    times = []
    env = {**os.environ, "TICKERWATCH_DB": str(db)}
    for i in range(runs + 1):
        ctl(base, "change", src=probe["name"], op="add")
        c0, t0 = children_cpu(), time.perf_counter()
        subprocess.run(
            [
                "scrapy",
                "crawl",
                "liveblog",
                "-a",
                f"url={probe['url']}",
                "-s",
                "LOG_LEVEL=WARNING",
                "-s",
                f"TICKERWATCH_DB={db}",
            ],
            cwd=ROOT,
            env=env,
            check=True,
            timeout=120,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if i:  # the first run stores the baseline 300 entries: not a one-new-entry poll
            times.append(((children_cpu() - c0) * 1000, (time.perf_counter() - t0) * 1000))
    return {"cpu": summary([t[0] for t in times]), "wall": summary([t[1] for t in times])}


def startup(base: str, work: Path) -> dict:
    """``tickerwatch run`` from exec to "daemon started" in its log, and to its first poll row.

    The daemon spreads the first polls of due sources over 0-10 s on purpose (CATCH_UP_SPREAD
    in scheduler/timing/schedule.py), so "first poll" includes that random delay; "ready" does not.
    """
    probe = [s for s in ctl(base, "sources") if s["kind"] == "liveblog"][3]
    config, db, logfile = work / "startup.toml", work / "startup.db", work / "startup.log"
    config.write_text(f'[[source]]\nname = "probe"\nurl = "{probe["url"]}"\nevery = "60s"\n')
    ready_runs, first_runs = [], []
    for _ in range(3):
        for path in (db, Path(f"{db}-wal"), Path(f"{db}-shm"), logfile):
            path.unlink(missing_ok=True)
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            [
                "tickerwatch",
                "--db",
                str(db),
                "run",
                "--config",
                str(config),
                "--log-file",
                str(logfile),
            ],
            cwd=work,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        ready = first = None
        while time.perf_counter() - t0 < 30 and proc.poll() is None and first is None:
            time.sleep(0.01)
            if ready is None and logfile.exists() and "daemon started" in logfile.read_text():
                ready = time.perf_counter() - t0
            try:
                conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.05)
                if conn.execute("SELECT count(*) FROM polls").fetchone()[0]:
                    first = time.perf_counter() - t0
                conn.close()
            except sqlite3.Error:
                pass
        stop([proc], 15)
        ready_runs.append(ready and round(ready, 2))
        first_runs.append(first and round(first, 2))
    ok = [t for t in ready_runs if t is not None]
    return {
        "ready_s": min(ok) if ok else None,
        "ready_runs_s": ready_runs,
        "first_poll_runs_s": first_runs,
    }
