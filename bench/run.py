"""The benchmark in one command: ``python -m bench.run [--quick] [--out DIR]``.

Starts the loopback server (its own process), then runs, each in a fresh process so that
their CPU and memory are their own:

1. ``bench.perpoll``: CPU per poll by kind through the real PollEngine, plus the floor
   (a bare lxml / selectolax parse of the same pages, feedparser and lxml on the same feed);
2. the naive design: one ``scrapy crawl liveblog`` process per poll (CPU via RUSAGE_CHILDREN;
   this and 4. are in bench/processes.py);
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
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import ROOT
from bench.processes import naive, startup
from bench.server import ServerProcess

FULL = dict(
    liveblogs=1000, feeds=1000, interval=60.0, duration=300.0, samples=200, naive=5, soak=12_000
)
QUICK = dict(
    liveblogs=200, feeds=200, interval=12.0, duration=60.0, samples=60, naive=3, soak=10_000
)


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
    server = ServerProcess(plan["liveblogs"], plan["feeds"])
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
