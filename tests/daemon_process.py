"""The daemon as a real child process for tests, plus a small evolving ARD-style liveblog page."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from html import escape
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def liveblog_page(entries: list[tuple[str, str, str]]) -> str:
    """tagesschau markup: anchor div with datetime and subhead, body paragraphs as siblings.

    ``entries`` are (id, title, body), oldest first; the page shows them newest first.
    """
    blocks = []
    for number, (key, title, body) in reversed(list(enumerate(entries))):
        clock = f"{8 + number // 60:02d}:{number % 60:02d}"
        blocks.append(
            f'<div class="liveblog--anchor columns twelve" id="{escape(key)}">'
            f'<div class="liveblog__datetime">25.05.2024 • {clock} Uhr</div>'
            f'<h2 class="meldung__subhead">{escape(title)}</h2></div>'
            f'<p class="textabsatz columns twelve">{escape(body)}</p>'
        )
    return (
        '<!DOCTYPE html><html lang="de"><head><meta charset="utf-8"><title>Liveblog: ++ Test ++'
        '</title></head><body><article><p class="metatextline">Stand: 25.05.2024 20:00 Uhr</p>'
        + "".join(blocks)
        + '<div class="meldungsfooter">Ende</div></article></body></html>'
    )


class DaemonProcess:
    """``tickerwatch --db DB run --config CFG`` in a child; stderr goes to a file we can grep."""

    def __init__(
        self,
        db: Path,
        config: Path,
        *extra: str,
        log: Path | None = None,
        module: str = "scheduler.cli.app",
    ) -> None:
        self.log = log or db.with_suffix(".log")
        self.handle = open(self.log, "a", encoding="utf-8")  # noqa: SIM115 (closed in wait)
        self.offset = self.log.stat().st_size
        env = dict(os.environ, PYTHONPATH=str(REPO), TICKERWATCH_MIN_INTERVAL="0.5")
        command = [
            sys.executable,
            "-m",
            module,
            "--db",
            str(db),
            *extra,
            "run",
            "--config",
            str(config),
        ]
        self.proc = subprocess.Popen(
            command, stdout=self.handle, stderr=self.handle, cwd=REPO, env=env
        )

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8")[self.offset :]

    def wait_for(self, pattern: str, timeout: float = 15.0, count: int = 1) -> float:
        """Seconds until ``pattern`` appeared ``count`` times in this run's output."""
        start = time.monotonic()
        regex = re.compile(pattern, re.MULTILINE)
        while time.monotonic() - start < timeout:
            if len(regex.findall(self.text())) >= count:
                return time.monotonic() - start
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"{pattern!r} not seen within {timeout}s; output:\n{self.text()}")

    def signal(self, signum: int) -> None:
        self.proc.send_signal(signum)

    def wait(self, timeout: float = 20.0) -> int:
        try:
            return self.proc.wait(timeout)
        finally:
            self.handle.close()

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.signal(signal.SIGTERM)
        return self.wait()
