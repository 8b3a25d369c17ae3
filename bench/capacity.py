"""Capacity, latency and memory: the real daemon (or the bare PollEngine for the soak) in one process.

``python -m bench.capacity --base URL --db PATH --out JSON --interval S --duration S``
runs ``scheduler.daemon.service.Daemon`` (APScheduler, one long-lived crawler, the notifier thread)
over every source the server has, each polled every ``interval`` seconds. After the first
poll of every source (the baseline) the server starts changing sources; over ``duration``
seconds we take this process's CPU (getrusage: all threads), RSS once a second, the time of
every commit of a new entry (for detection latency) and the database's size.

``--soak N`` instead drives the PollEngine directly with 16 polls in flight, round-robin over
unchanged sources, for N polls, sampling RSS every 500 polls: the memory-growth test.
"""

from __future__ import annotations

import asyncio
import re
import resource
import sqlite3
import statistics
import time
from pathlib import Path

from bench.common import ctl, peak_rss_mb, phase_args, rss_mb, run_phase, summary

_TAG = re.compile(r"\[(\w+-\d+)\]")


def cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def slope_per_1000(points: list[tuple[int, float]]) -> float:
    """Least-squares MB per 1,000 polls."""
    if len(points) < 3:
        return float("nan")
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    var = sum((x - mx) ** 2 for x in xs)
    return (
        1000 * sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / var if var else 0.0
    )


def db_pages(path: str) -> tuple[int, int]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        size = conn.execute("PRAGMA page_count").fetchone()[0]
        free = conn.execute("PRAGMA freelist_count").fetchone()[0]
        page = conn.execute("PRAGMA page_size").fetchone()[0]
        return (size - free) * page, conn.execute("SELECT count(*) FROM entries").fetchone()[0]
    finally:
        conn.close()


class Recorder:
    """Listens to item_scraped: one call per committed poll."""

    def __init__(self) -> None:
        self.polls = 0
        self.by_status: dict[str, int] = {}
        self.commits: dict[str, list[float]] = {}  # "[tag]:event" -> commit times
        self.sources: set[str] = set()

    def on_item(self, item, **kwargs) -> None:
        now = time.time()
        self.polls += 1
        self.sources.add(item.source_url)
        self.by_status[item.status] = self.by_status.get(item.status, 0) + 1
        for development in item.developments:
            if development.event in ("new", "changed"):
                m = _TAG.search(development.title)
                if m:
                    key = f"[{m.group(1)}]:{development.event}"
                    self.commits.setdefault(key, []).append(now)

    def detected(self, tag: str, op: str, at: float) -> float | None:
        """When a change made at ``at`` was first committed: an added entry as ``new``, an edit
        as ``changed`` — or as ``new`` if the entry was added and edited before its first poll."""
        events = ("new",) if op == "add" else ("changed", "new")
        times = [t for e in events for t in self.commits.get(f"{tag}:{e}", []) if t >= at]
        return min(times) if times else None


