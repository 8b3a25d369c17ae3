"""A writer to SIGKILL: polls a synthetic, evolving liveblog into a real SQLite file, for ever.

Run as ``python -m tests.killdriver DB SENT_LOG``. It is a *zygote*: it imports everything once,
then for each ``run`` command forks a child that loops ``record_poll`` + one notification pass
until the test kills it with SIGKILL, so a hundred kills cost a hundred forks, not a hundred
interpreter start-ups. Protocol on stdin/stdout, one line each:

``run`` → ``pid N`` (the child has opened the database and is writing) · ``reap N`` →
``dead PHASE`` (what the child was doing when it died) · ``finish K`` → ``finished`` (K polls
and a drained outbox, in-process) · ``quit``.

The page of poll *i* is a pure function of *i* (:func:`page`), and the child takes *i* from the
number of committed poll rows, so an interrupted poll is simply served again on the next run:
the test checks the database against :func:`expected` after every kill.
"""

from __future__ import annotations

import contextlib
import hashlib
import mmap
import os
import signal
import sqlite3
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from crawler.items import EntryItem, PollItem
from crawler.store.db import Store
from crawler.store.recording import record_poll
from crawler.text.cleaning import content_hash
from scheduler.notify import Notifier

URL = "http://127.0.0.1:9/killdriver-liveblog.html"
SOURCE = "killed"
TARGET = "json://127.0.0.1:9/"
START, GROWTH, EDIT_EVERY = 60, 3, 11
PHASES = ("idle", "storing", "sent-not-marked", "notifying")  # "idle": building the next page
BASE = datetime(2024, 3, 31, 0, 0, tzinfo=UTC)
SEND_LATENCY = 0.003  # an HTTP round trip, shortened: the window in which a kill duplicates


def count(i: int) -> int:
    """Entries on the page of poll ``i``."""
    return START + GROWTH * i


def version(j: int, i: int) -> int:
    """How often entry ``j`` has been edited by poll ``i`` (edits happen after it appeared)."""
    first = 0 if j < START else (j - START) // GROWTH + 1
    residue = -j % EDIT_EVERY  # polls p with (p + j) % EDIT_EVERY == 0, first < p <= i
    return max(0, (i - residue) // EDIT_EVERY - (first - residue) // EDIT_EVERY)


@lru_cache(maxsize=4096)
def _entry(j: int, edits: int) -> EntryItem:
    title, body = f"Meldung {j}", f"Text {j}, Fassung {edits}. " + "Füllung " * 20
    return EntryItem(
        key=f"k{j}",
        url=f"{URL}#k{j}",
        title=title,
        body=body,
        raw_hash=hashlib.sha1(body.encode()).hexdigest(),
        content_hash=content_hash(title, body),
        published_at=(BASE + timedelta(minutes=j)).isoformat(),
    )


def page(i: int) -> PollItem:
    """The page as poll ``i`` sees it (entries are cached: building them is not what we test)."""
    n = count(i)
    entries = [replace(_entry(j, version(j, i)), position=n - j) for j in range(n)]
    return PollItem(
        source_url=URL,
        kind="liveblog",
        site="synthetic",  # a forced extractor: no extractor-health heuristics
        source_name=SOURCE,
        entries=entries[::-1],
        body_hash=f"poll-{i}",
        started_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )


def expected(committed: int) -> dict[str, int]:
    """key -> revision after ``committed`` polls."""
    if committed == 0:
        return {}
    last = committed - 1
    return {f"k{j}": 1 + version(j, last) for j in range(count(last))}


class _Zygote:
    def __init__(self, db: str, sent_log: str) -> None:
        self.db, self.sent_log = db, sent_log
        self.phase = mmap.mmap(-1, 1)  # shared with forked children: what a child was doing

    def _set(self, phase: str) -> None:
        self.phase[0] = PHASES.index(phase)

    def _notifier(self) -> Notifier:
        fd = os.open(self.sent_log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        current: dict[str, int] = {}

        def send(target: str, title: str, body: str) -> bool:
            # One write(2): survives SIGKILL (the kernel has it); then "sent, not yet marked".
            os.write(fd, f"{current['poll']}\n".encode())
            self._set("sent-not-marked")
            time.sleep(SEND_LATENCY)  # the receiver has it; we still wait for its answer
            return True

        notifier = Notifier(self.db, {SOURCE: (TARGET,)}, sender=send)
        notifier._store = store = Store(self.db)
        mark = store.mark_notified

        def marked(event_ids, when=None):
            mark(event_ids, when)
            self._set("notifying")  # committed: a kill from here on cannot resend

        store.mark_notified = marked  # type: ignore[method-assign]
        deliver = notifier._deliver

        def tracked(poll_id, source, events, targets):
            current["poll"] = poll_id
            return deliver(poll_id, source, events, targets)

        notifier._deliver = tracked  # type: ignore[method-assign]
        return notifier

    def _poll_once(self, store: Store, notifier: Notifier) -> None:
        committed = store.conn.execute("SELECT count(*) FROM polls").fetchone()[0]
        item = page(committed)
        self._set("storing")
        record_poll(store, item)
        self._set("notifying")
        notifier.run_once()
        self._set("idle")

    def _warm(self) -> None:
        """Build the next pages here, so forked children inherit them and spend their time
        writing (where the kills should land), not hashing synthetic entries."""
        if not os.path.exists(self.db):
            committed = 0
        else:
            with contextlib.closing(sqlite3.connect(self.db)) as conn:
                committed = conn.execute("SELECT count(*) FROM polls").fetchone()[0]
        for i in range(committed, committed + 4):
            page(i)

    def child(self, ready: int) -> None:
        store, notifier = Store(self.db), self._notifier()
        os.write(ready, b"!")
        while True:
            self._poll_once(store, notifier)

    def serve(self) -> None:
        print("zygote ready", flush=True)
        for line in sys.stdin:
            command, *args = line.split()
            if command == "run":
                self._set("idle")
                self._warm()
                read, write = os.pipe()
                pid = os.fork()
                if pid == 0:
                    os.close(read)
                    try:
                        self.child(write)
                    finally:
                        os._exit(1)
                os.close(write)
                os.read(read, 1)  # the child has its connection and is about to write
                os.close(read)
                print(f"pid {pid}", flush=True)
            elif command == "reap":
                os.waitpid(int(args[0]), 0)
                print(f"dead {PHASES[self.phase[0]]}", flush=True)
            elif command == "finish":
                store, notifier = Store(self.db), self._notifier()
                for _ in range(int(args[0])):
                    self._poll_once(store, notifier)
                while notifier.run_once():
                    pass
                store.close()
                print("finished", flush=True)
            elif command == "quit":
                return


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    _Zygote(sys.argv[1], sys.argv[2]).serve()
