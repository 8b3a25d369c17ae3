"""``python -m tests.clockjump [tickerwatch args]``: the real CLI in a process whose wall clock
an operator can set back. SIGUSR1 moves ``time.time`` and ``datetime.now`` two hours back
(time-machine, ticking); the monotonic clock that asyncio's timers use runs on, as it does
when a real clock is stepped. Used by tests/test_faults_time.py to jump the clock of the real
daemon while one of its polls is in flight."""

from __future__ import annotations

import signal
from datetime import UTC, datetime

import time_machine

JUMP = -7200.0


def main() -> None:
    traveller = time_machine.travel(datetime.now(UTC), tick=True).start()
    signal.signal(signal.SIGUSR1, lambda *_: traveller.shift(JUMP))
    from scheduler.cli.app import main as tickerwatch

    tickerwatch()


if __name__ == "__main__":
    main()
