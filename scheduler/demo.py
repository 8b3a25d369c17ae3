"""``tickerwatch demo``: a growing liveblog served on 127.0.0.1, watched by the real daemon."""

from __future__ import annotations

import html
import json
import shutil
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from string import Template
from zoneinfo import ZoneInfo

from scheduler.config.model import Config, SourceConfig
from scheduler.logs import setup_logging

BERLIN = ZoneInfo("Europe/Berlin")
PATH = "/newsticker/liveblog-unwetter-demo-100.html"
INITIAL = 3  # entries on the page before the first poll (the baseline)
ADD_EVERY = 4.0  # seconds between new entries
EDIT_EVERY = 3  # every third new entry, the one before it is corrected as well


def _data(name: str) -> str:
    return resources.files("scheduler").joinpath("demo_data", name).read_text(encoding="utf-8")


class DemoLiveblog:
    """The page at a given moment: entries appear every ADD_EVERY seconds, some get edited."""

    def __init__(self, url: str, started: float | None = None) -> None:
        self.url = url
        self.started = time.time() if started is None else started
        self.template = Template(_data("liveblog.html"))
        self.texts = json.loads(_data("entries.json"))

    def entries(self, now: float) -> list[dict]:
        """Newest first; entry n was posted n × ADD_EVERY seconds after the page began."""
        added = int(max(now - self.started, 0) // ADD_EVERY)
        base = datetime.fromtimestamp(self.started, UTC) - timedelta(minutes=INITIAL * 7)
        out = []
        for n in range(INITIAL + added):
            title, *paragraphs = self.texts[n % len(self.texts)]
            if n >= len(self.texts):
                title = f"{title} ({n // len(self.texts) + 1})"
            posted = (
                base
                + timedelta(minutes=7 * min(n, INITIAL))
                + timedelta(seconds=ADD_EVERY * max(n - INITIAL + 1, 0))
            )
            # Editors correct an entry now and then: every EDIT_EVERY-th addition also amends
            # the entry just below the new one, which the daemon reports as "changed".
            k = n - INITIAL + 2
            if 1 <= k <= added and k % EDIT_EVERY == 0:
                paragraphs = [*paragraphs, "Aktualisierung: Angaben der Behörden ergänzt."]
            out.append(
                {
                    "id": f"liveblog-eintrag-{n + 1}",
                    "title": title,
                    "paragraphs": paragraphs,
                    "posted": posted,
                }
            )
        return out[::-1]

    def render(self, now: float | None = None) -> str:
        now = time.time() if now is None else now
        entries = self.entries(now)
        blocks = [_entry_html(e) for e in entries]
        newest = entries[0]["posted"].astimezone(BERLIN)
        highlights = "\n".join(f"<li>{html.escape(e['title'])}</li>" for e in entries[:3])
        return self.template.substitute(
            headline=html.escape(entries[0]["title"]),
            url=html.escape(self.url),
            published=entries[-1]["posted"].isoformat(timespec="seconds"),
            modified=entries[0]["posted"].isoformat(timespec="seconds"),
            stand=newest.strftime("%d.%m.%Y %H:%M"),
            highlights=highlights,
            entries="\n".join(blocks),
        )


def _entry_html(entry: dict) -> str:
    local = entry["posted"].astimezone(BERLIN)
    paragraphs = "\n".join(
        f'<p class="textabsatz columns twelve">{html.escape(p)}</p>' for p in entry["paragraphs"]
    )
    return (
        f'<div class="liveblog--anchor columns twelve" id="{entry["id"]}">\n'
        f'<div class="liveblog__datetime">{local:%d.%m.%Y} • {local:%H:%M} Uhr</div>\n'
        f'<h2 class="meldung__subhead">{html.escape(entry["title"])}</h2>\n'
        f"</div>\n{paragraphs}"
    )


class QuietHandler(BaseHTTPRequestHandler):
    """A request handler that writes no access log line to stderr (the demo's, the bench's)."""

    def log_message(self, *args: object) -> None:
        pass


def send_html(handler: BaseHTTPRequestHandler, body: bytes, status: int = 200) -> None:
    """Answer a request with an HTML page (the demo's; bench/adaptive.py's pages too)."""
    handler.send_response(status)
    handler.send_header("Content-Type", "text/html; charset=utf-8")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


class DemoServer:
    """A ThreadingHTTPServer on a free 127.0.0.1 port serving the demo liveblog."""

    def __init__(self) -> None:
        owner = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                if self.path != PATH:
                    self.send_error(404)
                    return
                send_html(self, owner.page.render().encode("utf-8"))

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}{PATH}"
        self.page = DemoLiveblog(self.url)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def run_demo(*, log_format: str = "text", every: float = 3.0, keep: bool = True) -> int:
    """Serve, watch, print; Ctrl-C stops the daemon cleanly and says where the data is."""
    from scheduler.daemon.service import Daemon
    from scheduler.reactor import run as run_reactor

    workdir = Path(tempfile.mkdtemp(prefix="tickerwatch-demo-"))
    db = workdir / "demo.db"
    server = DemoServer()
    server.start()
    # Built in code, not read from a file: the demo polls faster than the 10 s users may set.
    source = SourceConfig(name="demo-unwetter", url=server.url, kind="liveblog", every=every)
    config = Config(path=workdir / "sources.toml", sources=(source,))
    setup_logging(log_format, events_to_stdout=True)
    print(
        f"Demo liveblog at {server.url}: a new entry every {ADD_EVERY:g}s, polled every "
        f"{every:g}s. Ctrl-C to stop.",
        file=sys.stderr,
        flush=True,
    )
    try:
        code = run_reactor(lambda: Daemon(config, db, watch=False).run())
    finally:
        server.stop()
    if keep:
        print(f"Demo database kept at {db}\n  try: tickerwatch --db {db} entries", file=sys.stderr)
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return code
