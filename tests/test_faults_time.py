"""Time faults: DST nights in Europe/Berlin and wall-clock jumps, against the daemon's scheduler.

The daemon plans each source as an APScheduler ``date`` job re-armed after every poll
(scheduler/daemon/service.py) and watches the wall clock against the monotonic one
(scheduler/timing/clock.py). Here the same pieces run in-process — a real ``AsyncIOScheduler`` with
the daemon's job defaults, jobs re-armed with ``next_delay`` like ``Daemon._poll``, and the
real ``keep_pace`` watcher — while time-machine moves the wall clock (``datetime.now``,
``time.time``) and leaves the monotonic clock that asyncio's timers use alone, which is what a
real clock step does. The last test runs the real daemon in a child process whose wall clock
tests/clockjump.py sets back (time-machine there too; libfaketime's monotonic passthrough
breaks ``time.sleep``), with a poll in flight at the jump.
"""

from __future__ import annotations

import asyncio
import signal
import time
from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from crawler.store.recording import record_poll
from scheduler.daemon.service import JOB_DEFAULTS
from scheduler.timing.clock import ClockWatch, keep_pace, wall_offset
from scheduler.timing.schedule import next_delay
from tests.daemon_process import DaemonProcess, liveblog_page
from tests.faultkit import fault_env, faults, record
from tests.faultserver import Reply
from tests.killdriver import page

time_machine = pytest.importorskip("time_machine")
pytestmark = pytest.mark.faults
__all__ = ["fault_env", "faults"]

INTERVAL = 0.5
# 01:59:50 CET → 03:00 CEST, and 02:59:50 CEST → 02:00 CET (the repeated hour), in UTC.
SPRING = datetime(2024, 3, 31, 0, 59, 57, tzinfo=UTC)
AUTUMN = datetime(2024, 10, 27, 0, 59, 57, tzinfo=UTC)


@pytest.fixture
def berlin(monkeypatch):
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


async def run_jobs(
    traveller, seconds: float, jump: float | None, *, watch: bool
) -> dict[str, list[float]]:
    """Two sources polled every INTERVAL for ``seconds`` of real time; the wall clock jumps by
    ``jump`` seconds half-way. Returns each source's run times (monotonic)."""
    scheduler = AsyncIOScheduler(
        event_loop=asyncio.get_running_loop(), job_defaults=JOB_DEFAULTS, timezone=UTC
    )
    runs: dict[str, list[float]] = {"a": [], "b": []}
    planned_on: dict[str, float] = {}

    async def poll(name: str) -> None:
        runs[name].append(time.monotonic())
        await asyncio.sleep(0.01)  # a poll takes a moment; the next one is armed after it
        due = datetime.now(UTC) + timedelta(seconds=next_delay(INTERVAL))
        scheduler.add_job(poll, "date", run_date=due, args=[name], id=name, replace_existing=True)
        planned_on[name] = wall_offset()  # as Daemon._arm does

    scheduler.start()
    for name in runs:
        scheduler.add_job(poll, "date", run_date=datetime.now(UTC), args=[name], id=name)
    watcher = (
        asyncio.ensure_future(keep_pace(lambda: scheduler, 0.2, planned_on)) if watch else None
    )
    await asyncio.sleep(seconds / 2)
    if jump is not None:
        traveller.shift(jump)
    await asyncio.sleep(seconds / 2)
    if watcher is not None:
        watcher.cancel()
    scheduler.shutdown(wait=False)
    return runs


@pytest.mark.parametrize(
    ("case", "start", "jump"),
    [
        ("spring DST night", SPRING, None),
        ("autumn DST night", AUTUMN, None),
        ("clock set back 2 h", AUTUMN, -7200.0),
        ("clock set forward 1 day", SPRING, 86400.0),
    ],
)
def test_every_source_runs_once_per_interval(berlin, case, start, jump):
    seconds = 3.0
    with time_machine.travel(start, tick=True) as traveller:
        runs = asyncio.run(run_jobs(traveller, seconds, jump, watch=True))
    for name, times in runs.items():
        gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
        # Once per interval (±10 % jitter, plus the watcher's reaction time at a jump) …
        assert seconds / (INTERVAL * 1.1) - 2 <= len(times) <= seconds / (INTERVAL * 0.9) + 1.5
        # … no catch-up flood and no hang. A forward jump makes a poll planned before it due at
        # once: at most that one poll comes early (it is what a resumed laptop needs, too).
        early = [gap for gap in gaps if gap < INTERVAL * 0.8]
        assert len(early) <= (1 if jump and jump > 0 else 0), (name, gaps)
        assert max(gaps) <= INTERVAL * 1.1 + 0.5, (name, gaps)
    record(f"time: {case}")


