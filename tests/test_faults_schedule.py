"""Network faults at the daemon level: Retry-After, persistent 5xx, a stalled server, a second daemon.

One real daemon (``tickerwatch run``) polls seven sources on the fault server at once, each
misbehaving in its own way, so the whole set costs one start-up and about ten seconds. The
fault server stamps every request with the wall clock and counts open connections per path,
which is what the pace and overlap checks below read. Retry-After values that cannot be waited
out in a test (six hours) are checked through the stored plan and the pure math.
"""

from __future__ import annotations

import math
import random
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from email.utils import formatdate

import pytest

from scheduler.timing.schedule import BACKOFF_CAP, RETRY_AFTER_CAP, backoff, next_delay
from scheduler.timing.schedule import parse_retry_after as parse
from tests.conftest import tickerwatch
from tests.daemon_process import DaemonProcess, liveblog_page
from tests.faultkit import fault_env, faults, record
from tests.faultserver import FaultServer, Reply

pytestmark = pytest.mark.faults
__all__ = ["fault_env", "faults"]

NOW = datetime(2024, 10, 27, 1, 30, tzinfo=UTC)
TEXT = {"Content-Type": "text/plain"}
HTML = {"Content-Type": "text/html; charset=utf-8"}
GOOD = liveblog_page([(f"e{i}", f"Meldung {i}", f"Text {i}.") for i in range(4)]).encode()


@pytest.mark.parametrize(
    ("header", "wait"),
    [
        ("120", 120.0),
        ("0", 0.0),
        ("Sun, 27 Oct 2024 01:32:00 GMT", 120.0),  # an HTTP date, two minutes ahead
        ("Sun, 27 Oct 2024 03:32:00 +0200", 120.0),  # the same instant written in CEST
        ("Sun, 27 Oct 2024 01:00:00 GMT", 0.0),  # already past: no extra wait
        ("99999999999", RETRY_AFTER_CAP),  # absurd: capped at six hours
        ("Fri, 31 Dec 9999 23:59:59 GMT", RETRY_AFTER_CAP),
        ("soon", None),  # garbage: ignored, backoff decides
        ("-5", None),
        ("1.5", None),
        ("", None),
    ],
)
def test_retry_after_math(header, wait):
    assert parse(header, now=NOW) == wait
    rng = random.Random(1)
    delay = next_delay(60, 1, wait, rng=rng)
    # Never sooner than the server asked, never sooner than the backoff, never past six hours.
    assert max(wait or 0, 108) <= delay <= max(wait or 0, 132) <= RETRY_AFTER_CAP
    record(f"schedule: Retry-After {header or 'empty'!r}")


def test_persistent_errors_back_off_to_a_cap():
    delays = [backoff(30, streak) for streak in range(12)]
    assert delays[:4] == [30, 60, 120, 240] and max(delays) == BACKOFF_CAP
    assert all(a <= b for a, b in zip(delays, delays[1:], strict=False))
    record("schedule: backoff capped")


def gaps(srv: FaultServer, path: str) -> list[float]:
    times = [r.at for r in srv.requests if r.path == path]
    return [b - a for a, b in zip(times, times[1:], strict=False)]


