"""Adaptive polling and the archive of raw pages, measured (issue 14).

``python -m bench.adaptive [--duration 120] [--out bench/results/adaptive.json]`` (about four
minutes, everything on 127.0.0.1):

1. **Archive bytes per poll** on the shared real pages (``../shared/fixtures/real``) with a new
   entry on every poll (bench/churn.py): 64 versions of each page stored through
   ``crawler.store.archive.keep_page`` into a real SQLite file, i.e. one page stored whole and
   63 compressed against their predecessor, one full keyframe cycle.
2. **Polls saved** by the real daemon (``scheduler.daemon.service.Daemon``, in this process) over a
   realistic mix of real pages: a few hot liveblogs (a new entry every 6–10 s), many quiet
   ones, some already over (their ``coverageEndTime`` has passed) and some that close during
   the run (a closing notice appears). The hot ones publish for ``--warmup`` seconds before
   the window opens (their real pages' entries are years old, so they start out quiet; the
   latency of those first detections is reported apart). Time is compressed 15×: ``min_every`` 2 s and
   ``max_every`` 60 s stand for 30 s and 15 min, ``ended_grace`` 30 s. The polls the daemon
   made in the window are set against a fixed interval of ``min_every`` for every source (the
   interval that gives the hot ones the same detection latency), and the hot ones' detection
   latency (server change → committed ``new`` entry) against their effective interval + 5 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import statistics
import tempfile
import threading
import time
from http.server import ThreadingHTTPServer
from pathlib import Path

import xxhash
import zstandard

from bench.churn import grow, newest_key
from bench.common import ROOT, summary
from scheduler.demo import QuietHandler, send_html

REAL = ROOT.parent / "shared" / "fixtures" / "real"
MIN_EVERY, MAX_EVERY, GRACE = 2.0, 60.0, 30.0
HOT = ("corkbeo.ie", "mirror.co.uk")  # pages with entry ids to copy and no end date
QUIET = ("corkbeo.ie", "mirror.co.uk", "theguardian.com")
OVER = ("express.co.uk", "repubblica.it", "sports.ndtv.com")  # coverageEndTime has passed
CLOSING = b"<p>This blog is now closed.</p>"


def real_page(site: str) -> bytes:
    return next((REAL / site).glob("*.html")).read_bytes()


# --- 1. archive bytes per poll ---------------------------------------------------------


def archive_bytes(polls: int = 64) -> list[dict]:
    from crawler.items import RawPage
    from crawler.store.archive import KEYFRAME_EVERY, keep_page
    from crawler.store.db import Store, utcnow

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "archive.db")
        for page in sorted(REAL.glob("*/*.html")):
            body = page.read_bytes()
            url = f"https://{page.parent.name}/live"
            key = newest_key(body, url)
            with store.transaction() as conn:
                source_id, _, _ = store.ensure_source(conn, url, "liveblog", page.parent.name)
            for n in range(polls):
                version = grow(body, n, key)
                raw = RawPage(version, xxhash.xxh3_128_hexdigest(version), url, "utf-8")
                with store.transaction() as conn:
                    keep_page(store, conn, source_id, raw, utcnow())
            sizes = [
                r[0]
                for r in store.conn.execute(
                    "SELECT length(data) FROM pages WHERE source_id = ? ORDER BY id", (source_id,)
                )
            ]
            whole = len(zstandard.ZstdCompressor(level=5).compress(body))
            rows.append(
                {
                    "page": page.parent.name,
                    "page_bytes": len(body),
                    "entry_copied": key is not None,
                    "zstd_whole_page": whole,
                    "delta_median": statistics.median(sizes[1:]),
                    "bytes_per_poll": round(sum(sizes) / len(sizes)),
                    "keyframe_every": KEYFRAME_EVERY,
                }
            )
        store.close()
    return rows


# --- 2. the daemon over a realistic mix ---------------------------------------------------


class Pages:
    """Bodies by path on 127.0.0.1; counts requests per path."""

    def __init__(self) -> None:
        self.bodies: dict[str, bytes] = {}
        self.hits: dict[str, int] = {}
        owner = self

        class Handler(QuietHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802
                body = owner.bodies.get(self.path, b"not found")
                owner.hits[self.path] = owner.hits.get(self.path, 0) + 1
                send_html(self, body, 200 if self.path in owner.bodies else 404)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"


def mix(n_hot: int, n_quiet: int, n_over: int, n_closing: int) -> list[tuple[str, str, str]]:
    """(group, name, site) per source."""
    plan = [("hot", HOT[i % len(HOT)]) for i in range(n_hot)]
    plan += [("quiet", QUIET[i % len(QUIET)]) for i in range(n_quiet)]
    plan += [("over", OVER[i % len(OVER)]) for i in range(n_over)]
    plan += [("closing", "corkbeo.ie") for _ in range(n_closing)]
    return [(group, f"{group}-{i}", site) for i, (group, site) in enumerate(plan)]


async def daemon_mix(args, db: Path) -> dict:
    from scrapy import signals

    from scheduler.config.model import Config, SourceConfig
    from scheduler.daemon.service import Daemon

    rng = random.Random(14)
    pages = Pages()
    sources = mix(args.hot, args.quiet, args.over, args.closing)
    originals = {site: real_page(site) for _, _, site in sources}
    keys = {site: newest_key(body, "https://example.org/live") for site, body in originals.items()}
    for _, name, site in sources:
        pages.bodies[f"/{name}.html"] = originals[site]
    config = Config(
        path=db.with_suffix(".toml"),
        sources=tuple(
            SourceConfig(
                name=name,
                url=pages.url(f"/{name}.html"),
                kind="liveblog",
                every=MIN_EVERY,
                min_every=MIN_EVERY,
                max_every=MAX_EVERY,
                ended_grace=GRACE,
            )
            for _, name, _ in sources
        ),
    )
    daemon = Daemon(config, db, watch=False)
    polls: dict[str, int] = {}
    committed: dict[str, float] = {}  # new entry key -> commit time
    start_engine = daemon.engine.start

    def on_item(item, **kwargs) -> None:
        name = item.source_url.rsplit("/", 1)[-1].removesuffix(".html")
        polls[name] = polls.get(name, 0) + 1
        for development in item.developments:
            if development.event == "new":
                committed.setdefault(f"{name}:{development.key}", time.time())

    async def start_and_listen() -> None:
        await start_engine()
        daemon.engine.crawler.signals.connect(on_item, signals.item_scraped)

    daemon.engine.start = start_and_listen
    task = asyncio.ensure_future(daemon.run())
    while len(polls) < len(sources):  # every source's baseline, not counted
        await asyncio.sleep(0.5)
    loop = asyncio.get_running_loop()
    changes: dict[str, float] = {}  # "name:key" -> when the server started serving it
    started = time.time()
    t0 = started + args.warmup  # the window: the hot ones have been hot for a while

    async def publish(name: str, site: str) -> None:
        n = 0
        while time.time() - t0 < args.duration - 10:
            await asyncio.sleep(rng.uniform(6, 10))
            n += 1
            body = await loop.run_in_executor(None, grow, originals[site], n, keys[site])
            pages.bodies[f"/{name}.html"] = body
            changes[f"{name}:{keys[site]}-new{n}"] = time.time()

    async def close(name: str, site: str) -> None:
        await asyncio.sleep(rng.uniform(10, 40))
        pages.bodies[f"/{name}.html"] = originals[site].replace(b"</body>", CLOSING + b"</body>")

    workers = [publish(n, s) for g, n, s in sources if g == "hot"]
    runner = asyncio.gather(*workers)
    await asyncio.sleep(args.warmup)
    closers = asyncio.gather(*(close(n, s) for g, n, s in sources if g == "closing"))
    start_polls = dict(polls)
    await asyncio.sleep(args.duration)
    window = time.time() - t0
    await closers
    in_window = {name: polls.get(name, 0) - start_polls.get(name, 0) for _, name, _ in sources}
    await runner
    await asyncio.sleep(MIN_EVERY * 3)  # let the last changes be committed
    daemon.request_stop()
    await task

    latencies = [committed[k] - at for k, at in changes.items() if k in committed and at >= t0]
    wake = [committed[k] - at for k, at in changes.items() if k in committed and at < t0]
    missed = [k for k in changes if k not in committed]
    with sqlite3.connect(db) as conn:
        pace = {
            r[0]: (r[1], r[2], r[3])
            for r in conn.execute("SELECT name, poll_every, poll_reason, ended_at FROM sources")
        }
        stored, pages_n = conn.execute(
            "SELECT coalesce(sum(length(data)), 0), count(*) FROM pages"
        ).fetchone()
        all_polls = conn.execute("SELECT count(*) FROM polls").fetchone()[0]
    hot_intervals = [pace[n][0] for g, n, _ in sources if g == "hot" and pace[n][0]]
    groups: dict[str, dict] = {}
    for group, name, _ in sources:
        g = groups.setdefault(group, {"sources": 0, "polls": 0, "ended": 0})
        g["sources"] += 1
        g["polls"] += in_window[name]
        g["ended"] += bool(pace[name][2])
    fixed = len(sources) * window / MIN_EVERY
    adaptive = sum(in_window.values())
    hot_every = statistics.median(hot_intervals) if hot_intervals else None
    lat = summary([x * 1000 for x in latencies])
    return {
        "sources": len(sources),
        "window_s": round(window, 1),
        "min_every_s": MIN_EVERY,
        "max_every_s": MAX_EVERY,
        "ended_grace_s": GRACE,
        "groups": groups,
        "polls_adaptive": adaptive,
        "polls_fixed_at_min_every": round(fixed),
        "polls_saved_share": round(1 - adaptive / fixed, 3),
        "hot_effective_interval_s": hot_every,
        "hot_reasons": [pace[n][1] for g, n, _ in sources if g == "hot"],
        "hot_changes": sum(at >= t0 for at in changes.values()),
        "warmup_s": args.warmup,
        "warmup_latency_ms": summary([x * 1000 for x in wake]),
        "hot_missed": len(missed),
        "hot_latency_ms": lat,
        "hot_p95_limit_ms": round((hot_every + 5) * 1000) if hot_every else None,
        "archive_pages": pages_n,
        "archive_bytes": stored,
        "archive_bytes_per_poll": round(stored / max(all_polls, 1)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=120.0, help="measured window, s")
    parser.add_argument("--warmup", type=float, default=70.0, help="hot ones publish first, s")
    parser.add_argument("--hot", type=int, default=4)
    parser.add_argument("--quiet", type=int, default=24)
    parser.add_argument("--over", type=int, default=12)
    parser.add_argument("--closing", type=int, default=8)
    parser.add_argument("--keep", help="keep the database and log in this directory")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "adaptive.json")
    args = parser.parse_args()
    from bench.common import log_to_file
    from scheduler.reactor import run

    result: dict = {"archive": archive_bytes()}
    print(json.dumps(result["archive"], indent=1), flush=True)
    with tempfile.TemporaryDirectory(prefix="tickerwatch-bench-") as tmp:
        work = Path(args.keep) if args.keep else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        log_to_file(work / "daemon.log")
        result["daemon"] = run(lambda: daemon_mix(args, work / "mix.db"))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1))
    print(json.dumps(result["daemon"], indent=1))


if __name__ == "__main__":
    main()
