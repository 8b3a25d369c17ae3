"""The benchmark in one command: ``python -m bench.run [--quick] [--out DIR]``.

Starts the loopback server (its own process), then runs, each in a fresh process so that
their CPU and memory are their own:

1. ``bench.perpoll``: CPU per poll by kind through the real PollEngine, plus the floor
   (a bare lxml / selectolax parse of the same pages, feedparser and lxml on the same feed);
2. the naive design: one ``scrapy crawl liveblog`` process per poll (CPU via RUSAGE_CHILDREN);
3. ``bench.urlwatch_worker``: urlwatch 2.x, ``html2text`` filter, on the same pages;
4. start-up: ``tickerwatch run`` from exec to its first committed poll (wall time);
5. ``bench.capacity``: the daemon over all sources at a fixed interval (CPU share, latency,
   RSS, database growth), then ``--soak``: ≥10,000 polls for memory growth.

Prints one table with the goals of issue 6 and writes ``results.json`` (and ``RESULTS.md``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import ctl

ROOT = Path(__file__).resolve().parent.parent

FULL = dict(
    liveblogs=1000, feeds=1000, interval=60.0, duration=300.0, samples=200, naive=5, soak=12_000
)
QUICK = dict(
    liveblogs=200, feeds=200, interval=12.0, duration=60.0, samples=60, naive=3, soak=10_000
)


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def python(*args: str, timeout: float, log=None) -> None:
    subprocess.run(
        [sys.executable, *args], cwd=ROOT, check=True, timeout=timeout, stdout=log, stderr=log
    )


def phase(module: str, name: str, work: Path, *args: str, timeout: float, log) -> dict:
    """Run ``python -m bench.<module>`` in a fresh process (its CPU and memory are its own)
    against the server; it writes ``<name>.json`` (and ``<name>.db``/``.log`` where it takes
    them) in the work dir, which is returned parsed."""
    files = ["--out", str(work / f"{name}.json")]
    if module != "urlwatch_worker":
        files += ["--db", str(work / f"{name}.db"), "--log", str(work / f"{name}.log")]
    python("-m", f"bench.{module}", *args, *files, timeout=timeout, log=log)
    return json.loads((work / f"{name}.json").read_text())


class LoopbackServer:
    def __init__(self, liveblogs: int, feeds: int) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bench.server",
                "--liveblogs",
                str(liveblogs),
                "--feeds",
                str(feeds),
            ],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        line = self.proc.stdout.readline()
        if not line.startswith("READY"):
            raise RuntimeError(f"server did not start: {line!r}")
        self.base = f"http://127.0.0.1:{int(line.split()[1])}"

    def close(self) -> None:
        self.proc.stdin.close()  # the server exits when its stdin closes
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


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
    from bench.common import summary

    return {"cpu": summary([t[0] for t in times]), "wall": summary([t[1] for t in times])}


def startup(base: str, work: Path) -> dict:
    """``tickerwatch run`` from exec to "daemon started" in its log, and to its first poll row.

    The daemon spreads the first polls of due sources over 0-10 s on purpose (CATCH_UP_SPREAD
    in scheduler/schedule.py), so "first poll" includes that random delay; "ready" does not.
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
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        ready_runs.append(ready and round(ready, 2))
        first_runs.append(first and round(first, 2))
    ok = [t for t in ready_runs if t is not None]
    return {
        "ready_s": min(ok) if ok else None,
        "ready_runs_s": ready_runs,
        "first_poll_runs_s": first_runs,
    }


def machine() -> dict:
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "cores": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
    }


def write_report(results: dict, out: Path) -> None:
    from bench.report import render

    text = render(results)
    print(text)
    (out / "RESULTS.md").write_text(text + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="a few minutes: 200+200 sources at 12 s"
    )
    parser.add_argument("--out", default=str(ROOT / "bench" / "results"))
    parser.add_argument("--skip", default="", help="comma list of phases to skip")
    parser.add_argument("--render", metavar="JSON", help="only re-print a saved results.json")
    args = parser.parse_args()
    if args.render:
        write_report(json.loads(Path(args.render).read_text()), Path(args.out))
        return
    plan = QUICK if args.quick else FULL
    skip = set(filter(None, args.skip.split(",")))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="twbench-"))
    log = open(work / "bench.log", "w")
    results: dict = {
        "machine": machine(),
        "plan": plan,
        "mode": "quick" if args.quick else "full",
    }
    print(
        f"work dir {work}; server with {plan['liveblogs']} liveblogs + {plan['feeds']} feeds …",
        flush=True,
    )
    server = LoopbackServer(plan["liveblogs"], plan["feeds"])
    try:
        if "perpoll" not in skip:
            print("per-poll CPU by kind (one long-lived PollEngine) …", flush=True)
            results["perpoll"] = phase(
                "perpoll",
                "perpoll",
                work,
                "--base",
                server.base,
                "--samples",
                str(plan["samples"]),
                timeout=1200,
                log=log,
            )
        if "naive" not in skip:
            print("naive design: one scrapy process per poll …", flush=True)
            results["naive"] = naive(server.base, work, plan["naive"])
        if "urlwatch" not in skip:
            print("urlwatch 2.x + html2text on the same pages …", flush=True)
            results["urlwatch"] = phase(
                "urlwatch_worker",
                "urlwatch",
                work,
                "--base",
                server.base,
                "--dir",
                str(work / "uw"),
                "--samples",
                str(plan["samples"] // 2),
                timeout=1200,
                log=log,
            )
        if "startup" not in skip:
            print("daemon start-up to first poll …", flush=True)
            results["startup"] = startup(server.base, work)
        if "capacity" not in skip:
            print(
                f"capacity: daemon, {plan['liveblogs']}+{plan['feeds']} sources every "
                f"{plan['interval']:.0f} s for {plan['duration']:.0f} s after warm-up …",
                flush=True,
            )
            results["capacity"] = phase(
                "capacity",
                "capacity",
                work,
                "--base",
                server.base,
                "--interval",
                str(plan["interval"]),
                "--duration",
                str(plan["duration"]),
                timeout=3000,
                log=log,
            )
        if "soak" not in skip:
            print(f"soak: {plan['soak']} unchanged polls, RSS every 500 …", flush=True)
            results["soak"] = phase(
                "capacity",
                "soak",
                work,
                "--base",
                server.base,
                "--soak",
                str(plan["soak"]),
                timeout=3000,
                log=log,
            )
    finally:
        server.close()
    (out / "results.json").write_text(json.dumps(results, indent=1))
    write_report(results, out)
    print(f"\nwritten: {out / 'results.json'}, {out / 'RESULTS.md'}; logs in {work}")


if __name__ == "__main__":
    main()