def wait_until(condition, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_daemon_honours_retry_after_backs_off_and_survives_a_stall(faults, tmp_path, monkeypatch):
    monkeypatch.setenv("TICKERWATCH_MIN_INTERVAL", "0.5")
    db, config = tmp_path / "tw.db", tmp_path / "sources.toml"
    retry_at = math.ceil(time.time()) + 8
    routes = {
        "ra-seconds": Reply(b"busy", 503, {**TEXT, "Retry-After": "3"}),
        "ra-date": Reply(
            b"slow down", 429, {**TEXT, "Retry-After": formatdate(retry_at, usegmt=True)}
        ),
        "ra-garbage": Reply(b"busy", 503, {**TEXT, "Retry-After": "in a while"}),
        "ra-huge": Reply(b"busy", 503, {**TEXT, "Retry-After": "99999999"}),
        "flaky": Reply(GOOD, 200, HTML),
        "stalled": Reply(mode="silent"),
        "steady": Reply(GOOD, 200, HTML),
    }
    text = ""
    for name, reply in routes.items():
        url = faults.route(f"/{name}", reply)
        every = "0.5s" if name == "flaky" else "1s"
        text += (
            f'[[source]]\nname = "{name}"\nurl = "{url}"\nkind = "liveblog"\nevery = "{every}"\n'
        )
        text += 'timeout = "1.5s"\n\n' if name == "stalled" else "\n"
    config.write_text(text)
    daemon = DaemonProcess(db, config)
    try:
        daemon.wait_for(r"^BASELINE flaky ")
        faults.route("/flaky", Reply(b"oops", 500, TEXT))
        # A second daemon on the same database refuses at once and names the running one.
        second = tickerwatch("run", "--config", str(config), db=db, timeout=30)
        assert second.returncode != 0 and f"pid {daemon.proc.pid}" in second.stderr
        record("process: second daemon refused")
        daemon.wait_for(r"source flaky degraded: 3 consecutive failed polls", timeout=15)
        faults.route("/flaky", Reply(GOOD, 200, HTML))
        daemon.wait_for(r"source flaky recovered", timeout=15)
        wait_until(lambda: faults.hits("/stalled") >= 3 and faults.hits("/ra-date") >= 2, 15)
    finally:
        assert daemon.stop() == 0
    log = daemon.text()
    assert "Traceback" not in log

    # Retry-After in seconds and as an HTTP date: the next poll waits as told, not much longer.
    assert 3.0 <= gaps(faults, "/ra-seconds")[0] <= 4.5
    first_date_poll = [r.at for r in faults.requests if r.path == "/ra-date"][:2]
    assert retry_at - 0.3 <= first_date_poll[1] <= retry_at + 1.5, (first_date_poll, retry_at)
    # Garbage: the ordinary backoff (1 s interval, one error: 2 s ± 10 %).
    assert 1.7 <= gaps(faults, "/ra-garbage")[0] <= 3.0
    # Absurd: capped at six hours (not polled again here; the stored plan says when).
    assert faults.hits("/ra-huge") == 1
    with sqlite3.connect(db) as conn:
        due = conn.execute("SELECT next_due_at FROM sources WHERE name = 'ra-huge'").fetchone()[0]
        flaky = conn.execute(
            "SELECT count(*), sum(removed_at IS NOT NULL), max(revision) FROM entries e "
            "JOIN sources s ON s.id = e.source_id WHERE s.name = 'flaky'"
        ).fetchone()
        flaky_events = conn.execute(
            "SELECT count(*) FROM events ev JOIN sources s ON s.id = ev.source_id "
            "WHERE s.name = 'flaky' AND ev.poll_id > (SELECT min(id) FROM polls p "
            "WHERE p.source_id = s.id)"
        ).fetchone()[0]
        stalled = conn.execute(
            "SELECT p.status, p.error FROM polls p JOIN sources s ON s.id = p.source_id "
            "WHERE s.name = 'stalled'"
        ).fetchall()
    left = datetime.fromisoformat(due) - datetime.now(UTC)
    assert timedelta(hours=5, minutes=58) <= left <= timedelta(hours=6, minutes=1), left
    for case in ("seconds", "date", "garbage", "huge"):
        record(f"schedule: daemon Retry-After {case}")

    # Persistent 500s: backoff doubles (0.5 s interval: 1, 2, 4 s), one degraded warning, per-poll
    # lines demoted after the first, automatic recovery, and no entry touched.
    flaky_gaps = gaps(faults, "/flaky")[1:4]
    for gap, expected in zip(flaky_gaps, (1.0, 2.0, 4.0), strict=True):
        # Never early (the doubling); late only by what a busy machine adds.
        assert 0.85 * expected <= gap <= 1.3 * expected + 1.5, flaky_gaps
    assert log.count("source flaky degraded") == 1 and log.count("source flaky recovered") == 1
    assert len([line for line in log.splitlines() if "WARNING" in line and "flaky" in line]) == 2
    assert flaky == (4, 0, 1) and flaky_events == 0
    record("schedule: persistent 500, one warning, recovery", lost=4 - flaky[0])

    # A stalled server: each poll aborted at the 1.5 s timeout, never two at once, and the
    # other sources kept their pace meanwhile.
    assert faults.peak["/stalled"] == 1
    assert stalled and all(s == "error" and e.startswith("timeout") for s, e in stalled)
    assert 1.5 + 1.7 <= gaps(faults, "/stalled")[0] <= 1.5 + 2.2 + 1.0
    steady = gaps(faults, "/steady")
    assert len(steady) >= 6 and max(steady) <= 1.6, steady
    record("schedule: stalled source, others keep pace")
