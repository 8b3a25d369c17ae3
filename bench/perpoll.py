"""Per-kind CPU cost of one poll through the real PollEngine, one poll at a time, plus the floor.

``python -m bench.perpoll --base URL --db PATH --out JSON [--samples N]`` runs inside one
long-lived process: the daemon's PollEngine on Scrapy's asyncio reactor, writing to a real
SQLite file. Each poll is timed with ``time.process_time()`` (this process's CPU, all threads)
from just before ``poll_async`` to its committed PollItem; nothing else runs meanwhile, so the
delta is that poll's cost. The server's changes happen between the measured windows.
"""

from __future__ import annotations

import gc
import io
import time

from bench.common import ctl, fetch, phase_args, run_phase, summary
from bench.pages import STYLES, generic


async def measure(args) -> dict:
    from scheduler.engine import PollEngine, make_settings

    sources = ctl(args.base, "sources")
    probes = [s for s in sources if s["kind"] == "liveblog"][: 2 * len(STYLES)]
    feeds = [s for s in sources if s["kind"] == "feed"][:2]
    engine = PollEngine(make_settings(args.db))
    t0 = time.perf_counter()
    await engine.start()
    out: dict = {"engine_start_s": round(time.perf_counter() - t0, 3), "kinds": {}}

    async def timed(url: str, kind: str, **options) -> tuple[float, object]:
        gc.collect()  # a collection owed by earlier work must not land on this poll
        c0 = time.process_time()
        item = await engine.poll_async(url, kind=kind, **options)
        return (time.process_time() - c0) * 1000, item

    def add(name: str, ms: float, item, expect: str | None = None) -> None:
        out["kinds"].setdefault(name, []).append(ms)
        if expect and item.status != expect:
            out.setdefault("unexpected", []).append(f"{name}: {item.status} {item.error}")

    # First polls (baseline: 300 entries stored at once), then every kind in turn.
    for s in probes:
        ms, item = await timed(s["url"], "liveblog")
        add("liveblog_first_poll", ms, item, "ok")
        add(f"liveblog_first_poll[{s['style']}]", ms, item)
    for s in feeds:
        ms, item = await timed(s["url"], "feed", max_articles=0)
        add("feed_first_poll", ms, item, "ok")
    for s in probes:  # a second unchanged poll settles the stored state
        await timed(s["url"], "liveblog")

    for _ in range(args.samples):
        for s in probes:
            kind = "unchanged_304" if s["conditional"] else "unchanged_no304"
            ms, item = await timed(s["url"], "liveblog")
            add(kind, ms, item, "not_modified")
            if item.http_status != (304 if s["conditional"] else 200):
                out.setdefault("unexpected", []).append(f"{kind}: HTTP {item.http_status}")
    changed = max(4, args.samples // 10)
    for _ in range(changed):
        for s in probes:
            ctl(args.base, "change", src=s["name"], op="add")
            ms, item = await timed(s["url"], "liveblog")
            add(f"liveblog_new_entry[{s['style']}]", ms, item, "ok")
            if not generic(s["style"]):  # the issue-6 figure: pages a site adapter reads
                add("liveblog_new_entry", ms, item)
            if [d.event for d in item.developments] != ["new"]:
                out.setdefault("unexpected", []).append(f"new entry: {item.developments}")
        for s in probes:
            ctl(args.base, "change", src=s["name"], op="edit")
            ms, item = await timed(s["url"], "liveblog")
            add(f"liveblog_edited_entry[{s['style']}]", ms, item, "ok")
            if not generic(s["style"]):
                add("liveblog_edited_entry", ms, item)
            if [d.event for d in item.developments] != ["changed"]:
                out.setdefault("unexpected", []).append(f"edit: {item.developments}")
        for s in feeds:
            ctl(args.base, "change", src=s["name"], op="add")
            ms, item = await timed(s["url"], "feed", max_articles=0)
            add("feed_new_item", ms, item, "ok")
            ctl(args.base, "change", src=s["name"], op="add")
            ms, item = await timed(s["url"], "feed")
            add("feed_new_item_with_article", ms, item, "ok")
        for s in feeds:
            ms, item = await timed(s["url"], "feed")
            add("feed_unchanged_304" if s["conditional"] else "feed_unchanged_no304", ms, item)

    await engine.stop()
    out["kinds"] = {k: summary(v) for k, v in out["kinds"].items()}
    out["floor"] = floors(probes, feeds)
    out["probes"] = probes + feeds
    return out


def floors(probes: list[dict], feeds: list[dict]) -> dict:
    """The same pages parsed and nothing else: lxml and selectolax (HTML), lxml and feedparser (feed)."""
    import feedparser
    import lxml.etree
    import lxml.html
    from selectolax.lexbor import LexborHTMLParser as HTMLParser

    def best_of(fn, body, runs=15) -> list[float]:
        times = []
        for _ in range(runs):
            c0 = time.process_time()
            fn(body)
            times.append((time.process_time() - c0) * 1000)
        return times

    out: dict = {}
    pages = [(s, fetch(s["url"])) for s in probes]
    out["lxml_parse"] = summary(
        [t for _, b in pages for t in best_of(lxml.html.document_fromstring, b)]
    )
    out["selectolax_parse"] = summary([t for _, b in pages for t in best_of(HTMLParser, b)])
    for style in {s["style"] for s in probes}:
        body = next(b for s, b in pages if s["style"] == style)
        out[f"lxml_parse[{style}]"] = summary(best_of(lxml.html.document_fromstring, body))
    try:
        import trafilatura

        body = pages[0][1]
        out["trafilatura_whole_page"] = summary(best_of(trafilatura.extract, body.decode(), runs=3))
    except Exception as error:  # context only, never fatal
        out["trafilatura_whole_page"] = {"error": str(error)}
    feed_bodies = [fetch(s["url"]) for s in feeds]
    out["feedparser_100_items"] = summary(
        [t for b in feed_bodies for t in best_of(lambda x: feedparser.parse(io.BytesIO(x)), b, 5)]
    )
    out["lxml_feed_parse"] = summary(
        [t for b in feed_bodies for t in best_of(lxml.etree.fromstring, b)]
    )
    return out


def main() -> None:
    parser = phase_args()
    parser.add_argument("--samples", type=int, default=100)
    args = parser.parse_args()
    run_phase(args, lambda: measure(args))


if __name__ == "__main__":
    main()
