"""Process faults: SIGKILL at random points of polls, writes and notifications.

Two layers. A fork-server writer (tests/killdriver.py) runs ``record_poll`` and a notification
pass in a loop on a real SQLite file and is killed with SIGKILL a hundred times (more under
``-m slow``) after a random 5–80 ms; after every kill the database is checked against a model
of the committed polls. Then the real daemon is SIGKILLed mid-poll against a loopback
liveblog a few times and restarted. Each kill counts in the fault-suite line ("kills survived").
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.daemon_process import DaemonProcess, liveblog_page
from tests.faultkit import record
from tests.killdriver import expected

pytestmark = pytest.mark.faults


class Zygote:
    """The parent's end of tests/killdriver.py."""

    def __init__(self, db: Path, sent: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.killdriver", str(db), str(sent)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=REPO,
        )
        assert self.ask(None) == "zygote ready"

    def ask(self, command: str | None) -> str:
        assert self.proc.stdin and self.proc.stdout
        if command is not None:
            self.proc.stdin.write(command + "\n")
            self.proc.stdin.flush()
        return self.proc.stdout.readline().strip()

    def close(self) -> None:
        if self.proc.poll() is None and self.proc.stdin:
            self.proc.stdin.write("quit\n")
            self.proc.stdin.close()
            self.proc.wait(10)


def check(db: Path) -> tuple[int, dict[str, int]]:
    """Invariants after a kill; returns (committed polls, damage counts)."""
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        committed = conn.execute("SELECT count(*) FROM polls").fetchone()[0]
        stored = dict(conn.execute("SELECT key, revision FROM entries"))
        revisions = dict(
            conn.execute(
                "SELECT e.key, count(r.id) FROM entries e JOIN revisions r ON r.entry_id = e.id "
                "GROUP BY e.id"
            )
        )
        events = Counter(
            conn.execute(
                "SELECT e.key || ' ' || ev.event FROM events ev JOIN entries e ON e.id = ev.entry_id"
            ).fetchall()
        )
        dupes = conn.execute(
            "SELECT count(*) FROM (SELECT 1 FROM events GROUP BY entry_id, revision, event "
            "HAVING count(*) > 1)"
        ).fetchone()[0]
    finally:
        conn.close()
    model = expected(committed)
    lost = sum(1 for key, rev in model.items() if stored.get(key, 0) < rev)
    duplicated = dupes + sum(1 for key in stored if key not in model)
    duplicated += sum(1 for key, rev in model.items() if stored.get(key, 0) > rev)
    duplicated += sum(1 for key, n in revisions.items() if n != stored[key])
    duplicated += sum(1 for (k,), n in events.items() if k.endswith(" new") and n != 1)
    return committed, {"lost": lost, "duplicated": duplicated}


def kill_run(tmp_path: Path, kills: int, seed: int) -> None:
    db, sent = tmp_path / "killed.db", tmp_path / "sent.log"
    rng = random.Random(seed)
    zygote = Zygote(db, sent)
    phases: Counter[str] = Counter()
    committed, started = 0, time.monotonic()
    try:
        for _ in range(kills):
            pid = int(zygote.ask("run").split()[1])
            time.sleep(rng.uniform(0.005, 0.080))
            os.kill(pid, signal.SIGKILL)
            phases[zygote.ask(f"reap {pid}").split()[1]] += 1
            now, damage = check(db)
            assert damage == {"lost": 0, "duplicated": 0}, (now, damage)
            assert now >= committed  # a committed poll never disappears
            committed = now
        # The interrupted poll's entries arrive on the next polls, and the outbox drains.
        assert zygote.ask("finish 3") == "finished"
        final, damage = check(db)
    finally:
        zygote.close()
    assert final == committed + 3 and damage == {"lost": 0, "duplicated": 0}
    sends = Counter(int(line) for line in sent.read_text().split())
    twice = sum(n - 1 for n in sends.values() if n > 1)
    conn = sqlite3.connect(db)
    with_events = {p for (p,) in conn.execute("SELECT DISTINCT poll_id FROM events")}
    unsent = conn.execute("SELECT count(*) FROM events WHERE notified_at IS NULL").fetchone()[0]
    uncertain = {
        p for (p,) in conn.execute("SELECT poll_id FROM deliveries WHERE state = 'uncertain'")
    }
    conn.close()
    record(f"process: {kills} SIGKILLs of record_poll + notify", kills=kills, **damage)
    # Every writing phase was hit; nothing was left unnotified; no notification went out
    # twice. A kill between "sending" was recorded and "sent" was committed leaves that one
    # delivery uncertain: never resent (it may or may not have arrived), and logged.
    assert phases["storing"] >= kills // 4, phases
    assert unsent == 0 and twice == 0, (unsent, twice, phases)
    assert set(sends) | uncertain == with_events - {min(with_events)}  # baseline: silent
    assert len(uncertain) <= phases["sent-not-marked"] + phases["notifying"], (uncertain, phases)
    elapsed = time.monotonic() - started
    print(
        f"\n{kills} kills in {elapsed:.1f}s, {committed} polls committed, phases "
        f"{dict(phases)}, {twice} notifications sent twice, {len(uncertain)} uncertain"
    )


