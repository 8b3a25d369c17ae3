"""Storage faults: a full disk, a read-only database, a long reader and a competing writer.

In-process cases use SQLite's own knobs (``max_page_count`` answers SQLITE_FULL exactly like a
full disk, ``query_only`` like a read-only file) on a real database file. The daemon case puts
the database on a real 4 MB tmpfs and fills it, then holds the write lock from another
process, and checks that the daemon logs one clear error, keeps running without spinning, and
catches up. A file system turning read-only under the running daemon is not reproduced: Linux
refuses ``remount,ro`` while files are open for writing, and ``chattr +i`` on tmpfs does not
stop writes through open descriptors; that error takes the same path as a full disk.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

import crawler.store.db
from crawler.store.db import Store
from crawler.store.recording import record_poll
from tests.conftest import FIXTURES
from tests.daemon_process import DaemonProcess, liveblog_page
from tests.faultkit import fault_env, faults, poll, record, rows
from tests.killdriver import expected, page

pytestmark = [
    pytest.mark.faults,
    pytest.mark.sqlite_only("SQLite's own knobs, its WAL and its write lock, a file on a tmpfs"),
]
__all__ = ["fault_env", "faults"]
HTML = {"Content-Type": "text/html; charset=utf-8"}


def counts(db: Path) -> tuple[int, ...]:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return tuple(
            conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("polls", "entries", "revisions", "events")
        )


def stored(store: Store) -> dict[str, int]:
    return dict(store.conn.execute("SELECT key, revision FROM entries"))


@pytest.mark.parametrize(
    ("fault", "on", "off", "message"),
    [
        ("disk full", "PRAGMA max_page_count = {pages}", "PRAGMA max_page_count = 1000000", "full"),
        ("read-only", "PRAGMA query_only = ON", "PRAGMA query_only = OFF", "readonly"),
    ],
)
def test_a_poll_that_cannot_be_written_leaves_no_partial_rows(db_path, fault, on, off, message):
    store = Store(db_path)
    try:
        record_poll(store, page(0))
        before = counts(db_path)
        pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
        store.conn.execute(on.format(pages=pages))
        for _ in range(3):  # the same error every time, never "no transaction is active"
            with pytest.raises(sqlite3.OperationalError, match=message):
                record_poll(store, page(1))
            assert not store.conn.in_transaction
        assert counts(db_path) == before
        store.conn.execute(off)
        record_poll(store, page(1))  # space (or write access) is back: the poll goes in whole
        assert stored(store) == expected(2)
    finally:
        store.close()
    record(f"storage: {fault} rolls back", lost=len(expected(2)) - len(stored(Store(db_path))))


def hold_write_lock(db: Path, seconds: float) -> subprocess.Popen:
    """Another process (a CLI poll, a migration, sqlite3 in a shell) holding BEGIN IMMEDIATE."""
    code = (
        "import sqlite3, sys, time\n"
        "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "c.execute('BEGIN IMMEDIATE'); print('locked', flush=True)\n"
        "time.sleep(float(sys.argv[2])); c.execute('COMMIT')\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(db), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout and proc.stdout.readline().strip() == "locked"
    return proc


def test_long_reader_and_competing_writer(db_path, monkeypatch):
    monkeypatch.setattr(crawler.store.db, "WAL_CHECKPOINT_PAGES", 50)
    store = Store(db_path)
    reader = sqlite3.connect(db_path, isolation_level=None)
    try:
        record_poll(store, page(0))
        # datasette: a read transaction open for the whole burst of writes.
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM entries").fetchone()
        slowest = 0.0
        for i in range(1, 31):
            start = time.monotonic()
            record_poll(store, page(i))
            slowest = max(slowest, time.monotonic() - start)
        # Before the fix each of these commits waited 30 s for the reader (TRUNCATE checkpoint).
        assert slowest < 1.0, slowest
        wal = Path(f"{db_path}-wal")
        assert wal.stat().st_size > 50 * 4096  # the reader pinned the WAL
        reader.execute("COMMIT")
        record_poll(store, page(31))
        assert wal.stat().st_size <= 50 * 4096  # checkpointed back once the reader let go
        # A competing writer holds the lock for 2 s: the poll waits for it, then goes in.
        locker = hold_write_lock(db_path, 2.0)
        start = time.monotonic()
        record_poll(store, page(32))
        assert time.monotonic() - start >= 1.5 and locker.wait(10) == 0
        assert stored(store) == expected(33)
    finally:
        reader.close()
        store.close()
    record("storage: long reader, WAL checkpointed after")
    record("storage: competing writer waited for")


@contextlib.contextmanager
def tiny_filesystem(where: Path, size: str = "4m"):
    where.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True
    )
    if mounted.returncode != 0 and os.geteuid() != 0:
        pytest.skip(f"mounting a tmpfs needs root: {mounted.stderr.decode().strip()}")
    assert mounted.returncode == 0, mounted.stderr.decode()  # root, and still no mount: a failure
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def fill(path: Path) -> None:
    with open(path, "wb", buffering=0) as filler:
        with contextlib.suppress(OSError):
            while True:
                filler.write(b"\0" * 65536)
        with contextlib.suppress(OSError):
            while True:
                filler.write(b"\0" * 512)


def pending_events(db: Path) -> int:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return conn.execute("SELECT count(*) FROM events WHERE notified_at IS NULL").fetchone()[0]


def test_daemon_survives_a_full_disk_and_a_held_lock(server, tmp_path, monkeypatch):
    monkeypatch.setenv("TICKERWATCH_MIN_INTERVAL", "0.5")
    path = "/newsticker/liveblog-disk-1.html"
    long_text = "Ein langer Absatz über die Lage. " * 60
    rows = [(f"e{i}", f"Meldung {i}", f"{long_text} {i}") for i in range(80)]
    with tiny_filesystem(tmp_path / "small") as small:
        db, config = small / "tw.db", tmp_path / "sources.toml"
        url = server.set(path, liveblog_page(rows[:2]))
        config.write_text(
            f'[[source]]\nname = "d"\nurl = "{url}"\nkind = "liveblog"\nevery = "0.5s"\n'
        )
        daemon = DaemonProcess(db, config, log=tmp_path / "daemon.log")
        try:
            daemon.wait_for(r"^BASELINE d 2 entries")
            deadline = time.monotonic() + 10
            while pending_events(db) and time.monotonic() < deadline:
                time.sleep(0.05)
            # 1. The disk fills up: polls fail whole, one ERROR line, no spinning.
            fill(small / "filler")
            server.set(path, liveblog_page(rows[:60]))
            daemon.wait_for(r"database or disk is full")
            hits = server.hits(path)
            time.sleep(2.5)
            assert daemon.proc.poll() is None and server.hits(path) - hits <= 3
            (small / "filler").unlink()
            daemon.wait_for(r"^NEW d \S+ Meldung 59 ", timeout=15)
            # 2. Another process holds the write lock for 2.5 s: the poll waits, then commits.
            locker = hold_write_lock(db, 2.5)
            server.set(path, liveblog_page(rows[:61]))
            daemon.wait_for(r"^NEW d \S+ Meldung 60 ", timeout=15)
            assert locker.wait(10) == 0
        finally:
            code = daemon.stop()
        log = daemon.text()
        assert code == 0 and "Traceback" not in log and "locked" not in log
        errors = [line for line in log.splitlines() if " ERROR " in line]
        assert sum("disk is full" in line for line in errors) == 1, errors
        assert len(errors) <= 2, errors  # the poll's store once, the notifier at most once
        with contextlib.closing(sqlite3.connect(db)) as conn:
            keys = [k for (k,) in conn.execute("SELECT key FROM entries")]
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert sorted(keys) == sorted(k for k, _, _ in rows[:61])
        os.sync()
    record("storage: daemon, disk full", lost=61 - len(set(keys)), duplicated=len(keys) - 61)
    record("storage: daemon, write lock held elsewhere")


def test_a_pinned_entry_shown_twice_is_stored_once_and_unpinning_is_no_edit(faults, db_path):
    """Reach-style page: entry 102 pinned above the timeline and repeated in it (our own page,
    tests/fixtures/reach_pinned_duplicate.html), then unpinned, then pinned again."""
    pinned = (FIXTURES / "reach_pinned_duplicate.html").read_text(encoding="utf-8")
    start = pinned.index("  <!-- pinned copy")
    end = pinned.index('<div class="live-event-entry" id="103"')
    unpinned = pinned[:start] + pinned[end:]
    unpinned = re.sub(r'<div class="live-event-key-events">.*?</div></li></ul></div>', "", unpinned)
    assert unpinned.count('live-event-entry" id="102"') == 1 and "key-bubble" not in unpinned
    url = faults.route("/news/storm-live-12345", pinned, headers=HTML)
    states = []
    for body in (pinned, unpinned, pinned):
        faults.route("/news/storm-live-12345", body, headers=HTML)
        result = poll(db_path, url)
        assert result.returncode == 0, result.stderr[-2000:]
        states.append(
            rows(db_path, "SELECT key, pinned, revision, removed_at FROM entries ORDER BY key")
        )
    events = dict(rows(db_path, "SELECT event, count(*) FROM events GROUP BY event"))
    record("semantics: pinned entry shown twice", duplicated=len(states[0]) - 3)
    assert [s[0] for s in states[0]] == ["101", "102", "103"]
    assert [(k, p) for k, p, _, _ in states[0]] == [("101", 0), ("102", 1), ("103", 0)]
    assert [(k, p) for k, p, _, _ in states[1]] == [("101", 0), ("102", 0), ("103", 0)]
    assert states[2] == states[0]  # pinned again: flag back, still revision 1, nothing removed
    assert events == {"new": 3}  # no `changed`, `removed` or `restored` from (un)pinning
