"""A real HTTP server on 127.0.0.1 for tests: routes can change between polls, requests are recorded."""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    conditional: bool = False  # answer If-None-Match with 304 (ETag = body hash)
    delay: float = 0.0  # seconds to wait before answering (a poll caught in flight)


class LoopbackServer:
    """``server.set("/page.html", body)`` serves it; ``server.requests`` lists (method, path, headers)."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.answered: list[str] = []  # paths, once their reply was written
        self.arrived: list[tuple[str, float]] = []  # (path, time.monotonic()) per request
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                owner.arrived.append((self.path, time.monotonic()))
                owner.requests.append(("GET", self.path, dict(self.headers.items())))
                try:
                    self._reply()
                finally:
                    owner.answered.append(self.path)

            def _reply(self) -> None:
                route = owner.routes.get(self.path)
                if route is None:
                    self._send(404, b"not found", "text/plain", {})
                    return
                if route.delay:
                    time.sleep(route.delay)
                headers = dict(route.headers)
                if route.conditional:
                    etag = '"' + hashlib.sha1(route.body).hexdigest()[:16] + '"'
                    headers["ETag"] = etag
                    headers.setdefault("Last-Modified", formatdate(usegmt=True))
                    if self.headers.get("If-None-Match") == etag:
                        self._send(304, b"", None, headers)
                        return
                self._send(route.status, route.body, route.content_type, headers)

            def _send(self, status, body, content_type, headers) -> None:
                self.send_response(status)
                if content_type:
                    self.send_header("Content-Type", content_type)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if body:
                    self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def set(self, path: str, body: bytes | str, **options) -> str:
        if isinstance(body, str):
            body = body.encode("utf-8")
        self.routes[path] = Route(body=body, **options)
        return self.url(path)

    def hits(self, path: str) -> int:
        return sum(1 for _, p, _ in self.requests if p == path)

    def in_flight(self, path: str) -> int:
        """Requests for ``path`` received and not yet answered (a poll caught mid-download)."""
        return self.hits(path) - self.answered.count(path)

    def wait_in_flight(self, path: str, timeout: float = 30.0) -> float:
        """Block until a request for ``path`` is in flight; its arrival (time.monotonic())."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.in_flight(path):
                return max(t for p, t in self.arrived if p == path)
            time.sleep(0.01)
        raise AssertionError(f"no request for {path} in flight within {timeout}s")

    def __enter__(self) -> LoopbackServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