@pytest.mark.parametrize(
    ("kills", "seed"), [(100, 5), pytest.param(400, 11, marks=pytest.mark.slow)]
)
def test_sigkill_at_random_points_loses_and_duplicates_nothing(tmp_path, kills, seed):
    kill_run(tmp_path, kills, seed)


def test_daemon_sigkilled_mid_poll_restarts_without_loss(server, tmp_path, monkeypatch):
    """The real daemon, killed five times at random moments of a poll in flight."""
    monkeypatch.setenv("TICKERWATCH_MIN_INTERVAL", "0.5")
    db, config = tmp_path / "tw.db", tmp_path / "sources.toml"
    path = "/newsticker/liveblog-kill-1.html"
    rows = [(f"e{i}", f"Meldung {i}", f"Text der Meldung {i}.") for i in range(12)]
    url = server.set(path, liveblog_page(rows[:3]), delay=1.0)
    config.write_text(f'[[source]]\nname = "k"\nurl = "{url}"\nkind = "liveblog"\nevery = "1s"\n')
    rng, shown, kills = random.Random(7), 3, 0
    for _ in range(5):
        daemon = DaemonProcess(db, config)
        daemon.wait_for(r"daemon started")
        shown += 1
        server.set(path, liveblog_page(rows[:shown]), delay=1.0)
        # Killed at a random moment of a poll in flight (the server saw it, has not answered).
        arrived = server.wait_in_flight(path, timeout=30)
        time.sleep(max(0.0, arrived + rng.uniform(0.0, 0.6) - time.monotonic()))
        assert server.in_flight(path) == 1, "the kill must land mid-poll, not on an idle daemon"
        daemon.signal(signal.SIGKILL)
        daemon.wait()
        kills += 1
        with sqlite3.connect(db) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            keys = [k for (k,) in conn.execute("SELECT key FROM entries")]
        assert len(keys) == len(set(keys)) and set(keys) <= {k for k, _, _ in rows[:shown]}
    daemon = DaemonProcess(db, config)
    try:
        daemon.wait_for(r"daemon started")
        # The last page may already be stored (killed after the commit), or its first healthy
        # poll may be the baseline (no NEW lines): wait for the rows, not for a log line.
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with sqlite3.connect(db) as conn:
                if conn.execute("SELECT count(*) FROM entries").fetchone()[0] >= shown:
                    break
            time.sleep(0.2)
    finally:
        assert daemon.stop() == 0
    with sqlite3.connect(db) as conn:
        keys = [k for (k,) in conn.execute("SELECT key FROM entries")]
        news = conn.execute("SELECT count(*) FROM events WHERE event = 'new'").fetchone()[0]
        dupes = conn.execute(
            "SELECT count(*) FROM (SELECT 1 FROM events GROUP BY entry_id, revision, event "
            "HAVING count(*) > 1)"
        ).fetchone()[0]
    lost = shown - len(set(keys))
    record("process: daemon SIGKILL mid-poll", kills=kills, lost=lost, duplicated=dupes)
    assert sorted(keys) == sorted(k for k, _, _ in rows[:shown]) and news == shown and dupes == 0