async def capacity(args) -> dict:
    from scrapy import signals

    sources = ctl(args.base, "sources")
    out: dict = {"sources": len(sources), "interval_s": args.interval}
    recorder = Recorder()
    try:
        from scheduler.config.model import Config, SourceConfig
        from scheduler.daemon.service import Daemon
    except ImportError as error:  # pragma: no cover - the daemon is another engineer's module
        raise SystemExit(f"scheduler.daemon.service not importable: {error}") from error
    config = Config(
        path=Path(args.db).with_suffix(".toml"),
        sources=tuple(
            SourceConfig(name=s["name"], url=s["url"], kind=s["kind"], every=args.interval)
            for s in sources
        ),
    )
    daemon = Daemon(config, args.db, watch=False)
    engine_start = daemon.engine.start

    async def start_and_listen() -> None:
        await engine_start()
        daemon.engine.crawler.signals.connect(recorder.on_item, signals.item_scraped)

    daemon.engine.start = start_and_listen
    t_launch = time.time()
    task = asyncio.ensure_future(daemon.run())
    # Warm-up: every source's first (baseline) poll, which stores all its entries at once.
    while len(recorder.sources) < len(sources):
        await asyncio.sleep(0.5)
        if time.time() - t_launch > args.interval * 2 + 600:
            break
    out["warmup_s"] = round(time.time() - t_launch, 1)
    out["warmup_cpu_s"] = round(cpu_s(), 1)
    await asyncio.sleep(args.interval)  # let the first round of re-polls spread out
    ctl(args.base, "auto", interval=args.interval, add=args.p_add, edit=args.p_edit)
    polls0, cpu0, t0 = recorder.polls, cpu_s(), time.time()
    statuses0 = dict(recorder.by_status)
    bytes0, entries0 = db_pages(args.db)
    rss: list[tuple[int, float]] = []
    while time.time() - t0 < args.duration:
        await asyncio.sleep(1.0)
        rss.append((recorder.polls - polls0, rss_mb()))
    cpu1, t1, polls1 = cpu_s(), time.time(), recorder.polls
    ctl(args.base, "auto", stop=1)
    bytes1, entries1 = db_pages(args.db)
    await asyncio.sleep(args.interval * 1.2 + 5)  # changes made late in the window get polled
    daemon.request_stop()
    await task

    wall, cpu, polls = t1 - t0, cpu1 - cpu0, polls1 - polls0
    appeared = [a for a in ctl(args.base, "appeared") if t0 <= a["at"] <= t1]
    latencies, missed = [], []
    for a in appeared:
        committed = recorder.detected(a["tag"], a["op"], a["at"])
        if committed is None:
            missed.append({k: a[k] for k in ("tag", "op", "at")})
        else:
            latencies.append((committed - a["at"]) * 1000)
    new_entries = entries1 - entries0
    out.update(
        {
            "window_s": round(wall, 1),
            "polls": polls,
            "polls_per_s": round(polls / wall, 2),
            "cpu_s": round(cpu, 2),
            "cpu_cores": round(cpu / wall, 3),  # 1.0 = one core busy = 50 % of two cores
            "cpu_ms_per_poll": round(1000 * cpu / max(polls, 1), 2),
            "statuses": {
                k: v - statuses0.get(k, 0) for k, v in recorder.by_status.items()
            },  # window only (polls committed after t1 may add a few)
            "changes_made": len(appeared),
            "changes_missed": len(missed),
            "missed": missed[:50],  # to look into: tag, op and when it appeared
            "latency_ms": summary(latencies),
            "rss_steady_mb": round(statistics.median(r for _, r in rss), 1) if rss else None,
            "rss_peak_mb": round(peak_rss_mb(), 1),
            "rss_growth_mb_per_1000_polls": round(slope_per_1000(rss[len(rss) // 5 :]), 3),
            "db_bytes_growth": bytes1 - bytes0,
            "new_entries": new_entries,
            "db_kb_per_1000_new_entries": round((bytes1 - bytes0) / max(new_entries, 1), 1)
            if new_entries
            else None,
        }
    )
    return out


async def soak(args) -> dict:
    from scheduler.engine import PollEngine, make_settings

    sources = ctl(args.base, "sources")
    engine = PollEngine(make_settings(args.db))
    await engine.start()
    for s in sources:  # baselines, not counted
        await engine.poll_async(s["url"], kind=s["kind"], max_articles=0)
    done, points, statuses = 0, [], {}
    cpu0, t0 = cpu_s(), time.time()
    queue = asyncio.Queue()
    for i in range(args.soak):
        queue.put_nowait(sources[i % len(sources)])

    async def worker() -> None:
        nonlocal done
        while not queue.empty():
            s = queue.get_nowait()
            item = await engine.poll_async(s["url"], kind=s["kind"], max_articles=0)
            statuses[item.status] = statuses.get(item.status, 0) + 1
            done += 1
            if done % 500 == 0:
                points.append((done, rss_mb()))

    await asyncio.gather(*(worker() for _ in range(16)))
    cpu, wall = cpu_s() - cpu0, time.time() - t0
    await engine.stop()
    tail = points[len(points) // 5 :]
    return {
        "polls": done,
        "statuses": statuses,
        "cpu_ms_per_poll": round(1000 * cpu / done, 3),
        "polls_per_s": round(done / wall, 1),
        "rss_start_mb": points[0][1] if points else None,
        "rss_end_mb": points[-1][1] if points else None,
        "rss_growth_mb_per_1000_polls": round(slope_per_1000(tail), 4),
        "rss_points": points,
    }


def main() -> None:
    parser = phase_args()
    parser.add_argument("--interval", type=float, default=12.0)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--p-add", type=float, default=0.2)
    parser.add_argument("--p-edit", type=float, default=0.05)
    parser.add_argument("--soak", type=int, default=0)
    args = parser.parse_args()
    run_phase(args, lambda: soak(args) if args.soak else capacity(args))


if __name__ == "__main__":
    main()