def test_without_the_watcher_a_clock_set_back_stops_every_source(berlin):
    """The control: APScheduler alone waits out the two hours (the bug keep_pace fixes)."""
    with time_machine.travel(AUTUMN, tick=True) as traveller:
        runs = asyncio.run(run_jobs(traveller, 3.0, -7200.0, watch=False))
    # A source whose next poll was armed before the jump does not run again (for two hours);
    # one that happened to be mid-poll at the jump re-arms on the new clock and carries on.
    assert any(max(t) < min(t) + 1.6 for t in runs.values()), runs


def test_clock_watch_sees_jumps_not_drift():
    wall, mono = [1000.0], [50.0]
    watch = ClockWatch(wall=lambda: wall[0], mono=lambda: mono[0])
    wall[0], mono[0] = 1002.0, 52.0
    assert watch.check() == 0.0  # both moved: no jump
    wall[0], mono[0] = 1003.0, 54.0
    assert watch.check() == 0.0  # a second of drift or a slow loop: below the threshold
    wall[0], mono[0] = 1003.0 - 7200 + 2, 56.0
    assert watch.check() == pytest.approx(-7200.0)
    wall[0], mono[0] = wall[0] + 86400 + 2, 58.0
    assert watch.check() == pytest.approx(86400.0)  # forward: reported, jobs left alone


@pytest.mark.parametrize("start", [SPRING, AUTUMN], ids=["spring", "autumn"])
def test_stored_times_are_utc_through_a_dst_night(berlin, store, start):
    with time_machine.travel(start, tick=False) as traveller:
        for i in range(3):
            record_poll(store, page(i))
            traveller.shift(timedelta(seconds=2))  # across the local-time switch
    stamps = [
        value
        for (value,) in store.conn.execute(
            "SELECT finished_at FROM polls UNION ALL SELECT first_seen_at FROM entries "
            "UNION ALL SELECT seen_at FROM revisions UNION ALL SELECT created_at FROM events"
        )
    ]
    assert stamps and all(s.endswith("+00:00") for s in stamps)
    parsed = sorted({datetime.fromisoformat(s) for s in stamps})
    assert parsed[0] == start.replace(microsecond=0) and parsed[-1] - parsed[0] == timedelta(
        seconds=4
    )
    record(f"time: stored UTC through the {start:%B} night")


def test_the_real_daemon_keeps_the_interval_of_a_poll_in_flight_at_a_jump_back(
    faults, tmp_path, monkeypatch
):
    """The real daemon (tests/clockjump.py sets its wall clock back two hours on SIGUSR1) with
    a poll in flight at the jump: that poll re-arms itself on the new clock, and the watcher
    that notices the jump afterwards must not move it a second time (it polled at once)."""
    monkeypatch.setenv("TICKERWATCH_MIN_INTERVAL", "0.5")
    every, slow = 3.0, 2.5  # every poll takes `slow` seconds: the server answers that late
    path = "/newsticker/liveblog-clock-1.html"
    rows_ = [(f"e{i}", f"Meldung {i}", f"Text der Meldung {i}.") for i in range(3)]
    page_ = liveblog_page(rows_).encode()
    url = faults.route(path, Reply(page_, headers={"Content-Type": "text/html"}, delay=slow))
    config = tmp_path / "sources.toml"
    config.write_text(f'[[source]]\nname = "c"\nurl = "{url}"\nkind = "liveblog"\nevery = "3s"\n')
    daemon = DaemonProcess(tmp_path / "tw.db", config, module="tests.clockjump")
    try:
        deadline = time.monotonic() + 30
        while not faults.hits(path) and time.monotonic() < deadline:
            time.sleep(0.01)
        first = next(r.at for r in faults.requests if r.path == path)
        # Jump shortly before the answer: the poll then re-arms on the new clock before the
        # watcher (every 2 s) sees the jump, on most runs; on the others the watcher is first.
        time.sleep(max(0.0, first + slow - 0.3 - time.time()))
        assert faults.open.get(path) == 1 and faults.hits(path) == 1  # in flight, unanswered
        daemon.signal(signal.SIGUSR1)
        daemon.wait_for(r"wall clock jumped by -7\d\d\ds")
        deadline = time.monotonic() + 40
        while faults.hits(path) < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        assert daemon.stop() == 0
    starts = [r.at for r in faults.requests if r.path == path][:4]
    gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
    record("time: clock set back 2 h with a poll in flight (real daemon)")
    assert len(gaps) == 3, (gaps, daemon.text()[-3000:])
    # Each poll starts `slow` + the interval (±10 %) after the one before; load only adds.
    assert min(gaps) >= slow + 0.9 * every - 0.3, gaps
