"""CPU and wall time per poll: the daemon's long-lived engine vs one ``scrapy crawl`` per poll.

    python bench/poll_overhead.py [--polls 200] [--subprocess-polls 5]

The page is served by ``python -m http.server`` in a separate process, so the CPU measured
here is Tickerwatch's alone. Two engine cases: an unchanged page (the body-hash shortcut, the
common case of a daemon) and a page that gains an entry before every poll (full extraction,
diff and commit). Resident memory is sampled to show that polls do not grow it.
"""

from __future__ import annotations

import argparse
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.daemon_process import liveblog_page  # noqa: E402

PAGE = "liveblog-bench.html"


def cpu(who: int = resource.RUSAGE_SELF) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def write_page(root: Path, n: int) -> None:
    entries = [(f"e{i}", f"Meldung {i}", f"Text der Meldung {i}. " * 20) for i in range(n)]
    tmp = root / (PAGE + ".tmp")
    tmp.write_text(liveblog_page(entries), encoding="utf-8")
    os.replace(tmp, root / PAGE)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bench_engine(url: str, root: Path, db: Path, polls: int) -> dict:
    from scheduler.engine import PollEngine, make_settings
    from scheduler.reactor import run

    async def main() -> dict:
        engine = PollEngine(make_settings(str(db), TICKERWATCH_BASELINE_SUMMARY=True))
        await engine.start()
        results: dict = {}
        try:
            await engine.poll_async(url, kind="liveblog")  # baseline, warms imports
            for label, grow in (
                ("engine, unchanged page", False),
                ("engine, new entry each poll", True),
            ):
                n = 60
                rss = [rss_mb()]
                c0, t0 = cpu(), time.perf_counter()
                for i in range(polls):
                    if grow:
                        n += 1
                        write_page(root, n)
                    item = await engine.poll_async(url, kind="liveblog")
                    assert item.status in ("ok", "not_modified"), item.error
                    if i == polls // 2:
                        rss.append(rss_mb())
                c1, t1 = cpu(), time.perf_counter()
                rss.append(rss_mb())
                results[label] = ((c1 - c0) / polls * 1000, (t1 - t0) / polls * 1000, rss)
        finally:
            await engine.stop()
        return results

    return run(main)


def bench_subprocess(url: str, db: Path, polls: int) -> tuple[float, float]:
    env = dict(os.environ, TICKERWATCH_DB=str(db), PYTHONPATH=str(REPO))
    c0, t0 = cpu(resource.RUSAGE_CHILDREN), time.perf_counter()
    for _ in range(polls):
        subprocess.run(
            [
                sys.executable,
                "-m",
                "scrapy",
                "crawl",
                "liveblog",
                "-a",
                f"url={url}",
                "-L",
                "ERROR",
            ],
            cwd=REPO,
            env=env,
            check=True,
            capture_output=True,
        )
    c1, t1 = cpu(resource.RUSAGE_CHILDREN), time.perf_counter()
    return (c1 - c0) / polls * 1000, (t1 - t0) / polls * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--polls", type=int, default=200)
    parser.add_argument("--subprocess-polls", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_page(root, 60)
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "-d", tmp],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            time.sleep(0.5)
            url = f"http://127.0.0.1:{port}/{PAGE}"
            sub_cpu, sub_wall = bench_subprocess(url, root / "sub.db", args.subprocess_polls)
            write_page(root, 60)
            results = bench_engine(url, root, root / "engine.db", args.polls)
        finally:
            server.terminate()
            server.wait()
    print(f"{'case':34} {'CPU ms/poll':>12} {'wall ms/poll':>13}  RSS MB (start, mid, end)")
    for label, (cpu_ms, wall_ms, rss) in results.items():
        print(f"{label:34} {cpu_ms:12.1f} {wall_ms:13.1f}  {', '.join(f'{r:.1f}' for r in rss)}")
    print(f"{'scrapy crawl subprocess per poll':34} {sub_cpu:12.1f} {sub_wall:13.1f}")


if __name__ == "__main__":
    main()
