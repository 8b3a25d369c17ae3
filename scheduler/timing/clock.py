"""Wall-clock jumps: detect them against the monotonic clock and keep the schedule's pace.

The daemon plans each poll as an APScheduler ``date`` job at an absolute UTC time. APScheduler
arms its timer with ``loop.call_later`` (monotonic), but when the timer fires it compares the
job's time with the *wall* clock. So when the wall clock is set back two hours (a bad NTP
server, an operator, a VM restored from a snapshot), every job looks two hours early and the
daemon would sit silent for two hours. This module notices the jump and moves every job by the
same amount, so each source keeps its interval in real time.

A forward jump is left alone on purpose: it is also what a suspended laptop looks like on
resume (CLOCK_MONOTONIC stops during suspend), and there the documented behaviour is that
overdue sources poll once (``coalesce``), which is also the right answer to a clock set ahead.
DST changes are invisible here: every time is UTC.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

logger = logging.getLogger(__name__)

JUMP_THRESHOLD = 5.0  # seconds of wall-vs-monotonic disagreement that count as a jump


class ClockWatch:
    """``check()`` returns how far the wall clock jumped since the last check (0.0 if not)."""

    def __init__(
        self,
        threshold: float = JUMP_THRESHOLD,
        wall: Callable[[], float] = time.time,
        mono: Callable[[], float] = time.monotonic,
    ) -> None:
        self.threshold = threshold
        self.wall, self.mono = wall, mono
        self._last = (wall(), mono())

    def check(self) -> float:
        wall, mono = self.wall(), self.mono()
        jump = (wall - self._last[0]) - (mono - self._last[1])
        self._last = (wall, mono)
        return jump if abs(jump) > self.threshold else 0.0


def wall_offset() -> float:
    """Wall minus monotonic time: constant while the wall clock runs true, moved by a jump.

    The daemon notes it for every job it arms (``planned_on``), so that after a jump each job
    is moved by what the clock did since *that job* was planned, not by the whole jump.
    """
    return time.time() - time.monotonic()


def shift_jobs(
    scheduler, jump: float, planned_on: dict[str, float] | None = None
) -> dict[str, datetime]:
    """After a backward jump, move every pending job by ``jump`` seconds; returns the new times.

    A job that was due in 40 s of real time is still due in 40 s of real time afterwards.
    Forward jumps return an empty dict (see the module docstring). With ``planned_on`` (job id
    → :func:`wall_offset` when it was armed), a job armed *after* the jump — a poll that was in
    flight during it and re-armed itself on the new clock before this watcher looked — is left
    alone instead of being moved a second time (it would then poll at once).
    """
    if jump >= 0:
        return {}
    offset = wall_offset()
    moved: dict[str, datetime] = {}
    for job in scheduler.get_jobs():
        if job.next_run_time is None:  # paused
            continue
        shift = jump
        if planned_on is not None and job.id in planned_on:
            shift = offset - planned_on[job.id]
            planned_on[job.id] = offset
            if shift > -JUMP_THRESHOLD:  # already planned on the clock as it is now
                continue
        when = job.next_run_time + timedelta(seconds=shift)
        job.modify(next_run_time=when)
        moved[job.id] = when
    return moved


async def keep_pace(
    scheduler_of: Callable[[], Any],
    every: float = 2.0,
    planned_on: dict[str, float] | None = None,
) -> None:
    """The daemon's watcher task: check the clock every ``every`` seconds (monotonic sleep)."""
    watch = ClockWatch()
    while True:
        await asyncio.sleep(every)
        jump = watch.check()
        scheduler = scheduler_of()
        if not jump or scheduler is None:
            continue
        moved = shift_jobs(scheduler, jump, planned_on)
        logger.warning(
            "wall clock jumped by %+.0fs; %s",
            jump,
            f"moved {len(moved)} polls to keep their intervals"
            if moved
            else "overdue polls run once",
        )
