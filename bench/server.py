"""The benchmark's loopback HTTP server, run in its own process so its CPU is not the engine's.

``python -m bench.server --liveblogs N --feeds M [--seed S]`` prints ``READY <port>`` and serves:

- ``/lb/<name>``, ``/feed/<name>``, ``/art/<feed>/<id>``: pages; sources built with
  ``conditional`` answer ``If-None-Match`` / ``If-Modified-Since`` with 304, the others send no
  validators at all;
- ``/_ctl/sources``: the sources (url, kind, conditional, entries, bytes);
- ``/_ctl/change?src=NAME&op=add|edit``: one change now, returns the tag and time it appeared;
- ``/_ctl/auto?interval=S&add=P&edit=P&kinds=lb,feed``: every ``interval`` seconds each source
  gains an entry with probability ``add`` or has one edited with probability ``edit``, at a
  random moment inside the interval; ``/_ctl/auto?stop=1`` ends it;
- ``/_ctl/appeared``: every change made so far (tag, time), for detection latency;
- ``/_ctl/stats``: requests served by status.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import subprocess
import sys
import time
from collections import Counter
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qs, urlsplit

from bench.common import ROOT
from bench.pages import World, article_html, http_date


class Server:
    def __init__(self, world: World) -> None:
        self.world = world
        self.base = ""
        self.appeared: list[dict] = []
        self.stats: Counter = Counter()
        self.auto_task: asyncio.Task | None = None

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target, _version = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        k, v = line.split(":", 1)
                        headers[k.strip().lower()] = v.strip()
                status, extra, body = self.route(method, target, headers)
                self.stats[status] += 1
                out = [f"HTTP/1.1 {status} {'OK' if status == 200 else 'X'}"]
                out += [f"{k}: {v}" for k, v in extra.items()]
                out.append(f"Content-Length: {len(body)}")
                writer.write(("\r\n".join(out) + "\r\n\r\n").encode("latin-1") + body)
                await writer.drain()
                if headers.get("connection", "").lower() == "close":
                    break
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass
        finally:
            writer.close()

    def route(self, method: str, target: str, headers: dict) -> tuple[int, dict, bytes]:
        parts = urlsplit(target)
        path, query = parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()}
        segs = path.strip("/").split("/")
        if segs[0] == "_ctl":
            return (
                200,
                {"Content-Type": "application/json"},
                json.dumps(self.control(segs[1], query)).encode(),
            )
        if segs[0] == "lb" and len(segs) == 2 and segs[1] in self.world.liveblogs:
            return self.page(self.world.liveblogs[segs[1]], "text/html; charset=utf-8", headers)
        if segs[0] == "feed" and len(segs) == 2 and segs[1] in self.world.feeds:
            return self.page(self.world.feeds[segs[1]], "application/rss+xml", headers)
        if segs[0] == "art" and len(segs) == 3 and segs[2].isdigit():
            body = article_html(self.world.pool, segs[1], int(segs[2]))
            return 200, {"Content-Type": "text/html; charset=utf-8"}, body
        return 404, {"Content-Type": "text/plain"}, b"not found"

    def page(self, source, ctype: str, headers: dict) -> tuple[int, dict, bytes]:
        extra = {"Content-Type": ctype}
        if source.conditional:
            etag = f'"v{source.version}"'
            modified = int(source.changed_at)
            extra["ETag"] = etag
            extra["Last-Modified"] = http_date(modified)
            inm, ims = headers.get("if-none-match"), headers.get("if-modified-since")
            if inm is not None:
                if etag in [t.strip() for t in inm.split(",")]:
                    return 304, extra, b""
            elif ims:
                try:
                    if parsedate_to_datetime(ims).timestamp() >= modified:
                        return 304, extra, b""
                except (TypeError, ValueError):
                    pass
        return 200, extra, source.body

    def control(self, command: str, query: dict) -> object:
        if command == "sources":
            out = []
            for blog in self.world.liveblogs.values():
                out.append(
                    {
                        "name": blog.name,
                        "url": blog.url(self.base),
                        "kind": "liveblog",
                        "style": blog.style,
                        "conditional": blog.conditional,
                        "entries": len(blog.entries),
                        "bytes": len(blog.body),
                    }
                )
            for feed in self.world.feeds.values():
                out.append(
                    {
                        "name": feed.name,
                        "url": feed.url(self.base),
                        "kind": "feed",
                        "style": "rss",
                        "conditional": feed.conditional,
                        "entries": len(feed.items),
                        "bytes": len(feed.body),
                    }
                )
            return out
        if command == "change":
            record = self.world.change(query["src"], query.get("op", "add"), self.base)
            self.appeared.append(record)
            return record
        if command == "auto":
            if self.auto_task is not None:
                self.auto_task.cancel()
                self.auto_task = None
            if not query.get("stop"):
                self.auto_task = asyncio.ensure_future(self.auto(query))
            return {"ok": True}
        if command == "appeared":
            return self.appeared
        if command == "stats":
            return {"requests": dict(self.stats), "cpu": time.process_time()}
        return {"error": "unknown command"}

    async def auto(self, query: dict) -> None:
        interval = float(query.get("interval", 60))
        p_add, p_edit = float(query.get("add", 0.2)), float(query.get("edit", 0.05))
        kinds = query.get("kinds", "lb,feed").split(",")
        rng = random.Random(int(query.get("seed", 7)))
        names = [n for n in self.world.liveblogs if "lb" in kinds]
        names += [n for n in self.world.feeds if "feed" in kinds]
        loop = asyncio.get_running_loop()
        while True:
            start = loop.time()
            for name in names:
                roll = rng.random()
                op = "add" if roll < p_add else "edit" if roll < p_add + p_edit else None
                if op:
                    loop.call_at(start + rng.uniform(0, interval), self._auto_change, name, op)
            await asyncio.sleep(max(0.0, start + interval - loop.time()))

    def _auto_change(self, name: str, op: str) -> None:
        if self.auto_task is not None:
            self.appeared.append(self.world.change(name, op, self.base))


class ServerProcess:
    """The parent's handle on this server run as its own process (bench/run.py)."""

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


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--liveblogs", type=int, default=10)
    parser.add_argument("--feeds", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    world = World(args.liveblogs, args.feeds, args.seed)
    server = Server(world)
    srv = await asyncio.start_server(server.handle, "127.0.0.1", 0, backlog=512)
    port = srv.sockets[0].getsockname()[1]
    server.base = f"http://127.0.0.1:{port}"
    world.render_all(server.base)
    print(f"READY {port}", flush=True)
    # The parent closing our stdin (or dying) ends the server: it never outlives the benchmark.
    loop = asyncio.get_running_loop()
    stdin_closed = loop.create_future()
    loop.add_reader(sys.stdin.fileno(), lambda: stdin_closed.done() or stdin_closed.set_result(1))
    async with srv:
        await stdin_closed


if __name__ == "__main__":
    asyncio.run(main())
