"""A misbehaving HTTP server for fault tests: any status, stalls, cut bodies, bombs, redirects.

Raw asyncio streams rather than http.server, so a reply can break HTTP at the byte level:
a Content-Length longer than the body, broken chunked encoding, a connection dropped mid-body,
a socket accepted and never answered. Every request is recorded, so a "canary" instance on
127.0.0.2 (standing for an internal service) can prove it was never reached.
"""

from __future__ import annotations

import asyncio
import gzip
import ssl
import threading
import time
import zlib
from dataclasses import dataclass, field
from functools import cache

# How a reply misbehaves; "normal" is a well-formed response with Content-Length.
MODES = (
    "normal",
    "silent",  # accept the connection, read the request, never answer
    "stall_body",  # headers and half the body, then nothing
    "drop_body",  # headers and half the body, then close
    "short_body",  # Content-Length larger than the body sent, then close
    "bad_chunked",  # chunked with a garbage chunk size
    "endless",  # chunked, never ends (until the client hangs up)
    "raw",  # write ``body`` as the whole response, bytes as given
)


@dataclass
class Reply:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "text/html"})
    mode: str = "normal"
    delay: float = 0.0


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    at: float = field(default_factory=time.time)  # wall clock, to measure a poll's pace


class FaultServer:
    """``with FaultServer() as s: s.route("/x", Reply(...)); s.url("/x"); s.requests``."""

    def __init__(self, host: str = "127.0.0.1", *, tls: ssl.SSLContext | None = None) -> None:
        self.host = host
        self.tls = tls
        self.routes: dict[str, Reply] = {}
        self.default = Reply(b"not found", 404, {"Content-Type": "text/plain"})
        self.requests: list[Seen] = []
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.AbstractServer | None = None
        self._tasks: set[asyncio.Task] = set()
        # Connections open per path right now, and the most ever open at once (overlap checks).
        self.open: dict[str, int] = {}
        self.peak: dict[str, int] = {}

    # --- test API ----------------------------------------------------------------------

    def url(self, path: str, *, host: str | None = None) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{host or self.host}:{self.port}{path}"

    def route(self, path: str, reply: Reply | bytes | str, **options) -> str:
        if not isinstance(reply, Reply):
            body = reply.encode("utf-8") if isinstance(reply, str) else reply
            reply = Reply(body=body, **options)
        self.routes[path] = reply
        return self.url(path)

    def redirect(self, path: str, location: str, status: int = 302) -> str:
        return self.route(path, Reply(b"", status, {"Location": location}))

    def hits(self, path: str | None = None) -> int:
        return sum(1 for r in self.requests if path is None or r.path == path)

    # --- lifecycle ---------------------------------------------------------------------

    def __enter__(self) -> FaultServer:
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self._start(), self._loop)
        future.result(timeout=10)
        return self

    def __exit__(self, *exc) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self.host, 0, ssl=self.tls)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    # --- one connection ----------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, path, _ = (lines[0].split(" ") + ["", ""])[:3]
            headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
            self.requests.append(Seen(method, path, headers))
            self.open[path] = self.open.get(path, 0) + 1
            self.peak[path] = max(self.peak.get(path, 0), self.open[path])
            reply = self.routes.get(path, self.default)
            try:
                if reply.delay:
                    await asyncio.sleep(reply.delay)
                await self._answer(reply, writer, reader)
            finally:
                self.open[path] -= 1
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError, ssl.SSLError):
            pass
        finally:
            self._tasks.discard(task)
            try:
                writer.close()
            except Exception:  # noqa: BLE001 - the peer may be long gone
                pass

    async def _answer(
        self, reply: Reply, writer: asyncio.StreamWriter, reader: asyncio.StreamReader
    ) -> None:
        if reply.mode == "silent":
            # Never answer, but notice when the client gives up (so ``open`` stays true).
            await asyncio.wait_for(reader.read(), 3600)
            return
        if reply.mode == "raw":
            writer.write(reply.body)
            await writer.drain()
            return
        body = reply.body
        head = [f"HTTP/1.1 {reply.status} X"] + [f"{k}: {v}" for k, v in reply.headers.items()]
        chunked = reply.mode in ("bad_chunked", "endless")
        if chunked:
            head.append("Transfer-Encoding: chunked")
        elif reply.mode == "short_body":
            head.append(f"Content-Length: {len(body) * 2 + 100}")
        else:
            head.append(f"Content-Length: {len(body)}")
        head.append("Connection: close")
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
        if reply.mode == "bad_chunked":
            writer.write(b"%x\r\n%s\r\nZZZZ\r\nnot a chunk\r\n" % (len(body), body))
        elif reply.mode == "endless":
            chunk = body or b"<p>" + b"x" * 65536 + b"</p>"
            frame = b"%x\r\n%s\r\n" % (len(chunk), chunk)
            while True:
                writer.write(frame)
                await writer.drain()
        elif reply.mode in ("stall_body", "drop_body"):
            writer.write(body[: len(body) // 2])
            await writer.drain()
            if reply.mode == "stall_body":
                await asyncio.sleep(3600)
            return
        else:
            writer.write(body)
        await writer.drain()


# --- bodies --------------------------------------------------------------------------


@cache
def bomb(encoding: str, size: int = 64 * 1024 * 1024) -> bytes:
    """``size`` bytes of an HTML-ish page compressed with ``encoding`` (gzip, deflate, br)."""
    raw = b"<html><body><p>" + b"A" * (size - 30) + b"</p></body></html>"
    if encoding == "gzip":
        return gzip.compress(raw, compresslevel=9)
    if encoding == "deflate":
        return zlib.compress(raw, 9)
    if encoding == "br":
        import brotli

        return brotli.compress(raw, quality=5)
    raise ValueError(encoding)


def self_signed_context(tmp_dir) -> ssl.SSLContext:
    """A server TLS context with a fresh self-signed certificate for 127.0.0.1."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_dir / "cert.pem", tmp_dir / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    return context
