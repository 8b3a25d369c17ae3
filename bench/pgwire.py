"""Statements per poll, counted on the wire: a pass-through proxy in front of PostgreSQL.

``pg_stat_statements`` needs ``shared_preload_libraries`` (a server restart) and is not loaded on
the project's machines; ``pg_stat_database`` counts transactions, not statements. So the
benchmark's workers connect through this proxy, which forwards every byte unchanged and reads
the frontend's messages as they pass (PostgreSQL protocol 3): a simple query (``Q``) or an
extended-protocol execute (``E``, one per row of a pipelined ``executemany``) is one statement.
Each connection is attributed to the ``application_name`` of its startup message (the benchmark
gives every worker its own), and the statements that insert a ``polls`` row count that worker's
committed polls (a poll that lost its tick's compare-and-set rolls back before that insert), and
the statements that name a ``procrastinate`` table or function are the job queue's.

Connections must not use TLS (``sslmode=disable``): the proxy reads plain protocol.
"""

from __future__ import annotations

import asyncio
import struct
import threading
from collections import Counter, defaultdict

_SSL_REQUEST, _GSS_REQUEST, _CANCEL = 80877103, 80877104, 80877102
_POLL_INSERT = b"INSERT INTO polls"
_QUEUE = b"procrastinate"


class WireCounter:
    """Forward 127.0.0.1:``port`` to ``host:upstream``; count statements per application_name."""

    def __init__(self, host: str, upstream: int) -> None:
        self.host, self.upstream = host, upstream
        self.counts: defaultdict[str, Counter] = defaultdict(Counter)
        self.lock = threading.Lock()
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()
        self.port = 0
        self.thread = threading.Thread(target=self._serve, args=(ready,), daemon=True)
        self.thread.start()
        ready.wait(10)

    def _serve(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(
            asyncio.start_server(self._client, "127.0.0.1", 0, backlog=256)
        )
        self.port = server.sockets[0].getsockname()[1]
        ready.set()
        self.loop.run_forever()
        server.close()

    def snapshot(self) -> dict[str, Counter]:
        with self.lock:
            return {name: Counter(c) for name, c in self.counts.items()}

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(self.host, self.upstream)
        except OSError:
            writer.close()
            return
        back = asyncio.ensure_future(_pipe(up_reader, writer))
        try:
            await self._frontend(reader, up_writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            up_writer.close()
            await asyncio.gather(back, return_exceptions=True)
            writer.close()

    async def _frontend(self, reader: asyncio.StreamReader, up: asyncio.StreamWriter) -> None:
        name = "?"
        while True:  # untyped start: SSL/GSS requests (answered 'N'), then the startup message
            head = await reader.readexactly(8)
            length, code = struct.unpack("!ii", head)
            body = await reader.readexactly(length - 8)
            up.write(head + body)
            if code in (_SSL_REQUEST, _GSS_REQUEST):
                continue
            if code != _CANCEL:
                params = body.split(b"\0")
                pairs = dict(zip(params[0::2], params[1::2], strict=False))
                name = pairs.get(b"application_name", b"?").decode(errors="replace")
            break
        # What each prepared statement is (psycopg prepares a query it ran five times and then
        # only binds and executes it): statement name -> (is the queue's, inserts a poll).
        statements: dict[bytes, tuple[bool, bool]] = {}
        portals: dict[bytes, bytes] = {}
        while True:
            head = await reader.readexactly(5)
            kind, length = head[:1], struct.unpack("!i", head[1:])[0]
            body = await reader.readexactly(length - 4)
            up.write(head + body)
            await up.drain()
            if kind == b"X":
                return
            if kind == b"P":  # Parse: statement name, query
                statement, _, rest = body.partition(b"\0")
                statements[statement] = _classify(rest[:400])
            elif kind == b"B":  # Bind: portal name, statement name
                portal, _, rest = body.partition(b"\0")
                portals[portal] = rest.partition(b"\0")[0]
            elif kind in (b"Q", b"E"):  # a simple query, or Execute: portal name
                if kind == b"Q":
                    queue, poll = _classify(body[:400])
                else:
                    statement = portals.get(body.partition(b"\0")[0], b"")
                    queue, poll = statements.get(statement, (False, False))
                with self.lock:
                    counts = self.counts[name]
                    counts["statements"] += 1
                    counts["queue"] += queue
                    counts["polls"] += poll


def _classify(text: bytes) -> tuple[bool, bool]:
    """(a statement of the job queue, the insert of a poll row)."""
    return _QUEUE in text, text.lstrip().startswith(_POLL_INSERT)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(1 << 16):
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()
